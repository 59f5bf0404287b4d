"""Publishing pages for a venue's manager (/manage/...) and the public availability calendar."""
from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_skeleton, get_day_names

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.bookings.rules import booking_windows, rules_for
from app.bookings.views import current_viewer
from app.core.authz import authorize
from app.core.errors import DomainError, Forbidden
from app.core.forms import apply_error, form_status
from app.core.i18n import localized
from app.core.templating import local_date, local_date_range
from app.core.time import local_today, to_local, utcnow
from app.events.services import OutsideThemedDates
from app.events.themed_days import all_themed_days
from app.extensions import db
from app.notifications.services import after_commit_delivery
from app.scheduling import availability, services
from app.scheduling import booking_rules as rules_service
from app.scheduling import programs as program_service
from app.scheduling.forms import (CancelSlotForm, CapacityBetweenForm, CapacityForm, ClosureForm, ProgramForm,
                                  RemoveClosureForm, RulesForm, ScheduleForm, SlotCorrectionForm, SlotFilterForm,
                                  SlotForm, WithdrawScheduleForm, overlap_confirmed, program_choices,
                                  themed_dates_confirmed, themed_day_options)
from app.scheduling.models import Closure, Program, Schedule, Slot
from app.venues.models import Venue, VenueStatus

bp = Blueprint("scheduling", __name__)

LIST_DAYS = 30  # the slot list shows the next 30 days unless asked otherwise
BATCH = "batch"  # the slot list's form changing several slots' capacity: ids apart from the filters'
MAX_LIST_DAYS = 92


@bp.app_template_global()
def calendar_month(day: date) -> str:
    """"2026年12月" / "December 2026" in the interface language."""
    return format_skeleton("yMMMM", day, locale=str(get_locale()))


@bp.app_template_global()
def calendar_day(day: date) -> str:
    """"12月3日星期四" / "Thursday, December 3"."""
    return format_skeleton("MMMMEEEEd", day, locale=str(get_locale()))


@bp.app_template_global()
def weekday_short_names() -> list[str]:
    names = get_day_names("abbreviated", locale=str(get_locale()))
    return [names[i] for i in range(7)]


@bp.app_template_global()
def weekday_list(numbers: str) -> str:
    """ISO weekdays stored as "3,4,5" as the interface language's day names."""
    names = get_day_names("wide", locale=str(get_locale()))
    return _(", ").join(names[int(n) - 1] for n in numbers.split(",") if n.strip().isdigit() and 1 <= int(n) <= 7)


def _managed_venue() -> Venue:
    """The signed-in manager's venue, once the policy question is answered yes."""
    venue = current_user.venue if current_user.role == Role.VENUE_MANAGER else None
    if current_user.role == Role.VENUE_MANAGER and venue is None:
        raise Forbidden(_l("Register your venue first."))
    authorize(services.can_manage_schedule(current_user, venue))
    return venue


def _themed_dates_warning(form, exc: OutsideThemedDates) -> OutsideThemedDates:
    """The form again as sent, with the warning next to its date and the confirmation unticked: it
    confirms these very days (``exc.token``)."""
    db.session.rollback()
    form.themed_dates_ok.data, form.themed_dates_seen.data = False, exc.token
    return exc


def _render(template: str, form, **context):
    return render_template(template, form=form, **context), form_status(form)


# --- programs -----------------------------------------------------------------------------------

@bp.get("/manage/programs")
@login_required
def programs():
    venue = _managed_venue()
    return render_template("scheduling/programs.html", venue=venue, programs=program_service.venue_programs(venue),
                           languages=program_service.LANGUAGES, themed_days={t.key: t for t in all_themed_days()})


@bp.route("/manage/programs/new", methods=["GET", "POST"])
@login_required
def new_program():
    venue = _managed_venue()
    form = ProgramForm()
    form.themed_day_key.choices = themed_day_options(local_today())
    if form.validate_on_submit():
        try:
            program = program_service.create_program(current_user, venue, form.values())
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Program %(title)s saved.", title=localized(program, "title")), "success")
            return redirect(url_for("scheduling.programs"))
    return _render("scheduling/program_form.html", form, venue=venue, program=None)


