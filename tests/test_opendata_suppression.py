"""Withheld open-data figures cannot be worked out from the published files: a reader who solves every
relation between them (the sums within a row, a district's month as the sum of its venues' days, a
venue's event attendances as the sum of its daily event visits) recovers none of them."""
from __future__ import annotations

import csv
import io
import random
from datetime import date, time, timedelta
from fractions import Fraction

import pytest

from app.extensions import db
from app.stats.models import VenueDailyStats
from app.stats.suppression import PERSONS, SUMS, Event, suppress_district_month, withheld_events
from tests import factories

COUNTS = PERSONS
MONTHLY_KEY = ("month", "district")
ZERO = {n: 0 for n in (*COUNTS, "school_groups")}


def day_counts(rng: random.Random, small: float = 0.5) -> dict:
    """One venue-day's counts, consistent with the sums, often small."""
    def part():
        roll = rng.random()
        return 0 if roll < 0.35 else rng.randint(1, 4) if roll < 0.35 + small * 0.5 else rng.randint(5, 40)

    individual, students, adults, youth, grown, seniors = (part() for _ in range(6))
    walk_ins = youth + grown + seniors
    visits = individual + students + adults + walk_ins
    return {"visits": visits, "individual_visits": individual, "school_students": students, "school_adults": adults,
            "walk_ins": walk_ins, "walk_in_youth": youth, "walk_in_adults": grown, "walk_in_seniors": seniors,
            "free_visits": rng.randint(0, visits), "event_visits": rng.randint(0, individual),
            "school_groups": 1 if students else 0}


# --- the attack: exact linear algebra over every relation the files publish ------------------------

def determined(unknowns: list, equations: list[dict]) -> set:
    """The unknowns whose value the equations fix (each equation: {unknown: coefficient}, published
    cells already moved to the other side): e_x lies in the row space iff the reduced row echelon
    form has a row that is x alone."""
    index = {u: i for i, u in enumerate(unknowns)}
    rows = [{index[u]: Fraction(c) for u, c in eq.items() if c} for eq in equations]
    rows = [r for r in rows if r]
    pivots: list[tuple[int, dict]] = []
    for row in rows:
        for col, prow in pivots:
            if col in row:
                factor = row[col]
                for k, v in prow.items():
                    row[k] = row.get(k, 0) - factor * v
                    if row[k] == 0:
                        del row[k]
        if row:
            col = min(row)
            lead = row[col]
            row = {k: v / lead for k, v in row.items()}
            for i, (c, prow) in enumerate(pivots):
                if col in prow:
                    factor = prow[col]
                    for k, v in row.items():
                        prow[k] = prow.get(k, 0) - factor * v
                        if prow[k] == 0:
                            del prow[k]
            pivots.append((col, row))
    return {unknowns[col] for col, row in pivots if len(row) == 1}


def attack(daily: list[dict], monthly: list[dict], events: list[dict] | None = None) -> set:
    """Every withheld cell of the published rows that the published rows pin down."""
    unknowns, equations = [], []

    def cell(kind, key, row, name):
        if row[name] is None:
            unknowns.append((kind, key, name))
            return {(kind, key, name): 1}
        return {}

    def relation(terms):  # {unknown: coefficient} of sum(sign * cell) = 0
        eq = {}
        for sign, part in terms:
            for u, c in part.items():
                eq[u] = eq.get(u, 0) + sign * c
        if eq:
            equations.append(eq)

    def row_sums(kind, key, row):
        for total, parts in SUMS:
            relation([(1, cell(kind, key, row, total))] + [(-1, cell(kind, key, row, p)) for p in parts])

    for row in daily:
        row_sums("day", (row["date"], row["venue_id"]), row)
    for row in monthly:
        row_sums("month", (row["month"], row["district"]), row)
    unknowns = list(dict.fromkeys(unknowns))
    for row in monthly:
        days = [d for d in daily if d["date"][:7] == row["month"] and d["district"] == row["district"]]
        for name in COUNTS:
            relation([(1, cell("month", (row["month"], row["district"]), row, name))]
                     + [(-1, cell("day", (d["date"], d["venue_id"]), d, name)) for d in days])
    for group in _overlapping_events(events or []):
        first, last = min(e["first_day"] for e in group), max(e["last_day"] for e in group)
        relation([(1, cell("event", e["event_id"], e, "attendance")) for e in group]
                 + [(-1, cell("day", (d["date"], d["venue_id"]), d, "event_visits")) for d in daily
                    if d["venue_id"] == group[0]["venue_id"] and first <= d["date"] <= last])
    return determined(list(dict.fromkeys(unknowns)), equations)


