"""The reviewers' pages: the district's review queue, a venue's review, and accreditation (city admin)."""
from __future__ import annotations

import functools

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.accounts import invitation_views, managers
from app.accounts.forms import ConfirmForm, ManagerForm
from app.accounts.models import AccountStatus, Role, User
from app.core.authz import authorize, role_required
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.pagination import redirect_past_the_end
from app.core.text import search_text
from app.core.time import local_today
from app.districts.services import district_choices
from app.extensions import db, limiter
from app.notifications.services import after_commit_delivery
from app.privacy.services import AccessAction, record_access
from app.venues import lookalikes, services
from app.venues.forms import AccreditationForm, ActionForm, ReasonForm, SuspendForm, WithdrawAccreditationForm
from app.venues.models import Accreditation, Venue, VenueStatus
from app.venues.views import bp, page_arg, status_choices

ADMINS = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
QUEUE_PAGE_SIZE = 30
DONE = {
    "approve": _l("The venue is approved and now appears in the public directory."),
    "reject": _l("The venue is rejected; its manager sees your reason."),
    "suspend": _l("The venue is suspended and no longer appears in the public directory."),
    "reinstate": _l("The venue is reinstated and appears in the public directory again."),
}


@bp.get("/admin/venues")
@role_required(*ADMINS)
def review_queue():
    wanted = request.args.get("status", VenueStatus.SUBMITTED.value)
    note = None
    if wanted == "all":
        status = None
    else:
        try:
            status = VenueStatus(wanted)
        except ValueError:
            status, wanted = VenueStatus.SUBMITTED, VenueStatus.SUBMITTED.value
            note = _("There is no such status; showing venues waiting for review.")
    q = search_text(request.args.get("q", ""))[:100]
    districts = district_choices() if current_user.role == Role.CITY_ADMIN else []
    district = request.args.get("district", "")
    district = district if district in {code for code, _label in districts} else ""
    page = services.review_queue(current_user, status, page_arg(), QUEUE_PAGE_SIZE, q=q, district_code=district)
    redirect_past_the_end(page)
    return render_template("venues/admin_list.html", page=page, wanted=wanted, note=note,
                           statuses=status_choices(), q=q, districts=districts, district=district)


def render_review(venue: Venue, status: int = 200, **forms):
    """The review page; ``forms`` replaces a blank form with one that came back with errors."""
    today = local_today()
    context = {
        "approve_form": ActionForm(formdata=None), "reinstate_form": ActionForm(formdata=None),
        "reject_form": ReasonForm(prefix="reject", formdata=None),
        "suspend_form": SuspendForm(prefix="suspend", formdata=None),
        "accreditation_form": AccreditationForm(formdata=None),
        "manager_form": ManagerForm(prefix="manager", formdata=None),
    }
    context.update(forms)
    venue_managers = managers.venue_managers(venue.id)
    # The managers' names and numbers are personal data: their viewing is logged, as a staff list's is.
    record_access(current_user, AccessAction.VIEW_VENUE_MANAGERS, detail=str(venue.id))
    db.session.commit()
    return render_template(
        "venues/admin_venue.html", venue=venue, today=today,
        decisions=services.allowed_decisions(current_user, venue),
        may_accredit=services.can_accredit(current_user), accredits=services.was_ever_registered(venue),
        accreditations=venue.current_accreditations(today), managers=venue_managers,
        expiry_notices=services.expiry_notices(venue.accreditations, today),
        has_active_manager=any(m.account_status == AccountStatus.ACTIVE for m in venue_managers),
        may_add_manager=managers.can_add_venue_manager(current_user, venue),
        invitation_form=ConfirmForm(formdata=None), lookalikes=lookalikes.shown_to_reviewer(venue),
        may_review=lambda other: services.can_review_venue(current_user, other), **context), status


@bp.get("/admin/venues/<int:venue_id>")
@role_required(*ADMINS)
def review_venue(venue_id: int):
    venue = services.find_venue(venue_id) or abort(404)
    authorize(services.can_review_venue(current_user, venue))
    return render_review(venue)


