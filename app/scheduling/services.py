"""Publishing visits: one-off slots, weekly schedules and closures (programs are in ``programs``,
the venue's booking rules in ``booking_rules``).

Who may: the manager of a venue manages its schedule (``can_manage_schedule``). A venue that is
not yet approved (draft, submitted, rejected, suspended) may prepare programs and slots; they
only become visible and bookable once the venue is approved, because the public pages and the
API list approved venues only and ``app.bookings`` refuses slots of unapproved venues.

Seats are never counted here: a capacity change goes through ``app.bookings.services.resize_slot``
and cancellations through ``end_booking``, both of which use ``app.bookings.capacity``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from app.accounts.models import Role
from app.bookings import capacity, notify
from app.bookings.models import Booking, BookingRules, BookingStatus
from app.bookings.rules import partner_reserve, rules_for
from app.bookings.services import end_booking
from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.core.templating import local_date, local_date_range
from app.core.text import check_one_line
from app.core.time import from_local, local_today, to_local, utcnow
from app.events.services import check_event_dates
from app.extensions import db
from app.scheduling.models import Audience, Closure, Program, Schedule, Slot, SlotStatus
from app.scheduling.queries import active_program, closures_by_day
from app.venues.models import Admission, Venue

MAX_CAPACITY = 100_000
MAX_RANGE_DAYS = 366  # a schedule or a closure covers at most a year
MAX_AHEAD_DAYS = 731  # slots, schedules and closures reach at most two years ahead
MAX_SLOT_HOURS = 24
MAX_SESSIONS = 16
# Booking statuses a cancelled slot ends (checked-in visits already happened and stay).
CANCELLABLE = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


# --- policy -------------------------------------------------------------------------------------

def can_manage_schedule(user, venue: Venue | None) -> bool:
    """The venue's own manager publishes its programs, slots, schedules, closures and rules."""
    return (bool(getattr(user, "is_authenticated", False)) and venue is not None
            and user.role == Role.VENUE_MANAGER and user.venue_id == venue.id)


def require_manager(user, venue: Venue) -> None:
    """Services refuse anyone but the venue's manager, whatever the caller checked."""
    if not can_manage_schedule(user, venue):
        raise Forbidden()


# --- helpers ------------------------------------------------------------------------------------

def clean(value) -> str:
    # NUL characters are refused by PostgreSQL text columns.
    return (value or "").replace("\x00", "").strip()


def _beyond_horizon(code: str, field: str) -> DomainError:
    return DomainError(code, _l("Choose a date within the next two years."), field=field)


def _refuse_beyond_horizon(day: date, today: date, *, code: str, field: str) -> None:
    """Slots, schedules and closures reach at most ``MAX_AHEAD_DAYS`` ahead: a later day is a slip
    (year 9999), and calendars and feeds must be able to count the days after it."""
    if day > today + timedelta(days=MAX_AHEAD_DAYS):
        raise _beyond_horizon(code, field)


def _program_for(venue: Venue, program_id) -> Program | None:
    if program_id in (None, "", 0):
        return None
    program = active_program(venue.id, program_id)
    if program is None:
        raise DomainError("invalid_slot", _l("Choose one of your venue's active programs."), field="program_id")
    return program


# --- slots ------------------------------------------------------------------------------------

def slot_booking_defaults(rules: BookingRules, audience: Audience, capacity: int, starts_at: datetime) -> dict:
    """A new slot's booking window and partner reserve, from the venue's rules.

    Window: public slots use ``public_window_days``/``public_cutoff_hours``; school slots
    ``school_window_days``/``school_cutoff_hours``; mixed slots, one pool for both, carry the public
    ones, and a class booking on them takes the group ones (``bookings.rules.window_for``).
    Partner reserve (``bookings.rules.partner_reserve``; a resize scales the slot's own), for
    school and mixed slots: ``floor(capacity * partner_reserved_pct / 100)`` seats only partner
    schools may take until ``rules.RESERVE_RELEASE_DAYS`` (7) days before the slot starts; from then on
    they are open to everyone.
    """
    if audience == Audience.SCHOOL:
        opens, closes = rules.school_window_days, rules.school_cutoff_hours
    else:
        opens, closes = rules.public_window_days, rules.public_cutoff_hours
    reserved, reserve_until = partner_reserve(rules, audience, capacity, starts_at)
    return {"window_opens_days": opens, "window_closes_hours": closes, "reserved_seats": reserved,
            "reserve_until": reserve_until}


def partner_reserve_held(slot: Slot, now: datetime | None = None) -> bool:
    """Whether the slot's partner reserve still holds places back (it ends at ``reserve_until``)."""
    return bool(slot.reserved_seats) and slot.reserve_until is not None and slot.reserve_until > (now or utcnow())


def _audience(value) -> Audience:
    try:
        return Audience(value)
    except ValueError:
        raise DomainError("invalid_slot", _l("Choose who the time is for: individuals, school groups or both."),
                          field="audience") from None


def _admission(value, venue: Venue) -> Admission:
    if value in (None, ""):
        return venue.admission
    try:
        return Admission(value)
    except ValueError:
        raise DomainError("invalid_slot", _l("Choose free or discounted admission."), field="admission") from None


def _capacity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise DomainError("invalid_slot", _l("Capacity must be a whole number from 1 to %(max)d.", max=MAX_CAPACITY),
                          field="capacity")
    return value


def _open_slot_times(venue: Venue, audience: Audience, first: date, last: date, *,
                     other_than: int | None = None) -> set[tuple[datetime, datetime]]:
    query = select(Slot.starts_at, Slot.ends_at).where(
        Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN, Slot.audience == audience,
        Slot.local_date >= first - timedelta(days=1), Slot.local_date <= last + timedelta(days=1))
    if other_than is not None:
        query = query.where(Slot.id != other_than)
    return {(start, end) for start, end in db.session.execute(query)}