def _overlapping_events(events: list[dict]) -> list[list[dict]]:
    """A venue's published events in groups whose dates overlap (ISO dates compare as text): each
    group attends what its span's daily ``event_visits`` add up to, the strongest relation a reader
    of the two files can write."""
    groups: list[list[dict]] = []
    for event in sorted(events, key=lambda e: (e["venue_id"], e["first_day"], e["last_day"])):
        if groups and groups[-1][0]["venue_id"] == event["venue_id"] \
                and event["first_day"] <= max(e["last_day"] for e in groups[-1]):
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def as_published(rows: list[dict], key_fields) -> list[dict]:
    """CSV or JSON rows with counts as int or None and keys as text."""
    result = []
    for row in rows:
        out = {k: (str(row[k])[:10] if k in key_fields else row[k]) for k in key_fields}
        for name in COUNTS:
            value = row[name]
            out[name] = None if value in ("", None) else int(value)
        result.append(out)
    return result


# --- the rule on its own: many random districts and months -------------------------------------------

@pytest.mark.parametrize("seed", range(60))
def test_no_withheld_cell_of_a_random_district_month_can_be_solved_for(seed):
    rng = random.Random(seed)
    days = [day_counts(rng, small=rng.choice((0.2, 0.5, 0.9))) for _ in range(rng.randint(1, 9))]
    hidden, month_hidden = suppress_district_month(days)
    daily = [{"date": f"2026-03-{i + 1:02d}", "venue_id": 1, "district": "X",
              **{n: None if n in cells else day[n] for n in COUNTS}}
             for i, (day, cells) in enumerate(zip(days, hidden))]
    month = {"month": "2026-03", "district": "X",
             **{n: None if n in month_hidden else sum(d[n] for d in days) for n in COUNTS}}
    assert attack(daily, [month]) == set()
    for day, cells in zip(days, hidden):
        assert {n for n in COUNTS if 0 < day[n] < 5} <= cells


def test_a_districts_monthly_visits_stay_published_over_two_withheld_days():
    days = [{**ZERO, "visits": 3, "individual_visits": 3},
            {**ZERO, "visits": 4, "walk_ins": 4, "walk_in_adults": 4},
            {**ZERO, "visits": 50, "individual_visits": 30, "school_students": 20, "school_groups": 1}]
    hidden, month_hidden = suppress_district_month(days)
    assert "visits" not in month_hidden and {"individual_visits", "walk_ins"} <= month_hidden
    daily = [{"date": f"2026-03-0{i + 1}", "venue_id": 1, "district": "X",
              **{n: None if n in cells else day[n] for n in COUNTS}}
             for i, (day, cells) in enumerate(zip(days, hidden))]
    month = {"month": "2026-03", "district": "X",
             **{n: None if n in month_hidden else sum(d[n] for d in days) for n in COUNTS}}
    assert month["visits"] == 57 and attack(daily, [month]) == set()


def test_monthly_visits_are_withheld_when_a_withheld_part_would_follow_from_them():
    # Both small days are individual visitors only: the month's individual visitors would be its
    # visits minus the published parts.
    days = [{**ZERO, "visits": 3, "individual_visits": 3}, {**ZERO, "visits": 2, "individual_visits": 2},
            {**ZERO, "visits": 50, "school_students": 50, "school_groups": 2}]
    _hidden, month_hidden = suppress_district_month(days)
    assert {"visits", "individual_visits"} <= month_hidden


