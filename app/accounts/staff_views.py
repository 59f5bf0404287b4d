"""The venue manager's staff pages: who works the gate, adding someone (sending the invitation again, or
withdrawing it, until they choose a password), removing someone who left."""
from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import invitation_views, staff
from app.accounts.forms import ConfirmForm, RemoveStaffForm, StaffForm
from app.accounts.models import Role, User
from app.accounts.services import normalize_email
from app.accounts.views import bp
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.extensions import db, limiter
from app.notifications.services import after_commit_delivery
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
            staff.add_venue_staff(current_user, venue, email=form.email.data, name=form.name.data,
                                  link_for=invitation_views.password_link)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            after_commit_delivery()
            # The same words whether the address was free or has an account that cannot join: the
            # manager is not told who has an account (the person is told by email what to do).
            # The address as kept and written to (ｇａｔｅ@ typed in full width is gate@).
            flash(_("We have emailed %(email)s about joining your staff. A new member appears in your list "
                    "as invited until they have chosen a password from the link in that email.",
                    email=normalize_email(form.email.data)), "success")
            return redirect(url_for("accounts.manage_staff"))
    members = staff.venue_staff(venue.id)
    record_access(current_user, AccessAction.VIEW_STAFF_LIST, detail=str(venue.id))
    db.session.commit()
    return render_template("accounts/staff.html", venue=venue, form=form, members=members,
                           invitation_form=ConfirmForm(formdata=None)), form_status(form)


def _invitation_action(user_id: int, act, *, withdraw: bool):
    """``act(manager, venue, person)`` on an invited member's invitation (``invitation_views.settle``)."""
    venue = _managed_venue()
    person = _staff_member(venue, user_id)
    return invitation_views.settle(person, functools.partial(act, current_user, venue, person), withdraw=withdraw,
                                   back=url_for("accounts.manage_staff"))


@bp.post("/manage/staff/<int:user_id>/invitation")
@login_required
@limiter.limit("30 per hour")  # each one sends an email
def resend_staff_invitation(user_id: int):
    return _invitation_action(user_id, functools.partial(staff.resend_staff_invitation,
                                                         link_for=invitation_views.password_link), withdraw=False)


@bp.post("/manage/staff/<int:user_id>/invitation/withdraw")
@login_required
def withdraw_staff_invitation(user_id: int):
    return _invitation_action(user_id, staff.withdraw_staff_invitation, withdraw=True)


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
    record_access(current_user, AccessAction.VIEW_ACCOUNT, person)  # the page shows their name, email and phone
    db.session.commit()
    return render_template("accounts/remove_staff.html", venue=venue, person=person, form=form), form_status(form)