def _new_slot(venue: Venue, rules: BookingRules, *, starts_at: datetime, ends_at: datetime, capacity: int,
              audience: Audience, admission: Admission, program: Program | None,
              schedule_id: int | None = None) -> Slot:
    return Slot(venue_id=venue.id, program_id=program.id if program else None, schedule_id=schedule_id,
                starts_at=starts_at, ends_at=ends_at, local_date=to_local(starts_at).date(), audience=audience,
                admission=admission, capacity=capacity, status=SlotStatus.OPEN,
                **slot_booking_defaults(rules, audience, capacity, starts_at))


class ClosedDay(DomainError):
    """The slot falls on a day the venue is closed: it is published only as a deliberate special opening."""

    status = 409

    def __init__(self, closure: Closure, day: date):
        super().__init__("closed_day", _l("The venue is closed on %(day)s: %(reason)s. A slot on that day is a "
                                          "special opening; publish it only if you mean to open then.",
                                          day=local_date(day), reason=localized(closure, "reason")), field="start")
        self.closure, self.day = closure, day


class DuplicateSlot(DomainError):
    """The same start, end and audience is already published as an open slot (``slot_id``)."""

    def __init__(self, slot_id: int):
        super().__init__("invalid_slot", _l("This time is already published for this audience."), field="start")
        self.slot_id = slot_id


# Audiences whose visitors share a slot's places: a mixed slot is one pool for both.
_SHARED_AUDIENCES = {
    Audience.PUBLIC: (Audience.PUBLIC, Audience.MIXED),
    Audience.SCHOOL: (Audience.SCHOOL, Audience.MIXED),
    Audience.MIXED: (Audience.PUBLIC, Audience.SCHOOL, Audience.MIXED),
}


def overlapping_slots(venue: Venue, *, starts_at: datetime, ends_at: datetime, audience,
                      program_id: int | None, other_than: int | None = None) -> list[Slot]:
    """The venue's open slots whose time overlaps ``starts_at``..``ends_at`` (UTC; touching ends do
    not overlap) for an audience sharing visitors with ``audience`` (public or school and mixed; mixed
    and every audience) and the same program (both without one counts as the same), by start.
    A day's places then count the same visitors' room twice. Parallel programs (two labs at once)
    are not overlaps."""
    audience = Audience(audience)
    query = select(Slot).where(
        Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN, Slot.audience.in_(_SHARED_AUDIENCES[audience]),
        Slot.starts_at < ends_at, Slot.ends_at > starts_at,
        # The day's index: a slot lasts at most 24 hours, so overlapping ones start a day around.
        Slot.local_date >= to_local(starts_at).date() - timedelta(days=1),
        Slot.local_date <= to_local(ends_at).date(),
        Slot.program_id.is_(None) if program_id is None else Slot.program_id == program_id)
    if other_than is not None:
        query = query.where(Slot.id != other_than)
    return list(db.session.scalars(query.order_by(Slot.starts_at, Slot.id)))


def _slot_time_text(slot: Slot, day: date) -> str:
    """"09:00–12:00", with the slot's day before it when it is not ``day``."""
    start, end = to_local(slot.starts_at), to_local(slot.ends_at)
    text = f"{start:%H:%M}–{end:%H:%M}"
    return text if start.date() == day else f"{local_date(start.date())} {text}"


class OverlappingSlots(DomainError):
    """The new slot overlaps open slots for the same visitors and program (``overlapping_slots``). Not a
    refusal: the manager is told which times, next to the time fields, and confirms (``token`` stands
    for exactly these slots and this time: a confirmation of other ones does not count)."""

    status = 409

    def __init__(self, slots: list[Slot], starts_at: datetime, ends_at: datetime):
        from flask_babel import gettext

        day = to_local(starts_at).date()
        times = gettext(", ").join(_slot_time_text(s, day) for s in slots)
        super().__init__("overlapping_slots",
                         _l("This time overlaps %(times)s, already open for the same visitors and program. "
                            "Visitors would see the places of both added up for that day.", times=times),
                         field="start")
        self.slots = slots
        self.token = hashlib.sha256(
            f"{starts_at.isoformat()}:{ends_at.isoformat()}:{','.join(str(s.id) for s in slots)}".encode()
        ).hexdigest()[:20]


def _check_overlaps(venue: Venue, answers: dict, *, confirmed: str | bool | None) -> None:
    """Raise ``OverlappingSlots`` unless ``confirmed`` is its token (the manager saw these very slots
    and ticked the confirmation) or True (a venue's own system, through the API, publishes knowingly)."""
    if confirmed is True:
        return
    program = answers["program"]
    slots = overlapping_slots(venue, starts_at=answers["starts_at"], ends_at=answers["ends_at"],
                              audience=answers["audience"], program_id=program.id if program else None)
    if not slots:
        return
    warning = OverlappingSlots(slots, answers["starts_at"], answers["ends_at"])
    if confirmed and confirmed == warning.token:
        return
    raise warning


