"""The yearly evaluation (绩效考评): venues scored on indicators with weights the city admin sets.

Each indicator turns a venue's figure for the year into points by tiers (from
``statistics_indicators.md``: open days ≥300/≥250/≥200, visitors ≥30k/10k/1k, free or discounted
visits ≥3,000/1,500/500, at least 10 themed activities; the school-group tiers are SciVisit's own),
and the score is the weighted mean of the points, 0–100. A weight of 0 leaves an indicator out.

Weights belong to a year, so that setting them never rescores another year: a year without its own is
scored with the most recent earlier year's, else the defaults. A year that is over is still open to
change, since its review happens in the next year, but only when the city admin confirms it, and a
later year that is over keeps the weights it was scored with.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from app.accounts.models import Role
from app.core.errors import DomainError
from app.core.sql import upsert
from app.core.time import local_today, utcnow
from app.districts.models import District
from app.extensions import db
from app.scheduling.models import Program, Slot, SlotStatus
from app.stats.events import held_sessions
from app.stats.filters import year_filters
from app.stats.models import EvaluationWeight
from app.stats.sources import attendance_source, supply_source
from app.venues.models import Venue

POINTS = (100, 75, 50, 25)


@dataclass(frozen=True)
class Indicator:
    key: str
    label: object
    default_weight: int
    tiers: tuple[int, ...]  # lower bounds for 100, 75, 50 (and 25 when four are given) points

    def points(self, value: int) -> int:
        if value <= 0:
            return 0
        for bound, points in zip(self.tiers, POINTS):
            if value >= bound:
                return points
        return POINTS[len(self.tiers)] if len(self.tiers) < len(POINTS) else 0


INDICATORS = (
    Indicator("open_days", _l("Free-open days"), 25, (300, 250, 200, 1)),
    Indicator("visits", _l("Visits"), 25, (30000, 10000, 1000, 1)),
    Indicator("free_visits", _l("Free-open visits"), 20, (3000, 1500, 500, 1)),
    Indicator("school_groups", _l("School groups"), 20, (100, 50, 20, 1)),
    Indicator("events", _l("Themed event sessions"), 10, (10, 5, 1)),
)
BY_KEY = {i.key: i for i in INDICATORS}


def _role(user):
    return user.role if getattr(user, "is_authenticated", False) else None


def can_evaluate(user) -> bool:
    """Only the city admin sets the weights."""
    return _role(user) == Role.CITY_ADMIN


def can_view_evaluation(user) -> bool:
    """The city admin sees every venue's scores; a district admin their district's, read only."""
    return _role(user) in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def can_view_venue_evaluation(user, venue: Venue) -> bool:
    """A venue's manager sees their own venue's score, and no other venue's."""
    return _role(user) == Role.VENUE_MANAGER and user.venue_id == venue.id


@dataclass(frozen=True)
class Weights:
    """The weights ``year`` is scored with and whose they are: the year's own (``source_year`` is
    ``year``), an earlier year's that it inherits, or the defaults (``source_year`` None). A source year
    that only ``kept`` the weights it was scored with names where they came from: ``kept_from_year``,
    or the defaults (None)."""

    year: int
    values: dict[str, float]
    source_year: int | None = None
    set_at: datetime | None = None  # when the source year's weights were last saved, or set if kept (UTC)
    kept: bool = False
    kept_from_year: int | None = None

    @property
    def inherited(self) -> bool:
        return self.source_year is not None and self.source_year != self.year


def default_weights() -> dict[str, float]:
    return {i.key: float(i.default_weight) for i in INDICATORS}


def is_over(year: int) -> bool:
    """A year that is over may have had its review published on its scores."""
    return year < local_today().year


def weights(year: int) -> Weights:
    """The weights ``year`` is scored with: its own, else the most recent earlier year's, else the defaults."""
    source = db.session.scalar(select(func.max(EvaluationWeight.year)).where(EvaluationWeight.year <= year))
    if source is None:
        return Weights(year, default_weights())
    rows = db.session.execute(select(EvaluationWeight.indicator, EvaluationWeight.weight, EvaluationWeight.updated_at,
                                     EvaluationWeight.kept, EvaluationWeight.kept_from_year)
                              .where(EvaluationWeight.year == source)).all()
    stored = {r.indicator: float(r.weight) for r in rows}
    return Weights(year, {i.key: stored.get(i.key, float(i.default_weight)) for i in INDICATORS}, source,
                   max(r.updated_at for r in rows), rows[0].kept, rows[0].kept_from_year)


