"""A visitor, not signed in, reads the statistics dashboard and downloads open data as CSV."""
from __future__ import annotations

import re
from functools import partial

from playwright.sync_api import expect

from app.extensions import db
from app.stats import rebuild
from tests import factories
from tests.browser.helpers import follow, translate


def test_visitor_reads_the_dashboard_and_downloads_daily_attendance_as_csv(page, app):
    tr = partial(translate, app)
    built = factories.stats_scenario()
    rebuild.rebuild_all()  # the rollups the dashboard reads
    db.session.commit()

    page.goto("/")
    follow(page, page.get_by_role("navigation", name=tr("Main")).get_by_role("link", name=tr("Statistics")))
    expect(page).to_have_url(re.compile(r"/stats$"))
    # the scenario's two days, through the dashboard's own filters
    page.get_by_label(tr("From"), exact=True).fill(built["day_a"].isoformat())
    page.get_by_label(tr("To"), exact=True).fill(built["day_b"].isoformat())
    follow(page, page.get_by_role("button", name=tr("Show"), exact=True))
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    glance = main.locator("ul.glance")
    # stats_scenario: 94 persons admitted, 3 classes with 30 + 12 + 24 students
    expect(glance).to_contain_text(tr(("%(num)s visit", "%(num)s visits"), num=94))
    expect(glance).to_contain_text(tr(("%(num)s school group", "%(num)s school groups"), num=3))
    expect(glance).to_contain_text(tr(("%(num)s student", "%(num)s students"), num=66))
    expect(main.locator(".charts")).to_be_visible()

    follow(page, page.get_by_role("navigation", name=tr("Main")).get_by_role("link", name=tr("Open data")))
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Open data"))
    dataset = page.locator("section#attendance-daily")
    expect(dataset).to_contain_text("场馆每日入馆人次")
    with page.expect_download() as info:
        dataset.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "attendance-daily.csv"
    body = open(download.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    header = body[3:].decode("utf-8").splitlines()[0].split(",")
    assert header[0] == "date", header
