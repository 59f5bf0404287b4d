"""Closures, cancelled slots and capacity changes: bookings end, places return, bookers are told."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.bookings.services import book_individual_visit
from app.core.errors import DomainError
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Closure, Slot, SlotStatus
from tests import factories
from tests.test_scheduling_publish import next_monday, schedule_form, slot_count


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def booked(slot, party: int = 2):
    citizen = factories.user("citizen")
    booking = book_individual_visit(citizen, slot, party_size=party)
    db.session.commit()
    return citizen, booking


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def messages_to(user, kind: str) -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == kind))


def test_a_closure_says_what_it_cancels_and_waits_for_the_managers_confirmation(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=40)
    other = factories.slot(manager.venue, days_ahead=2, start=time(14, 0), end=time(16, 0))
    empty = factories.slot(manager.venue, days_ahead=3)
    _, booking = booked(slot, party=3)
    booked(other, party=2)
    answers = {"starts_on": slot.local_date.isoformat(), "ends_on": empty.local_date.isoformat(),
               "reason_zh": "设备检修", "reason_en": "Maintenance"}
    preview = client.post("/manage/closures?lang=en", data=answers)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    figures = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Time slots: 3 Bookings: 2 People booked: 5" in figures
    chinese = client.post("/manage/closures?lang=zh", data=answers).get_data(as_text=True)
    assert "场次： 3 预约： 2 预约人数： 5" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", chinese))  # 场次, as elsewhere
    assert '<input name="confirmed" type="hidden" value="yes">' in page
    assert reload(booking).status == BookingStatus.CONFIRMED and reload(empty).status == SlotStatus.OPEN
    assert db.session.scalar(select(func.count(Closure.id))) == 0
    assert client.post("/manage/closures", data={**answers, "confirmed": "yes"}).status_code == 302
    assert reload(booking).status == BookingStatus.CANCELLED and reload(empty).status == SlotStatus.CANCELLED


def test_a_closure_cancels_the_bookings_of_that_day_and_tells_each_booker(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=40)
    citizen, booking = booked(slot, party=3)
    response = client.post("/manage/closures", data={"starts_on": slot.local_date.isoformat(), "ends_on": "",
                                                     "reason_zh": "设备检修", "reason_en": "Maintenance",
                                                     "confirmed": "yes"})
    assert response.status_code == 302

    assert reload(booking).status == BookingStatus.CANCELLED
    assert (reload(booking).cancel_reason, reload(booking).cancel_reason_en) == ("设备检修", "Maintenance")
    slot = reload(slot)
    assert slot.status == SlotStatus.CANCELLED
    assert slot.taken == 0  # the places are released
    assert messages_to(citizen, "booking_closure") == 1
    closure = db.session.scalar(select(Closure))
    assert (closure.starts_on, closure.ends_on) == (slot.local_date, slot.local_date)


@pytest.mark.parametrize("lang, shown, hidden", [("en", "Maintenance", "设备检修"), ("zh", "设备检修", "Maintenance")])
def test_the_booker_reads_the_closures_reason_in_their_language(client, auth, manager, lang, shown, hidden):
    slot = factories.slot(manager.venue, days_ahead=2)
    citizen, booking = booked(slot)
    client.post("/manage/closures", data={"starts_on": slot.local_date.isoformat(), "reason_zh": "设备检修",
                                          "reason_en": "Maintenance", "confirmed": "yes"})
    auth.logout()
    auth.login(citizen.email)
    page = client.get(f"/bookings/{booking.id}?lang={lang}").get_data(as_text=True)
    assert f"<dd>{shown}</dd>" in page and hidden not in page
    assert {"en": "Cancelled by the venue, because", "zh": "场馆取消，原因"}[lang] in page
    [mine] = client.post(f"/me/data?lang={lang}").get_json()["bookings"]
    assert mine["cancel_reason"] == shown


@pytest.mark.parametrize("lang, said", [
    ("en", "Closure saved: 1 slot and 1 booking cancelled"),
    ("zh", "闭馆安排已保存：取消了 1 个场次和 1 个预约"),
])
def test_the_closure_message_counts_in_the_managers_language(client, manager, lang, said):
    slot = factories.slot(manager.venue, days_ahead=2)
    booked(slot)
    saved = client.post(f"/manage/closures?lang={lang}", follow_redirects=True,
                        data={"starts_on": slot.local_date.isoformat(), "reason_zh": "设备检修",
                              "confirmed": "yes"})
    assert said in saved.get_data(as_text=True)


@pytest.mark.parametrize("lang, with_slot, said", [
    ("en", True, "Closure saved: 1 slot cancelled. No one had booked them."),
    ("zh", True, "闭馆安排已保存：取消了 1 个场次，这些场次无人预约。"),
    ("en", False, "Closure saved. No slot was published on those days."),
    ("zh", False, "闭馆安排已保存。这些日期没有已发布的场次。"),
])
def test_a_closure_that_cancels_no_booking_does_not_say_bookers_were_told(client, manager, lang, with_slot, said):
    day = local_today() + timedelta(days=2)
    if with_slot:
        factories.slot(manager.venue, day=day)
    saved = client.post(f"/manage/closures?lang={lang}", follow_redirects=True,
                        data={"starts_on": day.isoformat(), "reason_zh": "设备检修"}).get_data(as_text=True)
    assert said in saved
    assert "the bookers are told" not in saved and "已通知预约人" not in saved


def test_a_closure_leaves_the_days_outside_its_range_alone(client, manager):
    inside = factories.slot(manager.venue, days_ahead=2)
    outside = factories.slot(manager.venue, days_ahead=4)
    _, kept = booked(outside)
    client.post("/manage/closures", data={"starts_on": inside.local_date.isoformat(),
                                          "ends_on": (inside.local_date + timedelta(days=1)).isoformat(),
                                          "reason_zh": "春节休馆"})  # no booking there: no question asked
    assert reload(inside).status == SlotStatus.CANCELLED
    assert reload(outside).status == SlotStatus.OPEN
    assert reload(kept).status == BookingStatus.CONFIRMED


def test_waiting_bookings_of_a_closed_day_are_cancelled_and_never_promoted(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=2)
    booked(slot, party=2)
    waiting_citizen = factories.user("citizen")
    waiting = book_individual_visit(waiting_citizen, slot, party_size=1, join_waitlist=True)
    db.session.commit()
    client.post("/manage/closures", data={"starts_on": slot.local_date.isoformat(), "reason_zh": "停电",
                                          "confirmed": "yes"})
    assert reload(waiting).status == BookingStatus.CANCELLED
    assert messages_to(waiting_citizen, "booking_promoted") == 0
    assert messages_to(waiting_citizen, "booking_closure") == 1
    assert reload(slot).taken == 0


def test_a_schedule_published_after_a_closure_skips_the_closed_days(client, manager):
    monday = next_monday()
    wednesday = monday + timedelta(days=2)
    client.post("/manage/closures", data={"starts_on": wednesday.isoformat(), "reason_zh": "馆内活动"})
    client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=13)))
    assert slot_count(manager.venue) == 18  # 20 less the two sessions of the closed Wednesday
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.local_date == wednesday)) == 0


def test_a_closure_needs_a_chinese_reason(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2)
    response = client.post("/manage/closures", data={"starts_on": slot.local_date.isoformat(), "reason_zh": " "})
    assert response.status_code == 400
    assert 'id="reason_zh-error"' in response.get_data(as_text=True)
    assert reload(slot).status == SlotStatus.OPEN


@pytest.mark.parametrize("days, field", [((-1, 0), "starts_on"), ((3, 1), "ends_on"), ((1, 400), "ends_on")])
def test_closure_dates_that_make_no_sense_are_refused(client, manager, days, field):
    today = local_today()
    response = client.post("/manage/closures", data={
        "starts_on": (today + timedelta(days=days[0])).isoformat(),
        "ends_on": (today + timedelta(days=days[1])).isoformat(), "reason_zh": "检修"})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Closure.id))) == 0


def test_the_closures_page_lists_past_closures(client, manager):
    day = local_today() + timedelta(days=5)
    client.post("/manage/closures", data={"starts_on": day.isoformat(), "reason_zh": "国庆闭馆"})
    page = client.get("/manage/closures").get_data(as_text=True)
    assert "国庆闭馆" in page and f"{day.year}年{day.month}月{day.day}日" in page  # dates as Chinese writes them


def test_cancelling_a_slot_ends_its_bookings_releases_the_places_and_tells_the_bookers(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=10)
    first, b1 = booked(slot, party=2)
    second, b2 = booked(slot, party=3)
    response = client.post(f"/manage/slots/{slot.id}/cancel", data={"reason": "讲解员临时有事"})
    assert response.status_code == 302
    assert reload(slot).status == SlotStatus.CANCELLED and reload(slot).taken == 0
    assert {reload(b1).status, reload(b2).status} == {BookingStatus.CANCELLED}
    assert messages_to(first, "booking_closure") == messages_to(second, "booking_closure") == 1


def test_a_cancelled_slot_takes_no_new_bookings(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2)
    client.post(f"/manage/slots/{slot.id}/cancel", data={"reason": "取消"})
    with pytest.raises(DomainError) as error:
        book_individual_visit(factories.user("citizen"), reload(slot), party_size=1)
    assert error.value.code == "slot_unavailable"


def test_cancelling_a_slot_needs_a_reason(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2)
    response = client.post(f"/manage/slots/{slot.id}/cancel", data={"reason": ""})
    assert response.status_code == 400
    assert reload(slot).status == SlotStatus.OPEN


def test_capacity_below_the_places_taken_is_refused_and_nothing_changes(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=10)
    booked(slot, party=4)
    booked(slot, party=3)
    response = client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "6"})
    assert response.status_code == 400
    assert 'id="capacity-error"' in response.get_data(as_text=True)
    slot = reload(slot)
    assert (slot.capacity, slot.taken) == (10, 7)


def test_capacity_can_be_lowered_to_the_places_taken(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=10)
    booked(slot, party=4)
    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "4"}).status_code == 302
    assert reload(slot).capacity == 4


def test_more_capacity_goes_to_the_waiting_list_first(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=2)
    booked(slot, party=2)
    waiting = book_individual_visit(factories.user("citizen"), slot, party_size=2, join_waitlist=True)
    db.session.commit()
    client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "5"})
    assert reload(waiting).status == BookingStatus.CONFIRMED
    assert reload(slot).taken == 4


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1e9", ""])
def test_nonsense_capacity_is_refused(client, manager, value):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=10)
    response = client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": value})
    assert response.status_code == 400
    assert reload(slot).capacity == 10


def test_the_slot_page_shows_capacity_taken_and_available(client, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=10)
    booked(slot, party=4)
    response = client.get(f"/manage/slots/{slot.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<dd>10</dd>" in page and "<dd>4</dd>" in page and "<dd>6</dd>" in page


def test_a_slot_someone_was_admitted_to_before_its_start_cannot_be_cancelled(client, manager):
    slot = factories.slot_at(manager.venue, starts_in=timedelta(minutes=10))
    checkin = factories.admitted_visit(slot)
    _, coming = booked(slot, party=2)
    response = client.post(f"/manage/slots/{slot.id}/cancel?lang=en", data={"reason": "讲解员临时有事"})
    assert "This slot has already started and cannot be cancelled." in response.get_data(as_text=True)
    assert reload(slot).status == SlotStatus.OPEN and reload(coming).status == BookingStatus.CONFIRMED
    assert db.session.get(Booking, checkin.booking_id).status == BookingStatus.CHECKED_IN


def test_a_closure_keeps_a_slot_with_visitors_admitted_and_ends_its_other_bookings(client, manager):
    slot = factories.slot_at(manager.venue, starts_in=timedelta(minutes=10), capacity=10)
    later = factories.slot_at(manager.venue, starts_in=timedelta(minutes=15))
    checkin = factories.admitted_visit(slot)
    citizen, coming = booked(slot, party=3)
    day = slot.local_date.isoformat()
    form = {"starts_on": day, "ends_on": later.local_date.isoformat(), "reason_zh": "突发停电"}
    preview = client.post("/manage/closures?lang=en", data=form)
    assert re.search(r"Time slots:\s*1\s*</li>\s*<li>Bookings:\s*1\s*</li>\s*<li>People booked:\s*3",
                     preview.get_data(as_text=True))
    assert client.post("/manage/closures?lang=en", data={**form, "confirmed": "yes"}).status_code == 302
    assert reload(slot).status == SlotStatus.OPEN and reload(slot).taken == checkin.persons
    assert reload(later).status == SlotStatus.CANCELLED
    assert db.session.get(Booking, checkin.booking_id).status == BookingStatus.CHECKED_IN
    assert reload(coming).status == BookingStatus.CANCELLED and messages_to(citizen, "booking_closure") == 1
