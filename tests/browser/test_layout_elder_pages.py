"""Elder mode on a 360 px phone: what is read as one thing stays on one line. The ticket's "2 people"
never leaves its count at the end of a line, and each day to choose in Chinese is one line. And pages read
on a phone in either mode: an event's times and elder mode's data dictionary are cards, not tables to scroll
sideways; the availability page's choices and month buttons are targets to tap."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.time import local_today
from tests import factories
from tests.browser.helpers import horizontal_overflow, log_in, translate, with_prefs
from tests.browser.screens import LANGS, MODES, _availability, _events_with_times


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


# The lines each occurrence of ``text`` inside ``selector`` is laid out on.
_LINES_OF_JS = r"""([selector, text]) => [...document.querySelectorAll(selector)].flatMap(box => {
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(text);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + text.length);
    found.push(new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size);
  }
  return found;
})"""

# Venue names of several lengths, so that the ticket's line of text ends at a different word each time.
VENUE_NAMES = ["Nanjing Museum", "Jiangsu Science and Technology Museum", "Nanjing Paleontological Museum",
               "Zijinshan Astronomical Observatory Science Hall", "Nanjing Geological Museum"]


@pytest.mark.parametrize("party_size", [1, 2])
def test_the_ticket_keeps_the_number_of_people_with_its_noun_on_a_phone(new_page, app, party_size):
    page = new_page(phone=True)
    citizen = factories.user("citizen")
    bookings = [factories.booked_visit(factories.slot(factories.venue(name_en=name), days_ahead=days),
                                       citizen, party_size=party_size)
                for name in VENUE_NAMES for days in (2, 3)]
    people = translate(app, ("%(num)d person", "%(num)d people"), lang="en", num=party_size)
    log_in(page, citizen.email)

    for booking in bookings:
        page.goto(with_prefs(f"/bookings/{booking.id}", lang="en", mode="elder"))
        lines = page.evaluate(_LINES_OF_JS, [".ticket-summary", people])
        assert lines == [1], f"“{people}” on the ticket of {booking.venue.name_en} spans {lines} lines"


def test_each_day_to_choose_is_one_line_in_chinese_on_a_phone(new_page):
    page = new_page(phone=True)
    venue = factories.venue()
    today = local_today()
    # The longest days to write (two-digit month and day) among those the day screen lists, if any.
    days = [today + timedelta(days=n) for n in range(1, 28)]
    for day in sorted(days, key=lambda d: (d.month < 10, d.day < 10))[:6]:
        factories.slot(venue, day=day, window_opens_days=30)
    log_in(page, factories.user("citizen").email)
    page.goto(with_prefs(f"/venues/{venue.id}/book", lang="zh", mode="elder"))

    lines = page.evaluate("""() => [...document.querySelectorAll('.step-choice .choice-main')].map(el => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return [el.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
    })""")

    assert len(lines) == 6
    assert [text for text, count in lines if count != 1] == []


# --- pages read on a phone in both modes: cards instead of a sideways-scrolling table, targets to tap ----

def _touch(page) -> float:
    """The page's own least tap target (--touch in app.css: larger in elder mode)."""
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--touch'))")


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].map(el => {
      const box = el.getBoundingClientRect();
      return {text: el.innerText.trim().slice(0, 60), left: box.left, right: box.right, height: box.height,
              width: box.width};
    })""", selector)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGS)
def test_each_time_of_an_event_is_a_card_in_view_on_a_phone(app, phone_page, lang, mode):
    phone_page.goto(with_prefs(_events_with_times(), lang, mode))
    width = phone_page.viewport_size["width"]

    cards = _boxes(phone_page, ".event-list tbody tr")
    assert len(cards) == 2, "the two times of the event"
    assert all(0 <= card["left"] and card["right"] <= width for card in cards), cards
    frames = phone_page.evaluate("""() => [...document.querySelectorAll('.event-list .table-wrap')]
      .map(el => el.scrollWidth - el.clientWidth)""")
    assert frames and max(frames) <= 1, f"a table of times scrolls sideways by {max(frames)} px"
    touch = _touch(phone_page)
    actions = _boxes(phone_page, ".event-list tbody a")
    assert actions and all(a["height"] >= touch for a in actions), (touch, actions)
    found = horizontal_overflow(phone_page)
    assert not found["overflows"], found["offenders"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGS)
def test_the_availability_choices_and_other_months_are_targets_to_tap(app, phone_page, lang, mode):
    phone_page.goto(with_prefs(_availability(), lang, mode))
    touch = _touch(phone_page)
    assert touch >= (48 if mode == "elder" else 44)  # WCAG 2.5.5's 44 px, and larger in elder mode

    choices = _boxes(phone_page, ".availability-filter label.check")
    months = _boxes(phone_page, ".month-nav a")
    assert len(choices) == 3 and len(months) == 2
    small = [t for t in choices + months if t["height"] < touch or t["width"] < touch]
    assert small == [], f"smaller than {touch} px: {small}"
    # the other months are buttons, not words to aim at
    assert phone_page.locator(".month-nav a.button").count() == 2


@pytest.mark.parametrize(("lang", "mode"), [("zh", "elder"), ("zh", "standard"), ("en", "elder")])
def test_the_date_fields_example_stays_on_one_line_on_a_phone(phone_page, lang, mode):
    phone_page.goto(with_prefs("/stats", lang, mode))
    assert phone_page.evaluate(_LINES_OF_JS, [".stats-filters .hint", "2026-05-01"]) == [1, 1]


@pytest.mark.parametrize("lang", LANGS)
def test_the_elder_data_dictionary_fits_a_phone(phone_page, lang):
    phone_page.goto(with_prefs("/open-data/", lang, "elder"))
    phone_page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")

    frames = phone_page.evaluate("""() => [...document.querySelectorAll('.dataset .table-wrap')]
      .map(el => el.scrollWidth - el.clientWidth)""")
    assert frames and max(frames) <= 1, f"a data dictionary scrolls sideways by {max(frames)} px"
    found = horizontal_overflow(phone_page)
    assert not found["overflows"], found["offenders"]
