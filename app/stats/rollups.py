"""Attendance rollups: how admitted check-ins become ``venue_daily_stats`` and
``school_daily_visits``.

One mapping defines what an admitted check-in adds to each column (``_attendance_contributions``)
and one SELECT reads it (``attendance_select``). ``count_admission`` selects it for the one check-in
just admitted and adds the result to the day's row with an atomic upsert
(``INSERT … SELECT … ON CONFLICT DO UPDATE SET visits = visits + excluded.visits``), in the
check-in's own transaction: a refused or rolled-back scan counts nothing, two gates admitting at
once both count, and no worker keeps a tally in memory. ``rebuild`` sums the same contributions
per venue and day over every check-in, so a rebuild gives exactly what the live upserts gave.

**Late writes on settled days.** A refresh settles the days through yesterday: it stores their
supply and sums their attendance into the monthly rows, which the figures of whole months are read
from (``app.stats.sources``). An admission can still land on a settled day: a ticket of an overnight
visit scanned after midnight (it counts on its slot's date), an offline gate's batch, a walk-in
taken back just after midnight, a walk-in taken over by a ticket. So every change to the rollups
goes through ``count_admission`` / ``uncount_admission``, and when the check-in's day may be settled
(it is before today, a cheap comparison: at the gate a scan is of today), ``_on_settled_day`` keeps
the stored rows what a rebuild gives, in the same transaction: the day's rows, the month's attendance
row (the same contributions, keyed by month), and, for a ticket, the day's supply recomputed and
the difference added to the month's supply row. Writers take the settling lock shared and a refresh
takes it exclusive (``lock_settling``; PostgreSQL: an advisory transaction lock; SQLite has one
writer), so a late write either comes before a refresh and is in what it sums, or after and sees
the day settled.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from app.bookings.models import Booking
from app.checkin.models import AudienceGroup, CheckIn, CheckInKind, CheckInResult
from app.core import pg
from app.core.sql import constants_inline, placeholder, upsert
from app.core.time import to_local, utcnow
from app.extensions import db
from app.scheduling.models import Program, Slot
from app.stats.models import (GRADE_BANDS, SUPPLY_COLUMNS, SchoolDailyVisits, VenueDailyStats, VenueDailySupply,
                              VenueMonthlyStats, VenueMonthlySupply)
from app.stats.supply import settled_through_now, supply_select
from app.venues.models import Admission, Venue

_is_ticket = CheckIn.kind == CheckInKind.TICKET
_is_walk_in = CheckIn.kind == CheckInKind.WALK_IN
_is_group = CheckIn.students.isnot(None)  # the gate records students and adults for classes only


def _counted(condition, value=None):
    return sa.case((condition, value if value is not None else CheckIn.persons), else_=0)


def _attendance_contributions() -> dict:
    """What one admitted check-in adds to each column of its venue's day."""
    columns = {
        "visits": CheckIn.persons,
        "individual_visits": _counted(sa.and_(_is_ticket, ~_is_group)),
        "school_groups": _counted(_is_group, 1),
        "school_students": _counted(_is_group, CheckIn.students),
        "school_adults": _counted(_is_group, CheckIn.adults),
        "walk_ins": _counted(_is_walk_in),
        "walk_in_youth": _counted(sa.and_(_is_walk_in, CheckIn.audience_group == AudienceGroup.YOUTH)),
        "walk_in_adults": _counted(sa.and_(_is_walk_in, CheckIn.audience_group == AudienceGroup.ADULT)),
        "walk_in_seniors": _counted(sa.and_(_is_walk_in, CheckIn.audience_group == AudienceGroup.SENIOR)),
        "free_visits": _counted(sa.or_(sa.and_(_is_ticket, Slot.admission == Admission.FREE),
                                       sa.and_(_is_walk_in, Venue.admission == Admission.FREE))),
        "event_visits": _counted(sa.and_(_is_ticket, Program.themed_day_key.isnot(None))),
    }
    for band, low, high in GRADE_BANDS:
        in_band = sa.and_(_is_group, Booking.grade.between(low, high))
        columns[f"groups_{band}"] = _counted(in_band, 1)
        columns[f"students_{band}"] = _counted(in_band, CheckIn.students)
    return columns


