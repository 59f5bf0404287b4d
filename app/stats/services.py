"""The figures as people read them: totals, the API's summary and the dashboard's breakdowns, all
built from the SQL sums of ``app.stats.figures`` (one statement per page), filtered the same way
for the dashboard, its data links, the API and the venue page.

Persons are counted on the day of the visit (Asia/Shanghai). Nothing after today is counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.i18n import localized
from app.districts.models import District
from app.extensions import db
from app.stats.figures import ATTENDANCE, DASHBOARD, Figures, figures, venue_conditions
from app.stats.filters import StatsFilters, year_filters
from app.stats.models import GRADE_BANDS, SUPPLY_COLUMNS
from app.venues.models import OperatorKind, Venue, VenueStatus, VenueType, district_on
from app.venues.services import ever_registered

MANAGEMENT_AREA = "management_area"  # Jiangbei New Area: shown apart, never added to the districts
# The rule of app.venues.models.district_on, as the pages that show figures by district state it.
DISTRICT_OF_A_MONTH = _l("A venue’s figures count for the district it was registered in on the first day of each "
                         "month: a venue that moves counts for its new district from the next month. Each approved "
                         "venue is counted once, in the district it counted for in the period’s last month.")
BAND_LABELS = {"k": _l("Kindergarten"), "g1_3": _l("Grades 1–3"), "g4_6": _l("Grades 4–6"),
               "g7_9": _l("Grades 7–9"), "g10_12": _l("Grades 10–12")}


def _ratio(part, whole, digits: int = 4):
    return round(part / whole, digits) if whole else None


def ticket_visits(row) -> int:
    """Persons admitted on bookings (individual and class), the part of visits that used capacity."""
    return row["individual_visits"] + row["school_students"] + row["school_adults"]


# --- totals ---------------------------------------------------------------------------------------

def derived(sums: dict, venues_open: int = 0) -> dict:
    """The period's sums with the figures built from them: bookings, rates, hours."""
    result = dict(sums)
    bookings = sums["bookings_confirmed"] + sums["bookings_checked_in"] + sums["bookings_no_show"]
    result.update(
        venues=venues_open, bookings=bookings, no_shows=sums["bookings_no_show"], open_days=sums["open_day"],
        capacity_offered=sums["capacity"], free_open_hours=round(sums["free_open_minutes"] / 60, 1),
        ticket_visits=ticket_visits(sums), utilisation=_ratio(ticket_visits(sums), sums["capacity"]),
        no_show_rate=_ratio(sums["bookings_no_show"], bookings),
    )
    return result


def totals(filters: StatsFilters, found: Figures | None = None) -> dict:
    """Every total of the period: attendance, grade bands, supply, and the rates derived from them."""
    found = found or figures(filters, dims=("total",))
    return derived(found.total, found.venues_open)


def summary(filters: StatsFilters) -> dict:
    """The API's summary: the totals under the names PRODUCT.md and the OpenAPI document give."""
    t = totals(filters)
    through = filters.counted_through
    return {
        "from": filters.first.isoformat(), "to": filters.last.isoformat(),
        "through": through.isoformat() if through else None,
        "district": filters.district, "venue": filters.venue_id,
        "visits": t["visits"], "bookings": t["bookings"], "school_groups": t["school_groups"],
        "students": t["school_students"], "adults_with_groups": t["school_adults"],
        "individual_visits": t["individual_visits"], "walk_ins": t["walk_ins"],
        "walk_ins_by_group": {"youth": t["walk_in_youth"], "adult": t["walk_in_adults"],
                              "senior": t["walk_in_seniors"]},
        "free_visits": t["free_visits"], "event_visits": t["event_visits"],
        "venues": t["venues"], "open_days": t["open_days"], "free_open_hours": t["free_open_hours"],
        "capacity_offered": t["capacity_offered"], "utilisation": t["utilisation"],
        "no_shows": t["no_shows"], "no_show_rate": t["no_show_rate"],
    }


# --- venues by district ----------------------------------------------------------------------------

def district_of_period(through: date):
    """SQL, on ``Venue``: the one district a venue counts for over a period ending ``through``: the
    one its figures count for in the period's last month (``district_on``)."""
    return district_on(Venue.id, through.replace(day=1))


def venues_by_district(filters: StatsFilters):
    """A subquery (``code``, ``venues``): the venues of the filters on the register, each counted once,
    in its ``district_of_period``. That is the approved ones, and those that have moved from there
    since, whatever their status now (in review in their new district): they were on the register
    where their figures of the period count."""
    counted_in = district_of_period(filters.through)
    on_register = sa.or_(Venue.status == VenueStatus.APPROVED,
                         sa.and_(counted_in != Venue.district_code, ever_registered()))
    # The district filter names where the venue counted (the caller keeps that district's row), not where it is now.
    return (select(counted_in.label("code"), func.count(Venue.id).label("venues"))
            .where(on_register, *venue_conditions(replace(filters, district=None)))
            .group_by(counted_in).subquery("venues_by_district"))


