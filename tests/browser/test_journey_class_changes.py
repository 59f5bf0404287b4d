"""A teacher on a phone changes a confirmed class visit: lowering the numbers leads to the new slip
from the notice that says the old one no longer works; cancelling asks first, and going back keeps
the visit."""
from __future__ import annotations

import re
from functools import partial

from playwright.sync_api import expect

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from tests import factories
from tests.browser.helpers import follow, log_in, translate


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def test_a_teacher_lowers_the_numbers_prints_the_new_slip_then_cancels_after_being_asked(phone_page, app):
    page, tr = phone_page, partial(translate, app)
    teacher = factories.user("teacher")
    booking = factories.confirmed_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    log_in(page, teacher.email)

    page.goto(f"/bookings/{booking.id}")
    page.get_by_label(tr("Number of students"), exact=True).fill("25")
    follow(page, page.get_by_role("button", name=tr("Save the new numbers")))
    notice = page.locator(".flash")
    expect(notice).to_contain_text(tr("The new numbers are saved. The slip you printed and the QR code you saved "
                                      "before no longer work at the gate: bring the new slip or show the new code."))
    follow(page, notice.get_by_role("link", name=tr("Print the new slip")))
    expect(page).to_have_url(re.compile(rf"/bookings/{booking.id}/slip$"))
    expect(page.locator(".ticket-summary")).to_contain_text(tr(("%(num)d student", "%(num)d students"), num=25))

    page.goto(f"/bookings/{booking.id}")
    follow(page, page.get_by_role("link", name=tr("Cancel this booking…")))
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Cancel this booking?"))
    follow(page, page.get_by_role("link", name=tr("Keep the booking and go back")))
    assert _status(booking.id) == BookingStatus.CONFIRMED

    follow(page, page.get_by_role("link", name=tr("Cancel this booking…")))
    follow(page, page.get_by_role("button", name=tr("Yes, cancel this booking")))
    expect(page).to_have_url(re.compile(rf"/bookings/{booking.id}$"))
    assert _status(booking.id) == BookingStatus.CANCELLED