def _labelled(contributions: dict, checkin) -> list:
    """The columns: one check-in's contributions, or (``checkin`` None) their sums."""
    if checkin is None:
        contributions = {name: func.coalesce(func.sum(value), 0) for name, value in contributions.items()}
    return [value.label(name) for name, value in contributions.items()]


def _one_or_grouped(query, checkin, *keys):
    return query.where(CheckIn.id == checkin) if checkin is not None else query.group_by(*keys)


def attendance_select(now=None, *, checkin=None):
    """Admitted check-ins summed per venue and day, as ``venue_daily_stats`` rows. ``now`` (the rows'
    ``updated_at``) is a time or a SQL expression such as a bound parameter.

    ``checkin`` (a SQL expression for a check-in's id) selects that one check-in's row: what it
    adds, the same as its sum over one row, without the aggregation PostgreSQL would set up anew on
    every scan."""
    updated_at = now if isinstance(now, sa.ColumnElement) else sa.literal(now or utcnow(), sa.DateTime)
    query = (select(CheckIn.venue_id.label("venue_id"), CheckIn.local_date.label("day"),
                    *_labelled(_attendance_contributions(), checkin), updated_at.label("updated_at"))
             .select_from(CheckIn)
             .join(Venue, Venue.id == CheckIn.venue_id)
             .outerjoin(Booking, Booking.id == CheckIn.booking_id)
             .outerjoin(Slot, Slot.id == Booking.slot_id)
             .outerjoin(Program, Program.id == Slot.program_id)
             .where(CheckIn.result == CheckInResult.OK))
    return _one_or_grouped(query, checkin, CheckIn.venue_id, CheckIn.local_date)


def school_select(*, checkin=None):
    """Admitted class visits summed per school, venue and day, as ``school_daily_visits`` rows;
    ``checkin`` as in ``attendance_select``."""
    contributions = {"groups": sa.literal(1), "partner_groups": _counted(Booking.is_partner.is_(True), 1),
                     "students": func.coalesce(CheckIn.students, 0), "adults": func.coalesce(CheckIn.adults, 0)}
    query = (select(Booking.school_id.label("school_id"), CheckIn.venue_id.label("venue_id"),
                    CheckIn.local_date.label("day"), *_labelled(contributions, checkin))
             .select_from(CheckIn)
             .join(Booking, Booking.id == CheckIn.booking_id)
             .where(CheckIn.result == CheckInResult.OK, _is_group, Booking.school_id.isnot(None)))
    return _one_or_grouped(query, checkin, Booking.school_id, CheckIn.venue_id, CheckIn.local_date)


def _adding_into(model, query, keys: tuple[str, ...]):
    """``INSERT INTO model SELECT …`` adding to the rows that exist (by ``keys``)."""
    names = [c.name for c in query.selected_columns]
    statement = upsert(model.__table__).from_select(names, query)
    table = model.__table__
    changes = {name: table.c[name] + statement.excluded[name] for name in names
               if name not in keys and name != "updated_at"}
    if "updated_at" in names:
        changes["updated_at"] = statement.excluded.updated_at
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)


@functools.cache
def _admission_upserts(dialect: str):
    """The two upserts of ``count_admission``, built once per process: they run in the gate's hot
    path, where building and compiling SQL per scan would cost more than the database work (see
    ``app/checkin/statements.py``). Each as SQLAlchemy text, and as psycopg's SQL (PostgreSQL
    sends it with the COMMIT, below).

    Their constants (0, 1, grade bands, kinds) are written into the SQL text, leaving two
    parameters, the check-in and the time. Bound, they were 67 parameters in 6.6 KB of SQL, which
    psycopg re-parses on every execution (it caches the parsing only for statements under 4 KB
    and 50 parameters): 1.7 million instructions per scan, a sixth of a whole check-in request.
    The text is still one prepared statement on the server."""
    one = placeholder("p_checkin")
    compiling = db.session.get_bind().dialect

    def as_text(statement, *parameters):
        text = constants_inline(statement, compiling, *parameters)
        return text, text.compile(dialect=compiling).string

    checkin, now = sa.bindparam("p_checkin", type_=sa.Integer), sa.bindparam("p_now", type_=sa.DateTime)
    return (as_text(_adding_into(VenueDailyStats, attendance_select(placeholder("p_now"), checkin=one),
                                 ("venue_id", "day")), checkin, now),
            as_text(_adding_into(SchoolDailyVisits, school_select(checkin=one), ("school_id", "venue_id", "day")),
                    checkin))