@bp.post("/admin/venues/<int:venue_id>/<any(approve, reject, suspend, reinstate):action>")
@role_required(*ADMINS)
def decide(venue_id: int, action: str):
    venue = services.find_venue(venue_id) or abort(404)
    authorize(services.can_review_venue(current_user, venue))
    form = (SuspendForm(prefix=action) if action == "suspend" else ReasonForm(prefix=action) if action == "reject"
            else ActionForm())
    try:
        services.check_decision(current_user, venue, action)
    except DomainError as exc:
        # Decided meanwhile (another tab): this form is no longer on the page; say so above it.
        flash(str(exc.message), "error")
        return redirect(url_for("venues.review_venue", venue_id=venue.id))
    if form.validate_on_submit():
        cancelled = 0  # upcoming bookings a suspension cancels
        try:
            if action == "approve":
                services.approve_venue(current_user, venue)
            elif action == "reject":
                services.reject_venue(current_user, venue, form.reason.data)
            elif action == "suspend":
                # Upcoming visits are cancelled and their bookers told: the reviewer sees how many,
                # and confirms, before anything is.
                if form.confirmed.data != "yes":
                    impact = services.suspension_impact(current_user, venue, form.reason.data)
                    if impact.bookings:
                        return render_review(venue, suspend_form=form, suspension=impact)
                cancelled = services.suspend_venue(current_user, venue, form.reason.data).bookings
            else:
                services.reinstate_venue(current_user, venue)
        except DomainError as exc:
            db.session.rollback()
            if exc.field is None:  # decided by someone else since the check above
                flash(str(exc.message), "error")
                return redirect(url_for("venues.review_venue", venue_id=venue.id))
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            done = str(DONE[action])
            if cancelled:
                done += " " + ngettext("%(num)d upcoming booking was cancelled and its booker told.",
                                       "%(num)d upcoming bookings were cancelled and their bookers told.", cancelled)
            flash(done, "success")
            return redirect(url_for("venues.review_venue", venue_id=venue.id))
    return render_review(venue, 400, **{f"{action}_form": form})


@bp.post("/admin/venues/<int:venue_id>/managers")
@role_required(*ADMINS)
@limiter.limit("30 per hour", methods=["POST"])  # each accepted form sends an email
def add_manager(venue_id: int):
    venue = services.find_venue(venue_id) or abort(404)
    authorize(managers.can_add_venue_manager(current_user, venue))
    form = ManagerForm(prefix="manager")
    if form.validate_on_submit():
        try:
            person = managers.add_venue_manager(current_user, venue, email=form.email.data, name=form.name.data,
                                                link_for=invitation_views.password_link)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            after_commit_delivery()
            if person.awaits_password:
                flash(_("We have invited %(name)s to manage this venue: they become one of its managers once they "
                        "have chosen a password from the link we emailed to %(email)s.",
                        name=person.name, email=person.email), "success")
            else:
                flash(_("%(name)s is now a manager of this venue. We have emailed %(email)s to tell them.",
                        name=person.name, email=person.email), "success")
            return redirect(url_for("venues.review_venue", venue_id=venue.id, _anchor="managers"))
    return render_review(venue, 400, manager_form=form)


def _invitation_action(venue_id: int, user_id: int, act, *, withdraw: bool):
    """``act(admin, venue, person)`` on an invited manager's invitation (``invitation_views.settle``)."""
    venue = services.find_venue(venue_id) or abort(404)
    authorize(managers.can_add_venue_manager(current_user, venue))
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.VENUE_MANAGER or person.venue_id != venue.id:
        abort(404)
    return invitation_views.settle(person, functools.partial(act, current_user, venue, person), withdraw=withdraw,
                                   back=url_for("venues.review_venue", venue_id=venue.id, _anchor="managers"))


@bp.post("/admin/venues/<int:venue_id>/managers/<int:user_id>/invitation")
@role_required(*ADMINS)
@limiter.limit("30 per hour")  # each one sends an email
def resend_manager_invitation(venue_id: int, user_id: int):
    return _invitation_action(venue_id, user_id, functools.partial(
        managers.resend_manager_invitation, link_for=invitation_views.password_link), withdraw=False)


