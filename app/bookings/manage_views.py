"""The venue manager's side of bookings: requests to decide, the day's visits, partner schools."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.bookings import partnerships, queries, services
from app.bookings.forms import ConfirmForm, DeclineForm, PartnershipForm
from app.bookings.models import Booking, Partnership
from app.bookings.views import bp
from app.core.authz import role_required
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.time import local_today, utcnow
from app.extensions import db
from app.notifications.services import after_commit_delivery
from app.privacy.services import record_access
from app.schools.models import School
from app.schools.services import active_school_choices


def _managed_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not services.can_decide_booking(current_user, booking):
        abort(404)
    return booking


def _manager_venue_id() -> int:
    if current_user.venue_id is None:
        abort(404)
    return current_user.venue_id


@bp.get("/manage/bookings")
@role_required(Role.VENUE_MANAGER)
def manage():
    venue_id = _manager_venue_id()
    now = utcnow()
    record_access(current_user, "view_booking_list", detail=str(venue_id))
    db.session.commit()
    # ``show=requests`` (the dashboard's link to the requests waiting) lists those alone.
    only_requests = request.args.get("show") == "requests"
    upcoming = [] if only_requests else queries.venue_upcoming(venue_id, now)
    return render_template("bookings/manage.html", requests=queries.venue_requests(venue_id, now),
                           upcoming=upcoming, came=queries.arrivals(upcoming), confirm_form=ConfirmForm(),
                           decline_form=DeclineForm(), only_requests=only_requests)


@bp.post("/manage/bookings/<int:booking_id>/approve")
@role_required(Role.VENUE_MANAGER)
def approve(booking_id: int):
    booking = _managed_booking(booking_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.approve_booking(current_user, booking, seen_version=request.form.get("version", type=int))
        db.session.commit()
        after_commit_delivery()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Approved. The teacher has been told."), "success")
    return redirect(url_for("bookings.manage"))


@bp.route("/manage/bookings/<int:booking_id>/decline", methods=["GET", "POST"])
@role_required(Role.VENUE_MANAGER)
def decline(booking_id: int):
    booking = _managed_booking(booking_id)
    if request.method == "GET":
        try:
            services.check_declinable(booking)
        except DomainError as exc:  # decided, or lapsed at the start: no reason to ask for
            flash(exc.message, "error")
            return redirect(url_for("bookings.manage"))
        record_access(current_user, "view_booking", booking)  # the page names the teacher and their mobile
        db.session.commit()
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            services.decline_booking(current_user, booking, reason=form.reason.data)
            db.session.commit()
            after_commit_delivery()
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:  # decided, withdrawn or lapsed meanwhile: no form to correct
                flash(exc.message, "error")
                return redirect(url_for("bookings.manage"))
            apply_error(form, exc)
        else:
            flash(_("Declined. The teacher has been told why."), "success")
            return redirect(url_for("bookings.manage"))
    return render_template("bookings/decline.html", booking=booking, form=form), form_status(form)


@bp.route("/manage/partners", methods=["GET", "POST"])
@role_required(Role.VENUE_MANAGER)
def manage_partners():
    venue = current_user.venue
    if venue is None:
        abort(404)
    form = PartnershipForm()
    form.school_id.choices = active_school_choices()
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data)
        try:
            partnerships.add_partnership(current_user, venue, school, valid_from=form.valid_from.data,
                                         valid_to=form.valid_to.data, note=form.note.data, today=local_today())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(_("Partner school added."), "success")
            return redirect(url_for("bookings.manage_partners"))
    return render_template("bookings/partners.html", form=form, today=local_today(),
                           partnerships=partnerships.venue_partnerships(venue.id),
                           renewal_opens=partnerships.renewal_opens, end_form=ConfirmForm()), form_status(form)


def _managed_partnership(partnership_id: int) -> Partnership:
    partnership = db.session.get(Partnership, partnership_id)
    if partnership is None or partnership.venue_id != current_user.venue_id:
        abort(404)
    return partnership


@bp.post("/manage/partners/<int:partnership_id>/renew")
@role_required(Role.VENUE_MANAGER)
def renew_partner(partnership_id: int):
    partnership = _managed_partnership(partnership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        renewed = partnerships.renew_partnership(current_user, partnership, today=local_today())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Renewed: the agreement runs from %(start)s until %(end)s.", start=renewed.valid_from.isoformat(),
                end=renewed.valid_to.isoformat()), "success")
    return redirect(url_for("bookings.manage_partners"))


@bp.post("/manage/partners/<int:partnership_id>/end")
@role_required(Role.VENUE_MANAGER)
def end_partner(partnership_id: int):
    partnership = _managed_partnership(partnership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ended = partnerships.end_partnership(current_user, partnership, today=local_today())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("The agreement has ended.") if ended
              else _("The agreement had not started yet: it has been withdrawn."), "success")
    return redirect(url_for("bookings.manage_partners"))
