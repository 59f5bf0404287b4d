"""Every booking event queues an email in the booker's language with the booking's .ics attached."""
from __future__ import annotations

from datetime import time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from app.bookings import services as booking_services
from app.bookings.models import Booking, BookingStatus
from app.checkin import tickets
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling import services as scheduling_services
from tests import factories


def _messages(kind: str, booking) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.booking_id == booking.id)))


def _only(kind: str, booking) -> OutboxMessage:
    found = _messages(kind, booking)
    assert len(found) == 1, f"expected one {kind} message, found {len(found)}"
    return found[0]


def _attached_event(message: OutboxMessage):
    assert message.attachment_type == "text/calendar"
    assert message.attachment_name.endswith(".ics")
    return icalendar.Calendar.from_ical(message.attachment).walk("VEVENT")[0]


def _booker(role="citizen", locale=None):
    person = factories.user(role)
    person.locale = locale
    db.session.commit()
    return person


def _venue():
    return factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum",
                           address_zh="雨花台区紫荆花路9号", address_en="9 Zijinghua Road")


def test_a_confirmed_booking_is_told_in_chinese_by_default(app):
    day = local_today() + timedelta(days=2)
    citizen = _booker()
    booking = factories.booked_visit(factories.slot(_venue(), day=day, start=time(9, 30)), citizen, party_size=3)

    message = _only("booking_confirmed", booking)

    assert message.recipient == citizen.email and message.user_id == citizen.id
    assert "南京科技馆" in message.subject and "南京科技馆" in message.body
    assert "雨花台区紫荆花路9号" in message.body
    assert f"{day.year}年{day.month}月{day.day}日" in message.body and "09:30" in message.body
    assert tickets.grouped(booking.reference) in message.body and f"/bookings/{booking.id}" in message.body
    assert str(_attached_event(message)["uid"]) == f"booking-{booking.reference}@scivisit"


def test_a_confirmed_booking_is_told_in_english_to_an_english_speaker(app):
    day = local_today() + timedelta(days=2)
    citizen = _booker(locale="en")
    booking = factories.booked_visit(factories.slot(_venue(), day=day), citizen, party_size=3)

    message = _only("booking_confirmed", booking)

    assert "Nanjing Science Museum" in message.subject and "9 Zijinghua Road" in message.body
    assert day.strftime("%B") in message.body and "3 people" in message.body
    assert "Nanjing Science Museum" in str(_attached_event(message)["summary"])


def test_a_class_visit_request_is_acknowledged(app):
    teacher = _booker("teacher")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), teacher, students=30, adults=2)

    message = _only("booking_requested", booking)

    assert "四年级2班" in message.body and "30" in message.body
    assert str(_attached_event(message)["status"]) == "TENTATIVE"


def test_the_message_of_a_night_session_says_it_ends_the_next_day(app):
    citizen = _booker(locale="en")
    night = factories.slot_at(_venue(), starts_in=timedelta(days=2), length=timedelta(hours=3))
    night.ends_at = night.starts_at + timedelta(hours=30)  # on the next day, whatever the hour now
    db.session.commit()
    booking = factories.booked_visit(night, citizen, party_size=1)
    assert "(next day)" in _only("booking_confirmed", booking).body


def test_an_approved_class_visit_is_told(app):
    teacher = _booker("teacher", locale="en")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), teacher)
    manager = factories.user("venue_manager", venue=booking.venue)

    booking_services.approve_booking(manager, booking)
    db.session.commit()

    message = _only("booking_approved", booking)
    assert "approved" in message.body
    assert str(_attached_event(message)["status"]) == "CONFIRMED"


def test_a_declined_class_visit_is_told_with_the_reason(app):
    teacher = _booker("teacher")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), teacher)
    manager = factories.user("venue_manager", venue=booking.venue)

    booking_services.decline_booking(manager, booking, reason="当天展厅维护")
    db.session.commit()

    message = _only("booking_declined", booking)
    assert "当天展厅维护" in message.body
    assert str(_attached_event(message)["status"]) == "CANCELLED"


