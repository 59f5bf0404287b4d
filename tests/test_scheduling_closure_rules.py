"""Closures seen by visitors, one closure per day (also under a double click), and taking one back."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from app.bookings.models import BookingStatus
from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure, SlotStatus
from tests import factories
from tests.test_scheduling_closures import booked, reload


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def close(client, first, last=None, reason_zh="设备检修", reason_en="", **extra):
    return client.post("/manage/closures", data={
        "starts_on": first.isoformat(), "ends_on": last.isoformat() if last else "", "reason_zh": reason_zh,
        "reason_en": reason_en, "confirmed": "yes", **extra})


def closure_count() -> int:
    return db.session.scalar(select(func.count(Closure.id)))


def month_of(day) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --- visitors see the closed days and why --------------------------------------------------------

@pytest.mark.parametrize("lang, closed, reason", [("zh", "闭馆", "设备检修"), ("en", "Closed", "Maintenance")])
def test_the_venue_page_calendar_shows_a_closed_day_with_its_reason(client, manager, lang, closed, reason):
    day = local_today() + timedelta(days=3)
    assert close(client, day, reason_zh="设备检修", reason_en="Maintenance").status_code == 302
    client.post("/logout")
    page = client.get(f"/venues/{manager.venue.id}?month={month_of(day)}&lang={lang}").get_data(as_text=True)
    assert f'<span class="badge bad">{closed}</span> {reason}' in page


def test_an_english_visitor_reads_the_chinese_reason_when_there_is_no_english_one(client, manager):
    day = local_today() + timedelta(days=3)
    close(client, day, reason_zh="春节休馆")
    page = client.get(f"/venues/{manager.venue.id}/availability?month={month_of(day)}&lang=en").get_data(as_text=True)
    assert '<span class="badge bad">Closed</span> 春节休馆' in page


def test_a_closed_day_is_listed_on_phones_although_it_has_no_times(client, manager):
    day = local_today() + timedelta(days=3)
    close(client, day)
    page = client.get(f"/venues/{manager.venue.id}/availability?month={month_of(day)}").get_data(as_text=True)
    closed_days = [item for item in page.split('<li class="day')[1:] if "设备检修" in item]
    assert len(closed_days) == 1
    assert "no-slots" not in closed_days[0].split(">")[0]  # the phone list hides only days with nothing to say


def test_the_venue_feed_carries_an_upcoming_closure_as_an_all_day_event(client, manager):
    day = local_today() + timedelta(days=3)
    close(client, day, day + timedelta(days=1), reason_zh="设备检修", reason_en="Maintenance")
    closure_of(manager, local_today() - timedelta(days=5))  # over: not in the feed
    client.post("/logout")
    feed = client.get(f"/venues/{manager.venue.id}/calendar.ics?lang=en").data
    events = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]).endswith("closed: Maintenance")
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (day, day + timedelta(days=2))
    assert str(event["transp"]) == "TRANSPARENT"


# --- one closure per day ---------------------------------------------------------------------------

def test_the_same_closure_posted_twice_is_saved_once_and_the_second_is_told_why(client, manager):
    day = local_today() + timedelta(days=10)
    assert close(client, day).status_code == 302
    again = close(client, day)
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert 'id="starts_on-error"' in page
    assert f"本馆已在 {day.year}年{day.month}月{day.day}日 闭馆" in page
    assert closure_count() == 1


def test_a_closure_overlapping_another_is_refused_before_any_booking_is_cancelled(client, manager):
    day = local_today() + timedelta(days=4)
    close(client, day)
    slot = factories.slot(manager.venue, day=day + timedelta(days=1))
    _, booking = booked(slot)
    around = {"starts_on": (day - timedelta(days=1)).isoformat(), "ends_on": (day + timedelta(days=1)).isoformat(),
              "reason_zh": "检修"}
    preview = client.post("/manage/closures?lang=en", data=around)
    assert preview.status_code == 400
    assert "The venue is already closed on" in preview.get_data(as_text=True)
    assert client.post("/manage/closures", data={**around, "confirmed": "yes"}).status_code == 400
    assert closure_count() == 1
    assert reload(booking).status == BookingStatus.CONFIRMED and reload(slot).status == SlotStatus.OPEN


def test_closures_side_by_side_are_both_kept(client, manager):
    day = local_today() + timedelta(days=10)
    assert close(client, day).status_code == 302
    assert close(client, day + timedelta(days=1), day + timedelta(days=2)).status_code == 302
    assert closure_count() == 2


def test_another_venue_may_close_on_the_same_day(client, manager):
    day = local_today() + timedelta(days=10)
    db.session.add(Closure(venue_id=factories.venue().id, starts_on=day, ends_on=day, reason_zh="检修"))
    db.session.commit()
    assert close(client, day).status_code == 302
    assert closure_count() == 2


def test_four_posts_of_one_closure_at_once_save_it_once(app, manager):
    """A double click or two tabs: each post its own request, connection and transaction."""
    day = local_today() + timedelta(days=12)
    clients = []
    for _ in range(4):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = factories.session_id(manager)
            session["_fresh"] = True
        clients.append(client)
    start = threading.Barrier(len(clients))

    def post(client):
        start.wait(timeout=5)
        return close(client, day).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(post, clients, timeout=60))

    assert sorted(statuses) == [302, 400, 400, 400]
    db.session.expire_all()
    assert closure_count() == 1


# --- taking a closure back --------------------------------------------------------------------------

def closure_of(manager, first, last=None) -> Closure:
    row = Closure(venue_id=manager.venue.id, starts_on=first, ends_on=last or first, reason_zh="录错了",
                  created_by_id=manager.id)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_closures_page_offers_to_remove_a_closure_and_says_what_stays_cancelled(client, manager):
    closure = closure_of(manager, local_today() + timedelta(days=5))
    page = client.get("/manage/closures?lang=en").get_data(as_text=True)
    assert f'action="/manage/closures/{closure.id}/remove"' in page
    assert "Slots and bookings it cancelled stay cancelled" in page


def test_a_manager_removes_a_mistaken_closure_and_the_cancelled_slots_stay_cancelled(client, manager):
    day = local_today() + timedelta(days=5)
    slot = factories.slot(manager.venue, day=day)
    _, booking = booked(slot)
    close(client, day)
    closure = db.session.scalar(select(Closure))
    response = client.post(f"/manage/closures/{closure.id}/remove", follow_redirects=True)
    assert response.status_code == 200
    assert "已取消的场次仍保持取消" in response.get_data(as_text=True)
    assert closure_count() == 0
    assert reload(slot).status == SlotStatus.CANCELLED and reload(booking).status == BookingStatus.CANCELLED
    # The day is open again: the same closure can be recorded anew.
    assert close(client, day).status_code == 302


def test_another_venues_manager_cannot_remove_a_closure(client, auth):
    owner = factories.user("venue_manager")
    closure = closure_of(owner, local_today() + timedelta(days=5))
    auth.login(factories.user("venue_manager").email)
    assert client.post(f"/manage/closures/{closure.id}/remove").status_code == 403
    assert closure_count() == 1


def test_a_closure_that_is_over_stays_on_record(client, manager):
    closure = closure_of(manager, local_today() - timedelta(days=3), local_today() - timedelta(days=1))
    assert "/remove" not in client.get("/manage/closures").get_data(as_text=True)
    response = client.post(f"/manage/closures/{closure.id}/remove?lang=en", follow_redirects=True)
    assert "This closure is over and stays on record." in response.get_data(as_text=True)
    assert closure_count() == 1


def test_removing_an_unknown_closure_is_not_found(client, manager):
    assert client.post("/manage/closures/999999/remove").status_code == 404