def count_admission(checkin) -> None:
    """Add one admitted check-in (ticket or walk-in) to the rollups, in the caller's transaction.

    ``checkin`` is a flushed ``CheckIn`` or the record the gate's hot path returns. Refusals count
    nothing; calling it twice for the same check-in counts it twice, so it is called once, where
    the admission is recorded (``checkin.services`` and ``checkin.walkins``).

    On PostgreSQL the upserts are deferred (``app.core.pg``): they run just before the
    transaction's next statement or, at the gate, are sent with its COMMIT, so the venue's day is
    locked only while PostgreSQL runs them and commits. Same transaction, same order either way.
    A check-in of a day that may be settled takes ``_on_settled_day`` instead (rare, not deferred).
    """
    if checkin.result != CheckInResult.OK or not checkin.persons:
        return
    if may_be_settled(checkin.local_date):
        _on_settled_day(checkin, 1)
        return
    venue_day, school_day = _admission_upserts(db.session.get_bind().dialect.name)
    upserts = [venue_day] + ([school_day] if checkin.students is not None and checkin.booking_id is not None
                             else [])
    params = {"p_checkin": checkin.id, "p_now": utcnow()}
    connection = pg.deferrable(db.session.connection())
    for statement, psycopg_sql in upserts:
        if connection is not None:
            connection.defer(psycopg_sql, params)  # a name the statement does not use is ignored
        else:
            db.session.execute(statement, params)


def uncount_admission(checkin: CheckIn) -> None:
    """Take back what ``count_admission`` added for ``checkin``, just before the check-in changes (a
    walk-in whose people a ticket now counts, or taken back): the same upserts, adding each figure
    negated, in the caller's transaction. Count it again once changed, so the rollups stay what a
    rebuild gives."""
    if checkin.result != CheckInResult.OK or not checkin.persons:
        return
    if may_be_settled(checkin.local_date):
        _on_settled_day(checkin, -1)
        return
    for model, query, keys in _targets(checkin, utcnow(), monthly=False):
        db.session.execute(_adding_into(model, _signed(query, -1, keys), keys))


# --- late writes on settled days ------------------------------------------------------------------

# A check-in is treated as possibly on a settled day when its day is before the local day of a
# moment slightly ahead: a scan decided at 23:59:59.9 and committed just after midnight, while a
# refresh settling that day starts, takes the lock like any late write.
LATE_MARGIN = timedelta(minutes=2)
# PostgreSQL advisory lock between late writes (shared) and refreshes (exclusive); any fixed number.
SETTLING_LOCK = 7_345_120_551


def may_be_settled(day: date | None) -> bool:
    """Whether a refresh may have settled ``day`` (it is before today): no database work."""
    return day is not None and day < to_local(utcnow() + LATE_MARGIN).date()


