"""A citizen books a public visit and opens the ticket; gate staff type a ticket's code on the scanner
page. The booking journey runs in Chinese, and also in English on a 360 px phone; in elder mode it goes
one question per screen, on a 360 px phone with JavaScript off."""
from __future__ import annotations

import re
from datetime import time
from functools import partial

import pytest
from playwright.sync_api import expect

from app.checkin import tickets
from tests import factories
from tests.factories import PASSWORD
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
    expect(page.get_by_role("main")).to_contain_text(tr(("%(num)d person", "%(num)d people"), num=3))

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
    expect(result).to_contain_text(tr(("%(num)d person", "%(num)d people"), num=3))


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


def test_citizen_books_step_by_step_in_elder_mode_on_a_phone_without_javascript(new_page, app):
    """Signed out, from the venue page's one big button: log in, then a day, a time, how many people,
    how many children, the guardian's word and a check screen, each on its own screen, scripts off."""
    page = new_page(phone=True, javascript=False)
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    factories.slot(venue, days_ahead=2, start=time(9, 0), end=time(11, 0))
    full = factories.slot(venue, days_ahead=2, start=time(14, 0), end=time(16, 0), capacity=2)
    factories.booked_visit(full, factories.user("citizen"), party_size=2)
    citizen = factories.user("citizen")
    tr = partial(translate, app)

    def check(step=None):
        found = horizontal_overflow(page)
        assert not found["overflows"], f"{page.url} scrolls sideways at 360 px: {found}"
        small = page.evaluate(_SMALL_CONTROLS_JS, ELDER_MIN_TARGET_PX)
        assert not small, f"{page.url}: controls under 44 px in elder mode:\n" + "\n".join(small)
        expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        if step:
            expect(page.locator(".step-count")).to_contain_text(tr("Step %(n)d of %(total)d", n=step, total=5))

    def next_step():
        follow(page, page.get_by_role("button", name=tr("Next step"), exact=True))

    page.goto(with_prefs(f"/venues/{venue.id}", mode="elder"))
    check()
    follow(page, page.get_by_role("link", name=tr("Book a visit"), exact=True))
    expect(page).to_have_url(re.compile(r"/login\?next="))  # signed out: log in first, then come back
    page.locator("input[name=email]").fill(citizen.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Which day would you like to come?"))
    check(step=1)
    follow(page, page.locator("a.step-choice").first)

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("What time would you like to come?"))
    check(step=2)
    expect(page.locator("li.step-choice.full")).to_contain_text(tr("Fully booked"))  # shown, not hidden
    follow(page, page.locator("a.step-choice", has_text="09:00–11:00"))

    people = page.get_by_label(tr("How many people are coming, you included?"))
    check(step=3)
    people.fill("3")
    next_step()
    children = page.get_by_label(tr("How many of them are children under 14?"))
    check(step=4)
    children.fill("1")
    next_step()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("Will you come with the children as their parent or guardian?"))
    check(step=4)
    for answer in ("1", "3"):  # two steps back, the answers are still there
        follow(page, page.get_by_role("link", name=tr("Back to the previous step")))
        expect(children if answer == "1" else people).to_have_value(answer)
    next_step()
    next_step()
    page.get_by_label(tr("Yes, I will come with them")).check()
    next_step()

    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Please check your booking"))
    check(step=5)
    expect(page.get_by_role("main")).to_contain_text(tr(("%(num)d person", "%(num)d people"), num=3))
    expect(page.get_by_role("main")).to_contain_text("09:00–11:00")
    follow(page, page.get_by_role("button", name=tr("Confirm booking"), exact=True))

    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    check()
    assert_ticket_shown(page, tr)
