"""GET /api/v1/stats/summary: the totals of the raw check-ins, and a 400 for every bad input."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.checkin.models import CheckIn, CheckInResult
from app.core.time import local_today
from app.extensions import db


def period(scenario, **extra) -> dict:
    return {"from": scenario["day_a"].isoformat(), "to": scenario["day_b"].isoformat(), **extra}


def raw_visits(**where) -> int:
    query = select(func.coalesce(func.sum(CheckIn.persons), 0)).where(CheckIn.result == CheckInResult.OK)
    for name, value in where.items():
        query = query.where(getattr(CheckIn, name) == value)
    return db.session.scalar(query)


def test_the_summary_agrees_with_the_raw_check_ins(client, scenario):
    body = client.get("/api/v1/stats/summary", query_string=period(scenario)).get_json()
    assert body["visits"] == raw_visits() == 94
    students = db.session.scalar(select(func.sum(CheckIn.students)).where(CheckIn.result == CheckInResult.OK))
    assert body["students"] == students == 66
    assert body["school_groups"] == db.session.scalar(
        select(func.count()).where(CheckIn.result == CheckInResult.OK, CheckIn.students.isnot(None))) == 3
    assert (body["walk_ins"], body["individual_visits"], body["adults_with_groups"]) == (9, 13, 6)
    assert (body["bookings"], body["no_shows"], body["no_show_rate"]) == (8, 1, 0.125)
    assert (body["venues"], body["open_days"], body["free_open_hours"], body["capacity_offered"]) == (2, 1, 3.0, 180)
    assert body["utilisation"] == round(85 / 180, 4)


def test_the_summary_needs_no_login_and_may_be_cached(client, scenario):
    response = client.get("/api/v1/stats/summary")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]


def test_the_summary_filters_by_district_and_by_venue(client, scenario):
    gulou = client.get("/api/v1/stats/summary", query_string=period(scenario, district="320106")).get_json()
    assert gulou["visits"] == raw_visits(venue_id=scenario["b"].id) == 35
    venue_a = client.get("/api/v1/stats/summary", query_string=period(scenario, venue=scenario["a"].id)).get_json()
    assert (venue_a["visits"], venue_a["school_groups"], venue_a["venue"]) == (59, 2, scenario["a"].id)
    nobody = client.get("/api/v1/stats/summary", query_string=period(scenario, district="320118")).get_json()
    assert (nobody["visits"], nobody["utilisation"], nobody["no_show_rate"]) == (0, None, None)


def test_the_summary_filters_by_venue_type_operator_and_theme(client, scenario):
    def visits(**extra):
        return client.get("/api/v1/stats/summary", query_string=period(scenario, **extra)).get_json()["visits"]

    assert visits(type="university_museum") == 35
    assert visits(operator="government") == 59
    assert visits(theme="astronomy") == visits(theme="天文") == visits(theme="Astronomy") == 59


@pytest.mark.parametrize("theme", ["no such theme", "星际旅行"])
def test_a_theme_no_venue_has_is_refused_not_counted_as_zero(client, scenario, theme):
    response = client.get("/api/v1/stats/summary", query_string=period(scenario, theme=theme))
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_parameter" and response.get_json()["field"] == "theme"


def test_one_day_counts_that_day_only(client, scenario):
    body = client.get("/api/v1/stats/summary", query_string={"from": scenario["day_b"].isoformat(),
                                                             "to": scenario["day_b"].isoformat()}).get_json()
    assert body["visits"] == 35


def test_the_default_period_is_this_year_so_far(client, scenario):
    body = client.get("/api/v1/stats/summary").get_json()
    today = local_today()
    assert (body["from"], body["to"]) == (date(today.year, 1, 1).isoformat(), today.isoformat())


def test_days_after_today_count_nothing(client, scenario):
    tomorrow = local_today() + timedelta(days=1)
    body = client.get("/api/v1/stats/summary", query_string={"from": tomorrow.isoformat(),
                                                             "to": (tomorrow + timedelta(days=30)).isoformat()})
    assert body.status_code == 200
    assert body.get_json()["visits"] == 0


BAD_QUERIES = [
    ({"district": "999999"}, "district"),
    ({"district": "x" * 60}, "district"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
    ({"from": "2015-01-01", "to": "2026-01-01"}, "to"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-02-30"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-1-1"}, "to"),
    ({"from": "1900-01-01"}, "from"),
    ({"from": "99999-01-01"}, "from"),
    ({"venue": "abc"}, "venue"),
    ({"venue": "-1"}, "venue"),
    ({"venue": "99999999999999999999"}, "venue"),
    ({"venue": "424242"}, "venue"),
    ({"type": "castle"}, "type"),
    ({"operator": "pirates"}, "operator"),
    ({"theme": "x" * 90}, "theme"),
    ({"theme": "a\x00b"}, "theme"),
]
# Names the summary does not know: ``unknown_parameter``, as every API list answers them.
UNKNOWN_QUERIES = [
    ({"districts": "320102"}, "districts"),
    ({"limit": "1000000"}, "limit"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_input_is_a_400_naming_the_parameter(client, app, query, field):
    response = client.get("/api/v1/stats/summary", query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["field"] == field and body["message"]


@pytest.mark.parametrize(("query", "field"), UNKNOWN_QUERIES)
def test_an_unknown_parameter_is_a_400_naming_it(client, app, query, field):
    response = client.get("/api/v1/stats/summary", query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"], body["parameters"]) == ("unknown_parameter", field, [field])


def test_a_repeated_parameter_is_a_400(client, app):
    response = client.get("/api/v1/stats/summary?from=2026-01-01&from=2026-02-01")
    assert response.status_code == 400
    assert response.get_json()["field"] == "from"


def test_a_five_year_range_is_accepted(client, app):
    today = local_today()
    response = client.get("/api/v1/stats/summary", query_string={
        "from": (today.replace(year=today.year - 5) + timedelta(days=1)).isoformat(), "to": today.isoformat()})
    assert response.status_code == 200


def test_the_summary_is_documented_in_the_openapi_document(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/stats/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "district", "venue"}
    schema = doc["components"]["schemas"]["StatsSummary"]
    assert {"visits", "bookings", "school_groups", "students"} <= set(schema["required"])


def test_messages_follow_the_interface_language(client, app):
    english = client.get("/api/v1/stats/summary?district=nope&lang=en").get_json()
    assert "Unknown district" in english["message"]


def test_a_period_that_has_not_started_counts_through_no_day(client, scenario):
    """Not a ``through`` before ``from``: null, and zeros, as the OpenAPI document says."""
    next_year = local_today().year + 1
    body = client.get("/api/v1/stats/summary", query_string={"from": f"{next_year}-01-01", "lang": "en"}).get_json()
    assert (body["from"], body["to"], body["through"]) == (f"{next_year}-01-01", f"{next_year}-12-31", None)
    assert (body["visits"], body["bookings"], body["open_days"]) == (0, 0, 0)
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "null" in doc["components"]["schemas"]["StatsSummary"]["properties"]["through"]["type"]


def test_a_period_under_way_counts_through_today(client, scenario):
    today = local_today()
    body = client.get("/api/v1/stats/summary", query_string={"from": today.isoformat(),
                                                             "to": (today + timedelta(days=30)).isoformat()}).get_json()
    assert body["through"] == today.isoformat()
