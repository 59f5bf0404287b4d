"""Reading a venue's booking rules and the windows they imply."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import Role
from app.bookings import capacity
from app.bookings.models import ACTIVE_STATUSES, Booking, BookingRules, BookingStatus, Partnership
from app.core.sql import milliseconds_between
from app.core.time import to_local
from app.extensions import db
from app.scheduling.models import Audience, Slot
from app.venues.models import Venue

DEFAULT_RULES = {c.name: c.default.arg for c in BookingRules.__table__.columns if c.default is not None}
# The partner reserve (馆校合作) is held until this many days before a slot starts, then released.
RESERVE_RELEASE_DAYS = 7
# Which times each kind of booker may book: mixed times serve both.
PUBLIC_AUDIENCES = (Audience.PUBLIC, Audience.MIXED)
SCHOOL_AUDIENCES = (Audience.SCHOOL, Audience.MIXED)


def rules_for(venue: Venue) -> BookingRules:
    """The venue's rules; the defaults of ``booking_rules.md`` when it has set none. Read once per
    venue object (``Venue.booking_rules``), in no statement of its own when loaded with the venue."""
    rules = venue.booking_rules
    return rules if rules is not None else BookingRules(venue_id=venue.id, **DEFAULT_RULES)


def is_partner(venue_id: int, school_id: int | None, on: date) -> bool:
    if school_id is None:
        return False
    return db.session.scalar(
        select(Partnership.id).where(
            Partnership.venue_id == venue_id, Partnership.school_id == school_id,
            Partnership.valid_from <= on, Partnership.valid_to >= on,
        ).limit(1)
    ) is not None


def books_for_school(user) -> bool:
    """Whether ``user`` books class visits for their school now: a verified teacher at an open school.
    Partner priority is the school's, so a teacher takes it (earlier windows, reserved places) only then."""
    return user.role == Role.TEACHER and user.verified_at is not None and user.school.is_active


def partner_terms(school_id: int | None) -> dict[int, list[tuple[date, date]]]:
    """Every agreement of a school, by venue id: what ``is_partner`` asks, read once for a whole
    calendar of slots."""
    terms: dict[int, list[tuple[date, date]]] = {}
    if school_id is None:
        return terms
    rows = db.session.execute(select(Partnership.venue_id, Partnership.valid_from, Partnership.valid_to)
                              .where(Partnership.school_id == school_id))
    for venue_id, valid_from, valid_to in rows:
        terms.setdefault(venue_id, []).append((valid_from, valid_to))
    return terms


def partner_reserve(rules: BookingRules, audience: Audience, slot_capacity: int,
                    starts_at: datetime) -> tuple[int, datetime | None]:
    """The seats of a slot held for partner schools, and until when: the venue's share of a school
    or mixed slot's capacity, rounded down, until ``RESERVE_RELEASE_DAYS`` before it starts (a
    public slot holds none). A new slot takes it from here; a resized one keeps its own share
    (``capacity.set_capacity``)."""
    seats = 0 if audience == Audience.PUBLIC else math.floor(slot_capacity * rules.partner_reserved_pct / 100)
    return seats, starts_at - timedelta(days=RESERVE_RELEASE_DAYS) if seats else None


def booking_window(slot: Slot, *, extra_days: int = 0) -> tuple[datetime, datetime]:
    """When booking this slot opens and closes (UTC), as published on it; ``extra_days`` opens it
    earlier (partners)."""
    opens = slot.starts_at - timedelta(days=slot.window_opens_days + extra_days)
    closes = slot.starts_at - timedelta(hours=slot.window_closes_hours)
    return opens, closes


def window_for(slot, rules: BookingRules, *, as_class: bool, partner: bool = False) -> tuple[datetime, datetime]:
    """When booking ``slot`` opens and closes (UTC) for a class (``as_class``) or an individual.

    A class keeps the group window and cutoff whatever the slot's audience: a school slot carries
    them (copied when it was published), a mixed slot carries the public ones, so a class on it
    takes the venue's group rules. A partner school's class opens ``partner_early_days`` earlier.
    ``slot`` is a ``Slot`` or any record with its ``audience``, ``starts_at`` and window columns.
    """
    extra = rules.partner_early_days if as_class and partner else 0
    if as_class and slot.audience == Audience.MIXED:
        opens = slot.starts_at - timedelta(days=rules.school_window_days + extra)
        return opens, slot.starts_at - timedelta(hours=rules.school_cutoff_hours)
    return booking_window(slot, extra_days=extra)


