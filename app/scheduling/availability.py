"""Reading a venue's slots: the public month calendar, the manager's day list, the API's range.

Places left are read live from each slot's counters (``capacity - taken``, and the partner
reserve), which only ``app.bookings.capacity`` changes and reads, so every view shows the same
number.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role
from app.bookings.models import Booking, BookingStatus
from app.bookings.rules import PUBLIC_AUDIENCES, SCHOOL_AUDIENCES, Viewer, window_state
from app.core.templating import slot_hours
from app.core.time import to_local, utcnow
from app.extensions import db
from app.scheduling.models import Audience, Closure, Slot, SlotStatus
from app.scheduling.queries import closures_between, closures_by_day
from app.venues.models import Venue

# Which slots a visitor of each kind can book: mixed slots serve both.
AUDIENCE_FILTER = {"public": PUBLIC_AUDIENCES, "school": SCHOOL_AUDIENCES}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # the days calendars and lists may ask about
# How many of the next times ``opening_month`` checks, one by one, against the viewer's booking
# window: times whose window has closed are only those of the next few days.
OPENING_SCAN = 200


@dataclass(frozen=True)
class SlotView:
    id: int
    starts: datetime  # aware, Asia/Shanghai
    ends: datetime
    audience: Audience
    capacity: int
    available: int
    # What the booking window is computed from, under ``Slot``'s names (``bookings.rules.booking_window``).
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    window_opens_days: int
    window_closes_hours: int
    # What the places a viewer can take are computed from, likewise (``bookings.capacity.places_for``).
    status: SlotStatus
    taken: int
    reserved_seats: int
    partner_taken: int
    reserve_until: datetime | None

    @property
    def time_range(self) -> str:
        return slot_hours(self)


@dataclass
class Day:
    date: date
    is_past: bool
    slots: list[SlotView] = field(default_factory=list)
    closure: Closure | None = None  # set on days from today on, for visitors to read the reason

    @property
    def places_left(self) -> int:
        """Every place left, partner schools' too. A calendar shows each viewer the places they can
        take instead (``bookings.views.places_left_now``)."""
        return sum(s.available for s in self.slots)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots)


@dataclass
class MonthAvailability:
    year: int
    month: int
    weeks: list[list[Day | None]]  # Monday to Sunday; None pads days of the neighbouring months
    audience: str | None

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> list[Day]:
        return [d for week in self.weeks for d in week if d is not None]

    @property
    def has_slots(self) -> bool:
        return any(d.slots for d in self.days)

    @property
    def is_over(self) -> bool:
        """Every day of the month is past: it shows no times because a calendar offers only times
        still to come, not because the venue published none."""
        return all(d.is_past for d in self.days)

    @property
    def prev_key(self) -> str:
        last = self.first - timedelta(days=1)
        return f"{last.year:04d}-{last.month:02d}"

    @property
    def next_key(self) -> str:
        nxt = self.first + timedelta(days=calendar.monthrange(self.year, self.month)[1])
        return f"{nxt.year:04d}-{nxt.month:02d}"


def parse_month(value: str | None) -> tuple[int, int] | None:
    """``YYYY-MM`` as (year, month), or None when absent or not a month between 2000 and 2100."""
    match = _MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return (year, month) if EARLIEST.year <= year <= LATEST.year and 1 <= month <= 12 else None


def audience_for(args, user) -> str | None:
    """Whose times a calendar shows: as chosen (``?audience=``; empty for everyone), else what the
    viewer can book, so that a citizen's day totals do not count the places only classes can take."""
    if "audience" in args:
        return args["audience"]
    return {Role.CITIZEN: "public", Role.TEACHER: "school"}.get(getattr(user, "role", None))


def month_availability(venue: Venue, year: int, month: int, audience: str | None = None,
                       *, now: datetime | None = None) -> MonthAvailability:
    """The month as weeks of days, each day with its open, not yet started slots and places left,
    and the closure of a closed day that is not past.

    ``audience`` ``"public"`` or ``"school"`` keeps the slots that kind of visitor can book.
    """
    now = now or utcnow()
    today = to_local(now).date()
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    query = select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.local_date, Slot.audience, Slot.capacity,
                   Slot.taken, Slot.window_opens_days, Slot.window_closes_hours, Slot.status, Slot.reserved_seats,
                   Slot.partner_taken, Slot.reserve_until).where(
        *_still_open(venue, audience, now), Slot.local_date >= first, Slot.local_date <= last)
    by_day: dict[date, list[SlotView]] = {}
    for row in db.session.execute(query.order_by(Slot.starts_at, Slot.id)):
        by_day.setdefault(row.local_date, []).append(SlotView(
            id=row.id, starts=to_local(row.starts_at), ends=to_local(row.ends_at), audience=row.audience,
            capacity=row.capacity, available=max(0, row.capacity - row.taken), starts_at=row.starts_at,
            ends_at=row.ends_at,
            window_opens_days=row.window_opens_days, window_closes_hours=row.window_closes_hours,
            status=row.status, taken=row.taken, reserved_seats=row.reserved_seats,
            partner_taken=row.partner_taken, reserve_until=row.reserve_until))
    closed = closures_by_day(venue.id, max(first, today), last)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([Day(d, d < today, by_day.get(d, []), closed.get(d)) if d.month == month else None
                      for d in week])
    return MonthAvailability(year, month, weeks, audience if audience in AUDIENCE_FILTER else None)


