"""WCAG 2.1 AA in a real browser: every page, both languages, both modes, desktop and phone.

One test per page, language and mode loads the page twice, on a desktop and on a 360 px phone, each
with the Content-Security-Policy on: a test per device and per check would build the same rows and
sign in four times over, which made these audits most of the suite's time.
"""
from __future__ import annotations

import pytest

from tests.browser.axe import assert_all_accessible
from tests.browser.helpers import horizontal_overflow, unnamed_scroll_regions
from tests.browser.screens import cases


@pytest.mark.parametrize("screen,lang,mode", cases())
def test_page_is_accessible_and_fits_a_360_px_phone(new_page, screen, lang, mode):
    prepared = screen.prepare()
    desktop = new_page(axe=True)
    screen.open(desktop, lang, mode, prepared)
    assert unnamed_scroll_regions(desktop) == [], f"{desktop.url}: focusable table frames without a region name"

    phone = new_page(phone=True, axe=True)
    screen.open(phone, lang, mode, prepared)
    found = horizontal_overflow(phone)
    hint = "" if found["hasViewportMeta"] else " (the page has no <meta name=viewport>)"
    assert not found["overflows"], (
        f"{phone.url} is {found['scrollWidth']} px wide on a {found['viewport']} px screen; "
        f"sticking out: {', '.join(found['offenders']) or 'nothing visible (check margins)'}{hint}")

    assert_all_accessible({f"{desktop.url} (desktop)": desktop, f"{phone.url} (phone)": phone},
                          known=screen.known)
