"""Elder mode on a 360 px phone: what is read as one thing stays on one line. The ticket's "2 people"
never leaves its count at the end of a line, and each day to choose in Chinese is one line."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.time import local_today
from tests import factories
from tests.browser.helpers import log_in, translate, with_prefs


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
