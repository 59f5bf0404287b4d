"""Rollups: kept as check-ins happen, and a rebuild from the raw check-ins gives the same rows."""
from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy import func, select

from app.checkin import services as checkin_services
from app.checkin.models import CheckIn, CheckInResult
from app.extensions import db
from app.stats import rebuild, rollups
from app.stats.filters import StatsFilters
from app.stats.models import SchoolDailyVisits, StatsRefresh, VenueDailyStats, VenueDailySupply
from app.stats.services import totals
from tests import factories


def snapshot(model) -> list[tuple]:
    db.session.expire_all()
    columns = [c for c in model.__table__.columns if c.name != "updated_at"]
    return [tuple(row) for row in db.session.execute(select(*columns).order_by(*model.__table__.primary_key))]


def raw_per_venue_day() -> dict:
    """What the raw check-ins say, summed independently of the rollup code."""
    rows = db.session.execute(
        select(CheckIn.venue_id, CheckIn.local_date, func.sum(CheckIn.persons),
               func.sum(sa.case((CheckIn.students.isnot(None), 1), else_=0)), func.sum(func.coalesce(CheckIn.students, 0)))
        .where(CheckIn.result == CheckInResult.OK).group_by(CheckIn.venue_id, CheckIn.local_date))
    return {(v, d): (int(p), int(g), int(s)) for v, d, p, g, s in rows}


@pytest.fixture
def scenario(app):
    return factories.stats_scenario()


def test_a_rebuild_counts_every_admitted_person_of_the_raw_check_ins(scenario):
    rebuild.rebuild_all()
    db.session.commit()
    rolled = {(r.venue_id, r.day): (r.visits, r.school_groups, r.school_students)
              for r in db.session.scalars(select(VenueDailyStats))}
    assert rolled == raw_per_venue_day()
    assert sum(v for v, _, _ in rolled.values()) == 94


def test_the_scenario_splits_visits_by_kind_grade_band_and_walk_in_group(scenario):
    rebuild.rebuild_all()
    a = db.session.get(VenueDailyStats, (scenario["a"].id, scenario["day_a"]))
    assert (a.visits, a.individual_visits, a.school_groups, a.school_students, a.school_adults) == (59, 8, 2, 42, 4)
    assert (a.walk_ins, a.walk_in_seniors, a.walk_in_youth, a.walk_in_adults) == (5, 3, 2, 0)
    assert (a.groups_k, a.students_k, a.groups_g4_6, a.students_g4_6) == (1, 12, 1, 30)
    assert a.free_visits == 59  # a free slot, and walk-ins at a free venue
    b = db.session.get(VenueDailyStats, (scenario["b"].id, scenario["day_b"]))
    assert (b.visits, b.school_students, b.students_g7_9, b.free_visits) == (35, 24, 24, 4)


def test_counting_admissions_one_by_one_gives_what_a_rebuild_gives(scenario):
    db.session.execute(sa.delete(VenueDailyStats))
    db.session.execute(sa.delete(SchoolDailyVisits))
    for checkin in db.session.scalars(select(CheckIn).order_by(CheckIn.id)):
        rollups.count_admission(checkin)
    db.session.commit()
    live = (snapshot(VenueDailyStats), snapshot(SchoolDailyVisits))
    rebuild.rebuild_all()
    db.session.commit()
    assert (snapshot(VenueDailyStats), snapshot(SchoolDailyVisits)) == live
    assert live[0]


def test_a_refused_scan_counts_nothing(app):
    venue = factories.venue()
    slot = factories.slot_at(venue, starts_in=timedelta(hours=5))
    booking = factories.confirmed_visit(slot)
    outcome = checkin_services.record_check_in(factories.gate_staff(venue), booking.reference)
    assert outcome.result.value in ("too_early", "wrong_date")
    rollups.count_admission(outcome.checkin)
    assert snapshot(VenueDailyStats) == []


