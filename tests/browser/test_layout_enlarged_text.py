"""An older visitor's phone: text made larger in the browser's own settings, or the whole page zoomed,
on top of elder mode. The pages grow with the browser's text size, a day of the visit keeps its date
and its weekday each whole, and the links that stand alone are as tall as a button to tap."""
from __future__ import annotations

import pytest

from tests import factories
from tests.browser.helpers import horizontal_overflow, log_in, with_prefs


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _set_browser_text_size(page, px: int) -> None:
    """The browser's own "text size" setting: the font size a page gets unless it sets one itself."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": px, "fixed": px}})


def _font_px(page, selector: str = "body") -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


@pytest.mark.parametrize(("mode", "at_least"), [("standard", 24), ("elder", 30)])
def test_the_browsers_larger_text_setting_enlarges_every_page(new_page, mode, at_least):
    page = new_page(phone=True)
    _set_browser_text_size(page, 24)  # 150 % of the usual 16 px
    page.goto(with_prefs("/venues", "zh", mode))

    assert _font_px(page) >= at_least
    found = horizontal_overflow(page)
    assert not found["overflows"], found["offenders"]


def test_a_larger_browser_text_keeps_the_booking_pages_within_the_phone(new_page):
    page = new_page(phone=True)
    _set_browser_text_size(page, 24)
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(factories.venue(), days_ahead=3), citizen, party_size=3)
    log_in(page, citizen.email)

    for path in (f"/bookings/{booking.id}", f"/bookings/{booking.id}/cancel", "/me/bookings",
                 f"/venues/{booking.venue.id}/book"):
        page.goto(with_prefs(path, "zh", "elder"))
        assert _font_px(page) >= 30, path
        found = horizontal_overflow(page)
        assert not found["overflows"], (path, found["offenders"])


# Each date (2026年12月2日) and each weekday (星期三) written in ``selector``, with the lines it is laid out on.
_DATE_AND_WEEKDAY_LINES_JS = r"""(selector) => {
  const found = [];
  for (const box of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\d{4}年\d{1,2}月\d{1,2}日|星期./g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        found.push([match[0], tops.size]);
      }
    }
  }
  return found;
}"""


@pytest.mark.parametrize("party_size", [1, 3])
def test_a_zoomed_phone_breaks_a_day_between_its_date_and_its_weekday(new_page, app, party_size):
    # Android's page zoom at 130 %: a 360 px phone lays pages out 277 px wide.
    page = new_page(phone=True)
    page.set_viewport_size({"width": 277, "height": 570})
    citizen = factories.user("citizen")
    venue = factories.venue()
    bookings = [factories.booked_visit(factories.slot(venue, days_ahead=days), citizen, party_size=party_size)
                for days in (2, 3, 5)]
    log_in(page, citizen.email)

    # the ticket and its "you can cancel until …", the list of bookings, the days to choose from
    for path in [f"/bookings/{b.id}" for b in bookings] + ["/me/bookings", f"/venues/{venue.id}/book"]:
        page.goto(with_prefs(path, "zh", "elder"))
        days = page.evaluate(_DATE_AND_WEEKDAY_LINES_JS, "main")
        assert days, f"no day with its weekday on {path}"
        broken = [text for text, lines in days if lines != 1]
        assert broken == [], f"a day broken inside its date or its weekday on {path}: {broken}"


def _short_targets(page, selector: str) -> list[str]:
    touch = page.evaluate("parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--touch'))")
    return page.evaluate("""([selector, touch]) => [...document.querySelectorAll(selector)].filter(el => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height < touch - 0.5;
    }).map(el => `${el.innerText.trim()} (${Math.round(el.getBoundingClientRect().height)} px)`)""", [selector, touch])


def test_the_links_that_stand_alone_are_targets_to_tap_in_elder_mode(new_page):
    page = new_page(phone=True)
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(factories.venue(), days_ahead=3), citizen, party_size=2)

    for path in ("/login", "/password/forgot"):
        page.goto(with_prefs(path, "zh", "elder"))
        assert _short_targets(page, "main a") == [], path
    log_in(page, citizen.email)
    for path in ("/me", f"/bookings/{booking.id}", f"/bookings/{booking.id}/cancel"):
        page.goto(with_prefs(path, "zh", "elder"))
        assert _short_targets(page, "main a:not(.change)") == [], path