def create_slot(manager, venue: Venue, *, start: datetime, end: datetime, capacity, audience,
                admission=None, program_id=None, special_opening: bool = False,
                themed_dates_confirmed: str | bool | None = None, overlap_confirmed: str | bool | None = None,
                now: datetime | None = None) -> Slot:
    """Publish one slot. ``start``/``end`` are wall-clock times in Asia/Shanghai (naive) or aware.

    Any day and time is allowed (evening openings): opening hours are defaults, not limits.
    Refused: a capacity out of range, and what ``_checked_slot`` refuses. A time overlapping open
    slots for the same visitors and program is published once confirmed (``OverlappingSlots``,
    409 ``overlapping_slots``, field ``start``; ``overlap_confirmed`` is its token, or True), after
    every other check.
    """
    require_manager(manager, venue)
    now = now or utcnow()
    capacity = _capacity(capacity)
    answers = _checked_slot(venue, start=start, end=end, audience=audience, admission=admission,
                            program_id=program_id, special_opening=special_opening,
                            themed_dates_confirmed=themed_dates_confirmed, now=now)
    _check_overlaps(venue, answers, confirmed=overlap_confirmed)
    slot = _new_slot(venue, rules_for(venue), capacity=capacity, **answers)
    db.session.add(slot)
    db.session.flush()
    return slot


def _checked_slot(venue: Venue, *, start: datetime, end: datetime, audience, admission, program_id,
                  special_opening: bool, now: datetime, slot: Slot | None = None,
                  themed_dates_confirmed: str | bool | None = None) -> dict:
    """A slot's time, audience, admission and program as published (``create_slot``) or corrected
    (``correct_slot``, which passes the ``slot``): the keyword arguments ``_new_slot`` takes.

    Refused: a time that is not a whole minute, a start in the past, an end not after the start,
    more than 24 hours, more than two years ahead, and an exact duplicate (same start, end and
    audience) of another open slot; each is ``invalid_slot`` with the field it concerns.
    A slot on a day inside one of the venue's closures is a special opening: without
    ``special_opening`` it is refused with ``ClosedDay`` (409 ``closed_day``), after every other check,
    so the manager confirms only a slot that would be published. A corrected slot that stays on its
    day was confirmed already, and keeps its program even if the program is no longer offered.
    A themed event's slot on a day outside its themed day's dates is confirmed as well
    (``events.services.check_event_dates``: ``OutsideThemedDates``, field ``day``), after every check
    but the closure's, whose confirmation then carries this one; a corrected slot that keeps its day
    and program was confirmed already.
    """
    audience, admission = _audience(audience), _admission(admission, venue)
    for field, moment in (("start", start), ("end", end)):
        # Seconds would make 09:00:00.5 a different slot from 09:00, past the duplicate check.
        if moment.second or moment.microsecond:
            raise DomainError("invalid_slot", _l("Give the time in whole minutes, e.g. 09:30."), field=field)
    try:
        starts_at = from_local(start)
    except OverflowError:  # a moment whose UTC falls outside years 1..9999
        raise _beyond_horizon("invalid_slot", "start") from None
    try:
        ends_at = from_local(end)
    except OverflowError:
        raise _beyond_horizon("invalid_slot", "end") from None
    if starts_at <= now:
        raise DomainError("invalid_slot", _l("This time has already passed."), field="start")
    _refuse_beyond_horizon(starts_at.date(), now.date(), code="invalid_slot", field="start")
    if ends_at <= starts_at:
        raise DomainError("invalid_slot", _l("The end must be after the start."), field="end")
    if ends_at - starts_at > timedelta(hours=MAX_SLOT_HOURS):
        raise DomainError("invalid_slot", _l("A slot lasts at most 24 hours."), field="end")
    if slot is not None and program_id not in (None, "", 0) and str(program_id) == str(slot.program_id):
        program = slot.program
    else:
        program = _program_for(venue, program_id)
    day = to_local(starts_at).date()
    duplicate = db.session.scalar(select(Slot.id).where(
        Slot.venue_id == venue.id, Slot.local_date == day, Slot.status == SlotStatus.OPEN, Slot.audience == audience,
        Slot.starts_at == starts_at, Slot.ends_at == ends_at, Slot.id != (slot.id if slot else 0)).limit(1))
    if duplicate is not None:
        raise DuplicateSlot(duplicate)
    kept = slot is not None and day == slot.local_date and program is not None and program.id == slot.program_id
    check_event_dates(program.themed_day_key if program else None, [day],
                      confirmed=True if kept else themed_dates_confirmed, field="day")
    closure = closures_by_day(venue.id, day, day).get(day)
    if closure is not None and not special_opening and not (slot is not None and day == slot.local_date):
        raise ClosedDay(closure, day)
    return {"starts_at": starts_at, "ends_at": ends_at, "audience": audience, "admission": admission,
            "program": program}


def slot_times(day: date, start: time, end: time, *, ends_next_day: bool = False) -> tuple[datetime, datetime]:
    """A slot typed as a day and two clock times, as the wall-clock start and end ``create_slot`` takes.

    ``ends_next_day`` puts the end after midnight (an observation night from 23:00 to 00:30); an end
    not after the start without it is refused here, saying so, rather than read as the next day.
    """
    # The day typed is what is too far (not the time), and the day after 9999-12-31 does not exist.
    _refuse_beyond_horizon(day, local_today(), code="invalid_slot", field="day")
    if not ends_next_day and end <= start:
        raise DomainError("invalid_slot", _l("The end must be after the start. For a slot that runs past "
                                             "midnight, tick “Ends the next day”."), field="end")
    return datetime.combine(day, start), datetime.combine(day + timedelta(days=int(ends_next_day)), end)


def _admitted(slot_id):
    """Whether anyone has been admitted to the slot (check-in opens before its start): its visit is
    under way, so the slot stands, with the places it offered, whatever is cancelled around it."""
    return exists().where(Booking.slot_id == slot_id, Booking.status == BookingStatus.CHECKED_IN)


