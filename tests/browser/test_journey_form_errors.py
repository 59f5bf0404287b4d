"""After a refused submission the keyboard user lands on the errors, and the title says so first."""
from __future__ import annotations

from functools import partial

from tests import factories
from tests.browser.helpers import is_focused, log_in, translate


def _active(page) -> str:
    return page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")


def test_a_refused_party_size_in_the_step_flow_takes_focus_to_the_field(page, app):
    tr = partial(translate, app)
    citizen = factories.user("citizen")
    slot = factories.slot()
    log_in(page, citizen.email)
    page.goto(f"/venues/{slot.venue_id}/book?step=children&slot={slot.id}&party_size=9")
    field = page.locator("[aria-invalid='true']").first
    assert is_focused(field), _active(page)
    assert page.title().startswith(tr("Error: ")), page.title()


def test_a_form_with_an_error_summary_takes_focus_to_the_summary_and_tab_reaches_the_first_field(page, app):
    tr = partial(translate, app)
    page.goto("/register")
    page.locator("input[name=name]").fill("李华")
    page.locator("button[type=submit], input[type=submit]").last.click()
    page.wait_for_load_state()
    assert is_focused(page.locator(".error-summary")), _active(page)
    assert page.title() == tr("Error: ") + tr("Register") + " · " + tr("SciVisit")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('form') !== null"), _active(page)


def test_an_unreadable_directory_search_takes_focus_to_what_is_wrong(page, app):
    tr = partial(translate, app, lang="en")
    page.goto("/venues?lang=en&q=" + "x" * 101)
    assert is_focused(page.locator(".error-summary")), _active(page)
    assert page.title().startswith(tr("Error: "))


def test_a_page_without_errors_keeps_its_title_and_focus(page, app):
    tr = partial(translate, app)
    page.goto("/register")
    assert page.title() == tr("Register") + " · " + tr("SciVisit")
    assert page.evaluate("() => document.activeElement === document.body")
