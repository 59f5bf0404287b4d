"""WCAG 2.1 AA in a real browser: every page, both languages, both modes, desktop and phone."""
from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.helpers import horizontal_overflow, unnamed_scroll_regions
from tests.browser.screens import cases


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("screen,lang,mode", cases())
def test_page_has_no_serious_accessibility_violations(new_page, screen, lang, mode, device):
    page = new_page(phone=device == "phone", bypass_csp=True)
    screen.open(page, lang, mode)
    assert_accessible(page, f"{page.url} ({device})", known=screen.known)


@pytest.mark.parametrize("screen,lang,mode", cases())
def test_page_does_not_scroll_sideways_on_a_360_px_phone(phone_page, screen, lang, mode):
    screen.open(phone_page, lang, mode)
    found = horizontal_overflow(phone_page)
    hint = "" if found["hasViewportMeta"] else " (the page has no <meta name=viewport>)"
    assert not found["overflows"], (
        f"{phone_page.url} is {found['scrollWidth']} px wide on a {found['viewport']} px screen; "
        f"sticking out: {', '.join(found['offenders']) or 'nothing visible (check margins)'}{hint}")


@pytest.mark.parametrize("screen,lang,mode", cases())
def test_every_scrolling_table_is_a_region_named_for_screen_readers(page, screen, lang, mode):
    screen.open(page, lang, mode)
    assert unnamed_scroll_regions(page) == [], f"{page.url}: focusable table frames without a region name"