def lock_settling(*, exclusive: bool) -> None:
    """Take the settling lock for the rest of the transaction: exclusive for a refresh or rebuild (as
    its first statement, before it touches a row), shared for a late write. No-op on SQLite, where
    a writing transaction already excludes every other."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    db.session.execute(sa.text(f"SELECT {function}(:key)"), {"key": SETTLING_LOCK})


def _month(day: date) -> date:
    return day.replace(day=1)


def _targets(checkin, now, *, monthly: bool) -> list:
    """(model, one check-in's contributions, key columns) for each rollup the check-in adds to."""
    one = sa.literal(checkin.id, sa.Integer)
    targets = [(VenueDailyStats, attendance_select(now, checkin=one), ("venue_id", "day"))]
    if checkin.students is not None and checkin.booking_id is not None:
        targets.append((SchoolDailyVisits, school_select(checkin=one), ("school_id", "venue_id", "day")))
    if monthly:
        day = attendance_select(now, checkin=one).subquery()
        targets.append((VenueMonthlyStats,
                        select(day.c.venue_id, sa.literal(_month(checkin.local_date), sa.Date).label("month"),
                               *(c for c in day.c if c.name not in ("venue_id", "day", "updated_at"))),
                        ("venue_id", "month")))
    return targets


def _signed(query, sign: int, keys: tuple[str, ...]):
    """``query``'s rows with every figure multiplied by ``sign``."""
    added = query.subquery()
    return select(*(added.c[c.name] if c.name in keys or c.name == "updated_at" or sign == 1
                    else (-added.c[c.name]).label(c.name) for c in query.selected_columns)
                  ).where(sa.true())  # SQLite reads "ON CONFLICT" after a SELECT without WHERE as a join


def _on_settled_day(checkin, sign: int) -> None:
    """Count (``sign`` 1) or take back (-1) a check-in whose day may be settled: the daily rows as
    always, and when the latest refresh settled the day, the month's attendance row too and, for a
    ticket, the day's stored supply (its booking is now checked in) and the month's."""
    lock_settling(exclusive=False)
    settled = settled_through_now()
    on_settled_day = settled is not None and checkin.local_date <= settled
    for model, query, keys in _targets(checkin, utcnow(), monthly=on_settled_day):
        db.session.execute(_adding_into(model, _signed(query, sign, keys), keys))
    if on_settled_day and checkin.booking_id is not None and checkin.kind == CheckInKind.TICKET:
        resettle_supply(checkin.venue_id, checkin.local_date)


def resettle_supply_if_settled(venue_ids, day: date) -> None:
    """Bookings of ``day`` changed other than by an admission after a refresh may have settled it (no-shows
    marked late: ``bookings close-day`` run after ``stats refresh``, or for an older day): when the latest
    refresh settled the day, recompute the stored supply of each of ``venue_ids`` that day, and its
    month's. The caller took the settling lock (shared) before the change, as ``_on_settled_day`` does."""
    settled = settled_through_now()
    if settled is None or day > settled:
        return
    for venue_id in sorted(set(venue_ids)):  # one order for every writer: no deadlock between two
        resettle_supply(venue_id, day)


def resettle_supply(venue_id: int, day: date) -> None:
    """Recompute the stored supply of one settled venue-day from its slots and bookings, and add
    what changed to its month's row. The day's row is locked first: two late admissions of the
    venue's day recompute one after the other, the second seeing the first's booking."""
    daily, monthly = VenueDailySupply.__table__, VenueMonthlySupply.__table__
    key = sa.and_(daily.c.venue_id == venue_id, daily.c.day == day)
    db.session.execute(upsert(daily).values(venue_id=venue_id, day=day).on_conflict_do_nothing())
    old = db.session.execute(select(*(daily.c[c] for c in SUPPLY_COLUMNS)).where(key).with_for_update()).one()
    fresh = supply_select(day, day, settled=True).subquery()
    new = db.session.execute(select(*(fresh.c[c] for c in SUPPLY_COLUMNS))
                             .where(fresh.c.venue_id == venue_id)).first()
    new = dict(zip(SUPPLY_COLUMNS, new or (0,) * len(SUPPLY_COLUMNS)))
    change = {c: int(new[c]) - int(getattr(old, c)) for c in SUPPLY_COLUMNS}
    if not any(change.values()):
        return
    db.session.execute(sa.update(daily).where(key).values(**new))
    statement = upsert(monthly).values(venue_id=venue_id, month=_month(day), **change)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["venue_id", "month"], set_={c: monthly.c[c] + statement.excluded[c] for c in SUPPLY_COLUMNS}))


def rebuild_attendance(first, last) -> int:
    """Recompute both attendance rollups for local days ``first``..``last`` from the raw check-ins.
    Returns the number of venue-day rows written."""
    in_range = CheckIn.local_date.between(first, last)
    db.session.execute(sa.delete(VenueDailyStats).where(VenueDailyStats.day.between(first, last)))
    db.session.execute(sa.delete(SchoolDailyVisits).where(SchoolDailyVisits.day.between(first, last)))
    query = attendance_select().where(in_range)
    names = [c.name for c in query.selected_columns]
    db.session.execute(sa.insert(VenueDailyStats).from_select(names, query))
    schools = school_select().where(in_range)
    db.session.execute(sa.insert(SchoolDailyVisits).from_select([c.name for c in schools.selected_columns],
                                                                 schools))
    # Counted afterwards: drivers disagree on the rowcount of INSERT … SELECT.
    return db.session.scalar(select(func.count()).select_from(VenueDailyStats)
                             .where(VenueDailyStats.day.between(first, last)))


def checkin_date_range():
    """(first, last) local days of admitted check-ins, or (None, None)."""
    return db.session.execute(select(func.min(CheckIn.local_date), func.max(CheckIn.local_date))
                              .where(CheckIn.result == CheckInResult.OK)).one()
