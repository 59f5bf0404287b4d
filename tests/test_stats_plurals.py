"""Counts on the statistics pages agree with their nouns: "1 venue that opened", "2 venues that opened"."""
from __future__ import annotations

import re

from app.accounts.models import Role
from app.core.time import local_today
from app.extensions import db
from app.stats.models import VenueDailyStats
from tests import factories

YUHUATAI = "320114"


def glance(page: str) -> list[str]:
    """The at-a-glance counts as read: the figure and its words."""
    section = page.split('id="glance-heading"', 1)[1].split("</ul>", 1)[0]
    return [f"{figure} {words.strip()}" for figure, words in re.findall(r"<strong>([\d,]+)</strong>([^<]+)</li>",
                                                                          section)]


def opened(venue, persons: int) -> None:
    """``venue`` published a free slot today and admitted ``persons`` in as many classes of one student."""
    factories.slot(venue, day=local_today())
    db.session.execute(VenueDailyStats.__table__.insert(), [
        {"venue_id": venue.id, "day": local_today(), "visits": persons, "school_groups": persons,
         "school_students": persons}])
    db.session.commit()


def test_one_of_each_count_at_a_glance_is_singular(client, app):
    opened(factories.venue(district_code=YUHUATAI), 1)
    page = client.get(f"/stats?district={YUHUATAI}&lang=en").get_data(as_text=True)
    assert glance(page) == ["1 visit", "1 school group", "1 student", "1 venue that opened", "1 free-open day"]


def test_more_than_one_of_each_count_at_a_glance_is_plural(client, app):
    opened(factories.venue(district_code=YUHUATAI), 2)
    opened(factories.venue(district_code=YUHUATAI), 1)
    page = client.get(f"/stats?district={YUHUATAI}&lang=en").get_data(as_text=True)
    assert glance(page) == ["3 visits", "3 school groups", "3 students", "2 venues that opened", "2 free-open days"]


def test_chinese_reads_the_counts_at_a_glance_as_before(client, app):
    opened(factories.venue(district_code=YUHUATAI), 1)
    page = client.get(f"/stats?district={YUHUATAI}&lang=zh").get_data(as_text=True)
    assert glance(page) == ["1 入馆人次", "1 学校团体", "1 学生人次", "1 家场馆有开放", "1 免费开放天数"]


def test_a_venues_own_figures_count_in_the_singular_too(client, app):
    venue = factories.venue()
    opened(venue, 1)
    page = client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)
    section = page.split('id="venue-figures-heading"', 1)[1].split("</ul>", 1)[0]
    found = [f"{n} {w.strip()}" for n, w in re.findall(r"<strong>([\d,]+)</strong>([^<]+)</li>", section)]
    assert found == ["1 visit", "1 school group", "1 student", "1 free-open day"]


def test_a_district_with_one_school_says_school_not_schools(client, auth, app):
    factories.school(district_code=factories.GULOU)
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.GULOU).email)
    page = client.get("/admin/equity?lang=en").get_data(as_text=True)
    assert "1 of 1 school in Gulou District made no class visit" in page
    factories.school(district_code=factories.GULOU)
    page = client.get("/admin/equity?lang=en").get_data(as_text=True)
    assert "2 of 2 schools in Gulou District made no class visit" in page


def test_the_equity_total_names_its_districts(client, app):
    page = client.get("/stats/equity?lang=en").get_data(as_text=True)
    assert '<th scope="row">The 11 districts</th>' in page
    assert '<th scope="row">11 个区合计</th>' in client.get("/stats/equity?lang=zh").get_data(as_text=True)
