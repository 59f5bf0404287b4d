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


def _publish(page, day, start: str, end: str) -> None:
    """The manager's new-slot form, filled and sent."""
    page.goto("/manage/slots/new")
    page.locator("#day").fill(day.isoformat())
    page.locator("#start").fill(start)
    page.locator("#end").fill(end)
    page.locator("#capacity").fill("30")
    page.locator("#day").locator("xpath=ancestor::form").locator("[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_slot_stopped_by_an_overlap_takes_focus_to_its_confirmation(page, app):
    from datetime import time, timedelta

    from app.core.time import local_today

    tr = partial(translate, app)
    manager = factories.user("venue_manager")
    day = local_today() + timedelta(days=21)
    factories.slot(manager.venue, day=day, start=time(9), end=time(12))
    log_in(page, manager.email)
    _publish(page, day, "10:00", "11:00")
    assert is_focused(page.locator("#overlap_ok")), _active(page)
    assert page.title().startswith(tr("Error: ")), page.title()


def test_a_slot_stopped_on_a_closed_day_takes_focus_to_the_question(page, app):
    from datetime import timedelta

    from app.core.time import local_today
    from app.extensions import db
    from app.scheduling.models import Closure

    manager = factories.user("venue_manager")
    day = local_today() + timedelta(days=21)
    db.session.add(Closure(venue_id=manager.venue_id, starts_on=day, ends_on=day, reason_zh="设备检修"))
    db.session.commit()
    log_in(page, manager.email)
    _publish(page, day, "10:00", "11:00")
    assert is_focused(page.locator("[data-needs-answer]")), _active(page)
    assert page.title().startswith(translate(app, "Error: ")), page.title()
