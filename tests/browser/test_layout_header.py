"""The site header on a 360 px phone in large text: the logo and the display switches stay in view, the
main navigation folds behind a menu button (a <details>, so it opens without JavaScript too), and the page
itself starts in the first screen. On a wide screen the navigation is shown as it always was."""
from __future__ import annotations

from functools import partial

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.helpers import follow, is_focused, log_in, tab_to, translate, with_prefs

PHONE_HEIGHT = 740  # conftest.PHONE
# Two rows of large text (the logo with the menu button, then the switches): under a fifth of the screen.
# The navigation spread out in rows of its own took about a third (238 px, 291 px signed in, in English).
HEADER_AT_MOST_PX = 140


def _header_height(page) -> float:
    return page.evaluate("() => document.querySelector('header.site-header').getBoundingClientRect().height")


def _main_nav(page, app, lang="zh"):
    return page.get_by_role("navigation", name=translate(app, "Main", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_header_leaves_a_phone_screen_to_the_page_in_large_text(new_page, app, lang, signed_in):
    page = new_page(phone=True)
    if signed_in:
        log_in(page, factories.user("citizen").email)
    page.goto(with_prefs("/venues", lang, "elder"))

    height = _header_height(page)
    assert height <= HEADER_AT_MOST_PX, f"the header is {height:.0f} px tall on a {PHONE_HEIGHT} px screen"
    # What stays in view: the logo and both switches.
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name=translate(app, "Standard text", lang), exact=True)).to_be_visible()
    expect(banner.get_by_role("link", name="English" if lang == "zh" else "中文", exact=True)).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_menu_button_opens_the_navigation_on_a_phone(new_page, app, javascript):
    tr = partial(translate, app)
    page = new_page(phone=True, javascript=javascript)
    page.goto(with_prefs("/", "zh", "elder"))
    venues = _main_nav(page, app).get_by_role("link", name=tr("Venues"), exact=True)
    expect(venues).to_be_hidden()

    menu = page.get_by_role("banner").get_by_text(tr("Menu"), exact=True)
    box = menu.bounding_box()
    assert box and box["height"] >= 48, f"the menu button is {box} (48 px at least in large text)"
    menu.click()
    expect(venues).to_be_visible()
    follow(page, venues)
    assert page.url.split("?")[0].endswith("/venues"), page.url
    # A new page starts with the menu folded again.
    expect(_main_nav(page, app).get_by_role("link", name=tr("Events"), exact=True)).to_be_hidden()


def test_the_menu_opens_and_its_links_follow_it_by_keyboard(new_page, app):
    tr = partial(translate, app)
    page = new_page(phone=True)
    page.goto(with_prefs("/", "zh", "elder"))

    summary = page.locator("header summary")
    tab_to(page, summary)
    assert summary.evaluate("el => el.parentElement.open") is False
    page.keyboard.press("Enter")
    assert summary.evaluate("el => el.parentElement.open") is True
    page.keyboard.press("Tab")
    assert is_focused(_main_nav(page, app).get_by_role("link", name=tr("Venues"), exact=True)), \
        "Tab from the opened menu does not reach its first link"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert summary.evaluate("el => el.parentElement.open") is False


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_a_wide_screen_shows_the_navigation_without_a_menu_button(page, app, mode):
    tr = partial(translate, app)
    page.goto(with_prefs("/", "zh", mode))

    for name in ("Venues", "Events", "Statistics", "Open data", "Log in", "Register"):
        expect(_main_nav(page, app).get_by_role("link", name=tr(name), exact=True)).to_be_visible()
    expect(page.locator("header summary")).to_be_hidden()
    assert _header_height(page) <= 160, _header_height(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_opened_menu_is_accessible_and_stays_within_the_phone(new_page, app, lang):
    page = new_page(phone=True, axe=True)
    log_in(page, factories.user("citizen").email)  # the longest menu: My SciVisit and Log out too
    page.goto(with_prefs("/venues", lang, "elder"))
    page.locator("header summary").click()
    expect(_main_nav(page, app, lang).get_by_role("button", name=translate(app, "Log out", lang))).to_be_visible()

    assert_accessible(page, f"{page.url} with the menu open (phone)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