def _cancel_slots(slots: list[Slot], reason: str, now: datetime, notice=None, *, reason_en: str = "") -> int:
    """Cancel slots and every booking on them not admitted yet; each booker is told. Returns the
    bookings ended. A slot someone has been admitted to stays open with its admissions (``_admitted``):
    only its other bookings end.

    ``reason`` (and ``reason_en``, a closure's in English) is kept on each booking; ``notice`` (a
    ``Closure``, for its bilingual reason, or a lazy text, written in each booker's language) is what
    the message shows, the booking's reason when absent.
    """
    if not slots:
        return 0
    ids = [s.id for s in slots]
    under_way = set(db.session.scalars(select(Slot.id).where(Slot.id.in_(ids), _admitted(Slot.id))))
    # Cancelled first: ``take_seats`` fills open slots only, so the waitlist promotion that
    # ``end_booking`` runs cannot hand the freed places to anyone.
    for slot in slots:
        if slot.id not in under_way:
            slot.status = SlotStatus.CANCELLED
    db.session.flush()
    # On a slot that stays open, its waiting list ends first: a place a confirmed booking then
    # gives back is offered to nobody.
    bookings = db.session.scalars(
        select(Booking).where(Booking.slot_id.in_(ids), Booking.status.in_(CANCELLABLE))
        .order_by((Booking.status == BookingStatus.WAITLISTED).desc(), Booking.id)).all()
    for booking in bookings:
        end_booking(booking, BookingStatus.CANCELLED, reason=reason, reason_en=reason_en, now=now)
        notify.booking_event(booking, "closure", reason=notice)
    return len(bookings)


def cancel_slot(manager, slot: Slot, *, reason: str, now: datetime | None = None) -> int:
    """Cancel an upcoming slot: its bookings end, their places are released, each booker is told."""
    require_manager(manager, slot.venue)
    now = now or utcnow()
    # First: a slot cancelled in another tab is the news, whatever this form says.
    if slot.status != SlotStatus.OPEN:
        raise DomainError("slot_cancelled", _l("This slot is already cancelled."), status=409)
    reason = clean(reason)
    if not reason:
        raise DomainError("reason_required", _l("Tell the visitors why."), field="reason")
    if len(reason) > 300:
        raise DomainError("reason_too_long", _l("Keep the reason under 300 characters."), field="reason")
    if slot.starts_at <= now or db.session.scalar(select(_admitted(slot.id))):
        raise DomainError("slot_started", _l("This slot has already started and cannot be cancelled."), status=409)
    return _cancel_slots([slot], reason, now)


@dataclass(frozen=True)
class SlotResize:
    """What ``change_slot_capacity`` did: the slot resized, and the waiting bookings the larger slot
    confirmed (``promoted``, their bookers told) with the people they bring (``promoted_people``)."""

    slot: Slot
    promoted: int
    promoted_people: int


def change_slot_capacity(manager, slot: Slot, capacity, *, now: datetime | None = None) -> SlotResize:
    """Resize an open slot through the capacity engine (never below the places already held); more
    room goes to its waiting list first."""
    from app.bookings.services import resize_slot

    require_manager(manager, slot.venue)
    if slot.status != SlotStatus.OPEN:
        raise DomainError("slot_cancelled", _l("This slot is already cancelled."), status=409)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity > MAX_CAPACITY:
        raise DomainError("invalid_capacity",
                          _l("Capacity must be a whole number from 1 to %(max)d.", max=MAX_CAPACITY),
                          field="capacity")
    promoted = resize_slot(manager, slot, capacity, now=now)
    return SlotResize(slot, len(promoted), sum(b.seats for b in promoted))


@dataclass(frozen=True)
class CapacityChange:
    """What ``change_capacity_between`` did: slots resized, slots already at that capacity, and slots
    that kept theirs because more places are held on them than the new capacity; and, over all the
    slots resized, the waiting bookings confirmed and the people they bring (as ``SlotResize``)."""

    changed: int
    unchanged: int
    kept: int
    promoted: int = 0
    promoted_people: int = 0


def change_capacity_between(manager, venue: Venue, starts_on: date | None, ends_on: date | None, new_capacity,
                            *, audience=None, now: datetime | None = None) -> CapacityChange:
    """Give every open slot of the local days ``starts_on..ends_on`` that has not started (only those
    ``audience`` can book, when given) the capacity ``new_capacity``: the holiday's larger crowds, or
    a quieter week's smaller ones, at once rather than slot by slot.

    Each slot is resized as ``change_slot_capacity`` resizes one (``resize_slot``): never below the
    places already held (such a slot keeps its capacity and is counted as ``kept``), the partner
    reserve keeps its share, and more room goes to the slot's waiting list. Days are checked as a
    closure's are (``_check_range``); no open slot on these days is ``no_slots``.
    """
    from app.bookings.services import resize_slot

    require_manager(manager, venue)
    now = now or utcnow()
    ends_on = ends_on or starts_on
    _check_range(starts_on, ends_on, to_local(now).date())
    if isinstance(new_capacity, bool) or not isinstance(new_capacity, int) or not 1 <= new_capacity <= MAX_CAPACITY:
        raise DomainError("invalid_capacity",
                          _l("Capacity must be a whole number from 1 to %(max)d.", max=MAX_CAPACITY),
                          field="capacity")
    query = _slots_to_close(venue, starts_on, ends_on, now)
    if audience not in (None, ""):
        query = query.where(Slot.audience == _audience(audience))
    slots = db.session.scalars(query.order_by(Slot.starts_at, Slot.id)).all()
    if not slots:
        raise DomainError("no_slots", _l("There are no open slots on these days to change."), field="starts_on")
    changed = unchanged = kept = 0
    promoted = []
    for slot in slots:
        if slot.capacity == new_capacity:
            unchanged += 1
            continue
        try:
            promoted += resize_slot(manager, slot, new_capacity, now=now)
        except DomainError as refused:
            if refused.code != "capacity_below_booked":
                raise
            kept += 1
        else:
            changed += 1
    return CapacityChange(changed, unchanged, kept, len(promoted), sum(b.seats for b in promoted))


