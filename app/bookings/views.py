"""Booking pages for citizens and teachers: book a slot, see, change and cancel a booking."""
from __future__ import annotations

import uuid
from functools import partial
from datetime import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from app.accounts.models import Role
from app.bookings import party, queries, services, steps
from app.bookings.forms import CancelForm, ClassBookingForm, HeadcountForm, IndividualBookingForm
from app.bookings.models import Booking, BookingKind, BookingStatus
from app.bookings.rules import OwnBooking, Places, Viewer, outlook, rules_for, window_state
from app.checkin import tickets
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error
from app.core.i18n import localized
from app.core.prefs import elder_mode
from app.core.time import utcnow
from app.extensions import account_or_address, db, limiter
from app.notifications.services import after_commit_delivery
from app.privacy.services import record_access
from app.scheduling.models import Slot
from app.venues.forms import GRADES
from app.venues.models import Venue, VenueStatus

bp = Blueprint("bookings", __name__)
bp.add_app_template_global(party.party_text)
bp.add_app_template_global(party.class_party)
bp.add_app_template_global(party.headcount, "party_headcount")


def current_viewer() -> Viewer:
    """Whoever is looking at this request's calendars and lists (the venue page opens its calendar
    on a month for them too), read once per request."""
    if "viewer" not in g:  # one read of a teacher's school's agreements for a whole calendar
        g.viewer = Viewer(current_user)
    return g.viewer


@bp.app_template_global()
def booking_window_now(slot, venue=None) -> tuple[str, datetime, bool]:
    """For calendars and lists: where now falls in ``slot``'s booking window for whoever is looking
    (a teacher books as a class, a partner school's earlier), when it opens for them, and whether
    they book as a class. ``venue`` is the slot's (a calendar's records do not carry it)."""
    viewer = current_viewer()
    window = viewer.window(slot, venue)
    return window_state(window, utcnow()), window[0], viewer.as_class


@bp.app_template_global()
def schools_window_now(slot, venue=None) -> tuple[str, datetime] | None:
    """For calendars and lists, on a mixed slot seen by someone who does not book as a class: where
    now falls in the classes' window and when it opens (``Viewer.schools_window``); None otherwise."""
    window = current_viewer().schools_window(slot, venue)
    return None if window is None else (window_state(window, utcnow()), window[0])


@bp.app_template_global()
def places_now(slot, venue=None) -> Places:
    """For calendars and lists: the places whoever is looking can take on ``slot`` now (none of
    those held for partner schools unless they teach at one). ``venue`` as for ``booking_window_now``."""
    return current_viewer().places(slot, venue.id if venue is not None else slot.venue_id, utcnow())


@bp.app_template_global()
def my_booking_now(slot) -> OwnBooking | None:
    """For calendars and lists: the viewer's booking of ``slot`` that still stands, if any."""
    return current_viewer().booking_on(slot.id, utcnow())


@bp.app_template_global()
def booking_status_now(booking: Booking):
    """For pages and lists: the booking's status as it stands now (a request still pending when its
    visit started reads "not approved in time")."""
    return booking.status_label(utcnow())


@bp.app_template_global()
def booking_tone_now(booking: Booking) -> str:
    """The colour of ``booking_status_now``'s badge: ``ok`` for a visit confirmed or made, ``warn`` while
    it still waits (a request, the waiting list), ``bad`` once it is off."""
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN):
        return "ok"
    return "warn" if services.is_live(booking, utcnow()) else "bad"


@bp.app_template_filter()
def booking_number(reference: str) -> Markup:
    """A booking's reference as people read it out and type it, the same on every page: in groups of
    four (``F265 E231 33B1 6D2C``) that a narrow screen wraps between, never inside (``.booking-number``),
    and that a page translator leaves alone."""
    return Markup('<span class="booking-number" translate="no">{}</span>').format(tickets.grouped(reference))


@bp.app_template_global()
def places_left_now(slots, venue=None) -> int:
    """``places_now`` over those of a day's slots the viewer could still book (``Viewer.counts``): a
    calendar listing every audience's times, and times whose booking has closed, still totals only the
    places they could take."""
    viewer, now = current_viewer(), utcnow()
    return sum(places_now(slot, venue).left for slot in slots if viewer.counts(slot, now, venue))


@bp.app_template_global()
def booking_closed_now(slots, venue=None) -> bool:
    """For calendars: whether booking has closed for the viewer on every one of a day's times they
    could book (``Viewer.all_closed``), so that its total of nothing says so rather than "fully booked"."""
    return current_viewer().all_closed(slots, utcnow(), venue)


