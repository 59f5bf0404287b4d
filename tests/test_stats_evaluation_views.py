"""Who sees the evaluation (绩效考评): a venue's manager their own venue's score, points and weights;
a district admin their district's table, read only; the city admin and the district admin download it
as CSV, the district admin their own district's whatever the address asks."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import local_today
from app.extensions import db
from app.stats import rebuild
from app.stats.models import EvaluationWeight
from tests import factories

ONLY_VISITS = {"open_days": "0", "visits": "100", "free_visits": "0", "school_groups": "0", "events": "0",
               "confirm_past_year": "y"}


@pytest.fixture
def scenario(app):
    built = factories.stats_scenario()
    rebuild.rebuild_all()
    db.session.commit()
    built["year"] = built["day_a"].year
    return built


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # UTF-8 with BOM, as the app's other CSVs
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_manager_sees_their_venues_score_points_and_weights(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)
    response = client.get(f"/manage/evaluation/{scenario['year']}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # A: 1 open day, 59 visits, 59 free visits, 2 groups, no events: 25 points each but events, 22.5 of 100.
    assert "22.5 of 100" in page
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    visits = next(r for r in rows.split("<tr") if ">Visits<" in r)
    assert [cell.split("<", 1)[0] for cell in visits.split('<td class="num">')[1:]] == ["59", "25", "25"]
    assert "Scored with the default weights" in page
    assert "Provisional" in page  # not published, whether the year is over or not
    assert scenario["b"].name_en not in page and scenario["b"].name_zh not in page


def test_the_managers_score_follows_the_weights_the_city_admin_sets(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/evaluation?year={scenario['year']}", data=ONLY_VISITS).status_code == 302
    auth.logout()
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)
    page = client.get(f"/manage/evaluation/{scenario['year']}?lang=en").get_data(as_text=True)
    assert "25 of 100" in page and "22.5 of 100" not in page  # under 1,000 visits: 25 points, weighed alone
    assert f"Scored with the weights of {scenario['year']}" in page


def test_a_manager_reaches_the_evaluation_from_the_report_and_the_dashboard(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)
    year = scenario["year"]
    assert f'href="/manage/evaluation/{year}"' in client.get(f"/manage/reports/{year}").get_data(as_text=True)
    response = client.get("/manage/evaluation")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/evaluation/{local_today().year - 1}")
    assert 'href="/manage/evaluation"' in client.get("/me").get_data(as_text=True)


def test_a_venue_not_on_the_register_that_year_is_not_evaluated(client, auth, app):
    venue = factories.venue(name_en="Brand New Hall")
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    year = local_today().year - 1
    response = client.get(f"/manage/evaluation/{year}?lang=en")
    assert response.status_code == 200
    assert "it is not evaluated for that year" in response.get_data(as_text=True)
    assert client.get(f"/manage/evaluation/{local_today().year + 1}").status_code == 404


def test_venue_staff_and_other_roles_do_not_see_a_venues_evaluation(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_STAFF, venue=scenario["a"]).email)
    assert client.get(f"/manage/evaluation/{scenario['year']}").status_code == 403
    auth.logout()
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    assert client.get(f"/manage/evaluation/{scenario['year']}").status_code == 403


def test_a_district_admin_reads_their_districts_evaluation_without_the_weights(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    response = client.get(f"/admin/evaluation?year={scenario['year']}&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert scenario["a"].name_en in rows and "<strong>22.5</strong>" in rows
    assert scenario["b"].name_en not in page
    assert 'name="visits"' not in page and 'id="due-heading"' not in page  # no weights form, no city-wide list
    assert 'name="district"' not in page  # the download is of their district: nothing to choose


def test_a_district_admin_may_not_set_the_weights(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    assert client.post(f"/admin/evaluation?year={scenario['year']}", data=ONLY_VISITS).status_code == 403
    assert db.session.scalars(select(EvaluationWeight)).all() == []


def test_the_city_admin_downloads_the_evaluation_of_every_district_or_one(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    year = scenario["year"]
    assert 'action="/admin/evaluation.csv"' in client.get(f"/admin/evaluation?year={year}").get_data(as_text=True)
    rows = _csv(client.get(f"/admin/evaluation.csv?year={year}"))
    assert [r["venue_en"] for r in rows] == [scenario["a"].name_en, scenario["b"].name_en]  # best first
    a = rows[0]
    assert (a["year"], a["venue"], a["district"], a["score"]) == (str(year), scenario["a"].name_zh, factories.XUANWU, "22.5")
    assert (a["visits"], a["visits_points"], a["visits_weight"], a["events_points"]) == ("59", "25", "25.0", "0")
    gulou = _csv(client.get(f"/admin/evaluation.csv?year={year}&district={factories.GULOU}"))
    assert [r["venue_en"] for r in gulou] == [scenario["b"].name_en]
    assert client.get(f"/admin/evaluation.csv?year={year}&district=999999").status_code == 400
    assert client.get("/admin/evaluation.csv?year=abc").status_code == 400


def test_a_district_admin_downloads_their_own_district_whatever_is_asked(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    year = scenario["year"]
    for query in ("", f"&district={factories.GULOU}", "&district=999999"):
        rows = _csv(client.get(f"/admin/evaluation.csv?year={year}{query}"))
        assert [r["venue_en"] for r in rows] == [scenario["a"].name_en], query

