"""District admins see the cooperation agreements (馆校合作协议) of their district's schools and venues,
read only; the city admin sees every district's, or one district's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from app.bookings.models import Partnership
from app.bookings.partnerships import school_year_of
from app.core.time import local_today
from app.extensions import db
from tests import factories

XUANWU, GULOU, JIANYE = "320102", "320106", "320105"


def school(district_code: str, name: str):
    return factories.school(district_code=district_code, name_zh=name, name_en="")  # shown by its Chinese name


def agree(venue, school, valid_from, valid_to) -> Partnership:
    partnership = Partnership(venue_id=venue.id, school_id=school.id, valid_from=valid_from, valid_to=valid_to)
    db.session.add(partnership)
    db.session.commit()
    return partnership


def rows(page: str) -> dict[str, str]:
    """Each agreement's row, by its school's name."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S):
        name = re.search(r'<th scope="row">([^<]+?)\s*<', row).group(1).strip()
        found[name] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    return found


@pytest.fixture
def agreements(app):
    """A Xuanwu school partnered with a Gulou venue, a Gulou school with a Xuanwu venue, and a Jianye
    school with a Jianye venue; plus one that ended in the last school year."""
    today = local_today()
    first, last = school_year_of(today)
    xuanwu_venue, gulou_venue, jianye_venue = (factories.venue(district_code=c, name_zh=f"{c}馆", name_en="")
                                              for c in (XUANWU, GULOU, JIANYE))
    made = {
        "xuanwu_school": agree(gulou_venue, school(XUANWU, "玄武小学"), first, last),
        "gulou_school": agree(xuanwu_venue, school(GULOU, "鼓楼小学"),
                              today + timedelta(days=10), today + timedelta(days=200)),
        "jianye": agree(jianye_venue, school(JIANYE, "建邺小学"), first, last),
        "last_year": agree(xuanwu_venue, school(XUANWU, "往年小学"),
                           first - timedelta(days=365), first - timedelta(days=1)),
    }
    made["xuanwu_venue"] = xuanwu_venue
    return made


def test_a_district_admin_sees_the_agreements_of_their_schools_and_venues(client, auth, agreements):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    response = client.get("/admin/partnerships?lang=en")

    assert response.status_code == 200
    found = rows(response.get_data(as_text=True))
    assert set(found) == {"玄武小学", "鼓楼小学"}  # neither Jianye's nor an agreement of a past school year
    first, last = agreements["xuanwu_school"].valid_from, agreements["xuanwu_school"].valid_to
    assert f"{format_date(first, 'medium', locale='en')} – {format_date(last, 'medium', locale='en')}" in found["玄武小学"]
    assert f'datetime="{first.isoformat()}"' in response.get_data(as_text=True)
    chinese = rows(client.get("/admin/partnerships?lang=zh").get_data(as_text=True))
    assert f"{first.year}年{first.month}月{first.day}日 – {last.year}年{last.month}月{last.day}日" in chinese["玄武小学"]
    assert "320106馆" in found["玄武小学"] and "320102馆" in found["鼓楼小学"]
    assert "Not started" in found["鼓楼小学"]


def test_a_district_admin_asking_for_another_district_still_sees_their_own(client, auth, agreements):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    found = rows(client.get(f"/admin/partnerships?lang=en&district={JIANYE}").get_data(as_text=True))

    assert set(found) == {"玄武小学", "鼓楼小学"}


def test_the_city_admin_sees_every_district_and_filters_by_one(client, auth, agreements):
    auth.login(factories.user("city_admin").email)

    everyone = rows(client.get("/admin/partnerships?lang=en").get_data(as_text=True))
    jianye = rows(client.get(f"/admin/partnerships?lang=en&district={JIANYE}").get_data(as_text=True))
    unknown = client.get("/admin/partnerships?lang=en&district=nowhere")

    assert set(everyone) == {"玄武小学", "鼓楼小学", "建邺小学"}
    assert set(jianye) == {"建邺小学"}
    assert unknown.status_code == 200 and set(rows(unknown.get_data(as_text=True))) == set(everyone)


def test_the_agreements_come_a_page_at_a_time(client, auth, agreements, monkeypatch):
    monkeypatch.setattr("app.bookings.admin_views.AGREEMENTS_PAGE_SIZE", 2)
    auth.login(factories.user("city_admin").email)

    first = client.get("/admin/partnerships?lang=en").get_data(as_text=True)
    second = client.get("/admin/partnerships?lang=en&page=2").get_data(as_text=True)
    past_the_end = client.get("/admin/partnerships?lang=en&page=3")

    assert "3 agreements." in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert len(rows(first)) == 2 and len(rows(second)) == 1
    assert set(rows(first)) | set(rows(second)) == {"玄武小学", "鼓楼小学", "建邺小学"}
    assert past_the_end.status_code == 302 and "page=2" in past_the_end.headers["Location"]
    jianye = client.get(f"/admin/partnerships?lang=en&district={JIANYE}").get_data(as_text=True)
    assert "Page 1 of" not in jianye and set(rows(jianye)) == {"建邺小学"}


def test_class_visits_count_those_made_under_the_agreement_this_school_year(client, auth, agreements):
    venue = agreements["xuanwu_venue"]
    partner = school(XUANWU, "合作小学")
    other = school(XUANWU, "非合作小学")
    first, last = school_year_of(local_today())
    agree(venue, partner, first, last)
    for visiting in (partner, other):
        factories.admitted_visit(factories.slot_at(venue), factories.user("teacher", school=visiting))
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    found = rows(client.get("/admin/partnerships?lang=en").get_data(as_text=True))

    assert found["合作小学"].endswith(" 1")
    assert found["鼓楼小学"].endswith(" 0")


def test_the_district_admins_dashboard_links_to_the_agreements(client, auth, app):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    page = client.get("/me?lang=en").get_data(as_text=True)

    assert 'href="/admin/partnerships"' in page and "Cooperation agreements" in page

