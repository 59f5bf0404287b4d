"""District equity: per-10,000 rates, venues, free-open hours, schools that visited this school
year, urban against less-urbanised districts; Jiangbei New Area apart; districts without venues shown."""
from __future__ import annotations

import re

from app.accounts.models import Role
from app.core.time import local_today
from app.stats.equity import district_equity, period_for
from app.stats.filters import StatsFilters, school_year_start
from tests import factories


def figures(scenario):
    return district_equity(period_for(StatsFilters(first=scenario["day_a"], last=scenario["day_b"])))


def test_visits_are_divided_by_the_districts_residents(scenario):
    xuanwu = next(d for d in figures(scenario)["districts"] if d["district"] == "320102")
    assert (xuanwu["visits"], xuanwu["visits_per_10k"], xuanwu["venues"]) == (59, round(59 / 57.52, 2), 1)
    assert xuanwu["free_open_hours"] == 3.0


def test_the_share_of_schools_that_visited_counts_distinct_schools_of_the_district(scenario):
    factories.school(district_code=factories.XUANWU)  # a Xuanwu school that did not come
    result = figures(scenario)
    xuanwu = next(d for d in result["districts"] if d["district"] == "320102")
    visited_in_year = scenario["day_a"] >= school_year_start(scenario["day_b"])
    assert xuanwu["schools"] == 3  # the grade-4 class's school, the kindergarten, the one that did not come
    assert xuanwu["schools_visited"] == (2 if visited_in_year else 0)
    gulou = next(d for d in result["districts"] if d["district"] == "320106")
    assert (gulou["schools"], gulou["schools_visited"]) == (1, 1 if visited_in_year else 0)


def test_districts_without_a_venue_are_listed_with_zeros(scenario):
    result = figures(scenario)
    assert len(result["districts"]) == 11
    gaochun = next(d for d in result["districts"] if d["district"] == "320118")
    assert (gaochun["venues"], gaochun["visits"], gaochun["visits_per_10k"]) == (0, 0, 0.0)


def test_jiangbei_new_area_is_apart_and_not_in_the_totals(scenario):
    factories.venue(district_code="JBXQ")
    result = figures(scenario)
    [area] = result["management_area"]
    assert area["district"] == "JBXQ" and area["venues"] == 1
    assert result["total"]["districts"] == 11
    assert result["total"]["venues"] == 2
    assert round(result["total"]["population_10k"], 2) == 850.0  # the 11 districts, without JBXQ (84.34)


def test_urban_and_less_urbanised_districts_are_compared(scenario):
    groups = {g["urban"]: g for g in figures(scenario)["groups"]}
    assert groups[True]["districts"] == 5 and groups[False]["districts"] == 6  # urbanisation >= 90 %
    assert groups[True]["visits"] == 94 and groups[False]["visits"] == 0


def test_the_public_summary_needs_no_login(client, scenario):
    page = client.get(f"/stats/equity?from={scenario['day_a']}&to={scenario['day_b']}&lang=en").get_data(as_text=True)
    assert "No venue registered" in page and "Shown apart, not in the totals" in page
    assert "Urban districts (5)" in page and "Less-urbanised districts (6)" in page
    assert "Places offered" not in page  # the detail is for admins


def test_a_district_admin_sees_more_detail_with_their_district_highlighted(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.GULOU).email)
    page = client.get("/admin/equity?lang=en").get_data(as_text=True)
    assert "Places offered" in page
    [own] = re.findall(r'<tr class="own[^"]*" aria-current="true">\s*<th scope="row">([^<]+)', page)
    assert own.strip() == "Gulou District"


def test_the_city_admin_sees_the_detail_with_no_district_highlighted(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get("/admin/equity").get_data(as_text=True)
    assert 'aria-current="true"' not in page


def test_venue_staff_may_not_see_the_admin_view(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)
    assert client.get("/admin/equity").status_code == 403


def test_a_period_that_has_not_started_is_named_as_asked(client, scenario):
    year = local_today().year + 1
    page = client.get(f"/stats/equity?from={year}-01-01&to={year}-12-31&lang=en").get_data(as_text=True)
    assert f"visits from {year}-01-01 to {year}-12-31" in page
    assert "after today: nothing in it has been counted yet" in page
