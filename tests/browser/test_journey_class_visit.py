"""A verified teacher finds a venue, picks a school slot in its month calendar, requests a class visit
and takes away the confirmation: the slip (回执单) and a calendar file."""
from __future__ import annotations

import re
from functools import partial

from playwright.sync_api import expect

from app.bookings.models import BookingStatus
from tests import factories
from tests.browser.helpers import follow, log_in, translate


def book_link(page, slot):
    """The calendar's 预约 link of ``slot``, moving to the next month if the slot lies there."""
    link = page.locator(f'a.slot-book[href="/slots/{slot.id}/book"]')
    if not link.count():
        follow(page, page.locator("a[rel=next]").first)
    return link


def test_teacher_requests_a_class_visit_and_downloads_the_confirmation(page, app):
    tr = partial(translate, app)
    venue = factories.venue(name_zh="紫金山天文台科普园", name_en="Purple Mountain Science Park")
    slot = factories.slot(venue, audience="school", days_ahead=3)
    teacher = factories.user("teacher", name="李老师")
    log_in(page, teacher.email)

    page.goto("/venues")
    follow(page, page.get_by_role("link", name="紫金山天文台科普园"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("紫金山天文台科普园")
    link = book_link(page, slot)
    expect(link).to_contain_text(tr("Book"))
    follow(page, link)

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Book a visit"))
    page.get_by_label(tr("Class"), exact=True).fill("四年级2班")
    page.get_by_label(tr("Grade"), exact=True).select_option(label=tr("Grade %(n)d", n=4))
    page.get_by_label(tr("Number of students"), exact=True).fill("30")
    page.get_by_label(tr("Accompanying adults (teachers, parents)"), exact=True).fill("2")
    follow(page, page.get_by_role("button", name=tr("Send booking request")))

    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    main = page.get_by_role("main")
    expect(main.locator(".badge").first).to_have_text(tr(BookingStatus.PENDING.label._args[0]))
    expect(main).to_contain_text("四年级2班")
    booking_url = page.url

    follow(page, page.get_by_role("link", name=tr("Confirmation slip")))
    expect(page).to_have_url(re.compile(r"/bookings/\d+/slip$"))
    expect(page.get_by_role("main")).to_contain_text("紫金山天文台科普园")
    expect(page.get_by_role("main")).to_contain_text("四年级2班")

    page.goto(booking_url)
    ics_href = page.get_by_role("link", name=tr("Add to calendar")).get_attribute("href")
    response = page.request.get(ics_href)  # same cookies as the page: the teacher's own file
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/calendar"), response.headers["content-type"]
    assert "BEGIN:VEVENT" in response.text()