def save_weights(admin, year: int, values: dict, *, past_year_confirmed: bool = False) -> int | None:
    """Store ``year``'s weights (0–100 each, not all zero): its scores change, and those of the years
    after it that inherit them, but a year after it that is over keeps the weights it was scored with
    (``_keep_the_year_after``; that year is returned, else None). A year that is over changes only
    with ``past_year_confirmed``. Raises DomainError naming the field at fault."""
    if not can_evaluate(admin):
        raise DomainError("forbidden", _l("Only the city admin sets the evaluation weights."), status=403)
    if year > local_today().year:
        raise DomainError("future_year", _l("Set the weights of a year once it has begun."))
    clean = {}
    for indicator in INDICATORS:
        raw = str(values.get(indicator.key, "")).strip()
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise DomainError("invalid_weight", _l("Give a number from 0 to 100."), field=indicator.key) from None
        if not number.is_finite() or not 0 <= number <= 100:
            raise DomainError("invalid_weight", _l("Give a number from 0 to 100."), field=indicator.key)
        if number != number.quantize(Decimal("0.1")):  # stored to 0.1: 0.04 would silently become 0
            raise DomainError("invalid_weight", _l("Give the weight to one decimal place at most, e.g. 12.5."),
                              field=indicator.key)
        clean[indicator.key] = number.quantize(Decimal("0.1"))
    if not any(clean.values()):
        raise DomainError("all_weights_zero", _l("At least one indicator needs a weight above 0."),
                          field=INDICATORS[0].key)
    if is_over(year) and not past_year_confirmed:
        raise DomainError("past_year_not_confirmed",
                          _l("%(year)s is over: confirm that its scores change, or leave its weights as they are.",
                             year=year), field="confirm_past_year")
    now = utcnow()
    kept = _keep_the_year_after(admin, year, now)
    # An upsert: two saves at the same moment (a double click, two admins) of a year without rows would
    # both insert; the one that writes last wins, as it would had they come one after the other.
    statement = upsert(EvaluationWeight.__table__).values(
        [{"year": year, "indicator": key, "weight": weight, "updated_at": now, "updated_by_id": admin.id,
          "kept": False, "kept_from_year": None} for key, weight in clean.items()])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["year", "indicator"],
        set_={name: statement.excluded[name]
              for name in ("weight", "updated_at", "updated_by_id", "kept", "kept_from_year")}))
    db.session.expire_all()
    return kept


def _keep_the_year_after(admin, year: int, now: datetime) -> int | None:
    """Give the year after ``year`` the weights it has been scored with, when it is over and has none of
    its own: it would otherwise follow ``year``'s new ones, and its review change after the fact."""
    following = year + 1
    if not is_over(following) or db.session.scalar(select(exists().where(EvaluationWeight.year == following))):
        return None
    source_year = weights(following).source_year
    if source_year is None:
        kept = [{"indicator": key, "weight": Decimal(str(weight)), "updated_at": now, "updated_by_id": admin.id,
                 "kept_from_year": None} for key, weight in default_weights().items()]
    else:  # a source that itself kept its weights passes on where they came from
        source = db.session.scalars(select(EvaluationWeight).where(EvaluationWeight.year == source_year)).all()
        kept = [{"indicator": row.indicator, "weight": row.weight, "updated_at": row.updated_at,
                 "updated_by_id": row.updated_by_id,
                 "kept_from_year": row.kept_from_year if row.kept else source_year} for row in source]
    # Someone else's save may have just kept them, or set the year's own: theirs stand.
    db.session.execute(upsert(EvaluationWeight.__table__)
                       .values([{**row, "year": following, "kept": True} for row in kept])
                       .on_conflict_do_nothing(index_elements=["year", "indicator"]))
    return following


