"""The venue manager's staff pages: who works the gate, adding someone, removing someone who left."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import staff
from app.accounts.forms import RemoveStaffForm, StaffForm
from app.accounts.models import Role, User
from app.accounts.views import bp
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.extensions import db, limiter
from app.notifications.services import after_commit_delivery, site_url
from app.privacy.services import AccessAction, record_access
from app.venues.models import Venue


def _managed_venue() -> Venue:
    venue = db.session.get(Venue, current_user.venue_id) if current_user.venue_id else None
    authorize(venue is not None and staff.can_manage_staff(current_user, venue))
    return venue


def _staff_member(venue: Venue, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.VENUE_STAFF or person.venue_id != venue.id:
        abort(404)
    return person


@bp.route("/manage/staff", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])  # each accepted form sends an email
def manage_staff():
    venue = _managed_venue()
    form = StaffForm()
    if form.validate_on_submit():
        try:
            person = staff.add_venue_staff(
                current_user, venue, email=form.email.data, name=form.name.data,
                link_for=lambda token: site_url(url_for("accounts.reset_password", token=token)))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            after_commit_delivery()
            flash(_("%(name)s is on your staff. We have emailed %(email)s a link to choose a password.",
                    name=person.name, email=person.email), "success")
            return redirect(url_for("accounts.manage_staff"))
    members = staff.venue_staff(venue.id)
    record_access(current_user, AccessAction.VIEW_STAFF_LIST, detail=str(venue.id))
    db.session.commit()
    return render_template("accounts/staff.html", venue=venue, form=form, members=members), form_status(form)


@bp.route("/manage/staff/<int:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove_staff(user_id: int):
    venue = _managed_venue()
    person = _staff_member(venue, user_id)
    form = RemoveStaffForm()
    if form.validate_on_submit():
        try:
            staff.remove_venue_staff(current_user, venue, person)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            after_commit_delivery()
            flash(_("%(name)s has been removed from your staff and can no longer sign in or check tickets in.",
                    name=person.name), "success")
        return redirect(url_for("accounts.manage_staff"))
    return render_template("accounts/remove_staff.html", venue=venue, person=person, form=form), form_status(form)
