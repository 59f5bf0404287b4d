"""The booking page on a 360 px phone: the booking number that a visitor reads out at the gate wraps
between its groups of four, never inside one, in the largest text (elder mode) too."""
from __future__ import annotations

import pytest

from app.checkin import tickets
from tests import factories
from tests.browser.helpers import log_in, with_prefs
from tests.browser.screens import LANGS, MODES


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


# Each group of every booking number on the page, with the lines it is laid out on.
_GROUP_LINES_JS = r"""() => [...document.querySelectorAll('.booking-number')].flatMap(number => {
  const text = number.firstChild;
  return [...text.data.matchAll(/\S+/g)].map(match => {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    return {group: match[0], lines: lines.size};
  });
})"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGS)
def test_the_booking_number_wraps_only_between_its_groups_on_a_phone(phone_page, lang, mode):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=3), citizen)
    log_in(phone_page, citizen.email)
    phone_page.goto(with_prefs(f"/bookings/{booking.id}", lang, mode))

    groups = phone_page.evaluate(_GROUP_LINES_JS)

    assert [g["group"] for g in groups] == tickets.grouped(booking.reference).split() * 2  # the facts, the ticket
    assert [g for g in groups if g["lines"] != 1] == []