def test_a_visit_is_counted_in_the_same_transaction_as_its_check_in(app):
    venue = factories.venue()
    checkin = factories.admitted_visit(factories.slot_at(venue), party_size=3)
    factories.walk_in(venue, persons=2, audience_group="senior")
    row = db.session.get(VenueDailyStats, (venue.id, checkin.local_date))
    db.session.refresh(row)
    assert (row.visits, row.individual_visits, row.walk_in_seniors) == (5, 3, 2)


def test_rebuilding_twice_gives_identical_rollups(scenario):
    rebuild.rebuild_all()
    db.session.commit()
    first = (snapshot(VenueDailyStats), snapshot(SchoolDailyVisits), snapshot(VenueDailySupply))
    rebuild.rebuild_all()
    db.session.commit()
    assert (snapshot(VenueDailyStats), snapshot(SchoolDailyVisits), snapshot(VenueDailySupply)) == first


def test_the_rebuild_command_shows_progress_and_a_one_line_summary(app, scenario):
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "Rebuilding statistics" in result.output
    assert result.output.strip().splitlines()[-1].startswith("Statistics rebuilt: 2 venue-days of attendance")
    assert sum(r[2] for r in snapshot(VenueDailyStats)) == 94


def test_the_rebuild_drops_rollups_whose_check_ins_are_gone(scenario):
    rebuild.rebuild_all()
    db.session.execute(sa.delete(CheckIn).where(CheckIn.venue_id == scenario["b"].id))
    rebuild.rebuild_all()
    db.session.commit()
    assert {r[0] for r in snapshot(VenueDailyStats)} == {scenario["a"].id}


def test_the_refresh_command_settles_the_last_days(app, scenario):
    result = app.test_cli_runner().invoke(args=["stats", "refresh", "--days", "7"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "Statistics refreshed from" in result.output
    assert db.session.scalar(select(func.count()).select_from(StatsRefresh)) == 1
    assert {r[0] for r in snapshot(VenueDailySupply)} == {scenario["a"].id, scenario["b"].id}


SUPPLY_FIGURES = ("slots", "free_slots", "capacity_offered", "open_days", "free_open_hours", "bookings", "no_shows",
                  "no_show_rate")


def test_supply_computed_live_equals_supply_stored_by_a_rebuild(scenario):
    period = StatsFilters(first=scenario["day_a"], last=scenario["day_b"])
    live = {k: totals(period)[k] for k in SUPPLY_FIGURES}
    rebuild.rebuild_all()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(VenueDailySupply)) == 2
    assert {k: totals(period)[k] for k in SUPPLY_FIGURES} == live


def test_capacity_open_days_and_the_no_show_rate_come_from_slots_and_bookings(scenario):
    figures = totals(StatsFilters(first=scenario["day_a"], last=scenario["day_b"]))
    assert figures["capacity_offered"] == 180
    assert figures["open_days"] == 1  # venue B's slot is discounted, not free-open
    assert figures["free_open_hours"] == 3.0
    assert (figures["bookings"], figures["no_shows"], figures["no_show_rate"]) == (8, 1, 0.125)


def test_overlapping_free_slots_count_their_hours_once(app):
    venue = factories.venue()
    day = factories.slot(venue, days_ahead=-2, start=time(9), end=time(12)).local_date
    factories.slot(venue, day=day, start=time(10), end=time(13), audience="school")
    factories.slot(venue, day=day, start=time(14), end=time(15))
    factories.slot(venue, day=day, start=time(15), end=time(16), admission="discounted")
    figures = totals(StatsFilters(first=day, last=day))
    assert figures["free_open_hours"] == 5.0
    assert figures["open_days"] == 1
    rebuild.rebuild_all()
    assert totals(StatsFilters(first=day, last=day))["free_open_hours"] == 5.0


def test_cancelled_slots_offer_nothing(app):
    venue = factories.venue()
    factories.slot(venue, days_ahead=-2, status="cancelled")
    day = factories.slot(venue, days_ahead=-2, capacity=30, admission="discounted").local_date
    figures = totals(StatsFilters(first=day, last=day))
    assert (figures["capacity_offered"], figures["open_days"], figures["free_open_hours"]) == (30, 0, 0.0)


def test_a_period_splits_into_settled_whole_months_and_the_days_around_them():
    from datetime import date

    from app.stats.sources import split

    plan = split(date(2026, 1, 15), date(2026, 11, 28), settled=date(2026, 11, 27))
    assert plan.months == (date(2026, 2, 1), date(2026, 11, 1))  # November's row runs to the 27th
    assert plan.days == [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 11, 28), date(2026, 11, 28))]
    early = split(date(2026, 1, 1), date(2026, 11, 20), settled=date(2026, 11, 27))
    assert early.months == (date(2026, 1, 1), date(2026, 10, 1))
    assert early.days == [(date(2026, 11, 1), date(2026, 11, 20))]
    assert split(date(2026, 1, 1), date(2026, 1, 31), settled=None).days == [(date(2026, 1, 1), date(2026, 1, 31))]
    assert split(date(2026, 3, 1), date(2026, 3, 31), settled=date(2026, 3, 31)).months == (
        date(2026, 3, 1), date(2026, 3, 1))