def _bookable_slot_or_404(slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.venue.status != VenueStatus.APPROVED:
        abort(404)
    return slot


def _booking_or_404(booking_id: int, *, kind: BookingKind | None = None, own: bool = False) -> Booking:
    """The booking the URL names, if this person may see it and, for a page showing one kind only, it
    is of ``kind``; with ``own`` (a change only its booker makes), if it is theirs. Refused here,
    before someone else's booking is logged as viewed."""
    booking = db.session.get(Booking, booking_id)
    # Someone else's booking is "not found", not "forbidden": its existence is not theirs to know.
    if booking is None or not services.can_view_booking(current_user, booking) \
            or (kind is not None and booking.kind != kind):
        abort(404)
    if own:
        authorize(booking.user_id == current_user.id)
    elif booking.user_id != current_user.id:  # staff or an admin reading someone's booking
        record_access(current_user, "view_booking", booking)
        db.session.commit()
    return booking


def _program_choices(slot: Slot) -> list[SelectChoice]:
    """What a class may book on ``slot`` (``services.book_class_visit`` checks it): the slot's own
    program when it runs one, else a general visit or one of the venue's active programs."""
    programs = [SelectChoice(p.id, _program_label(p)) for p in services.class_programs(slot)]
    return programs if slot.program is not None else [SelectChoice(0, _("General visit"))] + programs


def _program_label(program) -> str:
    """A program as a class chooses it: its title and the grades it is for (the booking checks them)."""
    low, high = (str(dict(GRADES)[grade]) for grade in (program.grade_min, program.grade_max))
    grades = low if low == high else _("%(low)s to %(high)s", low=low, high=high)
    return _("%(program)s (%(grades)s)", program=localized(program, "title"), grades=grades)


@bp.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute", methods=["POST"], key_func=account_or_address)
def book_slot(slot_id: int):
    slot = _bookable_slot_or_404(slot_id)
    authorize(current_user.role in (Role.CITIZEN, Role.TEACHER))
    if request.method == "GET" and current_user.role == Role.CITIZEN and elder_mode():
        # Elder mode books one question per screen; this slot answers the first two.
        return redirect(url_for("bookings.book_in_steps", venue_id=slot.venue_id, step="people", slot=slot.id,
                                join_waitlist=None if slot.available else "y"))
    rules = rules_for(slot.venue)
    if current_user.role == Role.CITIZEN:
        form = IndividualBookingForm()
    else:
        form = ClassBookingForm()
        form.program_id.choices = _program_choices(slot)
    if not form.request_key.data:
        form.request_key.data = uuid.uuid4().hex

    status = 200
    offer_waitlist = False  # a party that did not fit is offered the waiting list, full or not
    if form.validate_on_submit():
        try:
            booking = _book(form, slot)
            db.session.commit()
            after_commit_delivery()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
            status = exc.status if exc.status in (400, 403, 409) else 400
            offer_waitlist = exc.code == "slot_full"
        else:
            flash(_saved(booking), "success")
            return redirect(url_for("bookings.detail", booking_id=booking.id))
    elif form.errors:
        status = 400
    return render_template("bookings/book.html", slot=slot, form=form, rules=rules,
                           outlook=outlook(current_user, slot, utcnow()), offer_waitlist=offer_waitlist,
                           booked=services.active_booking_id(current_user, slot)), status


@bp.route("/venues/<int:venue_id>/book", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute", methods=["POST"], key_func=account_or_address)
def book_in_steps(venue_id: int):
    """A citizen books one question per screen (elder mode's way to book; see ``app.bookings.steps``)."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        abort(404)
    authorize(current_user.role == Role.CITIZEN)
    if request.method == "GET":
        flow = steps.read(venue, request.args, booker=current_user)
    else:
        form = IndividualBookingForm()
        flow = steps.read(venue, request.form, booker=current_user, form=form)
        if flow.screen == "check" and form.validate_on_submit():
            try:
                booking = _book(form, flow.slot)
                db.session.commit()
                after_commit_delivery()
            except DomainError as exc:
                db.session.rollback()
                flow.refused(exc, current_user, utcnow())
            else:
                flash(_saved(booking), "success")
                return redirect(url_for("bookings.detail", booking_id=booking.id))
        elif form.errors:
            flow.status = 400
    return render_template(f"bookings/steps/{flow.screen}.html", flow=flow, form=flow.form), flow.status


def _saved(booking: Booking) -> str:
    """What the booker is told once the booking is stored: it may be a place, a request or a hope."""
    if booking.status == BookingStatus.WAITLISTED:
        return _("This time is fully booked: you are on the waiting list. If a place comes free, the booking is "
                 "confirmed and you are told.")
    if booking.status == BookingStatus.PENDING:
        return _("Your request is sent to the venue. You are told when it decides.")
    return _("Your booking is saved.")


def _book(form, slot: Slot) -> Booking:
    if isinstance(form, IndividualBookingForm):
        book = partial(services.book_individual_visit, current_user, slot, party_size=form.party_size.data,
                       children=form.children.data or 0, guardian_confirmed=form.guardian_confirmed.data,
                       join_waitlist=form.join_waitlist.data, request_key=form.request_key.data)
    else:
        book = partial(services.book_class_visit, current_user, slot, students=form.students.data,
                       adults=form.adults.data, grade=form.grade.data, class_name=form.class_name.data,
                       program_id=form.program_id.data or None, request_key=form.request_key.data)
    return services.book_once(book, form.request_key.data)


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    return _render_detail(_booking_or_404(booking_id))


def _render_detail(booking: Booking, *, headcount_form: HeadcountForm | None = None):
    """The booking's page, with the headcount form sent back with its errors (400) or a fresh one."""
    status = 400 if headcount_form and headcount_form.errors else 200
    own = booking.user_id == current_user.id
    if headcount_form is None and booking.kind == BookingKind.GROUP and own:
        headcount_form = HeadcountForm(students=booking.students, adults=booking.adults)
    now = utcnow()
    return render_template("bookings/detail.html", booking=booking, headcount_form=headcount_form,
                           deadline=services.change_deadline(booking), own=own, live=services.is_live(booking, now),
                           lapsed=booking.lapsed(now), changes_open=services.changes_open(booking, now),
                           came=queries.arrival(booking),
                           booker_shown=services.sees_booker(current_user, booking),
                           more=services.more_people(booking, now) if headcount_form else None), status


def _refuse_stale(booking: Booking, message: str):
    """A form sent from a page that is out of date (the booking was cancelled or declined meanwhile,
    or the deadline passed): the booking's page as it is now, with the reason on top."""
    flash(message, "error")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.get("/bookings/<int:booking_id>/slip")
@login_required
def slip(booking_id: int):
    """The printable confirmation slip (回执单) of a class visit."""
    booking = _booking_or_404(booking_id, kind=BookingKind.GROUP)
    now = utcnow()
    return render_template("bookings/slip.html", booking=booking, live=services.is_live(booking, now),
                           lapsed=booking.lapsed(now), came=queries.arrival(booking),
                           booker_shown=booking.user_id == current_user.id
                           or services.sees_booker(current_user, booking))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Cancelling is asked once more on a page of its own, which says what is given up: a visit
    cancelled by a slip of the finger may not be bookable again (window closed, places gone)."""
    booking = _booking_or_404(booking_id, own=True)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_booking(current_user, booking, reason=form.reason.data or "")
            db.session.commit()
            after_commit_delivery()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Your booking is cancelled. The places are free for others."), "success")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    if not services.changes_open(booking, utcnow()):  # cancelled meanwhile (another tab), or too late
        return _refuse_stale(booking, _("This booking can no longer be cancelled."))
    # A reason too long is said next to it, and kept.
    return render_template("bookings/cancel.html", booking=booking, form=form), 400 if form.errors else 200


@bp.post("/bookings/<int:booking_id>/headcount")
@login_required
def headcount(booking_id: int):
    booking = _booking_or_404(booking_id, own=True)
    authorize(booking.kind == BookingKind.GROUP)
    form = HeadcountForm()
    if not form.validate_on_submit():
        if form.errors and not services.changes_open(booking, utcnow()):
            return _refuse_stale(booking, _("This booking can no longer be changed."))
        return _render_detail(booking, headcount_form=form)
    version, was = booking.ticket_version, booking.status
    try:
        services.change_headcount(current_user, booking, students=form.students.data, adults=form.adults.data)
        db.session.commit()
        after_commit_delivery()
    except DomainError as exc:
        db.session.rollback()
        if exc.field is None:  # cancelled, declined or past the deadline meanwhile: the form is gone
            return _refuse_stale(booking, exc.message)
        apply_error(form, exc)
        return _render_detail(booking, headcount_form=form)
    if booking.ticket_version == version:
        flash(_("These are the numbers already booked: nothing was changed."), "info")
    elif booking.status == BookingStatus.CONFIRMED:
        if was == BookingStatus.PENDING:  # back within the numbers the venue had confirmed
            flash(_("The visit is confirmed again: these numbers are within those the venue confirmed."),
                  "success")
        flash(_ticket_replaced(booking), "success")
    elif was == BookingStatus.CONFIRMED:  # more people: back to the venue for approval
        flash(_("The new numbers are sent to the venue for approval. Until it approves them, the ticket does not "
                "admit your class. You are told by email when it decides."), "success")
    else:
        flash(_("The new numbers are saved."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


def _ticket_replaced(booking: Booking) -> Markup:
    """Said once a confirmed class's numbers change: its ticket was issued anew, so the slip printed
    and the QR code saved before are refused at the gate (as an old code); the new ones are offered."""
    return Markup('{} <a href="{}">{}</a> <a href="#ticket">{}</a>').format(
        _("The new numbers are saved. The slip you printed and the QR code you saved before no longer work "
          "at the gate: bring the new slip or show the new code."),
        url_for("bookings.slip", booking_id=booking.id), _("Print the new slip"), _("Show the new code"))


@bp.get("/me/bookings")
@login_required
def my_bookings():
    coming, ended = queries.own_bookings(current_user.id, now=utcnow())
    return render_template("bookings/mine.html", upcoming=coming, past=ended, came=queries.arrivals(coming + ended))


from app.bookings import manage_views  # noqa: E402,F401  (manager pages on the same blueprint)
from app.bookings import admin_views  # noqa: E402,F401  (the district's view of agreements)