@bp.route("/manage/programs/<int:program_id>/edit", methods=["GET", "POST"])
@login_required
def edit_program(program_id: int):
    program = db.get_or_404(Program, program_id)
    authorize(services.can_manage_schedule(current_user, program.venue))
    form = ProgramForm(obj=program)
    form.themed_day_key.choices = themed_day_options(local_today())
    if request.method == "GET":
        form.kind.data = program.kind.value
        form.themed_day_key.data = program.themed_day_key or ""
    themed_dates = None
    if form.validate_on_submit():
        try:
            program_service.update_program(current_user, program, form.values(),
                                           themed_dates_confirmed=themed_dates_confirmed(form))
        except OutsideThemedDates as exc:
            themed_dates = _themed_dates_warning(form, exc)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Program %(title)s saved.", title=localized(program, "title")), "success")
            return redirect(url_for("scheduling.programs"))
    return _render("scheduling/program_form.html", form, venue=program.venue, program=program,
                   themed_dates=themed_dates)


# --- slots --------------------------------------------------------------------------------------

@bp.get("/manage/slots")
@login_required
def slots():
    return _slots_page(_managed_venue())


def _slots_page(venue: Venue, batch_form: CapacityBetweenForm | None = None, status: int | None = None):
    """The slot list for the filters of the query string, with the form changing the capacity of
    several slots at once (filled in with the days and audience listed, unless it was sent)."""
    filters = SlotFilterForm(request.args)
    filters.validate()
    first = filters.start.data or local_today()
    if not availability.EARLIEST <= first <= availability.LATEST:
        filters.start.errors = [*filters.start.errors, _("Choose a day between 2000 and 2100.")]
        first = local_today()
    last = filters.end.data or first + timedelta(days=LIST_DAYS)
    if last < first:
        filters.end.errors = [*filters.end.errors, _("The last day cannot be before the first day.")]
    elif (last - first).days + 1 > MAX_LIST_DAYS:
        filters.end.errors = [*filters.end.errors, _("Show at most %(days)d days at once.", days=MAX_LIST_DAYS)]
    entries = [] if filters.errors else availability.manager_slot_list(
        venue, first, last, audience=filters.audience.data, status=filters.status.data)
    if batch_form is None:
        batch_form = CapacityBetweenForm(formdata=None, prefix=BATCH, starts_on=max(first, local_today()),
                                         ends_on=last, audience=filters.audience.data or "")
    if status is None:
        status = 400 if filters.errors else 200
    return render_template("scheduling/slots.html", venue=venue, filters=filters, entries=entries, first=first,
                           last=last, total=sum(len(entry.slots) for entry in entries),
                           batch_form=batch_form), status


def _people(n: int) -> str:
    return ngettext("%(num)d person", "%(num)d people", n)


@bp.post("/manage/slots/capacity")
@login_required
def slots_capacity():
    venue = _managed_venue()
    form = CapacityBetweenForm(prefix=BATCH)
    if form.validate_on_submit():
        try:
            result = services.change_capacity_between(current_user, venue, form.starts_on.data, form.ends_on.data,
                                                      form.capacity.data, audience=form.audience.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()  # larger slots may have promoted people from their waiting lists
            days = local_date_range(form.starts_on.data, form.ends_on.data)
            flash(ngettext("%(days)s: %(num)d slot now takes %(capacity)d people.",
                           "%(days)s: %(num)d slots now take %(capacity)d people each.", result.changed,
                           days=days, capacity=form.capacity.data)
                  if result.changed else _("%(days)s: no slot changed.", days=days), "success")
            if result.promoted:
                flash(ngettext("%(num)d booking (%(people)s) on their waiting lists was confirmed and told.",
                               "%(num)d bookings (%(people)s) on their waiting lists were confirmed and told.",
                               result.promoted, people=_people(result.promoted_people)), "success")
            if result.kept:
                flash(ngettext("%(num)d slot kept its capacity: more places are already booked on it.",
                               "%(num)d slots kept their capacity: more places are already booked on them.",
                               result.kept), "warning")
            return redirect(url_for("scheduling.slots", start=form.starts_on.data.isoformat(),
                                    end=form.ends_on.data.isoformat(), audience=form.audience.data or None))
    return _slots_page(venue, batch_form=form, status=form_status(form))


@bp.route("/manage/slots/new", methods=["GET", "POST"])
@login_required
def new_slot():
    venue = _managed_venue()
    form = SlotForm()
    form.program_id.choices = program_choices(program_service.venue_programs(venue, active_only=True))
    if request.method == "GET":
        form.admission.data = venue.admission.value
    closed_day = themed_dates = overlap = None
    if form.validate_on_submit():
        try:
            start, end = services.slot_times(form.day.data, form.start.data, form.end.data,
                                             ends_next_day=form.ends_next_day.data)
            slot = services.create_slot(
                current_user, venue, start=start, end=end, capacity=form.capacity.data,
                audience=form.audience.data, admission=form.admission.data, program_id=form.program_id.data,
                special_opening=form.special_opening.data == "yes",
                themed_dates_confirmed=themed_dates_confirmed(form), overlap_confirmed=overlap_confirmed(form))
        except OutsideThemedDates as exc:
            themed_dates = _themed_dates_warning(form, exc)
        except services.OverlappingSlots as exc:
            # As for a themed event's dates: said next to the times, confirmed for these very slots.
            db.session.rollback()
            form.overlap_ok.data, form.overlap_seen.data = False, exc.token
            overlap = exc
        except services.ClosedDay as exc:
            # Visitors would read the day as closed: the manager sees the closure and confirms a
            # special opening before anything is published.
            db.session.rollback()
            closed_day = exc
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("The slot is published."), "success")
            return redirect(url_for("scheduling.slot_detail", slot_id=slot.id))
    return _render("scheduling/slot_form.html", form, venue=venue, closed_day=closed_day, themed_dates=themed_dates,
                   overlap=overlap)


