"""Tables on a 360 px phone: words, times and headings stay whole (a table wider than the phone
scrolls inside its own frame), and the page itself never scrolls sideways."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.bookings.models import Partnership
from app.core.time import local_today
from app.events.models import ThemedDay
from app.extensions import db
from tests import factories
from tests.browser.helpers import horizontal_overflow, log_in, translate, unnamed_scroll_regions, with_prefs
from tests.browser.screens import LANGS, MODES, _citizen_bookings, _manager_staff

# The words of every table cell that the browser laid out over more than one line. A word is a run of
# letters and digits, with the colons of a time ("21:15:04"), or a date ("2026-12-03").
# A column heading in Chinese (入口) is one word too.
_SPLIT_WORDS_JS = r"""() => {
  const split = [];
  for (const cell of document.querySelectorAll('th, td')) {
    const words = cell.closest('thead') ? /[A-Za-z0-9]+|[\u4e00-\u9fff]+/g
                                        : /[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Za-z0-9]+(?::[0-9]+)*/g;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.visually-hidden')) continue;
      for (const match of node.data.matchAll(words)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


def _class_bookings() -> tuple[str, str]:
    teacher = factories.user("teacher")
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum")
    for days in (10, 11):
        factories.booked_visit(factories.slot(venue, audience="school", days_ahead=days, capacity=100), teacher)
    return "/me/bookings", teacher.email


def _partners() -> tuple[str, str]:
    manager = factories.user("venue_manager")
    for _ in range(2):
        db.session.add(Partnership(venue_id=manager.venue_id, school_id=factories.school().id,
                                   valid_from=local_today(), valid_to=local_today() + timedelta(days=700),
                                   note="Agreement on guided tours"))
    db.session.commit()
    return "/manage/partners", manager.email


def _latest_scans() -> tuple[str, str]:
    slot = factories.slot_at()
    for _ in range(3):
        factories.admitted_visit(slot)
    return "/scan", factories.gate_staff(slot.venue).email


def _slots() -> tuple[str, str]:
    slot = factories.slot(capacity=2000)
    return "/manage/slots", factories.user("venue_manager", venue=slot.venue).email


def _themed_days() -> tuple[str, str]:
    db.session.add(ThemedDay(key="layout_day", name_zh="测试主题日", name_en="Test Day", rule_kind="fixed",
                             rule="05-12"))
    db.session.commit()
    return "/events", factories.user("citizen").email


TABLES = {"my-bookings": _class_bookings, "partners": _partners, "latest-scans": _latest_scans, "slots": _slots,
          "staff": _manager_staff}
# Tables in a section of the same name as their caption: the events page's coming themed days.
NAMED_TABLES = {**TABLES, "themed-days": _themed_days}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("table", TABLES)
def test_table_cells_keep_words_and_times_whole_on_a_phone(phone_page, table, lang, mode):
    path, email = TABLES[table]()
    log_in(phone_page, email)
    phone_page.goto(with_prefs(path, lang, mode))
    assert phone_page.locator("table tbody tr").count(), f"{path} shows no table rows to check"
    assert phone_page.evaluate(_SPLIT_WORDS_JS) == []
    found = horizontal_overflow(phone_page)
    assert not found["overflows"], f"{path} is {found['scrollWidth']} px wide: {found['offenders']}"


@pytest.mark.parametrize("table", TABLES)
def test_every_scrolling_table_is_a_region_named_for_screen_readers(page, table):
    path, email = TABLES[table]()
    log_in(page, email)
    page.goto(path)
    assert page.locator(".table-wrap[tabindex]").count(), f"{path} shows no scrolling table to check"
    assert unnamed_scroll_regions(page) == []


# Every region's name, as aria-labelledby or aria-label makes it (a labelled <section> is a region too).
_REGION_NAMES_JS = """() => [...document.querySelectorAll('[role=region], section[aria-labelledby]')]
  .filter(el => el.getAttribute('aria-labelledby') || el.getAttribute('aria-label'))
  .map(el => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby').split(/\\s+/)
    .map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join(' '))"""


@pytest.mark.parametrize("table", NAMED_TABLES)
def test_a_scrolling_table_is_not_a_second_region_of_its_sections_name(page, table):
    path, email = NAMED_TABLES[table]()
    log_in(page, email)
    page.goto(path)
    names = page.evaluate(_REGION_NAMES_JS)
    assert len(names) == len(set(names)), names


# --- lists of bookings on a phone: each booking's status in view, not off to the right of the screen --

def _venue_bookings() -> tuple[str, str]:
    manager = factories.user("venue_manager")
    for _ in range(2):
        factories.booked_visit(factories.slot(manager.venue, days_ahead=3, capacity=2000), factories.user("citizen"))
    return "/manage/bookings", manager.email


BOOKING_LISTS = {"citizen": _citizen_bookings, "teacher": _class_bookings, "manager": _venue_bookings}

# Each row's status cell, found by its column's heading.
_STATUS_BOXES_JS = """(heading) => [...document.querySelectorAll('table')].flatMap(table => {
  const column = [...table.tHead.rows[0].cells].findIndex(th => th.textContent.trim() === heading);
  return [...table.tBodies[0].rows].map(tr => {
    const box = tr.cells[column].getBoundingClientRect();
    return {text: tr.cells[column].innerText.trim(), left: box.left, right: box.right, width: box.width};
  });
})"""


@pytest.mark.parametrize(("lang", "mode"), [("zh", "elder"), ("en", "standard")])
@pytest.mark.parametrize("viewer", BOOKING_LISTS)
def test_each_bookings_status_is_in_view_on_a_phone_without_scrolling(app, phone_page, viewer, lang, mode):
    path, email = BOOKING_LISTS[viewer]()
    log_in(phone_page, email)
    phone_page.goto(with_prefs(path, lang, mode))
    statuses = phone_page.evaluate(_STATUS_BOXES_JS, translate(app, "Status", lang))
    assert statuses, f"{path} lists no bookings to check"
    width = phone_page.viewport_size["width"]
    for status in statuses:
        assert status["width"] > 0 and 0 <= status["left"] and status["right"] <= width, status
