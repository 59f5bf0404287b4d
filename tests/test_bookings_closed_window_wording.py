"""A booking refused because its cut-off has passed says when booking closed, in the booker's language and
Nanjing time (本场次预约已于2026年12月1日星期二 22:00截止 / Booking for this visit closed at 22:00 on Tuesday,
December 1, 2026): on the booking page, when its form is sent anyway, on elder mode's steps and in the API."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

from sqlalchemy import func, select

from app.bookings.models import Booking
from app.core.time import local_today
from app.extensions import db
from tests import factories

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _zh_closed(day: date, at: str) -> str:
    return f"本场次预约已于{day.year}年{day.month}月{day.day}日{WEEKDAYS_ZH[day.weekday()]} {at}截止。"


def _en_closed(day: date, at: str) -> str:
    return f"Booking for this visit closed at {at} on {day:%A}, {day:%B} {day.day}, {day.year}."


def _text(response) -> str:
    """What a person reads: tags dropped (a day's parts, ``local_day``, joined as a browser shows them)."""
    html = re.sub(r"<wbr>|</?span[^>]*>", "", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _closed_slot(**kw):
    """Tomorrow 10:00, booking closing 36 hours before: at 22:00 yesterday, Nanjing time."""
    return factories.slot(days_ahead=1, start=time(10, 0), end=time(12, 0), window_closes_hours=36, **kw)


def _yesterday() -> date:
    return local_today() - timedelta(days=1)


def test_the_booking_page_says_when_booking_closed_in_chinese(client, auth):
    slot = _closed_slot()
    auth.login(factories.user("citizen").email)

    page = client.get(f"/slots/{slot.id}/book?lang=zh&mode=standard")

    assert page.status_code == 200
    assert _zh_closed(_yesterday(), "22:00") in _text(page)
    assert 'name="party_size"' not in page.get_data(as_text=True)


def test_a_booking_sent_after_the_cutoff_is_refused_saying_when_booking_closed(client, auth):
    slot = _closed_slot()
    auth.login(factories.user("citizen").email)

    refused = client.post(f"/slots/{slot.id}/book?lang=en&mode=standard",
                          data={"request_key": "k1", "party_size": 2, "children": 0})

    assert refused.status_code == 400
    assert _en_closed(_yesterday(), "22:00") in _text(refused)
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_elder_modes_steps_say_when_booking_for_the_chosen_time_closed(client, auth):
    slot = _closed_slot()
    auth.login(factories.user("citizen").email)

    check = client.get(f"/venues/{slot.venue_id}/book?step=check&slot={slot.id}&party_size=2&children=0"
                       f"&lang=zh&mode=elder")

    assert _zh_closed(_yesterday(), "22:00") in _text(check)
    assert "确认预约" not in _text(check)


def test_the_api_says_when_booking_closed_for_a_class_past_the_group_cutoff(client):
    # A school slot tomorrow 10:00 with the venue's 72-hour group cut-off (copied onto the slot).
    slot = factories.slot(days_ahead=1, start=time(10, 0), audience="school", window_closes_hours=72)
    teacher = factories.user("teacher")
    token = client.post("/api/v1/auth/token", json={"email": teacher.email, "password": factories.PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}

    refused = client.post("/api/v1/bookings?lang=en", headers=headers,
                          json={"slot_id": slot.id, "students": 20, "adults": 2, "grade": 4, "class_name": "四年级2班"})

    body = refused.get_json()
    assert (refused.status_code, body["error"]) == (400, "outside_booking_window")
    assert body["message"] == _en_closed(local_today() - timedelta(days=2), "10:00")