# --- breakdowns -----------------------------------------------------------------------------------

@dataclass
class Column:
    key: str
    label: object
    kind: str = "int"  # int | num | pct | text


@dataclass
class Breakdown:
    """A chart's data: what the dashboard draws, tabulates and offers as CSV/JSON."""

    key: str
    title: object
    columns: list[Column]
    rows: list[dict]
    label: str  # the column naming each bar
    value: str  # the column drawn
    notes: list = field(default_factory=list)


MONTH_FIGURES = ("visits", "individual_visits", "school_groups", "school_students", "school_adults", "walk_ins")


def months_of(first: date, last: date) -> list[str]:
    keys, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _found(filters: StatsFilters, found: Figures | None, *dims: str) -> Figures:
    return found if found is not None else figures(filters, dims=dims)


def by_month(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    found = _found(filters, found, "month")
    data = []
    for key in months_of(filters.first, filters.through):
        sums = found.month.get(key, {})
        data.append({"month": key, **{c: sums.get(c, 0) for c in MONTH_FIGURES}})
    return month_breakdown(data)


def month_breakdown(rows: list[dict]) -> Breakdown:
    """The chart of visits by month over ``rows`` (a ``month`` key and the ``MONTH_FIGURES``): also
    how an annual report as filed shows the months it kept."""
    return Breakdown("months", _l("Visits by month"), [
        Column("month", _l("Month"), "text"), Column("visits", _l("Visits")),
        Column("individual_visits", _l("Individual visitors")), Column("school_groups", _l("School groups")),
        Column("school_students", _l("Students")), Column("school_adults", _l("Accompanying adults")),
        Column("walk_ins", _l("Walk-ins"))], rows, "month", "visits")


def by_district(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    """Visits per district, absolute and per 10,000 residents; Jiangbei New Area apart, after them."""
    found = _found(filters, found, "district")
    venue_count = venues_by_district(filters)
    query = (select(District.code, District.name_zh, District.name_en, District.kind, District.population_10k,
                    func.coalesce(venue_count.c.venues, 0).label("venues"))
             .outerjoin(venue_count, venue_count.c.code == District.code)
             .order_by(sa.case((District.kind == MANAGEMENT_AREA, 1), else_=0), District.code))
    if filters.district:
        query = query.where(District.code == filters.district)
    rows = []
    for r in db.session.execute(query):
        visits = found.district.get(r.code, {}).get("visits", 0)
        rows.append({"district": r.code, "name": localized(r, "name"), "visits": visits,
                     "per_10k": round(visits / float(r.population_10k), 2) if r.population_10k else None,
                     "venues": int(r.venues), "management_area": r.kind == MANAGEMENT_AREA})
    return Breakdown("districts", _l("Visits by district"), [
        Column("name", _l("District"), "text"), Column("visits", _l("Visits")),
        Column("per_10k", _l("Visits per 10,000 residents"), "num"), Column("venues", _l("Approved venues"))],
        rows, "name", "visits",
        notes=[_l("Jiangbei New Area’s directly administered area overlaps Pukou and Luhe: it is shown "
                  "separately and never added to the districts."), DISTRICT_OF_A_MONTH])


def _by_enum(sums: dict, enum_cls, key: str, title, label) -> Breakdown:
    data = [{key: member.value, "name": str(member.label), "visits": sums.get(member.value, {}).get("visits", 0)}
            for member in enum_cls]
    data.sort(key=lambda r: -r["visits"])
    return Breakdown(key, title, [Column("name", label, "text"), Column("visits", _l("Visits"))],
                     data, "name", "visits")


def by_venue_type(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    return _by_enum(_found(filters, found, "type").type, VenueType, "venue_type", _l("Visits by venue type"),
                    _l("Venue type"))


def by_operator(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    return _by_enum(_found(filters, found, "operator").operator, OperatorKind, "operator_kind",
                    _l("Visits by operator"), _l("Operator"))


def by_grade_band(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    sums = _found(filters, found, "total").total
    rows = [{"band": band, "name": str(BAND_LABELS[band]), "school_groups": sums[f"groups_{band}"],
             "students": sums[f"students_{band}"]} for band, _, _ in GRADE_BANDS]
    return Breakdown("grade_bands", _l("School visits by grade band"), [
        Column("name", _l("Grade band"), "text"), Column("school_groups", _l("School groups")),
        Column("students", _l("Students"))], rows, "name", "students")


def _venue_names(ids, through: date) -> dict:
    """Names of the venues ``ids``, with the district each counts for over a period ending ``through``."""
    ids = list(ids)
    if not ids:
        return {}
    return {v.id: v for v in db.session.execute(
        select(Venue.id, Venue.name_zh, Venue.name_en, district_of_period(through).label("district_code"))
        .where(Venue.id.in_(ids)))}


def _ranked(sums: dict, figure: str, limit: int | None, keep) -> list[tuple[int, dict]]:
    """Venues by ``figure``, largest first (ties by id): the SQL sums in the order a chart shows them."""
    ranked = sorted(((vid, s) for vid, s in sums.items() if keep(s)), key=lambda item: (-item[1][figure], item[0]))
    return ranked[:limit] if limit else ranked


def open_days_by_venue(filters: StatsFilters, limit: int | None = 30, found: Figures | None = None) -> Breakdown:
    ranked = _ranked(_found(filters, found, "venue").venue, "open_day", limit, lambda s: s["slots"] > 0)
    names = _venue_names((vid for vid, _ in ranked), filters.through)
    rows = [{"venue_id": vid, "name": localized(names[vid], "name"), "open_days": s["open_day"],
             "free_open_hours": round(s["free_open_minutes"] / 60, 1), "capacity_offered": s["capacity"]}
            for vid, s in ranked]
    return Breakdown("open_days", _l("Free-open days per venue"), [
        Column("name", _l("Venue"), "text"), Column("open_days", _l("Free-open days")),
        Column("free_open_hours", _l("Free-open hours"), "num"), Column("capacity_offered", _l("Places offered"))],
        rows, "name", "open_days")


def utilisation_by_month(filters: StatsFilters, found: Figures | None = None) -> Breakdown:
    """Places offered and used, bookings and no-shows, by month."""
    found = _found(filters, found, "month")
    rows = []
    for key in months_of(filters.first, filters.through):
        s = derived({c: 0 for c in ATTENDANCE + SUPPLY_COLUMNS} | found.month.get(key, {}))
        rows.append({"month": key, "capacity_offered": s["capacity_offered"], "checked_in": s["ticket_visits"],
                     "utilisation": s["utilisation"], "bookings": s["bookings"], "no_shows": s["no_shows"],
                     "no_show_rate": s["no_show_rate"]})
    return Breakdown("utilisation", _l("Utilisation and no-shows by month"), [
        Column("month", _l("Month"), "text"), Column("capacity_offered", _l("Places offered")),
        Column("checked_in", _l("Checked in on bookings")), Column("utilisation", _l("Utilisation"), "pct"),
        Column("bookings", _l("Bookings")), Column("no_shows", _l("No-shows")),
        Column("no_show_rate", _l("No-show rate"), "pct")], rows, "month", "utilisation")


def top_venues(filters: StatsFilters, limit: int = 10, found: Figures | None = None) -> Breakdown:
    ranked = _ranked(_found(filters, found, "venue").venue, "visits", limit, lambda s: s["visits"] > 0)
    names = _venue_names((vid for vid, _ in ranked), filters.through)
    rows = [{"venue_id": vid, "name": localized(names[vid], "name"), "district": names[vid].district_code,
             "visits": s["visits"], "school_groups": s["school_groups"]} for vid, s in ranked]
    return Breakdown("top_venues", _l("Most visited venues"), [
        Column("name", _l("Venue"), "text"), Column("visits", _l("Visits")),
        Column("school_groups", _l("School groups"))], rows, "name", "visits")


# Keyed by each chart's ``Breakdown.key``: the dashboard links its charts' data by that key.
BREAKDOWNS = {
    "months": by_month, "districts": by_district, "venue_type": by_venue_type, "operator_kind": by_operator,
    "grade_bands": by_grade_band, "open_days": lambda f: open_days_by_venue(f, limit=None),
    "utilisation": utilisation_by_month, "top_venues": lambda f: top_venues(f, limit=100),
}


def themed_days(filters: StatsFilters, found: Figures | None = None) -> list[dict]:
    """The period's themed-day events, per themed day (``app.stats.events``, as the annual reports count
    them): its name in the interface language, events held, sessions, places offered and persons
    admitted, in the order of their first sessions."""
    found = found if found is not None else figures(filters, dims=("total", "themed"))
    return [{"key": key, "name": localized(SimpleNamespace(name_zh=day["name_zh"], name_en=day["name_en"]), "name"),
             **{k: day[k] for k in ("events", "sessions", "places", "visits")}} for key, day in found.themed.items()]


def dashboard(filters: StatsFilters) -> dict:
    found = figures(filters, dims=DASHBOARD)
    return {
        "totals": totals(filters, found), "themed_days": themed_days(filters, found),
        "charts": [by_month(filters, found), by_district(filters, found), by_venue_type(filters, found),
                   by_operator(filters, found), by_grade_band(filters, found), open_days_by_venue(filters, found=found),
                   utilisation_by_month(filters, found), top_venues(filters, found=found)],
    }


def venue_figures(venue_id: int, year: int) -> dict:
    """One venue's figures for a year, for its public page: totals and visits by month."""
    filters = year_filters(year, venue_id=venue_id)
    found = figures(filters, dims=("total", "month"))
    return {"venue_id": venue_id, "year": year, "totals": totals(filters, found), "months": by_month(filters, found)}