def test_a_venues_event_attendances_never_give_away_a_withheld_day():
    day = date(2026, 9, 1)

    def event(event_id, venue_id, first, last, attendance):
        return Event(event_id, venue_id, day + timedelta(days=first), day + timedelta(days=last), attendance)

    # Venue 1 withholds a day of 3 event visits within both events' dates: one attendance goes too
    # (else 13 + 40 minus the published days gives the 3).
    assert withheld_events([event(1, 1, 0, 9, 13), event(2, 1, 5, 20, 40)], {1: {day + timedelta(days=6)}}) == {1}
    # Venue 2 withholds no day, but one small event: a second of its dates is withheld (else 50 - 47 = 3).
    assert withheld_events([event(3, 2, 0, 3, 3), event(4, 2, 2, 6, 47), event(5, 2, 1, 2, 60)], {}) == {3, 4}
    # Venue 3 has nothing small: everything is published.
    assert withheld_events([event(6, 3, 0, 3, 12), event(7, 3, 1, 4, 30)], {}) == set()
    # Venue 4: the withheld day lies in September's event, alone in its dates. May's event, smaller,
    # tells nothing about it; September's attendance would (9 minus its published day of 5 = 4).
    may, september = event(8, 4, -120, -100, 5), event(9, 4, 3, 26, 9)
    assert withheld_events([may, september], {4: {day + timedelta(days=19)}}) == {9}
    # Two events on the same days as a third one's, but not the withheld day's: the same.
    assert withheld_events([may, event(10, 4, -110, -105, 30), september], {4: {day + timedelta(days=19)}}) == {9}


# --- through the published files -------------------------------------------------------------------

@pytest.fixture
def city(app):
    """Four venues in two districts over two months, with many small cells, as the rollups hold them;
    and a quiet district (one venue, large figures only) whose totals must stay published."""
    rng = random.Random(20261129)
    xuanwu = [factories.venue(district_code=factories.XUANWU) for _ in range(3)]
    jiangning = factories.venue(district_code=factories.JIANGNING)
    quiet = factories.venue(district_code=factories.GULOU)
    rows = []
    start = date(2026, 3, 1)
    for n in range(0, 61, 3):
        day = start + timedelta(days=n)
        for venue in (*xuanwu, jiangning):
            if rng.random() < 0.7:
                rows.append({"venue_id": venue.id, "day": day, **day_counts(rng)})
        rows.append({"venue_id": quiet.id, "day": day, **ZERO, "visits": 60,
                     "individual_visits": 40, "walk_ins": 20, "walk_in_adults": 20, "free_visits": 60})
    # The tester's case: a district-month with one small day (2) and one of 5, the month's total 7.
    rows += [{"venue_id": jiangning.id, "day": date(2026, 6, 1), **ZERO, "visits": 5,
              "individual_visits": 5},
             {"venue_id": xuanwu[0].id, "day": date(2026, 6, 16), **ZERO},
             {"venue_id": jiangning.id, "day": date(2026, 6, 16), **ZERO, "visits": 2,
              "individual_visits": 2}]
    db.session.execute(VenueDailyStats.__table__.insert(), rows)
    db.session.commit()
    return {"quiet": quiet, "jiangning": jiangning}


def csv_dicts(client, name: str) -> list[dict]:
    raw = client.get(f"/open-data/{name}.csv").get_data()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_published_files_give_away_no_withheld_figure(client, city):
    for fetch in (csv_dicts, lambda c, name: c.get(f"/open-data/{name}.json").get_json()["rows"]):
        daily = as_published(fetch(client, "attendance-daily"), ("date", "venue_id", "district"))
        monthly = as_published(fetch(client, "attendance-monthly-district"), MONTHLY_KEY)
        assert sum(row[n] is None for row in daily for n in COUNTS) > 20  # the scenario does withhold
        assert attack(daily, monthly) == set()


