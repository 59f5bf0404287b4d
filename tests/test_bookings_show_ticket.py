"""My bookings offers a "Show ticket" button on each booking whose ticket still gets its visitors in
(confirmed, its visit not over), not only the date link; none on a booking cancelled or past."""
from __future__ import annotations

import re
from datetime import timedelta

from app.bookings.models import BookingStatus
from app.extensions import db
from tests import factories


def _ticket_links(html: str) -> list[str]:
    return re.findall(r'<a class="button ticket-link" href="([^"]+)">', html)


def test_a_confirmed_visit_to_come_has_a_show_ticket_button_that_opens_its_ticket(client, auth):
    citizen = factories.user("citizen")
    coming = factories.booked_visit(factories.slot(days_ahead=3), citizen)
    cancelled = factories.booked_visit(factories.slot(days_ahead=4), citizen)
    cancelled.status = BookingStatus.CANCELLED
    over = factories.booked_visit(factories.slot(days_ahead=5), citizen)
    over.slot.starts_at -= timedelta(days=6)  # a visit made last week, still confirmed
    over.slot.ends_at -= timedelta(days=6)
    over.slot.local_date -= timedelta(days=6)
    db.session.commit()
    auth.login(citizen.email)

    html = client.get("/me/bookings?lang=en").get_data(as_text=True)

    assert _ticket_links(html) == [f"/bookings/{coming.id}#ticket"]
    assert re.search(r'class="button ticket-link"[^>]*><span aria-hidden="true">Show ticket</span>'
                     r'<span class="visually-hidden">Show ticket: ', html)
    ticket = client.get(f"/bookings/{coming.id}?lang=en").get_data(as_text=True)
    assert 'id="ticket"' in ticket and "ticket-qr" in ticket


def test_a_request_not_yet_confirmed_has_no_ticket_button(client, auth):
    teacher = factories.user("teacher")
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=10), teacher)
    booking.status = BookingStatus.PENDING  # as a venue that approves each class visit leaves it
    db.session.commit()
    auth.login(teacher.email)

    html = client.get("/me/bookings?lang=en").get_data(as_text=True)

    assert f"/bookings/{booking.id}" in html and _ticket_links(html) == []


def test_the_show_ticket_buttons_full_name_is_written_with_a_chinese_colon(client, auth):
    citizen = factories.user("citizen")
    factories.booked_visit(factories.slot(days_ahead=3), citizen)
    auth.login(citizen.email)

    html = client.get("/me/bookings?lang=zh").get_data(as_text=True)

    hidden = re.search(r'class="button ticket-link"[^>]*>.*?<span class="visually-hidden">(.*?)</span></a>', html, re.S)
    assert hidden and hidden.group(1).startswith("出示电子票：")
    assert ": " not in re.sub(r"<[^>]+>", "", hidden.group(1))
