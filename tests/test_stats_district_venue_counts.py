"""Venues per district count where the venue's figures count: for a period, in the district the venue
was registered in on the first day of the period's last month (统计口径：以当月1日场馆登记所在区为准).
A venue that moved is counted once: in its old district for the months before the move, in its new one
after; the venue registry (the directory, the venues dataset) stays where the venue is now.

The city (a Xuanwu venue with visits until April 2026, moving to Jiangning on 20 May 2026, and a
Jiangning venue) is ``tests.test_stats_district_move``'s."""
from __future__ import annotations

import re
from datetime import date, datetime

import time_machine

from app.core.time import LOCAL_TZ
from tests.factories import JIANGNING, XUANWU
from tests.test_stats_district_move import _visit, approve, city, csv_rows  # noqa: F401 (city: a fixture)

APRIL = {"from": "2026-04-01", "to": "2026-04-30"}  # the last whole month before the move
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}  # the first month after it
FIRST_HALF = {"from": "2026-01-01", "to": "2026-06-30"}
IN_JUNE = datetime(2026, 6, 20, 10, tzinfo=LOCAL_TZ)


def venues_by_district(client, **period) -> dict:
    rows = client.get("/stats/data/districts.json", query_string=period).get_json()["rows"]
    return {r["district"]: r["venues"] for r in rows}


def equity_venues(client, district_name: str, **period) -> str:
    page = client.get("/stats/equity", query_string={**period, "lang": "zh"}).get_data(as_text=True)
    row = re.search(rf'<th scope="row">{district_name}.*?</tr>', page, re.S).group(0)
    return re.findall(r'<td class="num">([^<]*)</td>', row)[4]  # residents, urban, visits, per 10,000, venues


def open_venues(client, district: str, **period) -> int:
    return client.get("/api/v1/stats/summary", query_string={**period, "district": district}).get_json()["venues"]


def approved_in_jiangning(client, auth, city):  # noqa: F811
    with time_machine.travel(datetime(2026, 5, 21, 10, tzinfo=LOCAL_TZ), tick=True):
        approve(client, auth, city["moving"].id, JIANGNING)


def test_a_venue_in_review_after_its_move_still_counts_in_its_old_district_for_the_months_before(
        client, city):  # noqa: F811
    with time_machine.travel(datetime(2026, 5, 21, 10, tzinfo=LOCAL_TZ), tick=True):
        april = venues_by_district(client, **APRIL)
        assert (april[XUANWU], april[JIANGNING]) == (1, 1)
        may = venues_by_district(client, **{"from": "2026-05-01", "to": "2026-05-31"})
        assert (may[XUANWU], may[JIANGNING]) == (1, 1)  # the month of the move is still Xuanwu's
        assert (equity_venues(client, "玄武区", **APRIL), equity_venues(client, "江宁区", **APRIL)) == ("1", "1")


def test_the_moved_venue_counts_in_the_old_district_before_the_move_and_in_the_new_one_after(
        client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        _visit(city["moving"], date(2026, 6, 10), 12)
        april, june = venues_by_district(client, **APRIL), venues_by_district(client, **JUNE)
        assert (april[XUANWU], april[JIANGNING]) == (1, 1)
        assert (june[XUANWU], june[JIANGNING]) == (0, 2)
        assert (equity_venues(client, "玄武区", **APRIL), equity_venues(client, "江宁区", **APRIL)) == ("1", "1")
        assert (equity_venues(client, "玄武区", **JUNE), equity_venues(client, "江宁区", **JUNE)) == ("0", "2")


def test_over_a_period_across_the_move_the_venue_is_counted_once_where_its_last_month_counts(
        client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        half = venues_by_district(client, **FIRST_HALF)
        assert sum(half.values()) == 2
        assert (half[XUANWU], half[JIANGNING]) == (0, 2)
        assert equity_venues(client, "江宁区", **FIRST_HALF) == "2"


def test_a_district_filter_counts_the_venue_where_it_was(client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        _visit(city["moving"], date(2026, 6, 10), 12)
        assert venues_by_district(client, **APRIL, district=XUANWU) == {XUANWU: 1}
        assert venues_by_district(client, **JUNE, district=XUANWU) == {XUANWU: 0}
        assert venues_by_district(client, **JUNE, district=JIANGNING) == {JIANGNING: 2}


def test_the_summarys_open_venues_follow_the_visits(client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        _visit(city["moving"], date(2026, 6, 10), 12)
        assert (open_venues(client, XUANWU, **APRIL), open_venues(client, JIANGNING, **APRIL)) == (1, 0)
        assert (open_venues(client, XUANWU, **JUNE), open_venues(client, JIANGNING, **JUNE)) == (0, 1)


def test_the_most_visited_venues_name_the_district_the_visits_count_for(client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        _visit(city["moving"], date(2026, 6, 10), 12)
        moving = city["moving"].id
        for period, district in ((APRIL, XUANWU), (JUNE, JIANGNING)):
            rows = client.get("/stats/data/top_venues.json", query_string=period).get_json()["rows"]
            assert {r["venue_id"]: r["district"] for r in rows}[moving] == district


def test_open_data_counts_the_venue_once_a_month_where_its_visits_are(client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        _visit(city["moving"], date(2026, 6, 10), 12)
        venues = {(r["month"], r["district"]): r["venues"] for r in csv_rows(client, "attendance-monthly-district")}
        assert venues[("2026-04", XUANWU)] == "1" and venues[("2026-04", JIANGNING)] == "0"
        assert venues[("2026-06", JIANGNING)] == "1" and venues[("2026-06", XUANWU)] == "0"


def test_the_registry_is_where_the_venue_is_now(client, auth, city):  # noqa: F811
    approved_in_jiangning(client, auth, city)
    with time_machine.travel(IN_JUNE, tick=True):
        registry = {int(r["venue_id"]): r["district"] for r in csv_rows(client, "venues")}
        assert registry[city["moving"].id] == JIANGNING


def test_the_pages_say_how_venues_are_counted(client, city):  # noqa: F811
    with time_machine.travel(datetime(2026, 5, 21, 10, tzinfo=LOCAL_TZ), tick=True):
        for page in ("/stats?lang=en", "/stats/equity?lang=en"):
            assert "in the period’s last month" in client.get(page).get_data(as_text=True)
