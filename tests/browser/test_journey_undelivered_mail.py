"""After a mail-server outage, the city admin on a phone sends the given-up email again: ticking a whole
page at once (with script, in place; without, by reloading the page ticked), or every given-up message
after a confirmation that says how many."""
from __future__ import annotations

from functools import partial

import pytest
from playwright.sync_api import expect

from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import queue_message
from tests import factories
from tests.browser.helpers import follow, log_in, translate


@pytest.fixture
def outage(app):
    """Three messages given up while the mail server was down; the delivery job sends them later."""
    app.config.update(MAIL_DELIVER_IN_REQUEST=False)
    for i in range(3):
        message = queue_message(kind="booking_confirmed", recipient=f"visitor{i}@example.com",
                                subject=f"预约已确认 {i}", body="…")
        message.attempts, message.given_up_at, message.last_error = 5, utcnow(), "[Errno 111] Connection refused"
    db.session.commit()
    admin = factories.user("city_admin")
    return admin.email


def _boxes(page):
    return page.locator("input[type=checkbox][name=message]")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_city_admin_ticks_a_whole_page_and_sends_it_again(new_page, app, outage, javascript):
    tr = partial(translate, app)
    page = new_page(phone=True, javascript=javascript)
    log_in(page, outage)
    page.goto("/admin/mail")
    expect(_boxes(page)).to_have_count(3)

    select_all = page.get_by_role("button" if javascript else "link", name=tr("Select all on this page"))
    if javascript:
        select_all.click()  # in place: nothing reloads
        expect(page.get_by_role("button", name=tr("Clear the selection"))).to_be_visible()
    else:
        follow(page, select_all)
        assert "select=page" in page.url
    for i in range(3):
        expect(_boxes(page).nth(i)).to_be_checked()
    follow(page, page.get_by_role("button", name=tr("Send the selected again")))

    expect(page.get_by_role("main")).to_contain_text(
        tr(("%(num)d message is back in the queue: it goes out with the next delivery.",
            "%(num)d messages are back in the queue: they go out with the next delivery."), num=3))
    expect(page.get_by_role("main")).to_contain_text(tr("Every email has gone out."))


def test_city_admin_sends_every_given_up_message_again_after_a_confirmation(page, app, outage):
    tr = partial(translate, app)
    log_in(page, outage)
    page.goto("/admin/mail")

    follow(page, page.get_by_role("link", name=tr(("Send the %(num)d given-up message again…",
                                                  "Send all %(num)d given-up messages again…"), num=3)))
    expect(page.get_by_role("main")).to_contain_text(
        tr(("%(num)d message will be sent again.", "%(num)d messages will be sent again."), num=3))
    follow(page, page.get_by_role("button", name=tr(("Yes, send %(num)d message again",
                                                    "Yes, send %(num)d messages again"), num=3)))

    expect(page.get_by_role("main")).to_contain_text(tr("Every email has gone out."))