def closed_sql(now: datetime, *, as_class: bool):
    """Whether booking a slot has closed at ``now`` for a class (``as_class``) or an individual, as
    ``window_for`` decides, as a SQL condition over ``Slot``: a class on a mixed slot takes the
    venue's group cut-off (its rules' or the default), everyone else the slot's own."""
    cutoff_hours = Slot.window_closes_hours
    if as_class:
        school_cutoff = sa.func.coalesce(
            select(BookingRules.school_cutoff_hours).where(BookingRules.venue_id == Slot.venue_id).scalar_subquery(),
            DEFAULT_RULES["school_cutoff_hours"])
        cutoff_hours = sa.case((Slot.audience == Audience.MIXED, school_cutoff), else_=cutoff_hours)
    return milliseconds_between(sa.literal(now, sa.DateTime()), Slot.starts_at) <= cutoff_hours * 3_600_000


def booking_windows(slot: Slot, rules: BookingRules) -> list[tuple[str | None, int, int]]:
    """``slot``'s booking window for each audience that books it (``"individuals"``, ``"classes"``),
    as the days before the start it opens and the hours before it closes; one, unnamed, when they
    agree. Classes on a mixed slot keep the venue's group window (``window_for``)."""
    windows = []
    for who, as_class in (("individuals", False), ("classes", True)):
        if slot.audience == (Audience.PUBLIC if as_class else Audience.SCHOOL):
            continue
        opens, closes = window_for(slot, rules, as_class=as_class)
        windows.append((who, (slot.starts_at - opens).days, int((slot.starts_at - closes).total_seconds() // 3600)))
    if len({window[1:] for window in windows}) == 1:
        return [(None, *windows[0][1:])]
    return windows


def partner_on(terms: dict[int, list[tuple[date, date]]], venue_id: int, day: date) -> bool:
    """``is_partner`` answered from a school's ``partner_terms``."""
    return any(valid_from <= day <= valid_to for valid_from, valid_to in terms.get(venue_id, ()))


@dataclass(frozen=True)
class AgreementGap:
    """A school's agreements with a venue around a day none of them covers: the end of the one before
    it and the start of the one after it (one of them at least)."""

    ended_on: date | None
    next_starts_on: date | None


def agreement_gap(terms: list[tuple[date, date]], day: date, today: date) -> AgreementGap | None:
    """Whether a school's agreements with a venue (``terms``, one venue's of ``partner_terms``) leave
    ``day`` without partner priority: None when one covers it (``partner_on``) or none is in force
    ``today`` or to come; else the ``AgreementGap`` around it."""
    terms = [(valid_from, valid_to) for valid_from, valid_to in terms if valid_to >= today]
    if not terms or any(valid_from <= day <= valid_to for valid_from, valid_to in terms):
        return None
    return AgreementGap(ended_on=max((valid_to for _, valid_to in terms if valid_to < day), default=None),
                        next_starts_on=min((valid_from for valid_from, _ in terms if valid_from > day), default=None))


def window_state(window: tuple[datetime, datetime], now: datetime) -> str:
    """Where ``now`` falls in a booking window (``window_for``): ``"not_yet"``, ``"open"`` or
    ``"closed"``."""
    opens, closes = window
    return "not_yet" if now < opens else "open" if now < closes else "closed"


def slot_day(slot) -> date:
    """The slot's day in Asia/Shanghai (the day a partnership must cover), for a ``Slot`` or a record."""
    return to_local(slot.starts_at).date()


@dataclass(frozen=True)
class Places:
    """The places one booker can take on a slot now, and those left that only partner schools may take."""

    left: int  # ``capacity.places_for`` this booker
    held_for_partners: int  # free places held back from this booker (0 for a partner school)
    held_until: datetime | None  # when they are released, if any are held

    @property
    def only_for_partners(self) -> bool:
        """Nothing left for this booker but places held for partner schools."""
        return self.left == 0 and self.held_for_partners > 0


def places_seen(slot, now: datetime, *, partner: bool) -> Places:
    """``slot``'s places as a booker (a partner school's class or not) sees them at ``now``.
    ``slot`` is a ``Slot`` or any record with its status, capacity and counters under their names."""
    left = capacity.places_for(slot, partner=partner, now=now)
    held = capacity.places_for(slot, partner=True, now=now) - left
    return Places(left, held, slot.reserve_until if held else None)


class OwnBooking(NamedTuple):
    """A viewer's booking of a slot, as a calendar links it: "Your booking", or, waiting for a place,
    "On the waiting list" (a place not yet theirs)."""

    id: int
    waiting: bool


class Viewer:
    """Someone looking at a calendar or list of slots: not signed in, a citizen, or a teacher (of a
    partner school at some venues, on some days). A teacher's school's agreements are read once, in
    one statement, for the whole list (``partner_terms``)."""

    def __init__(self, user):
        self.signed_in = bool(getattr(user, "is_authenticated", False))
        self.as_class = self.signed_in and user.role == Role.TEACHER
        self._terms = partner_terms(user.school_id) if self.as_class and books_for_school(user) else {}
        self._user_id = user.id if self.signed_in else None
        self._mine: dict[int, OwnBooking] | None = None  # slot id → the viewer's booking, read when first asked

    def booking_on(self, slot_id: int, now: datetime) -> OwnBooking | None:
        """The viewer's booking that still stands on this slot (a calendar offers it, not "Book"):
        their bookings of slots not over are read once, in one statement, for the whole list."""
        if self._user_id is None:
            return None
        if self._mine is None:
            rows = db.session.execute(
                select(Booking.slot_id, Booking.id, Booking.status).join(Slot, Slot.id == Booking.slot_id)
                .where(Booking.user_id == self._user_id, Slot.ends_at > now,
                       Booking.status.in_([BookingStatus(status) for status in ACTIVE_STATUSES])))
            self._mine = {slot_id: OwnBooking(booking_id, status == BookingStatus.WAITLISTED)
                          for slot_id, booking_id, status in rows}
        return self._mine.get(slot_id)

    def partner(self, venue_id: int, slot) -> bool:
        return self.as_class and partner_on(self._terms, venue_id, slot_day(slot))

    def window(self, slot, venue: Venue | None = None) -> tuple[datetime, datetime]:
        """``slot``'s booking window for this viewer (``window_for``); ``venue`` is the slot's, for
        records that do not carry it."""
        if not self.as_class:
            return booking_window(slot)
        venue = venue or slot.venue
        return window_for(slot, rules_for(venue), as_class=True, partner=self.partner(venue.id, slot))

    def schools_window(self, slot, venue: Venue | None = None) -> tuple[datetime, datetime] | None:
        """The window classes book a mixed ``slot`` in, for a viewer who does not book as a class:
        it differs from theirs (``window_for``), and a slot not open to them yet may be booked by
        schools already. A school's that is not a partner (a partner's teacher sees their own on
        signing in). None for a teacher, whose own window is ``window``, or a slot of one audience."""
        if self.as_class or slot.audience != Audience.MIXED:
            return None
        return window_for(slot, rules_for(venue or slot.venue), as_class=True)

    def books(self, slot) -> bool:
        """Whether this viewer may book ``slot``'s audience (a calendar's day total counts only those
        times). Someone not signed in may yet sign in as either kind of booker."""
        return slot.audience in self.audiences()

    def counts(self, slot, now: datetime, venue: Venue | None = None) -> bool:
        """Whether a day total (the calendar's, the directory's) counts ``slot`` for this viewer: a time
        of an audience they may book (``books``) whose booking has not closed for them (it may not
        have opened yet: they may come back). Someone not signed in may book as either kind of booker
        until both have closed. ``places_sql`` decides the same in the database."""
        if not self.books(slot):
            return False
        windows = [self.window(slot, venue)]
        if not self.signed_in:
            windows.append(self.schools_window(slot, venue))
        return any(window is not None and window_state(window, now) != "closed" for window in windows)

    def all_closed(self, slots, now: datetime, venue: Venue | None = None) -> bool:
        """Whether ``slots`` (a calendar's day) hold times this viewer may book (``books``) and booking
        has closed for them on every one (``counts`` none): the day is then said to be closed for
        booking, not fully booked, whatever places are left."""
        theirs = [slot for slot in slots if self.books(slot)]
        return bool(theirs) and not any(self.counts(slot, now, venue) for slot in theirs)

    def audiences(self) -> tuple[Audience, ...]:
        """The audiences of the times this viewer may book (``books``)."""
        if not self.signed_in:
            return tuple(Audience)
        return SCHOOL_AUDIENCES if self.as_class else PUBLIC_AUDIENCES

    def places(self, slot, venue_id: int, now: datetime) -> Places:
        """The places this viewer can take (``places_seen``). Someone not signed in is shown every
        place left: they may yet sign in as a partner school's teacher."""
        return places_seen(slot, now, partner=not self.signed_in or self.partner(venue_id, slot))

    def places_sql(self, day: date, now: datetime):
        """``places(...).left`` as a SQL expression over ``Slot``, for the slots of ``day`` of an
        audience they may book, and none on those whose booking has closed for them (``counts``): what a
        list that filters or sums places in the database reads (``capacity.places_for_sql``)."""
        if not self.signed_in:
            partner = True
            # Closed only once closed for individuals and, on a mixed slot, for classes too.
            closed = sa.and_(closed_sql(now, as_class=False),
                             sa.or_(Slot.audience != Audience.MIXED, closed_sql(now, as_class=True)))
        elif self.as_class:
            partner = Slot.venue_id.in_(sorted(v for v in self._terms if partner_on(self._terms, v, day)))
            closed = closed_sql(now, as_class=True)
        else:
            partner = False
            closed = closed_sql(now, as_class=False)
        return sa.case((closed, 0), else_=capacity.places_for_sql(partner, now))


@dataclass(frozen=True)
class Outlook:
    """What one booker may do with a slot now, as its booking page tells them."""

    as_class: bool
    partner: bool  # a partner school's teacher: books earlier and may take the reserved places
    opens: datetime
    closes: datetime
    state: str  # ``window_state``
    places: int  # the places this booker can take (``capacity.places_for``)
    held_for_partners: int  # places left that only partner schools may take now (0 for partners)
    held_until: datetime | None
    cancel_deadline: datetime
    cancel_closed: bool  # a booking made now could no longer be changed or cancelled online
    smallest_booking: int  # 1 person, or the smallest class with its adults
    unverified: bool  # a teacher whose account the district has not verified yet: cannot book
    move_refused: bool  # of them, one whose new school's district did not confirm their move
    # The slot is for the other audience (school groups only, for a citizen; individual visitors only,
    # for a teacher): a link shared, or a calendar feed's, leads there; it cannot be booked at all.
    for_others: bool = False
    # A teacher's school with agreements with the venue that leave the slot's day out (no priority then).
    agreement_gap: AgreementGap | None = None

    @property
    def full(self) -> bool:
        """Not even the smallest booking fits (for a class: nothing it could be put on a waitlist for)."""
        return self.places < self.smallest_booking


def outlook(user, slot: Slot, now: datetime) -> Outlook:
    """``slot`` as ``user`` (a citizen or a teacher) may book it at ``now``: their window, the
    places they can take and those held for partner schools; for a teacher whose school is no
    partner on the slot's day, the agreements with the venue that leave it out (``agreement_gap``)."""
    rules = rules_for(slot.venue)
    as_class = user.role == Role.TEACHER
    # The school's agreements, read once: whether it is a partner that day and, if not, why not.
    terms = partner_terms(user.school_id) if books_for_school(user) else {}
    partner = partner_on(terms, slot.venue_id, slot.local_date)
    gap = agreement_gap(terms.get(slot.venue_id, []), slot.local_date, to_local(now).date()) \
        if books_for_school(user) and not partner else None
    opens, closes = window_for(slot, rules, as_class=as_class, partner=partner)
    seen = places_seen(slot, now, partner=partner)
    deadline = cancel_deadline(slot, rules)
    return Outlook(as_class=as_class, partner=partner, opens=opens, closes=closes,
                   state=window_state((opens, closes), now), places=seen.left,
                   held_for_partners=seen.held_for_partners, held_until=seen.held_until,
                   cancel_deadline=deadline, cancel_closed=now >= deadline,
                   smallest_booking=smallest_class(rules) if as_class else 1,
                   unverified=as_class and user.verified_at is None, move_refused=as_class and user.school_move_refused,
                   agreement_gap=gap,
                   for_others=slot.audience not in (SCHOOL_AUDIENCES if as_class else PUBLIC_AUDIENCES))


def cancel_deadline(slot: Slot, rules: BookingRules) -> datetime:
    return slot.starts_at - timedelta(hours=rules.cancel_cutoff_hours)


def adults_needed(students: int, grade: int, rules: BookingRules) -> int:
    per_adult = rules.kindergarten_students_per_adult if grade == 0 else rules.students_per_adult
    return math.ceil(students / per_adult) if students > 0 else 0


def smallest_class(rules: BookingRules) -> int:
    """The fewest places any class visit can take: the smallest group with its adults."""
    return rules.group_min + min(adults_needed(rules.group_min, grade, rules) for grade in (0, 1))
