"""A citizen books a public visit and opens the ticket; gate staff type a ticket's code on the scanner
page. The booking journey runs in Chinese, and also in English and in elder mode on a 360 px phone."""
from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from app.checkin import tickets
from tests import factories
from tests.browser.helpers import follow, horizontal_overflow, log_in, translate, with_prefs

ELDER_MIN_TARGET_PX = 44
_SMALL_CONTROLS_JS = """(minimum) => [...document.querySelectorAll(`main a.button, main a.slot-book, button,
    select, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio])`)]
  .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > 0)
  .filter(el => el.getBoundingClientRect().height < minimum)
  .map(el => `${el.outerHTML.slice(0, 80)} (${Math.round(el.getBoundingClientRect().height)}px)`)"""


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def book_public_visit(page, app, venue, slot, lang="zh", check=lambda: None):
    """Venue page → the slot's book link → a party of 3 → the booking page; ``check`` runs on each page."""
    tr = partial(translate, app, lang=lang)
    page.goto(f"/venues/{venue.id}")
    check()
    link = page.locator(f'a.slot-book[href="/slots/{slot.id}/book"]')
    if not link.count():  # the slot falls in next month
        follow(page, page.locator("a[rel=next]").first)
    follow(page, link)
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Book a visit"))
    check()
    page.get_by_label(tr("Number of people"), exact=True).fill("3")
    follow(page, page.get_by_role("button", name=tr("Book"), exact=True))
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    check()
    return tr


def assert_ticket_shown(page, tr):
    ticket = page.locator("#ticket")
    expect(ticket.get_by_role("heading", name=tr("Ticket"))).to_be_visible()
    qr = ticket.locator("img.ticket-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the ticket's QR image did not load"
    reference = ticket.locator(".ticket-ref-value")
    expect(reference).to_have_text(re.compile(r"\w{4}"))
    return reference.inner_text()


def test_citizen_books_a_visit_and_opens_the_ticket_then_staff_admit_at_the_gate(page, new_page, app):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    future = factories.slot(venue, days_ahead=2)
    citizen = factories.user("citizen", name="王秀英")
    log_in(page, citizen.email)
    tr = book_public_visit(page, app, venue, future)
    assert_ticket_shown(page, tr)
    expect(page.get_by_role("main")).to_contain_text(tr("%(n)d people", n=3))

    # The gate: a visit under way (check-in opens 30 minutes before the start; the booking window
    # does not allow booking a started slot through the page, so the factories book this one).
    today = factories.confirmed_visit(factories.slot_at(venue), citizen, party_size=3)
    gate = new_page(phone=True)
    log_in(gate, factories.user("venue_staff", venue=venue).email)
    gate.goto("/scan")
    code = gate.get_by_label(tr("Ticket code or booking number"))
    expect(code).to_be_focused()
    code.fill(tickets.code_for_booking(today))
    code.press("Enter")
    result = gate.locator("#scan-result")
    expect(result).to_have_class(re.compile(r"\btone-ok\b"))
    expect(result).to_contain_text(tr("Admitted"))
    expect(result).to_contain_text(tr("%(n)d people", n=3))


def test_citizen_books_in_english_on_a_phone_without_sideways_scrolling(phone_page, app):
    page = phone_page
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    slot = factories.slot(venue, days_ahead=2)
    log_in(page, factories.user("citizen").email)
    page.goto(with_prefs("/", lang="en"))  # the switch link; the cookie keeps English afterwards
    expect(page.locator("html")).to_have_attribute("lang", "en")

    def check():
        found = horizontal_overflow(page)
        assert not found["overflows"], f"{page.url} scrolls sideways at 360 px: {found}"

    tr = book_public_visit(page, app, venue, slot, lang="en", check=check)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_ticket_shown(page, tr)


def test_citizen_books_in_elder_mode_on_a_phone_without_sideways_scrolling(phone_page, app):
    page = phone_page
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    slot = factories.slot(venue, days_ahead=2)
    log_in(page, factories.user("citizen").email)
    page.goto(with_prefs("/", mode="elder"))
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))

    def check():
        found = horizontal_overflow(page)
        assert not found["overflows"], f"{page.url} scrolls sideways at 360 px: {found}"
        small = page.evaluate(_SMALL_CONTROLS_JS, ELDER_MIN_TARGET_PX)
        assert not small, f"{page.url}: controls under 44 px in elder mode:\n" + "\n".join(small)

    tr = book_public_visit(page, app, venue, slot, check=check)
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    assert_ticket_shown(page, tr)