def test_a_cancellation_is_confirmed_with_a_cancelled_calendar_entry(app):
    citizen = _booker()
    booking = factories.booked_visit(factories.slot(days_ahead=4), citizen)

    booking_services.cancel_booking(citizen, booking, reason="临时有事")
    db.session.commit()

    message = _only("booking_cancelled", booking)
    assert "临时有事" in message.body
    event = _attached_event(message)
    assert str(event["status"]) == "CANCELLED" and event.decoded("sequence") == 2


def test_a_lowered_headcount_is_told_with_the_new_numbers(app):
    teacher = _booker("teacher")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), teacher, students=30, adults=2)

    booking_services.change_headcount(teacher, booking, students=24, adults=2)
    db.session.commit()

    message = _only("booking_changed", booking)
    assert "24" in message.body
    assert _attached_event(message).decoded("sequence") == 2


def test_joining_the_waiting_list_and_being_promoted_are_both_told(app):
    slot = factories.slot(capacity=2, days_ahead=4)
    first = _booker()
    taken = factories.booked_visit(slot, first, party_size=2)
    waiting = factories.booked_visit(slot, _booker(locale="en"), party_size=2, join_waitlist=True)

    waitlisted = _only("booking_waitlisted", waiting)
    booking_services.cancel_booking(first, taken)
    db.session.commit()

    assert "waiting list" in waitlisted.body
    promoted = _only("booking_promoted", waiting)
    assert db.session.get(Booking, waiting.id).status == BookingStatus.CONFIRMED
    assert str(_attached_event(promoted)["status"]) == "CONFIRMED"


def test_a_venue_closure_tells_each_booker_the_reason_in_their_language(app):
    venue = _venue()
    day = local_today() + timedelta(days=3)
    slot = factories.slot(venue, day=day)
    chinese = factories.booked_visit(slot, _booker())
    english = factories.booked_visit(slot, _booker(locale="en"))
    manager = factories.user("venue_manager", venue=venue)

    scheduling_services.close_venue(manager, venue, day, day, "设备检修", "Maintenance")
    db.session.commit()

    assert "设备检修" in _only("booking_closure", chinese).body
    message = _only("booking_closure", english)
    assert "Maintenance" in message.body and "设备检修" not in message.body
    assert str(_attached_event(message)["status"]) == "CANCELLED"


def test_an_unknown_event_is_a_programming_error(app):
    from app.bookings import notify

    booking = factories.booked_visit(factories.slot(), _booker())
    with pytest.raises(ValueError):
        notify.booking_event(booking, "exploded")


def test_booking_through_the_page_queues_the_confirmation(client, auth):
    import re

    slot = factories.slot()
    citizen = _booker()
    auth.login(citizen.email)
    form = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', form).group(1)

    client.post(f"/slots/{slot.id}/book", data={"party_size": 2, "request_key": key})

    booking = db.session.scalar(select(Booking).where(Booking.user_id == citizen.id))
    message = _only("booking_confirmed", booking)
    assert message.attachment and "BEGIN:VCALENDAR" in message.attachment


ADD_TO_CALENDAR = "打开即可加入您的日历"
MARKED_CANCELLED = "日历文件（.ics）会将本次参观标为已取消"


def test_a_cancellation_mail_says_the_attachment_marks_the_visit_cancelled(client, auth):
    citizen = _booker()
    booking = factories.booked_visit(factories.slot(days_ahead=4), citizen)
    assert ADD_TO_CALENDAR in _only("booking_confirmed", booking).body
    auth.login(citizen.email)

    assert client.post(f"/bookings/{booking.id}/cancel", data={"reason": ""}).status_code == 302

    message = _only("booking_cancelled", booking)
    assert str(_attached_event(message)["status"]) == "CANCELLED"
    assert MARKED_CANCELLED in message.body and ADD_TO_CALENDAR not in message.body


def test_a_decline_mail_says_the_attachment_marks_the_visit_cancelled(client, auth):
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), _booker("teacher", locale="en"))
    auth.login(factories.user("venue_manager", venue=booking.venue).email)

    response = client.post(f"/manage/bookings/{booking.id}/decline", data={"reason": "Hall under repair"})

    assert response.status_code == 302
    message = _only("booking_declined", booking)
    assert "marks this visit as cancelled" in message.body and "to add the visit" not in message.body