@bp.post("/admin/venues/<int:venue_id>/managers/<int:user_id>/invitation/withdraw")
@role_required(*ADMINS)
def withdraw_manager_invitation(venue_id: int, user_id: int):
    return _invitation_action(venue_id, user_id, managers.withdraw_manager_invitation, withdraw=True)


@bp.post("/admin/venues/<int:venue_id>/accreditations")
@role_required(Role.CITY_ADMIN)
def record_accreditation(venue_id: int):
    venue = services.find_venue(venue_id) or abort(404)
    authorize(services.can_accredit(current_user))
    form = AccreditationForm()
    if form.validate_on_submit():
        try:
            services.record_accreditation(current_user, venue, **form.values())
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()  # the venue's managers are told
            flash(_("The accreditation is recorded."), "success")
            return redirect(url_for("venues.review_venue", venue_id=venue.id))
    return render_review(venue, 400, accreditation_form=form)


def _accreditation_to_correct(accreditation_id: int) -> Accreditation:
    accreditation = db.get_or_404(Accreditation, accreditation_id)
    authorize(services.can_accredit(current_user))
    return accreditation


def _correction_form(accreditation: Accreditation, **kw) -> AccreditationForm:
    form = AccreditationForm(obj=accreditation, **kw)
    if request.method == "GET" or "formdata" in kw:
        form.level.data = accreditation.level.value
    form.submit.label.text = _("Save changes")
    return form


def _render_edit(accreditation: Accreditation, form, withdraw_form, status: int):
    return render_template("venues/accreditation_edit.html", form=form, accreditation=accreditation,
                           withdraw_form=withdraw_form), status


@bp.route("/admin/accreditations/<int:accreditation_id>/edit", methods=["GET", "POST"])
@role_required(Role.CITY_ADMIN)
def edit_accreditation(accreditation_id: int):
    """Correct a mistyped number or date, or remove an accreditation recorded in error."""
    accreditation = _accreditation_to_correct(accreditation_id)
    form = _correction_form(accreditation)
    if form.validate_on_submit():
        try:
            services.correct_accreditation(current_user, accreditation, **form.values())
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(_("The accreditation is corrected."), "success")
            return redirect(url_for("venues.review_venue", venue_id=accreditation.venue_id))
    return _render_edit(accreditation, form, WithdrawAccreditationForm(prefix="withdraw", formdata=None),
                        form_status(form))


@bp.post("/admin/accreditations/<int:accreditation_id>/withdraw")
@role_required(Role.CITY_ADMIN)
def withdraw_accreditation(accreditation_id: int):
    """Remove an accreditation recorded in error, saying (if the city admin will) what was wrong."""
    accreditation = _accreditation_to_correct(accreditation_id)
    form = WithdrawAccreditationForm(prefix="withdraw")
    if form.validate_on_submit():
        venue_id = accreditation.venue_id
        try:
            services.withdraw_accreditation(current_user, accreditation, form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(_("The accreditation is removed."), "success")
            return redirect(url_for("venues.review_venue", venue_id=venue_id))
    return _render_edit(accreditation, _correction_form(accreditation, formdata=None), form, 400)


@bp.get("/admin/accreditations")
@role_required(Role.CITY_ADMIN)
def accreditations():
    authorize(services.can_accredit(current_user))
    today = local_today()
    days = current_app.config["ACCREDITATION_EXPIRY_WARNING_DAYS"]
    expiring = services.expiring_accreditations(today, days)
    page = services.accreditation_register(page_arg(), 50)
    redirect_past_the_end(page)
    return render_template("venues/accreditations.html", expiring=expiring, page=page, today=today,
                           days=days, expiring_ids={a.id for a in expiring},
                           notices=services.expiry_notices([*expiring, *page.items], today),
                           notice_days=services.EXPIRY_NOTICE_DAYS)