def _bookers_of(slot_id):
    """Bookings that hold or wait for a place on the slot: their bookers chose its time and audience."""
    return exists().where(Booking.slot_id == slot_id, Booking.status.in_(CANCELLABLE))


def has_bookers(slot: Slot) -> bool:
    return bool(db.session.scalar(select(_bookers_of(slot.id))))


def _slot_booked() -> DomainError:
    return DomainError("slot_booked", _l("People have booked this slot, so its time and who can book stay as they "
                                         "are: they chose them. You can still change its capacity or cancel it; to "
                                         "offer another time, publish a new slot."), status=409)


def correct_slot(manager, slot: Slot, *, start: datetime, end: datetime, audience, admission=None,
                 program_id=None, special_opening: bool = False, themed_dates_confirmed: str | bool | None = None,
                 now: datetime | None = None) -> Slot:
    """Correct the time, audience, admission and program of an upcoming slot nobody has booked, with
    the checks a new slot passes (``_checked_slot``). Its capacity stays; its booking window and
    partner reserve follow the venue's rules again, for the new time and audience.

    Refused with 409 ``slot_booked`` once anyone holds or waits for a place (pending, confirmed or
    waitlisted), also when they book while the correction is made; ``slot_cancelled`` and
    ``slot_started`` as for a cancellation.
    """
    require_manager(manager, slot.venue)
    now = now or utcnow()
    if slot.status != SlotStatus.OPEN:
        raise DomainError("slot_cancelled", _l("This slot is already cancelled."), status=409)
    if slot.starts_at <= now:
        raise DomainError("slot_started", _l("This slot has already started and cannot be changed."), status=409)
    if has_bookers(slot):
        raise _slot_booked()
    answers = _checked_slot(slot.venue, start=start, end=end, audience=audience, admission=admission,
                            program_id=program_id, special_opening=special_opening, now=now, slot=slot,
                            themed_dates_confirmed=themed_dates_confirmed)
    program = answers.pop("program")
    values = {**answers, "program_id": program.id if program else None,
              "local_date": to_local(answers["starts_at"]).date(),
              **slot_booking_defaults(rules_for(slot.venue), answers["audience"], slot.capacity, answers["starts_at"])}
    # Decided on the slot's row with the bookings (``capacity``): a booking taking places at the same
    # moment makes this change nothing; one that read the slot before this commits books nothing.
    changed = capacity.set_terms(slot.id, values)
    db.session.expire(slot)
    if not changed:
        if slot.status != SlotStatus.OPEN:
            raise DomainError("slot_cancelled", _l("This slot is already cancelled."), status=409)
        raise _slot_booked()
    return slot


# --- closures -----------------------------------------------------------------------------------

@dataclass
class ClosureResult:
    closure: Closure
    slots_cancelled: int
    bookings_cancelled: int


def _check_range(starts_on: date | None, ends_on: date | None, today: date) -> None:
    if starts_on is None:
        raise DomainError("invalid_dates", _l("Enter the first day."), field="starts_on")
    if ends_on is None:
        raise DomainError("invalid_dates", _l("Enter the last day."), field="ends_on")
    if starts_on < today:
        raise DomainError("invalid_dates", _l("The first day cannot be in the past."), field="starts_on")
    if ends_on < starts_on:
        raise DomainError("invalid_dates", _l("The last day cannot be before the first day."), field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_RANGE_DAYS:
        raise DomainError("invalid_dates", _l("Choose at most %(days)d days at once.", days=MAX_RANGE_DAYS),
                          field="ends_on")
    _refuse_beyond_horizon(starts_on, today, code="invalid_dates", field="starts_on")
    _refuse_beyond_horizon(ends_on, today, code="invalid_dates", field="ends_on")


@dataclass(frozen=True)
class ClosureImpact:
    """What closing some days would cancel: shown to the manager to confirm before anything is.
    ``kept_open`` counts the slots someone has been admitted to, which stay open (``_admitted``)."""

    slots: int
    bookings: int
    people: int
    kept_open: int = 0


def closure_impact(manager, venue: Venue, starts_on: date | None, ends_on: date | None, reason_zh: str,
                   reason_en: str = "", *, now: datetime | None = None) -> ClosureImpact:
    """What ``close_venue`` with these answers would cancel, after the same checks; changes nothing."""
    now = now or utcnow()
    starts_on, ends_on, _ = _checked_closure(manager, venue, starts_on, ends_on, reason_zh, reason_en, now)
    return _impact(_slots_to_close(venue, starts_on, ends_on, now))


def _impact(slots_query) -> ClosureImpact:
    """What cancelling the slots of ``slots_query`` (a ``select(Slot)``) would cancel (``_cancel_slots``):
    the slots nobody has been admitted to, and the bookings not admitted on all of them; and how many
    slots stay open for their admissions."""
    slot_ids = slots_query.with_only_columns(Slot.id)
    slots, kept_open = db.session.execute(select(
        func.count().filter(~_admitted(Slot.id)), func.count().filter(_admitted(Slot.id)))
        .where(Slot.id.in_(slot_ids))).one()
    bookings, people = db.session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.slot_id.in_(slot_ids), Booking.status.in_(CANCELLABLE))).one()
    return ClosureImpact(slots, bookings, int(people), kept_open)