def still_open(now: datetime) -> list:
    """The slots a calendar shows: open and not yet started (the venue directory's day asks too)."""
    return [Slot.status == SlotStatus.OPEN, Slot.starts_at > now]


def _still_open(venue: Venue, audience: str | None, now: datetime) -> list:
    """What a calendar shows: the venue's open slots not yet started, for ``audience`` if given."""
    conditions = [Slot.venue_id == venue.id, *still_open(now)]
    if audience in AUDIENCE_FILTER:
        conditions.append(Slot.audience.in_(AUDIENCE_FILTER[audience]))
    return conditions


def opening_month(venue: Venue, audience: str | None = None, *, viewer: Viewer | None = None,
                  now: datetime | None = None) -> tuple[int, int]:
    """The month a venue's calendar opens on when none is asked for: the month of the next time
    ``viewer`` (default: someone not signed in) can still book or join, its booking window for them
    (``Viewer.window``) not closed. On the 30th that is December's times, not a November whose
    last time has closed for them. Only the next ``OPENING_SCAN`` times are checked; with none of
    them bookable, or no times ahead, the calendar opens on this month."""
    now = now or utcnow()
    today = to_local(now).date()
    viewer = viewer or Viewer(None)
    upcoming = db.session.execute(
        select(Slot.local_date, Slot.starts_at, Slot.audience, Slot.window_opens_days, Slot.window_closes_hours)
        .where(*_still_open(venue, audience, now)).order_by(Slot.starts_at, Slot.id).limit(OPENING_SCAN))
    for slot in upcoming:
        if window_state(viewer.window(slot, venue), now) != "closed":
            return slot.local_date.year, slot.local_date.month
    return today.year, today.month


def slots_between(venue: Venue, first: date, last: date, *, audience: str | None = None,
                  status: str | None = None) -> list[Slot]:
    """The venue's slots whose local day is in ``first..last``, by start, with their programs."""
    query = (select(Slot).options(selectinload(Slot.program))
             .where(Slot.venue_id == venue.id, Slot.local_date >= first, Slot.local_date <= last))
    if audience in {a.value for a in Audience}:
        query = query.where(Slot.audience == Audience(audience))
    if status in {s.value for s in SlotStatus}:
        query = query.where(Slot.status == SlotStatus(status))
    return list(db.session.scalars(query.order_by(Slot.starts_at, Slot.id)))


def slots_by_day(venue: Venue, first: date, last: date, **filters) -> list[tuple[date, list[Slot]]]:
    """The venue's slots grouped by local day."""
    slots = slots_between(venue, first, last, **filters)
    return [(day, list(group)) for day, group in groupby(slots, key=lambda s: s.local_date)]


@dataclass(frozen=True)
class ListEntry:
    """One part of the manager's slot list: a day's slots, or a closure said once before its first
    day in the list (its slots, special openings, follow as days of their own)."""

    day: date
    slots: tuple[Slot, ...] = ()
    closure: Closure | None = None


def manager_slot_list(venue: Venue, first: date, last: date, **filters) -> list[ListEntry]:
    """The manager's list of ``first..last``: the days with slots (``slots_by_day``, ``filters`` apply)
    and, whatever the filters, the venue's closures on those days, so that a closed day does not read
    as one nothing was published on. In the order of the days."""
    entries = [ListEntry(max(c.starts_on, first), closure=c) for c in closures_between(venue.id, first, last)]
    entries += [ListEntry(day, slots=tuple(slots)) for day, slots in slots_by_day(venue, first, last, **filters)]
    return sorted(entries, key=lambda e: (e.day, e.closure is None))


def booking_counts(slot: Slot, now: datetime | None = None) -> dict[str, int]:
    """How many bookings of each status the slot has (for the manager's slot page). Once the slot has
    started, requests still pending have lapsed (``bookings close-day`` closes them): they count as
    ``lapsed``, and ``lapsed_seats`` are the places they hold until then."""
    undecided = Booking.decided_at.is_(None)  # a lapsed request was declined by nobody
    rows = db.session.execute(
        select(Booking.status, undecided, func.count(Booking.id), func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.slot_id == slot.id).group_by(Booking.status, undecided))
    started = slot.starts_at <= (now or utcnow())
    counts = {"lapsed": 0, "lapsed_seats": 0}
    for status, no_decision, count, seats in rows:
        if status == BookingStatus.PENDING and started:
            counts["lapsed"] += count
            counts["lapsed_seats"] += int(seats)  # still held until close-day closes them
        elif status == BookingStatus.DECLINED and no_decision:
            counts["lapsed"] += count
        else:
            counts[status.value] = counts.get(status.value, 0) + count
    return counts