def _load_slot(slot_id: int) -> Slot:
    slot = db.get_or_404(Slot, slot_id)
    authorize(services.can_manage_schedule(current_user, slot.venue))
    return slot


def _correction_form(slot: Slot, formdata=None) -> SlotCorrectionForm:
    """The slot's correction form: as sent, or filled in with the slot as it is."""
    start, end = to_local(slot.starts_at), to_local(slot.ends_at)
    form = SlotCorrectionForm(formdata=formdata) if formdata is not None else SlotCorrectionForm(
        formdata=None, day=start.date(), start=start.time(), end=end.time(), ends_next_day=end.date() > start.date(),
        audience=slot.audience.value, admission=slot.admission.value, program_id=str(slot.program_id or ""))
    programs = program_service.venue_programs(slot.venue, active_only=True)
    if slot.program is not None and slot.program not in programs:  # a program no longer offered stays its own
        programs = [slot.program, *programs]
    form.program_id.choices = program_choices(programs)
    return form


def _render_slot(slot: Slot, capacity_form=None, cancel_form=None, edit_form=None, status=None, **context):
    capacity_form = capacity_form or CapacityForm(formdata=None, capacity=slot.capacity)
    cancel_form = cancel_form or CancelSlotForm(formdata=None)
    edit_form = edit_form or _correction_form(slot)
    if status is None:
        status = 400 if capacity_form.errors or cancel_form.errors or edit_form.errors else 200
    return render_template("scheduling/slot_detail.html", slot=slot, venue=slot.venue,
                           counts=availability.booking_counts(slot), capacity_form=capacity_form,
                           cancel_form=cancel_form, edit_form=edit_form, booked=services.has_bookers(slot),
                           started=slot.starts_at <= utcnow(), reserve_held=services.partner_reserve_held(slot),
                           windows=booking_windows(slot, rules_for(slot.venue)), **context), status


@bp.get("/manage/slots/<int:slot_id>")
@login_required
def slot_detail(slot_id: int):
    return _render_slot(_load_slot(slot_id))


