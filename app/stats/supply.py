"""Supply: what venues offered (published slots) and what became of the bookings, per venue and day.

Open days are days with at least one published free slot; free-open hours are the union of the
free slots' times (two parallel slots 09:00–12:00 are three hours, not six); capacity offered is
the places of open slots; the booking counts feed utilisation and the no-show rate.

Settled days (up to the last ``stats rebuild``/``stats refresh``) are stored in ``venue_daily_supply``
and ``venue_monthly_supply``; later days are computed live by the same query (``app.stats.sources``),
so the figures are right whether or not the nightly refresh has run, and quick when it has.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.core.sql import minutes_between
from app.core.time import utcnow
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus
from app.stats.models import SUPPLY_COLUMNS, StatsRefresh, VenueDailySupply
from app.venues.models import Admission, Venue

_open = Slot.status == SlotStatus.OPEN
# Joining slots to their venue lets PostgreSQL reach a few days' slots through ix_slots_venue_date
# (venue, day) instead of reading every slot: slots have no index on the day alone.
_by_venue = Venue.id == Slot.venue_id
_free_open = sa.and_(_open, Slot.admission == Admission.FREE)


def _free_minutes(first: date, last: date):
    """Minutes covered by the union of each venue-day's free open slots (gaps and islands)."""
    free = (select(Slot.venue_id, Slot.local_date, Slot.starts_at, Slot.ends_at).join(Venue, _by_venue)
            .where(_free_open, Slot.local_date.between(first, last)).subquery("free"))
    order = (free.c.starts_at, free.c.ends_at)
    partition = (free.c.venue_id, free.c.local_date)
    marked = select(free, func.max(free.c.ends_at).over(partition_by=partition, order_by=order,
                                                        rows=(None, -1)).label("prev_end")).subquery("marked")
    starts_island = sa.case((sa.or_(marked.c.prev_end.is_(None), marked.c.starts_at > marked.c.prev_end), 1),
                            else_=0)
    numbered = select(marked, func.sum(starts_island).over(
        partition_by=(marked.c.venue_id, marked.c.local_date), order_by=(marked.c.starts_at, marked.c.ends_at),
        rows=(None, 0)).label("island")).subquery("numbered")
    spans = (select(numbered.c.venue_id, numbered.c.local_date, func.min(numbered.c.starts_at).label("s"),
                    func.max(numbered.c.ends_at).label("e"))
             .group_by(numbered.c.venue_id, numbered.c.local_date, numbered.c.island).subquery("spans"))
    return (select(spans.c.venue_id, spans.c.local_date,
                   func.sum(minutes_between(spans.c.s, spans.c.e)).label("minutes"))
            .group_by(spans.c.venue_id, spans.c.local_date).subquery("free_minutes"))


def supply_select(first: date, last: date, now: datetime | None = None, *, settled: bool = False):
    """Supply rows (``venue_id, day`` and ``SUPPLY_COLUMNS``) for local days ``first``..``last``,
    computed from slots and bookings; confirmed bookings count as past once their slot ended by
    ``now``.

    ``settled``: the days are over (stored by a refresh, and recomputed when a late admission lands
    on one, ``rollups``): every booking still confirmed counts, whether or not its slot has ended (an
    overnight visit still running at the refresh), so the stored figures do not depend on when they
    were computed and equal what a rebuild gives at any later moment."""
    now = utcnow() if now is None else now
    slots = (select(Slot.venue_id, Slot.local_date,
                    func.sum(sa.case((_open, 1), else_=0)).label("slots"),
                    func.sum(sa.case((_free_open, 1), else_=0)).label("free_slots"),
                    func.sum(sa.case((_open, Slot.capacity), else_=0)).label("capacity"),
                    func.max(sa.case((_free_open, 1), else_=0)).label("open_day"))
             .join(Venue, _by_venue).where(Slot.local_date.between(first, last))
             .group_by(Slot.venue_id, Slot.local_date).subquery("slot_days"))

    def status_count(*conditions):
        return func.coalesce(func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    ended = (sa.true(),) if settled else (Slot.ends_at <= now,)
    bookings = (select(Slot.venue_id, Slot.local_date,
                       status_count(Booking.status == BookingStatus.CONFIRMED, *ended)
                       .label("confirmed"),
                       status_count(Booking.status == BookingStatus.CHECKED_IN).label("checked_in"),
                       status_count(Booking.status == BookingStatus.NO_SHOW).label("no_show"))
                .select_from(Slot).join(Venue, _by_venue).join(Booking, Booking.slot_id == Slot.id)
                .where(Slot.local_date.between(first, last),
                       Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN,
                                           BookingStatus.NO_SHOW]))
                .group_by(Slot.venue_id, Slot.local_date).subquery("booking_days"))
    minutes = _free_minutes(first, last)
    same = lambda other: sa.and_(other.c.venue_id == slots.c.venue_id,  # noqa: E731
                                 other.c.local_date == slots.c.local_date)
    return (select(slots.c.venue_id.label("venue_id"), slots.c.local_date.label("day"),
                   slots.c.slots, slots.c.free_slots, slots.c.capacity,
                   func.coalesce(minutes.c.minutes, 0).label("free_open_minutes"), slots.c.open_day,
                   func.coalesce(bookings.c.confirmed, 0).label("bookings_confirmed"),
                   func.coalesce(bookings.c.checked_in, 0).label("bookings_checked_in"),
                   func.coalesce(bookings.c.no_show, 0).label("bookings_no_show"))
            .select_from(slots).outerjoin(bookings, same(bookings)).outerjoin(minutes, same(minutes)))


def latest_refresh() -> tuple[int | None, date | None]:
    """(id, through_day) of the latest rebuild or refresh, or (None, None). Asked once per request: a
    page reads many figures of the same settled state."""
    if has_request_context() and "stats_refresh" in g:
        return g.stats_refresh
    found = _read_latest_refresh()
    if has_request_context():
        g.stats_refresh = found
    return found


def _read_latest_refresh() -> tuple[int | None, date | None]:
    row = db.session.execute(select(StatsRefresh.id, StatsRefresh.through_day)
                             .order_by(StatsRefresh.finished_at.desc(), StatsRefresh.id.desc()).limit(1)).first()
    return (row.id, row.through_day) if row else (None, None)


def settled_through() -> date | None:
    """The last day whose supply is stored (by the latest rebuild or refresh), or None."""
    return latest_refresh()[1]


def settled_through_now() -> date | None:
    """``settled_through`` read afresh (not the request's copy): for writers deciding whether a day's
    stored rows must change with it (``rollups``)."""
    return _read_latest_refresh()[1]


def refresh_supply(first: date, last: date) -> int:
    """Recompute stored supply for the settled days ``first``..``last``. Returns the rows written."""
    db.session.execute(sa.delete(VenueDailySupply).where(VenueDailySupply.day.between(first, last)))
    query = supply_select(first, last, settled=True)
    db.session.execute(sa.insert(VenueDailySupply).from_select(["venue_id", "day", *SUPPLY_COLUMNS], query))
    return db.session.scalar(select(func.count()).select_from(VenueDailySupply)
                             .where(VenueDailySupply.day.between(first, last)))


def record_refresh(kind: str, through: date, started_at: datetime, rows: int) -> StatsRefresh:
    row = StatsRefresh(kind=kind, through_day=through, started_at=started_at, finished_at=utcnow(), rows=rows)
    db.session.add(row)
    db.session.flush()
    return row
