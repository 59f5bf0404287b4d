"""The gate's scanner page on a 360 px phone in elder mode (and with the browser's text made larger on
top): the latest scans are read without scrolling sideways, each scan a card, every answer in view."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.checkin import services
from app.extensions import db
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.helpers import horizontal_overflow, log_in, translate, with_prefs
from tests.browser.screens import LANGS


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _gate_with_scans() -> str:
    """A gate's staff and a day of scans: admitted at named gates, and refused with the longest answers."""
    slot = factories.slot_at()
    staff = factories.gate_staff(slot.venue)
    for gate, party_size in (("东门 1 号闸机", 5), ("West entrance, group desk", 1)):
        booking = factories.confirmed_visit(slot, party_size=party_size)
        services.record_check_in(staff, booking.reference, gate=gate, now=slot.starts_at + timedelta(minutes=5))
    other = factories.confirmed_visit(factories.slot_at(), party_size=2)  # another venue's booking
    services.record_check_in(staff, other.reference, gate="North gate", now=slot.starts_at + timedelta(minutes=6))
    services.record_check_in(staff, "0000000000000000", gate="North gate", now=slot.starts_at + timedelta(minutes=7))
    db.session.commit()
    return staff.email


def _set_browser_text_size(page, px: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": px, "fixed": px}})


# Each latest scan's cells and badges, and how far the scans' frame scrolls sideways.
_SCANS_JS = """() => {
  const frame = document.querySelector('[aria-labelledby=recent-title]');
  return {
    sideways: frame.scrollWidth - frame.clientWidth,
    cells: [...frame.querySelectorAll('tbody td, tbody .badge')].map(td => {
      const box = td.getBoundingClientRect();
      return {text: td.innerText.trim(), left: box.left, right: box.right};
    }),
  };
}"""


@pytest.mark.parametrize("text_px", [16, 24], ids=["usual-text", "larger-text"])
@pytest.mark.parametrize("lang", LANGS)
def test_the_latest_scans_are_read_without_scrolling_sideways_in_elder_mode_on_a_phone(app, new_page, lang,
                                                                                         text_px):
    page = new_page(phone=True, axe=True)
    if text_px != 16:
        _set_browser_text_size(page, text_px)
    log_in(page, _gate_with_scans())
    page.goto(with_prefs("/scan", lang, "elder"))

    scans = page.evaluate(_SCANS_JS)
    assert page.locator("[aria-labelledby=recent-title] tbody tr").count() == 4
    assert scans["sideways"] <= 1, f"the latest scans scroll sideways by {scans['sideways']} px"
    width = page.viewport_size["width"]
    assert [c for c in scans["cells"] if c["left"] < 0 or c["right"] > width] == []
    # Every answer and gate is there to read.
    text = " ".join(c["text"] for c in scans["cells"])
    for words in ("东门 1 号闸机", "West entrance, group desk", translate(app, "Admitted", lang),
                  translate(app, "Ticket for another venue", lang), translate(app, "No such booking", lang)):
        assert words in text, words
    found = horizontal_overflow(page)
    assert not found["overflows"], found["offenders"]
    assert_accessible(page, f"/scan with scans ({lang}, elder, {text_px} px text)")