@bp.post("/manage/slots/<int:slot_id>/capacity")
@login_required
def slot_capacity(slot_id: int):
    slot = _load_slot(slot_id)
    form = CapacityForm()
    if form.validate_on_submit():
        try:
            result = services.change_slot_capacity(current_user, slot, form.capacity.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()  # a larger slot may have promoted people from the waiting list
            flash(ngettext("Capacity changed to %(capacity)d. %(num)d booking (%(people)s) on the waiting list "
                           "was confirmed and told.",
                           "Capacity changed to %(capacity)d. %(num)d bookings (%(people)s) on the waiting list "
                           "were confirmed and told.", result.promoted, capacity=slot.capacity,
                           people=_people(result.promoted_people))
                  if result.promoted else _("Capacity changed to %(n)d.", n=slot.capacity), "success")
            return redirect(url_for("scheduling.slot_detail", slot_id=slot.id))
    return _render_slot(slot, capacity_form=form)


@bp.post("/manage/slots/<int:slot_id>/edit")
@login_required
def correct_slot(slot_id: int):
    slot = _load_slot(slot_id)
    form = _correction_form(slot, formdata=request.form)
    if form.validate_on_submit():
        try:
            start, end = services.slot_times(form.day.data, form.start.data, form.end.data,
                                             ends_next_day=form.ends_next_day.data)
            services.correct_slot(current_user, slot, start=start, end=end, audience=form.audience.data,
                                  admission=form.admission.data, program_id=form.program_id.data,
                                  special_opening=form.special_opening.data == "yes",
                                  themed_dates_confirmed=themed_dates_confirmed(form))
        except OutsideThemedDates as exc:
            return _render_slot(slot, edit_form=form, themed_dates=_themed_dates_warning(form, exc), status=200)
        except services.ClosedDay as exc:
            # As for a new slot: the manager confirms a special opening before the slot moves.
            db.session.rollback()
            return _render_slot(slot, edit_form=form, closed_day=exc, status=200)
        except DomainError as exc:
            db.session.rollback()
            if exc.code == "slot_booked":  # booked meanwhile: the page now says why it stays as it is
                return _render_slot(slot, edit_form=form, status=exc.status, edit_refused=True)
            apply_error(form, exc)
            return _render_slot(slot, edit_form=form, status=exc.status)
        else:
            db.session.commit()
            flash(_("The slot is corrected."), "success")
            return redirect(url_for("scheduling.slot_detail", slot_id=slot.id))
    return _render_slot(slot, edit_form=form)


@bp.post("/manage/slots/<int:slot_id>/cancel")
@login_required
def cancel_slot(slot_id: int):
    slot = _load_slot(slot_id)
    form = CancelSlotForm()
    if form.validate_on_submit():
        try:
            ended = services.cancel_slot(current_user, slot, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(ngettext("The slot is cancelled; %(num)d booking was cancelled and its booker told.",
                           "The slot is cancelled; %(num)d bookings were cancelled and their bookers told.", ended)
                  if ended else _("The slot is cancelled; it had no bookings."), "success")
            return redirect(url_for("scheduling.slot_detail", slot_id=slot.id))
    return _render_slot(slot, cancel_form=form)


# --- weekly schedules ---------------------------------------------------------------------------

@bp.route("/manage/schedules/new", methods=["GET", "POST"])
@login_required
def new_schedule():
    venue = _managed_venue()
    form = ScheduleForm()
    form.program_id.choices = program_choices(program_service.venue_programs(venue, active_only=True))
    themed_dates = None
    if request.method == "GET":
        form.weekdays.data = services.default_weekdays(venue)
        form.admission.data = venue.admission.value
        form.starts_on.data = local_today() + timedelta(days=1)
        form.ends_on.data = form.starts_on.data + timedelta(days=27)
    if form.validate_on_submit():
        try:
            result = services.publish_schedule(
                current_user, venue, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                weekdays=form.weekdays.data, sessions=form.sessions.data, capacity=form.capacity.data,
                audience=form.audience.data, admission=form.admission.data, program_id=form.program_id.data,
                themed_dates_confirmed=themed_dates_confirmed(form))
        except OutsideThemedDates as exc:
            themed_dates = _themed_dates_warning(form, exc)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(ngettext("%(num)d slot published.", "%(num)d slots published.", result.created), "success")
            if result.skipped_closed or result.skipped_existing:
                flash(_("Skipped: %(closed)s, %(existing)s.",
                        closed=ngettext("%(num)d on a closed day", "%(num)d on closed days", result.skipped_closed),
                        existing=ngettext("%(num)d that already exists", "%(num)d that already exist",
                                          result.skipped_existing)), "info")
            return redirect(url_for("scheduling.slots", start=form.starts_on.data.isoformat()))
    schedules = services.venue_schedules(venue)
    return _render("scheduling/schedule_form.html", form, venue=venue, schedules=schedules, themed_dates=themed_dates,
                   withdrawable={s.id for s in schedules if services.can_withdraw(s, local_today())})


@bp.route("/manage/schedules/<int:schedule_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_schedule(schedule_id: int):
    schedule = db.get_or_404(Schedule, schedule_id)
    authorize(services.can_manage_schedule(current_user, schedule.venue))
    form = WithdrawScheduleForm()
    if request.method == "GET":
        form.from_day.data = local_today()
    if form.validate_on_submit():
        answers = (current_user, schedule, form.from_day.data, form.reason.data)
        try:
            # Bookings are cancelled and their bookers told: the manager sees how many, and
            # confirms, before anything is (as for a closure).
            if form.confirmed.data != "yes":
                from_day, impact = services.withdrawal_impact(*answers)
                if impact.bookings:
                    return _withdraw_page(schedule, form, impact=impact, from_day=from_day)
            result = services.withdraw_schedule(*answers)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
            return _withdraw_page(schedule, form, status=exc.status)
        db.session.commit()
        after_commit_delivery()
        slots = ngettext("%(num)d slot", "%(num)d slots", result.slots)
        day = local_date(schedule.withdrawn_from)
        flash(_("Schedule withdrawn from %(day)s: %(slots)s and %(bookings)s cancelled; the bookers are told.",
                day=day, slots=slots, bookings=ngettext("%(num)d booking", "%(num)d bookings", result.bookings))
              if result.bookings else _("Schedule withdrawn from %(day)s: %(slots)s cancelled.", day=day, slots=slots),
              "success")
        return redirect(url_for("scheduling.new_schedule", _anchor="recent-schedules"))
    return _withdraw_page(schedule, form)


def _withdraw_page(schedule: Schedule, form: WithdrawScheduleForm, status: int | None = None, **context):
    return render_template("scheduling/schedule_withdraw.html", form=form, schedule=schedule, venue=schedule.venue,
                           **context), status or form_status(form)


# --- closures and rules -------------------------------------------------------------------------

@bp.route("/manage/closures", methods=["GET", "POST"])
@login_required
def closures():
    venue = _managed_venue()
    form = ClosureForm()
    if form.validate_on_submit():
        answers = (current_user, venue, form.starts_on.data, form.ends_on.data, form.reason_zh.data,
                   form.reason_en.data)
        try:
            # Bookings are cancelled and their bookers told: the manager sees how many, and
            # confirms, before anything is.
            if form.confirmed.data != "yes":
                impact = services.closure_impact(*answers)
                if impact.bookings:
                    return _closures_page(venue, form, impact=impact)
            result = services.close_venue(*answers)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            slots = ngettext("%(num)d slot", "%(num)d slots", result.slots_cancelled)
            if result.bookings_cancelled:  # only then was anyone told
                saved = _("Closure saved: %(slots)s and %(bookings)s cancelled; the bookers are told.", slots=slots,
                          bookings=ngettext("%(num)d booking", "%(num)d bookings", result.bookings_cancelled))
            elif result.slots_cancelled:
                saved = _("Closure saved: %(slots)s cancelled. No one had booked them.", slots=slots)
            else:
                saved = _("Closure saved. No slot was published on those days.")
            flash(saved, "success")
            return redirect(url_for("scheduling.closures"))
    return _closures_page(venue, form)


def _closures_page(venue: Venue, form: ClosureForm, **context):
    return _render("scheduling/closures.html", form, venue=venue, closures=services.venue_closures(venue),
                   remove_form=RemoveClosureForm(formdata=None), today=local_today(), **context)


@bp.post("/manage/closures/<int:closure_id>/remove")
@login_required
def remove_closure(closure_id: int):
    closure = db.get_or_404(Closure, closure_id)
    authorize(services.can_manage_schedule(current_user, closure.venue))
    if not RemoveClosureForm().validate_on_submit():
        abort(400)
    days = local_date_range(closure.starts_on, closure.ends_on)
    try:
        services.remove_closure(current_user, closure)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The closure of %(days)s is removed. Slots it cancelled stay cancelled; publish new ones to "
                "open these days.", days=days), "success")
    return redirect(url_for("scheduling.closures"))


@bp.route("/manage/rules", methods=["GET", "POST"])
@login_required
def booking_rules():
    venue = _managed_venue()
    form = RulesForm(obj=rules_for(venue))
    if form.validate_on_submit():
        try:
            rules_service.save_booking_rules(current_user, venue, form.values())
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Booking rules saved."), "success")
            return redirect(url_for("scheduling.booking_rules"))
    return _render("scheduling/rules.html", form, venue=venue)


# --- public -------------------------------------------------------------------------------------

@bp.get("/venues/<int:venue_id>/availability")
def venue_availability(venue_id: int):
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        abort(404)
    audience = availability.audience_for(request.args, current_user)
    year, month = (availability.parse_month(request.args.get("month"))
                   or availability.opening_month(venue, audience, viewer=current_viewer()))
    month_view = availability.month_availability(venue, year, month, audience)
    return render_template("scheduling/availability.html", venue=venue, month_view=month_view)
