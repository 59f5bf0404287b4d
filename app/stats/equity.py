"""District equity: how evenly open science venues reach Nanjing's districts.

Per district: visits per 10,000 residents, venues, free-open hours, and the share of the
district's schools that made at least one class visit this school year (from 1 September); then
urban (urbanisation ≥ 90 %) against less-urbanised districts. Districts without a venue are listed
with zeros. Jiangbei New Area's directly administered area overlaps Pukou and Luhe, so it is shown
on its own line and never added to the districts' totals.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import Role
from app.districts.models import District
from app.districts.services import district_in_view
from app.extensions import db
from app.schools.models import School
from app.stats.definitions import MEANING
from app.stats.filters import StatsFilters, school_year_start
from app.stats.models import SchoolDailyVisits
from app.stats.services import MANAGEMENT_AREA, venues_by_district
from app.stats.sources import attendance_source, supply_source
from app.venues.models import Venue, district_on

URBAN_PCT = 90


def can_view_admin_equity(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


def schools_district_for(user, asked: str | None) -> District | None:
    """Whose schools ``user`` sees school by school: a district admin their own district's, whatever
    is asked; the city admin the district asked for (None: every district's)."""
    return district_in_view(user, asked)


@dataclass(frozen=True)
class EquityPeriod:
    filters: StatsFilters  # the period of visits and free-open hours
    school_year_from: date
    school_year_through: date


def period_for(filters: StatsFilters) -> EquityPeriod:
    start = school_year_start(filters.through)
    return EquityPeriod(filters, start, filters.through)


def _district_rows(period: EquityPeriod):
    f = period.filters
    # Visits and hours count for the district each venue was in on the row's day; venues, for the one of
    # the period's last month.
    a = attendance_source(f.first, f.through)
    visits_in = district_on(a.c.venue_id, a.c.day)
    visits = (select(visits_in.label("code"), func.sum(a.c.visits).label("visits"),
                     func.sum(a.c.school_groups).label("school_groups"),
                     func.sum(a.c.school_students).label("students"))
              .select_from(a).join(Venue, Venue.id == a.c.venue_id)
              .group_by(visits_in).subquery("visits"))
    supply = supply_source(f.first, f.through)
    offered_in = district_on(supply.c.venue_id, supply.c.day)
    offered = (select(offered_in.label("code"), func.sum(supply.c.free_open_minutes).label("minutes"),
                      func.sum(supply.c.open_day).label("open_days"), func.sum(supply.c.capacity).label("capacity"))
               .select_from(supply).join(Venue, Venue.id == supply.c.venue_id)
               .group_by(offered_in).subquery("offered"))
    venues = venues_by_district(StatsFilters(first=f.first, last=f.last))  # equity is of every venue
    schools = (select(School.district_code.label("code"), func.count(School.id).label("schools"))
               .where(School.is_active.is_(True)).group_by(School.district_code).subquery("schools"))
    visited = (select(School.district_code.label("code"),
                      func.count(sa.distinct(SchoolDailyVisits.school_id)).label("visited"))
               .join(School, School.id == SchoolDailyVisits.school_id)
               .where(SchoolDailyVisits.day.between(period.school_year_from, period.school_year_through),
                      School.is_active.is_(True))
               .group_by(School.district_code).subquery("visited"))
    urban = sa.case((District.urbanization_pct >= URBAN_PCT, True), else_=False)
    return (select(District.code, District.name_zh, District.name_en, District.kind,
                   District.population_10k.label("population_10k"),
                   District.urbanization_pct.label("urbanization_pct"), urban.label("urban"),
                   func.coalesce(visits.c.visits, 0).label("visits"),
                   func.coalesce(visits.c.school_groups, 0).label("school_groups"),
                   func.coalesce(visits.c.students, 0).label("students"),
                   func.coalesce(venues.c.venues, 0).label("venues"),
                   func.coalesce(offered.c.minutes, 0).label("free_open_minutes"),
                   func.coalesce(offered.c.open_days, 0).label("open_days"),
                   func.coalesce(offered.c.capacity, 0).label("capacity"),
                   func.coalesce(schools.c.schools, 0).label("schools"),
                   func.coalesce(visited.c.visited, 0).label("schools_visited"))
            .outerjoin(visits, visits.c.code == District.code)
            .outerjoin(offered, offered.c.code == District.code)
            .outerjoin(venues, venues.c.code == District.code)
            .outerjoin(schools, schools.c.code == District.code)
            .outerjoin(visited, visited.c.code == District.code))


def _rate(part, population) -> float | None:
    return round(float(part) / float(population), 2) if population else None


def _share(part, whole) -> float | None:
    return round(int(part) / int(whole), 4) if whole else None


def _describe(row, name: str) -> dict:
    return {
        "district": row.code, "name": name, "name_zh": row.name_zh, "name_en": row.name_en,
        "district_kind": row.kind, "management_area": row.kind == MANAGEMENT_AREA,
        "population_10k": float(row.population_10k) if row.population_10k is not None else None,
        "urbanization_pct": float(row.urbanization_pct) if row.urbanization_pct is not None else None,
        "urban": bool(row.urban), "visits": int(row.visits), "visits_per_10k": _rate(row.visits, row.population_10k),
        "venues": int(row.venues), "venues_per_10k": _rate(row.venues, row.population_10k),
        "free_open_hours": round(int(row.free_open_minutes) / 60, 1), "open_days": int(row.open_days),
        "capacity_offered": int(row.capacity), "school_groups": int(row.school_groups),
        "students": int(row.students), "schools": int(row.schools), "schools_visited": int(row.schools_visited),
        "schools_visited_share": _share(row.schools_visited, row.schools),
    }


def district_equity(period: EquityPeriod) -> dict:
    """``districts`` (the 11, by code), ``management_area`` (Jiangbei New Area, apart), ``groups``
    (urban and less-urbanised districts) and ``total`` (the 11 districts only)."""
    from app.core.i18n import localized

    rows = _district_rows(period).subquery("district_rows")
    listed = db.session.execute(select(rows).order_by(rows.c.code)).all()
    described = [_describe(r, localized(r, "name")) for r in listed]
    districts = [d for d in described if not d["management_area"]]
    apart = [d for d in described if d["management_area"]]
    figures = (func.sum(rows.c.population_10k).label("population_10k"), func.sum(rows.c.visits).label("visits"),
               func.sum(rows.c.venues).label("venues"), func.sum(rows.c.free_open_minutes).label("free_open_minutes"),
               func.sum(rows.c.open_days).label("open_days"), func.sum(rows.c.capacity).label("capacity"),
               func.sum(rows.c.school_groups).label("school_groups"), func.sum(rows.c.students).label("students"),
               func.sum(rows.c.schools).label("schools"), func.sum(rows.c.schools_visited).label("schools_visited"),
               func.count().label("districts"))
    only_districts = rows.c.kind != MANAGEMENT_AREA
    groups = []
    for r in db.session.execute(select(rows.c.urban, *figures).where(only_districts)
                                .group_by(rows.c.urban).order_by(rows.c.urban.desc())):
        groups.append(_group(r, urban=bool(r.urban)))
    total = db.session.execute(select(*figures).where(only_districts)).one()
    return {"districts": districts, "management_area": apart, "groups": groups,
            "total": _group(total, urban=None), "period": period}


def _group(row, *, urban) -> dict:
    return {
        "urban": urban, "districts": int(row.districts or 0),
        "population_10k": float(row.population_10k or 0), "visits": int(row.visits or 0),
        "visits_per_10k": _rate(row.visits or 0, row.population_10k), "venues": int(row.venues or 0),
        "venues_per_10k": _rate(row.venues or 0, row.population_10k),
        "free_open_hours": round(int(row.free_open_minutes or 0) / 60, 1), "open_days": int(row.open_days or 0),
        "capacity_offered": int(row.capacity or 0), "school_groups": int(row.school_groups or 0),
        "students": int(row.students or 0), "schools": int(row.schools or 0),
        "schools_visited": int(row.schools_visited or 0),
        "schools_visited_share": _share(row.schools_visited or 0, row.schools or 0),
    }


def school_visits(period: EquityPeriod, district_code: str | None) -> list[dict]:
    """The active schools of ``district_code`` (None: every district's) with their class visits in the
    school year the equity figures count, the schools behind ``schools_visited``: a school visited when
    it has a class visit in the school year. Those that made none come first, for the district to reach
    out to, then the fewest visits; in the registry's order within."""
    from app.core.i18n import localized
    from app.schools.services import registry_order

    seen = SchoolDailyVisits
    visits = (select(seen.school_id.label("school_id"), func.sum(seen.groups).label("groups"),
                     func.sum(seen.students).label("students"), func.max(seen.day).label("last_day"))
              .where(seen.day.between(period.school_year_from, period.school_year_through))
              .group_by(seen.school_id).subquery("school_visits"))
    query = (select(School, visits.c.groups, visits.c.students, visits.c.last_day)
             .outerjoin(visits, visits.c.school_id == School.id).where(School.is_active.is_(True)))
    if district_code is not None:
        query = query.where(School.district_code == district_code)
    rows = [{"school": school, "name": localized(school, "name"), "district": school.district_code,
             "class_visits": int(groups or 0), "students": int(students or 0), "last_visit": last_day,
             "visited": last_day is not None}
            for school, groups, students, last_day in db.session.execute(query)]
    rows.sort(key=lambda r: (r["visited"], r["class_visits"], registry_order(r["school"])))
    return rows


# --- the figures as data (/stats/equity.csv and .json) ----------------------------------------------

# Each column of a district's row, with what it means: the CSV's header, the JSON's ``columns``, and
# the page's "what the figures mean".
DATA_COLUMNS = (
    ("district", _l("District code (GB/T 2260), or JBXQ for Jiangbei New Area’s directly administered area.")),
    ("name_zh", _l("District name in Chinese.")),
    ("name_en", _l("District name in English.")),
    ("district_kind", _l("district, or management_area for Jiangbei New Area’s directly administered area, which "
                         "overlaps Pukou and Luhe and is never added to the districts.")),
    ("population_10k", _l("Residents, in units of 10,000 (Nanjing Bureau of Statistics, 2019).")),
    ("urbanization_pct", _l("Share of residents living in urban areas, in percent (2019).")),
    ("urban", _l("Whether at least 90 percent of residents live in urban areas.")),
    ("visits", MEANING["visits"]),
    ("visits_per_10k", MEANING["per_10k"]),
    ("venues", MEANING["venues"]),
    ("venues_per_10k", _l("Approved venues per 10,000 residents.")),
    ("free_open_hours", MEANING["free_open_hours"]),
    ("open_days", MEANING["open_days"]),
    ("capacity_offered", MEANING["capacity_offered"]),
    ("school_groups", MEANING["school_groups"]),
    ("students", MEANING["students"]),
    ("schools", _l("Active schools registered in the district.")),
    ("schools_visited", MEANING["schools_visited"]),
    ("schools_visited_share", _l("schools_visited ÷ schools, a fraction from 0 to 1; empty without schools.")),
)
PERIOD_COLUMNS = (
    ("from", _l("First day of the period (Asia/Shanghai).")),
    ("through", _l("Last day counted: the period’s last day, or today if that is later; empty when the period "
                   "starts after today.")),
    ("school_year_from", _l("First day of the school year that schools_visited counts (1 September).")),
    ("school_year_through", _l("Last day of that school year counted.")),
)


def period_values(period: EquityPeriod) -> dict:
    """The period of the figures, as the data gives it: ISO dates, ``through`` None when not begun."""
    through = period.filters.counted_through
    return {"from": period.filters.first.isoformat(), "through": through.isoformat() if through else None,
            "school_year_from": period.school_year_from.isoformat(),
            "school_year_through": period.school_year_through.isoformat()}


def data_rows(found: dict) -> list[list]:
    """One row per district, Jiangbei New Area last, in the order of ``DATA_COLUMNS`` then
    ``PERIOD_COLUMNS``: the page's figures (``district_equity``) as a table to download."""
    period = period_values(found["period"])
    return [[d[key] for key, _ in DATA_COLUMNS] + [period[key] for key, _ in PERIOD_COLUMNS]
            for d in found["districts"] + found["management_area"]]


def data_document(found: dict) -> dict:
    """The page's figures as JSON: the period, what each column means, the districts, Jiangbei New
    Area apart, the urban and less-urbanised groups, and the 11 districts' total."""
    keys = [key for key, _ in DATA_COLUMNS]
    return {**period_values(found["period"]),
            "columns": [{"key": key, "description": str(text)} for key, text in DATA_COLUMNS + PERIOD_COLUMNS],
            "districts": [{k: d[k] for k in keys} for d in found["districts"]],
            "management_area": [{k: d[k] for k in keys} for d in found["management_area"]],
            "groups": found["groups"], "total": found["total"]}

