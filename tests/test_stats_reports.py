"""Annual reports and the evaluation: figures from the data, the manager's remarks and submission,
and who may see what."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.stats import rebuild
from app.stats.models import EvaluationWeight, ReportSubmission
from tests import factories


@pytest.fixture
def scenario(app):
    built = factories.stats_scenario()
    rebuild.rebuild_all()
    db.session.commit()
    built["year"] = built["day_a"].year
    return built


def facts(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def manager_of(venue):
    return factories.user(Role.VENUE_MANAGER, venue=venue)


def registered_last_year(*venues) -> int:
    """Reports are filed for finished years of a venue's registration: last year, then."""
    year = date.today().year - 1
    for venue in venues:
        venue.created_at = venue.created_at.replace(year=year, month=3, day=1)
    db.session.commit()
    return year


def test_the_annual_report_agrees_with_the_raw_check_ins(client, auth, scenario):
    auth.login(manager_of(scenario["a"]).email)
    page = client.get(f"/manage/reports/{scenario['year']}?lang=en").get_data(as_text=True)
    figures = facts(page)
    assert (figures["Visits"], figures["Individual visitors"], figures["School groups"], figures["Students"]) == (
        "59", "8", "2", "42")
    assert (figures["Walk-ins"], figures["Free-open days"], figures["Free-open hours"]) == ("5", "1", "3")
    assert (figures["Schools served"], figures["Partner schools that visited"]) == ("2", "1")
    assert figures["No-shows"].startswith("1 (")


def test_the_report_downloads_as_xlsx_with_the_same_figures(client, auth, scenario):
    auth.login(manager_of(scenario["a"]).email)
    response = client.get(f"/manage/reports/{scenario['year']}.xlsx?lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert (summary["Visits"], summary["School groups"], summary["Students"], summary["Partner schools that visited"]) == (
        59, 2, 42, 1)
    months = list(book.worksheets[1].iter_rows(values_only=True))
    assert sum(row[1] for row in months[1:]) == 59


def test_the_manager_saves_remarks_and_submits_the_report(client, auth, scenario):
    manager = manager_of(scenario["a"])
    auth.login(manager.email)
    year = registered_last_year(scenario["a"])
    response = client.post(f"/manage/reports/{year}/text", data={"text": "更新了天文展区。"})
    assert response.status_code == 302
    response = client.post(f"/manage/reports/{year}/submit", data={})
    assert response.status_code == 302
    stored = db.session.scalar(select(ReportSubmission))
    db.session.refresh(stored)
    assert (stored.text, stored.submitted_by_id, stored.venue_id, stored.year) == (
        "更新了天文展区。", manager.id, scenario["a"].id, year)
    assert stored.submitted_at is not None


def test_a_submitted_report_keeps_its_remarks(client, auth, scenario):
    auth.login(manager_of(scenario["a"]).email)
    year = registered_last_year(scenario["a"])
    client.post(f"/manage/reports/{year}/text", data={"text": "第一版"})
    client.post(f"/manage/reports/{year}/submit", data={})
    response = client.post(f"/manage/reports/{year}/text", data={"text": "改过"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(ReportSubmission.text)) == "第一版"


def test_remarks_that_are_too_long_are_refused_next_to_the_field(client, auth, scenario):
    auth.login(manager_of(scenario["a"]).email)
    response = client.post(f"/manage/reports/{scenario['year']}/text", data={"text": "长" * 5000})
    assert response.status_code == 400
    assert 'id="text-error"' in response.get_data(as_text=True)


def test_the_figures_are_stored_with_the_report_only_as_filed(client, auth, scenario):
    """A draft keeps no figures (its page computes them); filing keeps them (tests/test_stats_report_as_filed.py)."""
    columns = set(ReportSubmission.__table__.columns.keys())
    assert columns == {"id", "venue_id", "year", "text", "updated_at", "submitted_at", "submitted_by_id",
                       "filed_figures"}
    auth.login(manager_of(scenario["a"]).email)
    client.post(f"/manage/reports/{scenario['year']}/text", data={"text": "草稿"})
    assert db.session.scalar(select(ReportSubmission.filed_figures)) is None


def test_the_city_admin_sees_every_venues_report_for_a_year(client, auth, scenario):
    year = registered_last_year(scenario["a"], scenario["b"])
    auth.login(manager_of(scenario["a"]).email)
    client.post(f"/manage/reports/{year}/submit", data={})
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/reports?year={year}&lang=en").get_data(as_text=True)
    assert scenario["a"].name_en in page and scenario["b"].name_en in page
    assert page.count("Submitted on") == 1 and "Not yet submitted" in page
    report = client.get(f"/admin/reports/{scenario['b'].id}/{scenario['year']}?lang=en").get_data(as_text=True)
    assert facts(report)["Visits"] == "35"


def test_a_district_admin_sees_the_reports_of_their_district_only(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    year = scenario["year"]
    assert client.get(f"/admin/reports/{scenario['a'].id}/{year}").status_code == 200
    assert client.get(f"/admin/reports/{scenario['b'].id}/{year}").status_code == 403
    assert client.get(f"/admin/reports/{scenario['b'].id}/{year}.xlsx").status_code == 403
    listing = client.get(f"/admin/reports?year={year}").get_data(as_text=True)
    assert scenario["a"].name_zh in listing and scenario["b"].name_zh not in listing


@pytest.mark.parametrize("path", ["/manage/reports/{year}", "/manage/reports/{year}.xlsx", "/admin/reports",
                                  "/admin/reports/{venue}/{year}", "/admin/evaluation", "/admin/equity"])
def test_anonymous_visitors_are_sent_to_log_in(client, scenario, path):
    response = client.get(path.format(year=scenario["year"], venue=scenario["a"].id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/manage/reports/{year}", "/admin/reports", "/admin/reports/{venue}/{year}",
                                  "/admin/evaluation", "/admin/equity"])
def test_citizens_are_refused(client, auth, scenario, path):
    auth.login(factories.user(Role.CITIZEN).email)
    assert client.get(path.format(year=scenario["year"], venue=scenario["a"].id)).status_code == 403


def test_a_manager_cannot_post_to_reports_as_another_role(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_STAFF, venue=scenario["a"]).email)
    assert client.post(f"/manage/reports/{scenario['year']}/submit", data={}).status_code == 403
    assert client.get(f"/admin/reports/{scenario['a'].id}/{scenario['year']}").status_code == 403


def test_a_district_admin_may_not_evaluate(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN).email)
    assert client.get("/admin/evaluation").status_code == 200  # their district's table, read only
    assert client.post("/admin/evaluation", data={"visits": "50"}).status_code == 403