def _evaluated_venues(year: int, district_code: str | None = None, venue_id: int | None = None):
    """``(Venue, District)``: the venues that were on the register in ``year``, as the annual reports
    count them (one approved later is not scored 0 for it, one suspended since is still scored for the
    year it operated), each with the district its year counts for; of one district, or one venue."""
    from app.stats.reports import district_of_year, registered_in  # reports imports the forms, which import this module

    district = district_of_year(year)
    query = (select(Venue, District).select_from(Venue).outerjoin(District, District.code == district)
             .where(registered_in(year)))
    if district_code is not None:
        query = query.where(district == district_code)
    if venue_id is not None:
        query = query.where(Venue.id == venue_id)
    return query


def venue_indicators(year: int, venue_ids) -> dict[int, dict[str, int]]:
    """The indicator figures for ``year`` of each of ``venue_ids`` (SQL aggregates, grouped by venue)."""
    filters = year_filters(year)
    first, through = filters.first, filters.through
    figures: dict[int, dict[str, int]] = {venue_id: {i.key: 0 for i in INDICATORS} for venue_id in venue_ids}
    if through < first or not figures:
        return figures
    a = attendance_source(first, through)
    for venue_id, visits, free_visits, groups in db.session.execute(
            select(a.c.venue_id, func.sum(a.c.visits), func.sum(a.c.free_visits), func.sum(a.c.school_groups))
            .group_by(a.c.venue_id)):
        if venue_id in figures:
            figures[venue_id].update(visits=int(visits), free_visits=int(free_visits), school_groups=int(groups))
    supply = supply_source(first, through)
    for venue_id, open_days in db.session.execute(
            select(supply.c.venue_id, func.sum(supply.c.open_day)).group_by(supply.c.venue_id)):
        if venue_id in figures:
            figures[venue_id]["open_days"] = int(open_days)
    for venue_id, sessions in db.session.execute(  # sessions held, as the dashboard counts them
            select(Slot.venue_id, func.count(Slot.id)).join(Program, Program.id == Slot.program_id)
            .where(Program.themed_day_key.isnot(None), Slot.status == SlotStatus.OPEN,
                   Slot.local_date.between(first, through), held_sessions(utcnow())).group_by(Slot.venue_id)):
        if venue_id in figures:
            figures[venue_id]["events"] = int(sessions)
    return figures


def evaluation(year: int, district_code: str | None = None) -> dict:
    """The evaluation table: venues (of one district, or all) with their figures, points and score, best
    first. A venue's score depends on its own figures only, so a district's table scores as the city's."""
    return _table(year, _evaluated_venues(year, district_code))


def venue_evaluation(venue: Venue, year: int) -> dict:
    """``venue``'s evaluation for ``year``, as the city admin's table scores it, without the other
    venues': ``row`` is None when the venue was not on the register in ``year`` (not evaluated)."""
    table = _table(year, _evaluated_venues(year, venue_id=venue.id))
    return {**table, "venue": venue, "row": table["rows"][0] if table["rows"] else None}


def _table(year: int, venues_query) -> dict:
    applied = weights(year)
    current = applied.values
    total_weight = sum(current.values()) or 1
    venues = {venue.id: (venue, district) for venue, district in db.session.execute(venues_query)}
    rows = []
    for venue_id, figures in venue_indicators(year, venues).items():
        venue, district = venues[venue_id]
        points = {key: BY_KEY[key].points(value) for key, value in figures.items()}
        score = _tenths(sum(current[key] * points[key] for key in points) / total_weight)
        # ``named``: what the row is shown as; live, the venue's current names (a published row, its names then)
        rows.append({"venue": venue, "named": venue, "district": district, "figures": figures, "points": points,
                     "score": score})
    rows.sort(key=lambda r: (-r["score"], r["venue"].name_zh))
    return {"year": year, "weights": current, "applied": applied, "indicators": INDICATORS, "rows": rows,
            "partial": year == local_today().year, "over": is_over(year)}


def _tenths(score: float) -> Decimal:
    """A score to one decimal, half up (四舍五入), as a reviewer rounds by hand: float's round() sends
    56.25 to 56.2. The mean is first cut to 9 places, so float noise (56.2499999…) does not decide."""
    return Decimal(repr(round(score, 9))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def accreditations_due(today: date | None = None, days: int = 90):
    from app.venues.services import expiring_accreditations

    return expiring_accreditations(today or local_today(), days)
