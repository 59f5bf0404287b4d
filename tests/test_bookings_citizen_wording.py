"""How a booker reads their visit: one written form of its day (2026年12月2日星期三 / Wednesday, December 2,
2026) on the booking page, the ticket, "my bookings" and the cancellation deadline; "1 人", not "人数 1";
and one booking number, labelled 预约号 and grouped in fours, wherever a person reads it."""
from __future__ import annotations

import re
from datetime import date, time

from sqlalchemy import select

from app.bookings import services as booking_services
from app.checkin import tickets
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _zh_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日{WEEKDAYS_ZH[day.weekday()]}"


def _en_day(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _text(response) -> str:
    """What a person reads: the page without its tags, spaces collapsed; inline ones (a day's parts,
    ``local_day``) join their words as the browser does."""
    html = re.sub(r"<wbr>|</?span[^>]*>", "", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _citizen_with_a_visit(**kw):
    citizen = factories.user("citizen")
    slot = factories.slot(days_ahead=5)
    return citizen, factories.booked_visit(slot, citizen, **kw)


def test_the_booking_page_writes_the_day_in_full_in_chinese_everywhere(client, auth):
    citizen, booking = _citizen_with_a_visit(party_size=1)
    auth.login(citizen.email)
    day = booking.slot.local_date

    page = _text(client.get(f"/bookings/{booking.id}?lang=zh"))

    assert f"日期 {_zh_day(day)} 时间 09:00–12:00" in page
    assert f"{_zh_day(day)} 09:00–12:00 · 1 人" in page  # the ticket
    assert re.search(r"您可以在 \d{4}年\d{1,2}月\d{1,2}日星期[一二三四五六日] \d\d:\d\d 之前取消", page)
    assert day.isoformat() not in page


def test_the_booking_page_writes_the_day_in_full_in_english(client, auth):
    citizen, booking = _citizen_with_a_visit()
    auth.login(citizen.email)
    day = booking.slot.local_date

    page = _text(client.get(f"/bookings/{booking.id}?lang=en"))

    assert f"Date {_en_day(day)} Time 09:00–12:00" in page
    assert f"{_en_day(day)} 09:00–12:00 · 2 people" in page
    assert re.search(r"You can cancel until \w+day, \w+ \d{1,2}, \d{4} \d\d:\d\d\.", page)


def test_my_bookings_write_the_visit_as_the_booking_page_does(client, auth):
    citizen, booking = _citizen_with_a_visit()
    auth.login(citizen.email)
    day = booking.slot.local_date

    assert f"{_zh_day(day)} 09:00–12:00" in _text(client.get("/me/bookings?lang=zh"))
    assert f"{_en_day(day)} 09:00–12:00" in _text(client.get("/me/bookings?lang=en"))


def test_a_party_of_one_reads_one_person(client, auth):
    citizen, booking = _citizen_with_a_visit(party_size=1)
    auth.login(citizen.email)
    assert "人数 1 人" in _text(client.get(f"/bookings/{booking.id}?lang=zh"))
    assert "People 1 person" in _text(client.get(f"/bookings/{booking.id}?lang=en"))


def test_a_confirmed_and_a_cancelled_booking_wear_different_status_badges_in_my_bookings(client, auth):
    citizen = factories.user("citizen")
    factories.booked_visit(factories.slot(days_ahead=5), citizen)
    dropped = factories.booked_visit(factories.slot(days_ahead=5, start=time(13), end=time(15)),
                                     citizen)
    booking_services.cancel_booking(citizen, dropped)
    db.session.commit()
    auth.login(citizen.email)

    html = client.get("/me/bookings?lang=zh").get_data(as_text=True)

    assert re.search(r'<span class="badge ok">\s*已确认\s*</span>', html)
    assert re.search(r'<span class="badge bad">\s*已取消\s*</span>', html)


def test_the_booking_number_reads_the_same_under_one_label_all_over_the_booking_page(client, auth):
    citizen, booking = _citizen_with_a_visit()
    auth.login(citizen.email)
    number = tickets.grouped(booking.reference)

    page = _text(client.get(f"/bookings/{booking.id}?lang=zh"))

    assert f"预约号 {number}" in page and f"预约号： {number}" in page  # the facts and the ticket
    assert booking.reference not in page  # nowhere ungrouped, the title and the heading included
    assert "预约编号" not in page
    english = _text(client.get(f"/bookings/{booking.id}?lang=en"))
    assert f"Booking number {number}" in english and "Reference" not in english


def test_the_booking_number_is_one_unit_for_the_browser_and_for_translators(client, auth):
    """Marked so that a narrow screen wraps only between its groups, and a page translator leaves it alone."""
    citizen, booking = _citizen_with_a_visit()
    auth.login(citizen.email)
    html = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    marked = f'<span class="booking-number" translate="no">{tickets.grouped(booking.reference)}</span>'
    assert html.count(marked) == 2  # the facts and the ticket


def test_a_class_slip_names_the_booking_number_as_the_ticket_does(client, auth):
    teacher = factories.user("teacher")
    booking = factories.confirmed_visit(factories.slot_at(), teacher, students=30, adults=3)
    auth.login(teacher.email)
    page = _text(client.get(f"/bookings/{booking.id}/slip?lang=zh"))
    assert f"预约号 {tickets.grouped(booking.reference)}" in page and booking.reference not in page


def test_the_booking_email_names_the_booking_number_as_the_pages_do(app):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=5), citizen)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.booking_id == booking.id))
    assert f"预约号：{tickets.grouped(booking.reference)}" in message.body
    assert booking.reference not in message.body.replace(f"/bookings/{booking.id}", "")