def suspension_impact(venue: Venue, now: datetime) -> ClosureImpact:
    """What suspending the venue would cancel (``close_everything_ahead``); changes nothing. The
    reviewer's services decide who may suspend."""
    return _impact(_slots_ahead(venue, now))


def close_everything_ahead(venue: Venue, reason: str, reason_en: str, now: datetime, notice) -> ClosureImpact:
    """The venue is suspended: cancel every open slot that has not started, with its bookings; each
    booker is told ``notice``, ``reason`` and ``reason_en`` are kept on the booking. Returns what was
    cancelled.
    Visits under way and admitted ones stay: a slot that has started keeps its bookings, and one with
    admissions before its start stays open with them (its bookings not admitted are cancelled, as
    ``_cancel_slots`` does). Nothing comes back with a reinstatement."""
    query = _slots_ahead(venue, now)
    impact = _impact(query)
    _cancel_slots(list(db.session.scalars(query.order_by(Slot.starts_at))), reason, now, notice=notice,
                  reason_en=reason_en)
    return impact


def close_venue(manager, venue: Venue, starts_on: date | None, ends_on: date | None, reason_zh: str,
                reason_en: str = "", *, now: datetime | None = None) -> ClosureResult:
    """Close the venue for a day or a range of days (holiday, maintenance).

    Every open slot in the range that has not started is cancelled with its bookings (one someone
    was admitted to already stays open, its other bookings cancelled: ``_cancel_slots``), each booker
    gets a message, and later weekly schedules skip these days. Days already inside one of the
    venue's closures are refused (``closure_overlaps``), also when two requests arrive at once.
    """
    now = now or utcnow()
    starts_on, ends_on, (reason_zh, reason_en) = _checked_closure(manager, venue, starts_on, ends_on, reason_zh,
                                                                  reason_en, now)
    # One closure at a time per venue, so a double click or two tabs cannot both pass the overlap
    # check: PostgreSQL queues on the venue's row; SQLite's single writer is taken by the INSERT,
    # which is why the check runs after it.
    db.session.execute(select(Venue.id).where(Venue.id == venue.id).with_for_update())
    closure = Closure(venue_id=venue.id, starts_on=starts_on, ends_on=ends_on, reason_zh=reason_zh,
                      reason_en=reason_en, created_by_id=manager.id)
    db.session.add(closure)
    db.session.flush()
    _refuse_overlap(venue, starts_on, ends_on, other_than=closure.id)
    slots = db.session.scalars(_slots_to_close(venue, starts_on, ends_on, now).order_by(Slot.starts_at)).all()
    bookings = _cancel_slots(list(slots), reason_zh, now, notice=closure, reason_en=reason_en)
    # A slot with admissions stays open (``_cancel_slots``): it is not one cancelled.
    return ClosureResult(closure, sum(s.status == SlotStatus.CANCELLED for s in slots), bookings)


def _checked_closure(manager, venue: Venue, starts_on: date | None, ends_on: date | None, reason_zh: str,
                     reason_en: str, now: datetime) -> tuple[date, date, tuple[str, str]]:
    require_manager(manager, venue)
    ends_on = ends_on or starts_on
    _check_range(starts_on, ends_on, to_local(now).date())
    reason_zh, reason_en = clean(reason_zh), clean(reason_en)
    if not reason_zh:
        raise DomainError("reason_required", _l("Enter the reason in Chinese."), field="reason_zh")
    if len(reason_zh) > 300:
        raise DomainError("reason_too_long", _l("Keep the reason under 300 characters."), field="reason_zh")
    if len(reason_en) > 400:
        raise DomainError("reason_too_long", _l("Keep the reason under 400 characters."), field="reason_en")
    # One line: it is told inside a sentence ("closed on 5 May: <reason>.") on pages and in messages.
    check_one_line(reason_zh, "reason_zh")
    check_one_line(reason_en, "reason_en")
    _refuse_overlap(venue, starts_on, ends_on)
    return starts_on, ends_on, (reason_zh, reason_en)


def _refuse_overlap(venue: Venue, starts_on: date, ends_on: date, *, other_than: int | None = None) -> None:
    query = select(Closure).where(Closure.venue_id == venue.id, Closure.starts_on <= ends_on,
                                  Closure.ends_on >= starts_on)
    if other_than is not None:
        query = query.where(Closure.id != other_than)
    existing = db.session.scalars(query.order_by(Closure.starts_on).limit(1)).first()
    if existing is not None:
        raise DomainError("closure_overlaps",
                          _l("The venue is already closed on %(days)s. Choose other days, or remove that "
                             "closure first.", days=local_date_range(existing.starts_on, existing.ends_on)),
                          field="starts_on", status=409)


def remove_closure(manager, closure: Closure, *, now: datetime | None = None) -> None:
    """Take back a closure recorded by mistake: its days take slots and schedules again.

    The slots and bookings it cancelled stay cancelled (their bookers were told, and may have
    made other plans). A closure that is over stays on record.
    """
    require_manager(manager, closure.venue)
    today = to_local(now or utcnow()).date()
    if closure.ends_on < today:
        raise DomainError("closure_over", _l("This closure is over and stays on record."), status=409)
    db.session.delete(closure)
    db.session.flush()


def _slots_ahead(venue: Venue, now: datetime):
    """The venue's open slots that have not started."""
    return select(Slot).where(Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN, Slot.starts_at > now)


def _slots_to_close(venue: Venue, starts_on: date, ends_on: date, now: datetime):
    """The open slots of those days that have not started."""
    return _slots_ahead(venue, now).where(Slot.local_date >= starts_on, Slot.local_date <= ends_on)


