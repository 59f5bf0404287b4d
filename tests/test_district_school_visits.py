"""A district admin sees which of their district's schools made no class visit this school year (the
equity page's "schools that visited", school by school) and downloads the list; only their district's."""
from __future__ import annotations

import csv
import io

from app.accounts.models import Role
from app.stats.equity import district_equity, period_for
from app.stats.filters import StatsFilters, school_year_start
from tests import factories


def _period(scenario) -> str:
    return f"from={scenario['day_a']}&to={scenario['day_b']}"


def _visited_in_year(scenario) -> bool:
    return scenario["day_a"] >= school_year_start(scenario["day_b"])


def _rows(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # opens cleanly in Excel, as every download here
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_district_admin_sees_the_schools_that_made_no_class_visit(client, auth, scenario):
    factories.school(district_code=factories.XUANWU, name_en="Idle Hill Primary")
    factories.school(district_code=factories.GULOU, name_en="Gulou Idle Primary")  # another district's
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    page = client.get(f"/admin/equity?{_period(scenario)}&lang=en").get_data(as_text=True)
    section = page[page.index('id="schools-heading"'):]
    idle = 1 if _visited_in_year(scenario) else 3
    assert f"{idle} of 3 schools in Xuanwu District made no class visit" in section
    assert "Idle Hill Primary" in section and "Gulou Idle Primary" not in section
    # The schools that made none come first: the district reaches out to them.
    assert section.index("Idle Hill Primary") < section.index("</tbody>")
    assert "/admin/equity/schools.csv" in section


def test_the_download_agrees_with_the_equity_figures_and_holds_only_the_district(client, auth, scenario):
    factories.school(district_code=factories.XUANWU, name_zh="未来访小学")
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    # Asking for another district's schools gives one's own: a district admin works in their district.
    response = client.get(f"/admin/equity/schools.csv?{_period(scenario)}&district={factories.GULOU}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert {r["district"] for r in rows} == {factories.XUANWU} and len(rows) == 3
    idle = next(r for r in rows if r["school"] == "未来访小学")
    assert (idle["class_visits"], idle["students"], idle["last_visit"]) == ("0", "0", "")
    equity = district_equity(period_for(StatsFilters(first=scenario["day_a"], last=scenario["day_b"])))
    xuanwu = next(d for d in equity["districts"] if d["district"] == factories.XUANWU)
    assert sum(1 for r in rows if int(r["class_visits"]) > 0) == xuanwu["schools_visited"]
    assert rows[0]["school"] == "未来访小学"  # no visit first


def test_the_city_admin_downloads_any_district_or_all(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    gulou = _rows(client.get(f"/admin/equity/schools.csv?{_period(scenario)}&district={factories.GULOU}"))
    assert {r["district"] for r in gulou} == {factories.GULOU}
    everyone = _rows(client.get(f"/admin/equity/schools.csv?{_period(scenario)}"))
    assert {r["district"] for r in everyone} == {factories.XUANWU, factories.GULOU}
    page = client.get(f"/admin/equity?{_period(scenario)}&district={factories.GULOU}&lang=en").get_data(as_text=True)
    assert "of 1 school in Gulou District made no class visit" in page


def test_others_may_not_list_schools(client, auth, scenario):
    assert client.get("/admin/equity/schools.csv").status_code in (302, 401)
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)
    assert client.get("/admin/equity/schools.csv").status_code == 403


def test_a_bad_period_is_a_clear_400_not_a_file(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    response = client.get("/admin/equity/schools.csv?from=2026-13-01&lang=en")
    assert response.status_code == 400