def test_the_testers_subtraction_no_longer_works(client, city):
    """Jiangning, June: days of 5 and 2 individual visitors. The month's 7 minus the published 5 gave 2."""
    daily = [d for d in as_published(csv_dicts(client, "attendance-daily"), ("date", "venue_id", "district"))
             if d["date"].startswith("2026-06") and d["district"] == factories.JIANGNING]
    [june] = [r for r in as_published(csv_dicts(client, "attendance-monthly-district"), MONTHLY_KEY)
              if r["month"] == "2026-06" and r["district"] == factories.JIANGNING]
    assert [d["individual_visits"] for d in daily] == [5, None]
    assert june["individual_visits"] is None and june["visits"] is None


def test_totals_untouched_by_small_figures_stay_published(client, city):
    monthly = as_published(csv_dicts(client, "attendance-monthly-district"), MONTHLY_KEY)
    quiet = [r for r in monthly if r["district"] == factories.GULOU]
    assert all(r[n] is not None for r in quiet for n in COUNTS)
    by_month = {r["month"]: r["visits"] for r in quiet}
    assert {m: by_month[m] for m in ("2026-03", "2026-04", "2026-05", "2026-06")} == {
        "2026-03": 660, "2026-04": 600, "2026-05": 0, "2026-06": 0}
    assert all(visits == 0 for month, visits in by_month.items() if month > "2026-06")  # on to the last published
    daily = csv_dicts(client, "attendance-daily")
    assert all(r["suppressed"] == "false" for r in daily if int(r["venue_id"]) == city["quiet"].id)


def test_an_events_attendance_does_not_give_away_a_withheld_day(client, app):
    from app.stats import rebuild

    venue = factories.venue()
    event = factories.program(venue, themed_day_key="science_week", title_zh="科技周实验秀")
    busy = factories.slot(venue, days_ahead=-3, start=time(9), end=time(11), program_id=event.id)
    quiet = factories.slot(venue, days_ahead=-2, start=time(9), end=time(11), program_id=event.id)
    for slot, size in ((busy, 5), (busy, 5), (quiet, 3)):
        factories.admitted_visit(slot, party_size=size)
    rebuild.rebuild_all()
    db.session.commit()
    daily = as_published(csv_dicts(client, "attendance-daily"), ("date", "venue_id", "district"))
    monthly = as_published(csv_dicts(client, "attendance-monthly-district"), MONTHLY_KEY)
    events = published_events(client)
    assert {d["event_visits"] for d in daily} == {10, None}
    assert events[0]["attendance"] is None  # else 13 - 10 = 3
    assert attack(daily, monthly, events) == set()


def published_events(client) -> list[dict]:
    return [{"event_id": int(e["event_id"]), "venue_id": str(e["venue_id"]), "first_day": e["first_date"],
             "last_day": e["last_date"], "attendance": None if e["attendance"] == "" else int(e["attendance"])}
            for e in csv_dicts(client, "themed-events")]


def test_an_events_attendance_over_the_withheld_day_is_withheld_not_another_of_the_venue(client, app):
    """A tester's case: September's event attended 9, its days published but one (4); the venue's
    smaller May event was withheld instead, and 9 minus September's published days gave the 4."""
    from app.stats import rebuild

    venue = factories.venue()
    spring = factories.program(venue, themed_day_key="science_week", title_zh="科技周实验秀")
    autumn = factories.program(venue, themed_day_key="science_week", title_zh="科普日实验秀")
    factories.admitted_visit(factories.slot(venue, days_ahead=-20, start=time(9), end=time(11),
                                            program_id=spring.id), party_size=5)
    for days_ahead, size in ((-5, 5), (-4, 4)):
        factories.admitted_visit(factories.slot(venue, days_ahead=days_ahead, start=time(9), end=time(11),
                                                program_id=autumn.id), party_size=size)
    rebuild.rebuild_all()
    db.session.commit()
    daily = as_published(csv_dicts(client, "attendance-daily"), ("date", "venue_id", "district"))
    monthly = as_published(csv_dicts(client, "attendance-monthly-district"), MONTHLY_KEY)
    events = {e["event_id"]: e for e in published_events(client)}
    assert sorted(d["event_visits"] for d in daily if d["event_visits"] is not None) == [5, 5]
    assert (events[spring.id]["attendance"], events[autumn.id]["attendance"]) == (5, None)
    assert attack(daily, monthly, list(events.values())) == set()