def venue_closures(venue: Venue, *, upcoming_from: date | None = None) -> list[Closure]:
    query = select(Closure).where(Closure.venue_id == venue.id)
    if upcoming_from is not None:
        query = query.where(Closure.ends_on >= upcoming_from)
    return list(db.session.scalars(query.order_by(Closure.starts_on.desc(), Closure.id.desc())))


COMING_CLOSURE_DAYS = 120  # far enough for the Spring Festival from early December
COMING_CLOSURE_LIMIT = 6


@dataclass(frozen=True)
class ComingClosure:
    closure: Closure
    special_openings: int  # open slots published on its days anyway, not yet started


def coming_closures(venue: Venue, *, now: datetime | None = None) -> list[ComingClosure]:
    """What a visitor planning ahead reads on the venue's page: the closures not over today that
    begin within ``COMING_CLOSURE_DAYS``, soonest first (at most ``COMING_CLOSURE_LIMIT``), each
    with the special openings published on its days (``create_slot`` with ``special_opening``)."""
    now = now or utcnow()
    today = to_local(now).date()
    closures = db.session.scalars(
        select(Closure).where(Closure.venue_id == venue.id, Closure.ends_on >= today,
                              Closure.starts_on <= today + timedelta(days=COMING_CLOSURE_DAYS))
        .order_by(Closure.starts_on, Closure.id).limit(COMING_CLOSURE_LIMIT)).all()
    coming = []
    for closure in closures:
        opened = db.session.scalar(select(func.count(Slot.id)).where(
            Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN, Slot.starts_at > now,
            Slot.local_date >= closure.starts_on, Slot.local_date <= closure.ends_on))
        coming.append(ComingClosure(closure, opened or 0))
    return coming


# --- weekly schedules ---------------------------------------------------------------------------

DEFAULT_SESSIONS = "09:00-12:00,13:30-16:30"
_SESSION_SPLIT = re.compile(r"[,，;；\s]+")
# What people type between the two times: a hyphen or dash as any keyboard or IME writes it ("-", "－",
# "–", "—", "——" from a Chinese IME's Shift+-), a tilde, 至 or 到; spaces around it are allowed.
_TO = re.compile(r"\s*(?:[-‐‑‒–—―−﹣－~～〜]{1,2}|至|到)\s*")
_SESSION = re.compile(r"^(\d{1,2})[:：](\d{2})-(\d{1,2})[:：](\d{2})$")


def parse_sessions(text: str) -> list[tuple[time, time]]:
    """Time ranges typed as "09:00-12:00, 13:30-16:30", sorted, checked and without overlaps."""
    sessions = []
    for part in (p for p in _SESSION_SPLIT.split(_TO.sub("-", clean(text))) if p):
        match = _SESSION.match(part)
        try:
            if match is None:
                raise ValueError(part)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise DomainError("invalid_sessions", _l("Write each time as 09:00-12:00; %(part)s is not clear.",
                                                     part=part[:20]), field="sessions") from None
        if end <= start:
            raise DomainError("invalid_sessions", _l("In %(part)s the end must be after the start. A weekly time "
                                                     "cannot run past midnight: publish such a slot on its own.",
                                                     part=part), field="sessions")
        sessions.append((start, end))
    if not sessions:
        raise DomainError("invalid_sessions", _l("Enter at least one time, for example 09:00-12:00."),
                          field="sessions")
    if len(sessions) > MAX_SESSIONS:
        raise DomainError("invalid_sessions", _l("Enter at most %(n)d times a day.", n=MAX_SESSIONS),
                          field="sessions")
    sessions.sort()
    for (s1, e1), (s2, e2) in zip(sessions, sessions[1:]):
        if s2 < e1:
            raise DomainError("invalid_sessions", _l("Two times overlap: %(a)s and %(b)s.",
                                                     a=_session_text(s1, e1), b=_session_text(s2, e2)),
                              field="sessions")
    return sessions