def test_months_read_from_monthly_rollups_give_the_same_figures_as_days(app):
    from app.core.time import local_today
    from app.stats.models import VenueMonthlyStats, VenueMonthlySupply

    venue = factories.venue()
    last_month = (local_today().replace(day=1) - timedelta(days=1)).replace(day=3)
    # A day of this month: yesterday, or today on the 1st (yesterday would fall in last month's row).
    this_month = max(local_today() - timedelta(days=1), local_today().replace(day=1))
    for day, party in ((last_month, 4), (this_month, 5)):
        slot = factories.slot(venue, day=day, start=time(9), end=time(12))
        factories.admitted_visit(slot, party_size=party)
        factories.walk_in(venue, persons=2, when=slot.starts_at)
    period = StatsFilters(first=last_month.replace(day=1), last=local_today())
    rebuild.rebuild_all()
    db.session.commit()
    assert db.session.get(VenueMonthlyStats, (venue.id, last_month.replace(day=1))).visits == 6
    assert db.session.get(VenueMonthlySupply, (venue.id, last_month.replace(day=1))).open_day == 1
    figures = totals(period)
    assert (figures["visits"], figures["walk_ins"], figures["open_days"], figures["capacity_offered"]) == (
        13, 4, 2, 80)
    db.session.execute(sa.delete(StatsRefresh))  # nothing settled: every day read from the daily rows
    assert totals(period) == figures


@pytest.fixture(params=["process", "redis"])
def figures_store(request, app):
    """Where the half-minute figures are kept: this process, or Redis shared by every worker."""
    from app.stats.figures import RECENT

    if request.param == "redis":
        app.config.update(REDIS_URL=request.getfixturevalue("redis_url"), REDIS_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    app.config["STATS_CACHE_SECONDS"] = 30
    yield request.param
    RECENT.clear()
    app.config.update(STATS_CACHE_SECONDS=0, REDIS_URL=None)


def test_figures_may_be_half_a_minute_old_but_a_refresh_is_seen_at_once(app, scenario, figures_store):
    from app.checkin.models import CheckInKind
    from app.stats.figures import RECENT

    period = StatsFilters(first=scenario["day_a"], last=scenario["day_b"])
    rebuild.rebuild_all()
    db.session.commit()
    assert totals(period)["visits"] == 94
    late = CheckIn(kind=CheckInKind.WALK_IN, result=CheckInResult.OK, venue_id=scenario["a"].id,
                   local_date=scenario["day_a"], persons=2, audience_group="adult",
                   scanned_at=scenario["slot_a"].starts_at)
    db.session.add(late)
    db.session.flush()
    rollups.count_admission(late)
    db.session.commit()
    assert totals(period)["visits"] == 94  # within half a minute: the figures of a moment ago
    if figures_store == "redis":  # the copy every worker reads is in Redis, not in this process
        shared = redis.Redis.from_url(app.config["REDIS_URL"])
        assert shared.keys(f"{app.config['REDIS_KEY_PREFIX']}:stats:figures:*") and not RECENT.items
    rebuild.rebuild_all()
    db.session.commit()
    assert totals(period)["visits"] == 96
    RECENT.clear()
    assert totals(period)["visits"] == 96
