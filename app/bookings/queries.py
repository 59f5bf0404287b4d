"""Reading bookings for pages: a person's own, a venue's requests and days, and who came to those checked in."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from app.checkin.models import CheckIn, CheckInResult
from app.core.pagination import Page, paginate
from app.extensions import db
from app.scheduling.models import Slot
from app.venues.models import Venue


def slot_to_book(slot_id: int) -> Slot | None:
    """The slot with its venue and the venue's booking rules, in one statement: booking reads all
    three."""
    return db.session.scalar(_slot_to_book(), {"slot_id": slot_id})


@functools.cache
def _slot_to_book():
    # Built once per process: at 9:00 on a popular day every booking attempt runs it.
    return (select(Slot).options(joinedload(Slot.venue).joinedload(Venue.booking_rules))
            .where(Slot.id == sa.bindparam("slot_id")))


def booking_page_of(user_id: int, *, now: datetime, page: int, per_page: int, upcoming: bool | None = True,
                    first: date | None = None, last: date | None = None) -> Page:
    """A page of a person's bookings: ``upcoming`` (visit not over, soonest first), past (latest first)
    or, with ``None``, both (soonest first); ``first``/``last`` keep the slots of those local days."""
    query = select(Booking).join(Slot, Slot.id == Booking.slot_id).where(Booking.user_id == user_id)
    if upcoming is not None:
        query = query.where(Slot.ends_at >= now if upcoming else Slot.ends_at < now)
    if first is not None:
        query = query.where(Slot.local_date >= first)
    if last is not None:
        query = query.where(Slot.local_date <= last)
    # The id breaks ties between bookings of one slot, so that no booking shows on two pages.
    order = (Slot.starts_at.desc(), Booking.id.desc()) if upcoming is False else (Slot.starts_at.asc(), Booking.id)
    return paginate(query.options(joinedload(Booking.slot), joinedload(Booking.venue)).order_by(*order),
                    page, per_page)


def own_bookings(user_id: int, *, now: datetime, limit: int = 100) -> tuple[list[Booking], list[Booking]]:
    """A person's bookings in two lists: those still to come (live, and the visit not over), soonest
    first; and the rest (past visits, cancelled and declined bookings, requests not approved in time),
    latest first."""
    live = sa.and_(Booking.status.in_([BookingStatus(status) for status in ACTIVE_STATUSES]),
                   sa.not_(undecided_at_start(now)))
    ahead = sa.and_(Slot.ends_at >= now, live)

    def listed(where, order):
        return list(db.session.scalars(
            select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.user_id == user_id, where)
            .options(joinedload(Booking.slot), joinedload(Booking.venue), joinedload(Booking.program))
            .order_by(order).limit(limit)))

    return listed(ahead, Slot.starts_at.asc()), listed(sa.not_(ahead), Slot.starts_at.desc())


def undecided_at_start(now: datetime):
    """A request still pending once its slot has started: lapsed, whether or not ``bookings
    close-day`` has closed it yet (the query must join ``Slot``)."""
    return sa.and_(Booking.status == BookingStatus.PENDING, Slot.starts_at <= now)


def venue_requests(venue_id: int, now: datetime) -> list[Booking]:
    """Class visit requests the manager can still decide (their slot has not started), soonest first."""
    return list(db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == venue_id, Booking.status == BookingStatus.PENDING, Slot.starts_at > now)
        .options(joinedload(Booking.slot), joinedload(Booking.school), joinedload(Booking.user),
                 joinedload(Booking.program))
        .order_by(Slot.starts_at)))


def count_venue_requests(venue_id: int, now: datetime) -> int:
    """How many of ``venue_requests`` there are (the manager's dashboard says it)."""
    return db.session.scalar(
        select(sa.func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == venue_id, Booking.status == BookingStatus.PENDING, Slot.starts_at > now))


def venue_upcoming(venue_id: int, now: datetime, limit: int = 200) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == venue_id, Slot.ends_at >= now,
               Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.CHECKED_IN]))
        .options(joinedload(Booking.slot), joinedload(Booking.school), joinedload(Booking.user),
                 joinedload(Booking.program))
        .order_by(Slot.starts_at, Booking.id).limit(limit)))


@dataclass(frozen=True)
class Arrival:
    """Who came on a checked-in booking, as the gate admitted it (and as statistics count it)."""

    persons: int
    students: int | None
    adults: int | None


def arrivals(bookings: Iterable[Booking]) -> dict[int, Arrival]:
    """Who came on each checked-in booking of ``bookings``, by booking id, from its admission at the
    gate: one statement for a whole list, none when nothing in it was checked in."""
    ids = [booking.id for booking in bookings if booking.status == BookingStatus.CHECKED_IN]
    if not ids:
        return {}
    rows = db.session.execute(
        select(CheckIn.booking_id, CheckIn.persons, CheckIn.students, CheckIn.adults)
        .where(CheckIn.booking_id.in_(ids), CheckIn.result == CheckInResult.OK))
    return {row.booking_id: Arrival(row.persons, row.students, row.adults) for row in rows}


def arrival(booking: Booking) -> Arrival | None:
    """``arrivals`` of one booking."""
    return arrivals([booking]).get(booking.id)
