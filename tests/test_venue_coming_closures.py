"""A venue's page tells visitors planning ahead (the Spring Festival, a maintenance week) which days
it is closed and why, before they page through the calendar month by month."""
from __future__ import annotations

from datetime import time, timedelta

from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure
from app.venues.models import VenueStatus
from tests import factories


def closure(venue, first, last, reason_zh="春节闭馆", reason_en="Closed for the Spring Festival"):
    row = Closure(venue_id=venue.id, starts_on=first, ends_on=last, reason_zh=reason_zh, reason_en=reason_en)
    db.session.add(row)
    db.session.commit()
    return row


def page(client, venue, lang="zh") -> str:
    response = client.get(f"/venues/{venue.id}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_venue_page_lists_coming_closures_with_their_reason_in_the_readers_language(client):
    venue = factories.venue()
    today = local_today()
    closure(venue, today + timedelta(days=60), today + timedelta(days=66))
    closure(venue, today + timedelta(days=20), today + timedelta(days=20), "设备检修", "")

    zh = page(client, venue)
    assert 'class="notice coming-closures"' in zh and "春节闭馆" in zh and "设备检修" in zh
    assert zh.index("设备检修") < zh.index("春节闭馆")  # soonest first
    month = (today + timedelta(days=60)).strftime("%Y-%m")
    assert f"month={month}" in zh  # each closure opens its month of the calendar

    en = page(client, venue, "en")
    assert "Coming closures" in en and "Closed for the Spring Festival" in en
    assert "设备检修" in en  # no English reason given: the Chinese one, rather than nothing


def test_past_and_far_off_closures_are_not_listed_and_a_venue_without_any_says_nothing(client):
    venue = factories.venue()
    today = local_today()
    closure(venue, today - timedelta(days=10), today - timedelta(days=3), "已结束的检修")
    closure(venue, today + timedelta(days=400), today + timedelta(days=401), "很远的闭馆")
    html = page(client, venue)
    assert "已结束的检修" not in html and "很远的闭馆" not in html and "coming-closures" not in html


def test_a_closure_under_way_and_its_special_openings_are_shown(client):
    venue = factories.venue()
    today = local_today()
    closure(venue, today, today + timedelta(days=3), "春节闭馆")
    factories.slot(venue, days_ahead=2, start=time(19, 0), end=time(21, 0))  # an evening opened anyway
    html = page(client, venue, "en")
    assert "Closed for the Spring Festival" in html
    assert "some times are open as special openings" in html


def test_an_unpublished_venue_has_no_closure_notice_for_the_public(client):
    venue = factories.venue(status=VenueStatus.DRAFT)
    closure(venue, local_today() + timedelta(days=5), local_today() + timedelta(days=6))
    assert client.get(f"/venues/{venue.id}").status_code == 404


def test_the_closure_notice_writes_chinese_punctuation_in_chinese(client):
    venue = factories.venue()
    today = local_today()
    closure(venue, today, today + timedelta(days=3), "春节<闭馆>")
    factories.slot(venue, days_ahead=2, start=time(19, 0), end=time(21, 0))  # an evening opened anyway

    zh = page(client, venue)
    assert "</a>：春节&lt;闭馆&gt;（闭馆，但部分场次特别开放，详见日历）</li>" in zh
    en = page(client, venue, "en")
    assert "</a>: Closed for the Spring Festival (closed, but some times are open as special openings: " in en
