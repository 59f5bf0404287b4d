"""Every figure of a period in one SQL statement.

Two cubes hold the period's rows of the filtered venues (``app.stats.sources``: one per venue and
settled month, or per venue and day): attendance and supply. One ``UNION ALL`` sums them along each
dimension a page needs —
the whole period, months, districts, venue types, operators, venues — and counts the venues that
were open. The database does all the arithmetic; Python only files the rows by dimension.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from redis import RedisError
from sqlalchemy import func, select

from app.core.redis import client as redis_client
from app.core.sql import constants_inline, placeholder
from app.core.time import local_today, utcnow
from app.extensions import db
from app.stats.filters import StatsFilters
from app.stats.models import SUPPLY_COLUMNS
from app.stats.sources import (ATTENDANCE, TYPES, attendance_parts, attendance_union, part_params, supply_parts,
                               supply_union)
from app.stats.supply import latest_refresh, settled_through
from app.venues.models import Venue, VenueTheme, district_on, ever_in_district

ALL = ("total", "month", "district", "type", "operator", "venue")
# The public dashboard's: every dimension, and its themed-day section (``themed``, from ``app.stats.events``).
DASHBOARD = ALL + ("themed",)
COLUMNS = ATTENDANCE + SUPPLY_COLUMNS  # every figure, in the statement's order
# What each dimension is drawn with: only these are summed there (the rest of its row is 0).
MONTH_PEOPLE = ("visits", "individual_visits", "school_groups", "school_students", "school_adults", "walk_ins")
MONTH_PLACES = ("capacity", "bookings_confirmed", "bookings_checked_in", "bookings_no_show")
VENUE_PEOPLE = ("visits", "school_groups")
VENUE_PLACES = ("slots", "open_day", "free_open_minutes", "capacity")
FILTERS = {  # parameter name: (its condition on a venue, the filters' attribute, the parameter's type)
    # The venue's district now: for the register (approved venues). A row's figures count for the
    # district of its venue on the row's day (``_row_conditions``).
    "district": (lambda p: Venue.district_code == p, "district", Venue.district_code.type),
    "venue_id": (lambda p: Venue.id == p, "venue_id", Venue.id.type),
    "venue_type": (lambda p: Venue.venue_type == p, "venue_type", Venue.venue_type.type),
    "operator_kind": (lambda p: Venue.operator_kind == p, "operator_kind", Venue.operator_kind.type),
    "theme": (lambda p: Venue.id.in_(select(VenueTheme.venue_id).where(VenueTheme.name == p)), "theme",
              VenueTheme.name.type),
}


def _filter_values(filters: StatsFilters) -> dict:
    return {name: getattr(filters, attr) for name, (_, attr, _) in FILTERS.items() if getattr(filters, attr)}


def venue_conditions(filters: StatsFilters) -> list:
    """The filters as conditions on ``Venue``, values bound in."""
    return [FILTERS[name][0](sa.bindparam(name, value)) for name, value in _filter_values(filters).items()]


@dataclass
class Figures:
    """Sums by dimension: each value a dict of column → int (attendance and supply columns)."""

    total: dict = field(default_factory=dict)
    venues_open: int = 0
    month: dict = field(default_factory=dict)  # "YYYY-MM"
    district: dict = field(default_factory=dict)  # district code
    type: dict = field(default_factory=dict)  # venue type value
    operator: dict = field(default_factory=dict)  # operator kind value
    venue: dict = field(default_factory=dict)  # venue id
    themed: dict = field(default_factory=dict)  # themed day key: its events' sums (``events.themed_days``)


def _row_conditions(source, filter_names: tuple[str, ...], bind) -> list:
    """The filters on a source's rows: on their venue, except the district, which is the venue's on
    the row's day (a month's row: its first day), so a venue that moved keeps its past where it was."""
    conditions = []
    for name in filter_names:
        condition, _, type_ = FILTERS[name]
        value = bind(name, type_)
        if name == "district":
            conditions += [ever_in_district(value), district_on(source.c.venue_id, source.c.day) == value]
        else:
            conditions.append(condition(value))
    return conditions


def _cube(source, filter_names: tuple[str, ...], bind, columns: tuple[str, ...], name: str, district: bool = False):
    """The period's rows of the filtered venues (with ``district``: the district each row counts
    for). Rows are already one per venue and month or day, so no grouping is needed here; each
    dimension groups them once."""
    extra = [district_on(source.c.venue_id, source.c.day).label("district")] if district else []
    return (select(source.c.venue_id.label("venue_id"), source.c.day.label("day"), *(source.c[c] for c in columns),
                   *extra)
            .select_from(source).join(Venue, Venue.id == source.c.venue_id)
            .where(*_row_conditions(source, filter_names, bind)).cte(name))


def _year_month(cube):
    return sa.cast(sa.extract("year", cube.c.day) * sa.literal_column("100") + sa.extract("month", cube.c.day), sa.Integer)


def _branch(dim: str, cube, columns: tuple[str, ...], key_num=None, key_text=None, group_by=(), join_venue=False):
    """One dimension's sums, with every attendance and supply column (zeros for the other cube's)."""
    sums = [func.coalesce(func.sum(cube.c[c]), 0).label(c) if c in columns else sa.literal(0).label(c)
            for c in COLUMNS]
    query = select(sa.literal(dim).label("dim"),
                   (key_num if key_num is not None else sa.cast(sa.null(), sa.Integer)).label("key_num"),
                   (key_text if key_text is not None else sa.cast(sa.null(), sa.String)).label("key_text"),
                   *sums).select_from(cube)
    if join_venue:
        query = query.join(Venue, Venue.id == cube.c.venue_id)
    return query.group_by(*group_by) if group_by else query


@lru_cache(maxsize=256)
def _statement(people_parts: tuple[str, ...], places_parts: tuple[str, ...], filter_names: tuple[str, ...],
               dims: tuple[str, ...], dialect: str) -> sa.TextClause:
    """The statement for one shape of period, filters and dimensions, as SQL text with its constants
    written in (``constants_inline``); the dates, filters and time are bound at execution.
    Built once per shape, dialect (the session's, named in the key) and process: building it costs
    more than running it."""
    types = {}  # each parameter left in the text, with the type that converts its value

    def bind(name, type_=None):
        types.setdefault(name, type_ or TYPES.get(name, sa.Date()))
        return placeholder(name)

    people = _cube(attendance_union(people_parts, bind), filter_names, bind, ATTENDANCE, "people",
                   district="district" in dims)
    places = _cube(supply_union(places_parts, bind), filter_names, bind, SUPPLY_COLUMNS, "places")
    branches = [_branch("total", people, ATTENDANCE), _branch("total", places, SUPPLY_COLUMNS)]
    open_venues = sa.union(select(people.c.venue_id).where(people.c.visits > 0),
                           select(places.c.venue_id).where(places.c.slots > 0)).subquery("open_venues")
    branches.append(select(sa.literal("venues_open").label("dim"), func.count().label("key_num"),
                           sa.cast(sa.null(), sa.String).label("key_text"),
                           *(sa.literal(0).label(c) for c in COLUMNS)).select_from(open_venues))
    if "month" in dims:
        for cube, columns in ((people, MONTH_PEOPLE), (places, MONTH_PLACES)):
            branches.append(_branch("month", cube, columns, key_num=_year_month(cube), group_by=(_year_month(cube),)))
    if "district" in dims:
        branches.append(_branch("district", people, ("visits",), key_text=people.c.district,
                                group_by=(people.c.district,)))
    for dim, column in (("type", sa.cast(Venue.venue_type, sa.String)),
                        ("operator", sa.cast(Venue.operator_kind, sa.String))):
        if dim in dims:
            branches.append(_branch(dim, people, ("visits",), key_text=column, group_by=(column,), join_venue=True))
    if "venue" in dims:
        for cube, columns in ((people, VENUE_PEOPLE), (places, VENUE_PLACES)):
            branches.append(_branch("venue", cube, columns, key_num=cube.c.venue_id, group_by=(cube.c.venue_id,)))
    return constants_inline(sa.union_all(*branches), db.session.get_bind().dialect,
                            *(sa.bindparam(name, type_=type_) for name, type_ in types.items()))


class _Recent:
    """The figures computed in the last ``STATS_CACHE_SECONDS`` (default 30; 0 turns it off). A
    public dashboard may be half a minute behind the gates; a rebuild or refresh (part of the key)
    is seen at once.

    With ``REDIS_URL`` the copies live in Redis, so every worker on every machine serves the same
    figures and computes them once per half minute between them; without it (one process: `make
    run`) they live in this process. If Redis is away, figures are computed for each request."""

    def __init__(self, size: int = 256):
        self.size, self.lock, self.items = size, threading.Lock(), {}

    def get(self, key):
        url = current_app.config.get("REDIS_URL")
        if url:
            try:
                raw = redis_client(url).get(self._name(key))
            except RedisError:
                return None
            return _from_json(raw) if raw else None
        with self.lock:
            found = self.items.get(key)
        return found[1] if found and found[0] > time.monotonic() else None

    def put(self, key, value: "Figures", seconds: float) -> None:
        url = current_app.config.get("REDIS_URL")
        if url:
            try:
                redis_client(url).set(self._name(key), json.dumps(dataclasses.asdict(value)),
                                      px=max(1, int(seconds * 1000)))
            except RedisError:
                pass
            return
        with self.lock:
            if len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            self.items[key] = (time.monotonic() + seconds, value)

    def clear(self) -> None:
        url = current_app.config.get("REDIS_URL")
        if url:
            client = redis_client(url)
            for name in client.scan_iter(f"{self._name('')[:-64]}*"):
                client.delete(name)
        with self.lock:
            self.items.clear()

    def _name(self, key) -> str:
        # The key's parts (filters, dimensions, refresh time, day) print the same in every process.
        prefix = current_app.config.get("REDIS_KEY_PREFIX", "scivisit")
        return f"{prefix}:stats:figures:{hashlib.sha256(repr(key).encode()).hexdigest()}"


def _from_json(raw: bytes) -> "Figures":
    found = Figures(**json.loads(raw))
    found.venue = {int(k): v for k, v in found.venue.items()}  # JSON keys are strings; venue ids are not
    return found


RECENT = _Recent()


def cache_seconds() -> float:
    """``STATS_CACHE_SECONDS`` (config.py: 30, 0 under test; a value that is no number of seconds
    stops the start)."""
    return current_app.config["STATS_CACHE_SECONDS"]


def figures(filters: StatsFilters, dims: tuple[str, ...] = ALL) -> Figures:
    """The period's sums along ``dims`` (some of ``ALL``), in one statement (or from the last half
    minute's)."""
    seconds = cache_seconds()
    if not seconds:
        return compute(filters, dims)
    key = (filters, dims, latest_refresh(), local_today())
    found = RECENT.get(key)
    if found is None:
        found = compute(filters, dims)
        RECENT.put(key, found, seconds)
    return found


def themed_conditions(filters: StatsFilters) -> list:
    """The filters as conditions on a themed event's sessions (``Slot`` with its ``Venue``): as on the
    cubes' rows, a session counts for the district of its venue on its day; venues that were ever on
    the register, as the published events (``opendata``)."""
    from app.scheduling.models import Slot
    from app.venues.services import ever_registered

    conditions = [ever_registered()]
    for name, value in _filter_values(filters).items():
        if name == "district":
            conditions += [ever_in_district(value), district_on(Slot.venue_id, Slot.local_date) == value]
        else:
            conditions.append(FILTERS[name][0](sa.bindparam(f"themed_{name}", value)))
    return conditions


def compute(filters: StatsFilters, dims: tuple[str, ...] = ALL) -> Figures:
    """The period's sums along ``dims``, from the database; ``themed`` in a second statement."""
    result = Figures(total=dict.fromkeys(COLUMNS, 0))
    if filters.through < filters.first:
        return result
    if "themed" in dims:
        from app.stats import events

        result.themed = events.themed_days(filters.first, filters.through, *themed_conditions(filters))
    settled = settled_through()
    people = attendance_parts(filters.first, filters.through, settled)
    places = supply_parts(filters.first, filters.through, settled)
    values = _filter_values(filters)
    statement = _statement(tuple(k for k, _, _ in people), tuple(k for k, _, _ in places), tuple(values), dims,
                           db.session.get_bind().dialect.name)
    params = {**part_params(people, "a"), **part_params(places, "s"), **values, "now": utcnow()}
    for dim, key_num, key_text, *sums in db.session.execute(statement, params):
        if dim == "venues_open":
            result.venues_open = int(key_num or 0)
            continue
        if dim == "total":
            target = result.total
        else:
            key = key_num if key_text is None else key_text
            if dim == "month":
                key = f"{int(key) // 100:04d}-{int(key) % 100:02d}"
            target = getattr(result, dim).setdefault(key, dict.fromkeys(COLUMNS, 0))
        for column, value in zip(COLUMNS, sums):
            if value:  # a branch sums a few columns; the rest of its row is 0
                target[column] += int(value)
    return result
