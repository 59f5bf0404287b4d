"""A citizen signs in and out by keyboard alone; language and large-text switches work and stick."""
from __future__ import annotations

import re
from functools import partial

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.helpers import follow, is_focused, tab_to, translate

ELDER_MIN_TEXT_PX = 18
MIN_TARGET_PX = 44  # WCAG 2.5.5, in standard mode too (elder mode's are larger still)


def test_citizen_logs_in_and_out_with_the_keyboard_only(page, app):
    tr = partial(translate, app)  # the Chinese a user sees
    citizen = factories.user("citizen", name="王秀英", email="wang.xiuying@example.com")
    email = citizen.email

    page.goto("/")
    tab_to(page, page.get_by_role("banner").get_by_role("link", name=tr("Log in"), exact=True))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Log in"))

    tab_to(page, page.get_by_label(tr("Email"), exact=True))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    password = page.get_by_label(tr("Password"), exact=True)
    assert is_focused(password), "Tab from the email field does not reach the password"
    page.keyboard.type(factories.PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/me"), page.url
    expect(page.get_by_role("main")).to_contain_text("王秀英")

    tab_to(page, page.get_by_role("button", name=tr("Log out"), exact=True))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_contain_text(tr("You have logged out."))
    expect(page.get_by_role("banner").get_by_role("link", name=tr("Log in"), exact=True)).to_be_visible()
    assert page.goto("/me").url.split("?")[0].endswith("/login"), "signed out, /me must ask to log in again"


def test_language_link_sets_the_page_language_and_it_is_remembered(page, app):
    page.goto("/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")

    follow(page, page.get_by_role("link", name="English", exact=True))
    expect(html).to_have_attribute("lang", "en")

    # A plain link (no ?lang=) to another page: the cookie keeps English.
    footer = page.get_by_role("contentinfo")
    follow(page, footer.get_by_role("link", name=translate(app, "Privacy notice", "en")))
    expect(page).to_have_url(re.compile(r"/privacy$"))
    expect(html).to_have_attribute("lang", "en")
    assert _cookie(page, "lang")["value"] == "en"

    follow(page, page.get_by_role("link", name="中文", exact=True))
    expect(html).to_have_attribute("lang", "zh-CN")


def test_language_link_translates_the_heading(page, app, request):
    heading_zh, heading_en = translate(app, "Log in", "zh"), translate(app, "Log in", "en")
    if heading_zh == heading_en:
        request.applymarker(pytest.mark.xfail(
            strict=False, reason="no Chinese catalog compiled yet: app/translations/zh/.../messages.mo"))
    page.goto("/login")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(heading_zh)

    follow(page, page.get_by_role("link", name="English", exact=True))
    expect(heading).to_have_text(heading_en)
    assert heading_zh != heading_en, f"the login heading reads {heading_zh!r} in both languages"


def test_large_text_switch_enlarges_the_text_and_is_remembered(phone_page, app):
    page = phone_page
    tr = partial(translate, app)  # the Chinese a user sees
    page.goto("/")
    standard_px = _body_font_px(page)

    follow(page, page.get_by_role("link", name=tr("Large text"), exact=True))
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    elder_px = _body_font_px(page)
    assert elder_px >= ELDER_MIN_TEXT_PX and elder_px > standard_px, (standard_px, elder_px)

    follow(page, page.get_by_role("contentinfo").get_by_role("link", name=tr("Privacy notice")))
    expect(page).to_have_url(re.compile(r"/privacy$"))
    assert _body_font_px(page) >= ELDER_MIN_TEXT_PX, "large text was forgotten on the next page"
    assert _cookie(page, "mode")["value"] == "elder"

    follow(page, page.get_by_role("link", name=tr("Standard text"), exact=True))
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))


@pytest.mark.parametrize("path", ["/login", "/venues"])
@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_controls_are_44_px_touch_targets_in_either_mode(phone_page, mode, path):
    phone_page.goto(f"{path}?mode={mode}")
    small = phone_page.evaluate("""(minimum) => [...document.querySelectorAll(`header a, nav a, button,
        select, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio])`)]
      .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > 0)
      .filter(el => el.getBoundingClientRect().height < minimum)
      .map(el => `${el.outerHTML.slice(0, 80)} (${Math.round(el.getBoundingClientRect().height)}px)`)""",
                                 MIN_TARGET_PX)
    assert not small, f"controls under 44 px tall in {mode} mode:\n" + "\n".join(small)


def _body_font_px(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")


def _cookie(page, name: str) -> dict:
    found = [c for c in page.context.cookies() if c["name"] == name]
    assert found, f"no {name!r} cookie was set"
    return found[0]
