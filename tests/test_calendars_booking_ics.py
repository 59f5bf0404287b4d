"""A booking downloads as an .ics event that calendar programs read the same way."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import icalendar
import vobject
from sqlalchemy import select

from app.bookings import services as booking_services
from app.bookings.models import Booking
from app.checkin import tickets
from app.core.time import local_today
from app.extensions import db
from tests import factories


def _ics(client, booking_id: int):
    response = client.get(f"/bookings/{booking_id}/calendar.ics")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params.get("charset") == "utf-8"
    return response.get_data(as_text=True)


def _event(text: str):
    return icalendar.Calendar.from_ical(text).walk("VEVENT")[0]


def _citizen_booking(**slot_kw):
    slot = factories.slot(**slot_kw)
    citizen = factories.user("citizen")
    return factories.booked_visit(slot, citizen, party_size=3), citizen


def test_booking_ics_starts_at_the_local_time_in_asia_shanghai(client, auth):
    day = local_today() + timedelta(days=3)
    booking, citizen = _citizen_booking(day=day, start=time(9, 30), end=time(11, 0))
    auth.login(citizen.email)

    text = _ics(client, booking.id)

    event = _event(text)
    start = event.decoded("dtstart")
    assert start.replace(tzinfo=None) == datetime.combine(day, time(9, 30))
    assert str(start.tzinfo) == "Asia/Shanghai" and start.utcoffset() == timedelta(hours=8)
    assert "BEGIN:VTIMEZONE" in text and "TZID:Asia/Shanghai" in text
    assert "DTSTART;TZID=Asia/Shanghai:" in text


def test_booking_ics_reads_the_same_in_an_independent_parser(client, auth):
    day = local_today() + timedelta(days=3)
    booking, citizen = _citizen_booking(day=day, start=time(9, 30), end=time(11, 0))
    auth.login(citizen.email)

    parsed = vobject.readOne(_ics(client, booking.id))

    event = parsed.vevent
    assert event.uid.value == f"booking-{booking.reference}@scivisit"
    assert event.dtstart.value.utcoffset() == timedelta(hours=8)
    assert (event.dtstart.value.hour, event.dtstart.value.minute) == (9, 30)
    assert event.dtend.value - event.dtstart.value == timedelta(hours=1, minutes=30)
    assert event.valarm.trigger.value == timedelta(days=-1)
    assert tickets.grouped(booking.reference) in event.description.value  # as the booking page writes it


def test_booking_ics_uid_is_stable_across_downloads(client, auth):
    booking, citizen = _citizen_booking()
    auth.login(citizen.email)

    first, second = _event(_ics(client, booking.id)), _event(_ics(client, booking.id))

    assert str(first["uid"]) == str(second["uid"]) == f"booking-{booking.reference}@scivisit"


def test_booking_ics_sequence_increases_when_a_class_lowers_its_headcount(client, auth):
    teacher = factories.user("teacher")
    slot = factories.slot(audience="school", days_ahead=5, capacity=100)
    booking = factories.booked_visit(slot, teacher, students=30, adults=2)
    auth.login(teacher.email)
    before = _event(_ics(client, booking.id))

    booking_services.change_headcount(teacher, booking, students=25, adults=2)
    db.session.commit()
    after = _event(_ics(client, booking.id))

    assert after.decoded("sequence") > before.decoded("sequence")
    assert "25" in str(after["description"])


def test_a_cancelled_booking_ics_is_marked_cancelled_with_a_higher_sequence(client, auth):
    booking, citizen = _citizen_booking(days_ahead=4)
    auth.login(citizen.email)
    before = _event(_ics(client, booking.id))

    booking_services.cancel_booking(citizen, booking)
    db.session.commit()
    after = _event(_ics(client, booking.id))

    assert str(before["status"]) == "CONFIRMED" and str(after["status"]) == "CANCELLED"
    assert after.decoded("sequence") > before.decoded("sequence")
    assert not after.walk("VALARM")


def test_a_pending_class_visit_is_tentative_awaits_approval_and_has_no_reminder(client, auth):
    teacher = factories.user("teacher")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=5), teacher)
    auth.login(teacher.email)

    event = _event(_ics(client, booking.id))
    assert str(event["status"]) == "TENTATIVE" and not event.walk("VALARM")
    assert "等待场馆审核" in str(event["description"]) and "二维码" not in str(event["description"])


def test_a_place_on_the_waiting_list_promises_no_ticket_and_no_visit(client, auth):
    slot = factories.slot(capacity=2)
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)
    waiting = factories.user("citizen")
    auth.login(waiting.email)
    client.get("/?lang=en")
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    key = page.split('name="request_key" type="hidden" value="', 1)[1].split('"', 1)[0]
    saved = client.post(f"/slots/{slot.id}/book", data={"request_key": key, "party_size": 1, "join_waitlist": "y"},
                        follow_redirects=True).get_data(as_text=True)
    assert "you are on the waiting list" in saved and "Your booking is saved." not in saved
    booking = db.session.scalar(select(Booking).where(Booking.user_id == waiting.id))

    event = _event(_ics(client, booking.id))
    description = str(event["description"])
    assert str(event["status"]) == "TENTATIVE" and not event.walk("VALARM")  # no "Tomorrow: your visit"
    assert "waiting list" in description and "Show the ticket QR code" not in description


def test_booking_ics_has_a_reminder_the_day_before(client, auth):
    booking, citizen = _citizen_booking()
    auth.login(citizen.email)

    alarms = _event(_ics(client, booking.id)).walk("VALARM")

    assert len(alarms) == 1
    assert str(alarms[0]["action"]) == "DISPLAY"
    assert alarms[0].decoded("trigger") == timedelta(days=-1)


def test_booking_ics_names_the_venue_its_address_coordinates_and_the_party(client, auth):
    venue = factories.venue(name_zh="紫金山天文台", address_zh="玄武区北京东路71号",
                            latitude=Decimal("32.066"), longitude=Decimal("118.825"))
    slot = factories.slot(venue)
    citizen = factories.user("citizen")
    booking = factories.booked_visit(slot, citizen, party_size=3)
    auth.login(citizen.email)

    event = _event(_ics(client, booking.id))

    assert "紫金山天文台" in str(event["summary"])
    assert "玄武区北京东路71号" in str(event["location"])
    geo = event["geo"]
    assert (round(geo.latitude, 3), round(geo.longitude, 3)) == (32.066, 118.825)
    assert tickets.grouped(booking.reference) in str(event["description"]) and "3" in str(event["description"])
    assert str(event["url"]).endswith(f"/bookings/{booking.id}")


def test_booking_ics_has_no_geo_when_the_venue_has_no_coordinates(client, auth):
    booking, citizen = _citizen_booking()
    auth.login(citizen.email)

    assert "geo" not in _event(_ics(client, booking.id))


def test_booking_ics_download_is_named_after_the_reference(client, auth):
    booking, citizen = _citizen_booking()
    auth.login(citizen.email)

    response = client.get(f"/bookings/{booking.id}/calendar.ics")

    assert f'filename="scivisit-{booking.reference}.ics"' in response.headers["Content-Disposition"]


def test_another_user_gets_404_for_someones_booking_ics(client, auth):
    booking, _ = _citizen_booking()
    auth.login(factories.user("citizen").email)

    assert client.get(f"/bookings/{booking.id}/calendar.ics").status_code == 404


def test_the_manager_of_another_venue_gets_404_for_a_booking_ics(client, auth):
    booking, _ = _citizen_booking()
    auth.login(factories.user("venue_manager").email)

    assert client.get(f"/bookings/{booking.id}/calendar.ics").status_code == 404


def test_the_venues_manager_may_download_a_booking_ics(client, auth):
    booking, _ = _citizen_booking()
    manager = factories.user("venue_manager", venue=db.session.get(Booking, booking.id).venue)
    auth.login(manager.email)

    assert client.get(f"/bookings/{booking.id}/calendar.ics").status_code == 200


def test_an_unknown_booking_ics_is_404(client, auth):
    auth.login(factories.user("citizen").email)

    assert client.get("/bookings/999999/calendar.ics").status_code == 404


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client):
    booking, _ = _citizen_booking()

    response = client.get(f"/bookings/{booking.id}/calendar.ics")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_class_visits_entry_is_titled_with_the_venue_and_the_class(client, auth):
    teacher = factories.user("teacher")
    venue = factories.venue(name_zh="南京科技馆")
    morning = factories.slot(venue, audience="school", days_ahead=5, capacity=100)
    afternoon = factories.slot(venue, audience="school", days_ahead=5, start=time(14, 0), end=time(16, 0),
                               capacity=100)
    fourth = factories.booked_visit(morning, teacher, class_name="四年级2班")
    fifth = factories.booked_visit(afternoon, teacher, class_name="五年级1班")
    auth.login(teacher.email)

    assert str(_event(_ics(client, fourth.id))["summary"]) == "南京科技馆 · 四年级2班"
    assert str(_event(_ics(client, fifth.id))["summary"]) == "南京科技馆 · 五年级1班"


def test_a_partys_entry_is_titled_with_the_venue_alone(client, auth):
    booking, citizen = _citizen_booking(venue=factories.venue(name_zh="南京科技馆"))
    auth.login(citizen.email)

    assert str(_event(_ics(client, booking.id))["summary"]) == "南京科技馆"
