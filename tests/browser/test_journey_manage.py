"""A venue manager publishes a weekly schedule, sees the slots it made, and approves a class's request."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

from playwright.sync_api import expect

from app.bookings.models import BookingStatus
from app.bookings.party import class_party
from app.core.time import local_today
from tests import factories
from tests.browser.helpers import follow, log_in, translate


def test_manager_publishes_a_weekly_schedule_and_sees_its_slots(page, app):
    tr = partial(translate, app)
    manager = factories.user("venue_manager")
    log_in(page, manager.email)

    page.goto("/manage/schedules/new")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Publish a weekly schedule"))
    first = local_today() + timedelta(days=1)
    page.get_by_label(tr("First day"), exact=True).fill(first.isoformat())
    page.get_by_label(tr("Last day"), exact=True).fill((first + timedelta(days=13)).isoformat())
    weekdays = page.locator("input[name=weekdays]")
    for i in range(weekdays.count()):  # every day of the week, whatever the usual open days are
        weekdays.nth(i).check()
    page.get_by_label(tr("Times each day"), exact=True).fill("09:00-11:00,14:00-16:00")
    page.get_by_label(tr("Capacity of each slot (people)"), exact=True).fill("60")
    follow(page, page.get_by_role("button", name=tr("Publish schedule")))

    if not page.url.endswith("/manage/slots"):
        page.goto("/manage/slots")
    main = page.get_by_role("main")
    expect(main).to_contain_text("09:00")
    expect(main).to_contain_text("14:00")


def test_manager_approves_a_pending_class_request(page, app):
    tr = partial(translate, app)
    manager = factories.user("venue_manager")
    slot = factories.slot(manager.venue, audience="school", days_ahead=5)
    booking = factories.booked_visit(slot, factories.user("teacher"), class_name="五年级3班")
    assert booking.status == BookingStatus.PENDING
    log_in(page, manager.email)

    page.goto("/manage/bookings")
    request_card = page.locator("li.card").filter(has_text="五年级3班")
    with app.test_request_context("/?lang=zh"):
        party = class_party(30, 2)
    expect(request_card).to_contain_text(party)
    follow(page, request_card.get_by_role("button", name=tr("Approve"), exact=True))

    expect(page.get_by_role("main")).to_contain_text(tr("No requests are waiting."))
    visit = page.locator("tbody tr").filter(has=page.locator(f'a[href="/bookings/{booking.id}"]'))
    expect(visit).to_contain_text(tr(BookingStatus.CONFIRMED.label._args[0]))
