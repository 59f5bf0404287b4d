"""The period of every stats URL: at most five calendar years, whatever leap days it holds, and its dates
typed as a Chinese input method types them (full-width digits), as the app's forms take them."""
from __future__ import annotations

import pytest

FIVE_YEARS = [
    ("2020-01-01", "2024-12-31"),  # two leap days
    ("2024-01-01", "2028-12-31"),
    ("2021-01-01", "2025-12-31"),  # one leap day
    ("2024-02-29", "2029-02-28"),  # from a leap day: five years end with February of a common year
    ("2023-03-01", "2028-02-29"),
]
LONGER = [
    ("2020-01-01", "2025-01-01"),
    ("2021-01-01", "2026-01-01"),
    ("2024-02-29", "2029-03-01"),
    ("2023-03-01", "2028-03-01"),
]


@pytest.mark.parametrize(("first", "last"), FIVE_YEARS)
def test_the_api_takes_a_period_of_exactly_five_years(client, app, first, last):
    response = client.get("/api/v1/stats/summary", query_string={"from": first, "to": last})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["from"], response.get_json()["to"]) == (first, last)


@pytest.mark.parametrize(("first", "last"), FIVE_YEARS)
def test_the_dashboard_and_equity_pages_take_a_period_of_exactly_five_years(client, app, first, last):
    for path in ("/stats", "/stats/equity"):
        response = client.get(path, query_string={"from": first, "to": last, "lang": "en"})
        assert response.status_code == 200, path
        assert "at most five years" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("first", "last"), LONGER)
def test_a_period_longer_than_five_years_is_refused(client, app, first, last):
    response = client.get("/api/v1/stats/summary", query_string={"from": first, "to": last, "lang": "en"})
    assert response.status_code == 400
    body = response.get_json()
    assert (body["error"], body["field"]) == ("invalid_parameter", "to")
    assert body["message"] == "Choose a period of at most five years."
    page = client.get("/stats", query_string={"from": first, "to": last, "lang": "en"})
    assert page.status_code == 400 and "Choose a period of at most five years." in page.get_data(as_text=True)


def test_the_dashboard_takes_full_width_dates_and_shows_them_as_typed_by_a_keyboard(client, app):
    response = client.get("/stats?from=２０２６-０１-０１&to=２０２６－０３－３１&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is not a date" not in page
    assert 'value="2026-01-01"' in page and 'value="2026-03-31"' in page


def test_the_api_reads_full_width_dates_as_the_dashboard_does(client, app):
    response = client.get("/api/v1/stats/summary?from=２０２６-０１-０１&to=２０２６－０３－３１")
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["from"], response.get_json()["to"]) == ("2026-01-01", "2026-03-31")


def test_the_equity_page_and_its_data_read_full_width_dates(client, app):
    query = {"from": "２０２６-０１-０１", "to": "２０２６-０３-３１", "lang": "en"}
    assert client.get("/stats/equity", query_string=query).status_code == 200
    data = client.get("/stats/equity.json", query_string=query)
    assert data.status_code == 200


@pytest.mark.parametrize(("value", "message"), [
    ("２０２６-０２-３０", "2026-02-30 is not a date."),  # full width, read, and still no such day
    ("٢٠٢٦-٠١-٠١", "Give the date as YYYY-MM-DD."),  # other digits are not folded into 0–9
])
def test_a_full_width_date_that_is_no_date_is_still_refused(client, app, value, message):
    response = client.get("/api/v1/stats/summary", query_string={"from": value, "lang": "en"})
    assert response.status_code == 400
    assert (response.get_json()["field"], response.get_json()["message"]) == ("from", message)