def test_future_years_and_bad_years_have_no_report(client, auth, scenario):
    auth.login(manager_of(scenario["a"]).email)
    assert client.get(f"/manage/reports/{date.today().year + 2}").status_code == 404
    assert client.get("/manage/reports/1999").status_code == 404
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    for query in ("year=abc", "year=20260", "year=1999", "year=2999"):
        assert client.get(f"/admin/reports?{query}").status_code == 400
        assert client.get(f"/admin/evaluation?{query}").status_code == 400
    assert client.get(f"/admin/reports/424242/{scenario['year']}").status_code == 404


@pytest.mark.parametrize("year", [0, 1999, 10000])
@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_a_district_admin_asking_for_a_year_without_reports_is_told_not_found(client, auth, scenario, year, suffix):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    assert client.get(f"/admin/reports/{scenario['a'].id}/{year}{suffix}").status_code == 404


def test_the_evaluation_scores_venues_on_the_weighted_indicators(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/evaluation?year={scenario['year']}&lang=en").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    # A: 1 open day (25 points), 59 visits (25), 59 free visits (25), 2 groups (25), no events: 22.5 of 100.
    assert rows.index(scenario["a"].name_en) < rows.index(scenario["b"].name_en)
    assert "<strong>22.5</strong>" in rows


def test_the_city_admin_changes_the_weights(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    data = {"open_days": "0", "visits": "100", "free_visits": "0", "school_groups": "0", "events": "0",
            "confirm_past_year": "y"}  # the scenario's year is last year in the first days of January
    response = client.post(f"/admin/evaluation?year={scenario['year']}", data=data)
    assert response.status_code == 302
    assert {w.indicator: float(w.weight) for w in db.session.scalars(select(EvaluationWeight))}["visits"] == 100.0
    page = client.get(f"/admin/evaluation?year={scenario['year']}").get_data(as_text=True)
    assert page.count("<strong>25</strong>") == 2  # both venues: under 1,000 visits


def test_a_score_half_way_between_tenths_rounds_up(client, auth, scenario):
    """四舍五入, as a reviewer adds it up by hand: 6.25 is 6.3 (a float's round() gave 6.2)."""
    auth.login(factories.user(Role.CITY_ADMIN).email)
    # A: 25 points for open days, none for events: 25 × 1 ÷ (1 + 3) = 6.25.
    data = {"open_days": "1", "visits": "0", "free_visits": "0", "school_groups": "0", "events": "3",
            "confirm_past_year": "y"}
    assert client.post(f"/admin/evaluation?year={scenario['year']}", data=data).status_code == 302
    page = client.get(f"/admin/evaluation?year={scenario['year']}&lang=en").get_data(as_text=True)
    row = next(r for r in page.split("<tr") if scenario["a"].name_en in r)
    assert "<strong>6.3</strong>" in row


def test_bad_weights_are_shown_next_to_their_field(client, auth, scenario):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    data = {"open_days": "150", "visits": "x", "free_visits": "0", "school_groups": "0", "events": "0"}
    response = client.post("/admin/evaluation", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="open_days-error"' in page and 'id="visits-error"' in page
    zeros = {key: "0" for key in data}
    assert client.post("/admin/evaluation", data=zeros).status_code == 400
    # 0.001 would be stored as 0: said on its field, not as "every weight is 0".
    tiny = client.post("/admin/evaluation?lang=en", data={**zeros, "visits": "0.001"})
    assert tiny.status_code == 400 and 'id="visits-error"' in tiny.get_data(as_text=True)
    assert "one decimal place at most" in tiny.get_data(as_text=True)


def test_accreditations_due_within_90_days_are_listed_for_review(client, auth, scenario):
    factories.accreditation(scenario["a"], valid_to=date.today() + timedelta(days=30), certificate_no="DUE-1")
    factories.accreditation(scenario["b"], valid_to=date.today() + timedelta(days=200), certificate_no="LATER-1")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get("/admin/evaluation").get_data(as_text=True)
    due = page.split('id="due-heading"', 1)[1]
    assert "DUE-1" in due and "LATER-1" not in due