def _session_text(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def default_weekdays(venue: Venue) -> list[int]:
    """The venue's usual open days (ISO weekdays): every day but its closed weekdays."""
    return [d for d in range(1, 8) if d not in venue.closed_weekday_set]


@dataclass
class PublishResult:
    schedule: Schedule
    created: int
    skipped_closed: int
    skipped_existing: int


def publish_schedule(manager, venue: Venue, *, starts_on: date | None, ends_on: date | None, weekdays,
                     sessions: str, capacity, audience, admission=None, program_id=None,
                     themed_dates_confirmed: str | bool | None = None, now: datetime | None = None) -> PublishResult:
    """Record a weekly pattern and generate its slots: one per matching day and session.

    Days inside a closure are skipped, and so are times already published as an open slot with
    the same start, end and audience, so publishing the same schedule twice does not double it
    (a school schedule next to a public one at the same times is allowed: separate pools).
    Sessions that have already started are skipped. At most 366 days at once. A themed event's days
    outside its themed day's dates are published once confirmed (``check_event_dates``, field
    ``starts_on``), after every other check.
    """
    require_manager(manager, venue)
    now = now or utcnow()
    today = to_local(now).date()
    _check_range(starts_on, ends_on, today)
    days = sorted({int(d) for d in weekdays or [] if str(d).isdigit() and 1 <= int(d) <= 7})
    if not days:
        raise DomainError("invalid_schedule", _l("Choose at least one weekday."), field="weekdays")
    times = parse_sessions(sessions)
    capacity = _capacity(capacity)
    audience, admission = _audience(audience), _admission(admission, venue)
    program = _program_for(venue, program_id)

    closed = closures_by_day(venue.id, starts_on, ends_on)
    existing = _open_slot_times(venue, audience, starts_on, ends_on)
    matching = [starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]
    matching = [d for d in matching if d.isoweekday() in days]
    if not matching:
        raise DomainError("invalid_schedule", _l("None of these dates falls on the chosen weekdays."),
                          field="weekdays")
    schedule = Schedule(venue_id=venue.id, program_id=program.id if program else None, starts_on=starts_on,
                        ends_on=ends_on, weekdays=",".join(map(str, days)),
                        sessions=",".join(_session_text(s, e) for s, e in times), capacity=capacity,
                        audience=audience, admission=admission, created_by_id=manager.id)
    db.session.add(schedule)
    db.session.flush()
    rules = rules_for(venue)
    created, skipped_closed, skipped_existing = [], 0, 0
    for day in matching:
        if day in closed:
            skipped_closed += len(times)
            continue
        for start, end in times:
            starts_at, ends_at = from_local(datetime.combine(day, start)), from_local(datetime.combine(day, end))
            if starts_at <= now:
                continue
            if (starts_at, ends_at) in existing:
                skipped_existing += 1
                continue
            created.append(_new_slot(venue, rules, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                                     audience=audience, admission=admission, program=program,
                                     schedule_id=schedule.id))
    if not created:
        raise DomainError("nothing_to_publish",
                          _l("Nothing new to publish: these times are already published, closed or past."))
    check_event_dates(program.themed_day_key if program else None, [to_local(s.starts_at).date() for s in created],
                      confirmed=themed_dates_confirmed, field="starts_on")
    db.session.add_all(created)
    db.session.flush()
    return PublishResult(schedule, len(created), skipped_closed, skipped_existing)


def venue_schedules(venue: Venue, limit: int = 20) -> list[Schedule]:
    return list(db.session.scalars(select(Schedule).where(Schedule.venue_id == venue.id)
                                   .order_by(Schedule.id.desc()).limit(limit)))


def can_withdraw(schedule: Schedule, today: date) -> bool:
    """Whether the schedule has days left to withdraw: not over, and not withdrawn from its first day to come."""
    first = max(today, schedule.starts_on)
    return schedule.ends_on >= today and (schedule.withdrawn_from is None or schedule.withdrawn_from > first)


def _schedule_slots_from(schedule: Schedule, from_day: date, now: datetime):
    """The schedule's open slots from ``from_day`` on that have not started."""
    return _slots_ahead(schedule.venue, now).where(Slot.schedule_id == schedule.id, Slot.local_date >= from_day)


def _checked_withdrawal(manager, schedule: Schedule, from_day: date | None, reason: str,
                        now: datetime) -> tuple[date, str]:
    require_manager(manager, schedule.venue)
    today = to_local(now).date()
    from_day = from_day or today
    if from_day < today:
        raise DomainError("invalid_dates", _l("The first day cannot be in the past."), field="from_day")
    if from_day > schedule.ends_on:
        raise DomainError("invalid_dates", _l("This schedule ends on %(day)s: choose a day up to then.",
                                              day=local_date(schedule.ends_on)), field="from_day")
    from_day = max(from_day, schedule.starts_on)  # before its first day is from its first day
    if schedule.withdrawn_from is not None and from_day >= schedule.withdrawn_from:
        raise DomainError("schedule_withdrawn", _l("This schedule is already withdrawn from %(day)s.",
                                                   day=local_date(schedule.withdrawn_from)),
                          field="from_day", status=409)
    reason = clean(reason)
    if len(reason) > 300:
        raise DomainError("reason_too_long", _l("Keep the reason under 300 characters."), field="reason")
    return from_day, reason


def _require_reason(impact: ClosureImpact, reason: str) -> None:
    """Bookers are told why; slots nobody booked need no reason."""
    if impact.bookings and not reason:
        raise DomainError("reason_required",
                          _l("Tell the visitors why: their bookings are cancelled and each booker gets a message "
                             "with your reason."), field="reason")


def withdrawal_impact(manager, schedule: Schedule, from_day: date | None, reason: str = "", *,
                      now: datetime | None = None) -> tuple[date, ClosureImpact]:
    """The day ``withdraw_schedule`` with these answers would withdraw the schedule from, and what it
    would cancel, after the same checks; changes nothing."""
    now = now or utcnow()
    from_day, reason = _checked_withdrawal(manager, schedule, from_day, reason, now)
    impact = _impact(_schedule_slots_from(schedule, from_day, now))
    _require_reason(impact, reason)
    return from_day, impact


def withdraw_schedule(manager, schedule: Schedule, from_day: date | None, reason: str = "", *,
                      now: datetime | None = None) -> ClosureImpact:
    """Withdraw a weekly schedule from ``from_day`` (today when not given) on: every open slot it made
    from that day that has not started is cancelled with its bookings, each booker gets the venue's
    cancellation notice with ``reason`` (required when there are bookings), and the schedule records
    the day. Slots before it, visits under way and one-off slots stay. Withdrawing again is allowed
    from an earlier day only (``schedule_withdrawn``). Returns what was cancelled.
    """
    now = now or utcnow()
    # One withdrawal of a schedule at a time (a double click, two tabs): PostgreSQL queues on the
    # schedule's row and the second one then reads the first one's day.
    db.session.execute(select(Schedule.id).where(Schedule.id == schedule.id).with_for_update())
    db.session.refresh(schedule)
    from_day, reason = _checked_withdrawal(manager, schedule, from_day, reason, now)
    query = _schedule_slots_from(schedule, from_day, now)
    impact = _impact(query)
    _require_reason(impact, reason)
    _cancel_slots(list(db.session.scalars(query.order_by(Slot.starts_at))), reason, now)
    schedule.withdrawn_from, schedule.withdrawal_reason = from_day, reason
    db.session.flush()
    return impact
