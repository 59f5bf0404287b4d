"""A visitor without an account counts their party in at the venue's poster, on a phone."""
from __future__ import annotations

from functools import partial

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.checkin import walkins
from app.checkin.models import CheckIn, CheckInKind
from app.core.time import local_today
from app.extensions import db
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.helpers import translate, with_prefs
from tests.browser.screens import LANGS, MODES


def _poster_link(venue) -> str:
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"


def _count_in(page, app, lang: str, group: str) -> None:
    tr = partial(translate, app, lang=lang)
    page.get_by_label(tr("Who is visiting?")).select_option(label=tr(group))
    with page.expect_navigation():
        page.get_by_role("button", name=tr("Count us in")).click()


def test_an_older_visitor_must_choose_the_group_and_sees_the_one_counted(new_page, app):
    tr = partial(translate, app)
    venue = factories.venue()
    page = new_page(phone=True)
    page.goto(with_prefs(_poster_link(venue), "zh", "elder"))
    group = page.get_by_label(tr("Who is visiting?"))
    expect(group).to_have_value("")  # nobody is a child by default

    with page.expect_navigation():
        page.get_by_role("button", name=tr("Count us in")).click()
    expect(page.locator("#audience_group-error")).to_have_text(tr("Choose who is visiting."))
    expect(group).to_have_attribute("aria-invalid", "true")

    _count_in(page, app, "zh", "Seniors (60 and over)")
    expect(page.get_by_role("status")).to_contain_text(tr("Group: %(group)s", group=tr("Seniors (60 and over)")))
    db.session.expire_all()
    assert [(v.persons, v.audience_group.value) for v in db.session.scalars(
        select(CheckIn).where(CheckIn.venue_id == venue.id, CheckIn.kind == CheckInKind.WALK_IN))] == [(1, "senior")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("mode", MODES)
def test_the_counted_before_notice_is_readable(new_page, app, lang, mode):
    venue = factories.venue()
    page = new_page(phone=True, axe=True)
    page.goto(with_prefs(_poster_link(venue), lang, mode))
    _count_in(page, app, lang, "Adults")
    page.goto(with_prefs(_poster_link(venue), lang, mode))  # the same phone, later that day
    notice = translate(app, "This phone has already registered today; there is no need to do it again.", lang)
    expect(page.get_by_text(notice)).to_be_visible()
    assert_accessible(page, f"{page.url} (counted before, phone)")
