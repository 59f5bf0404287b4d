"""A school is registered once per district whatever the width of its brackets or its spacing, and the
registry lists names in the order people count them, as the registration form does."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.schools.models import School
from tests import factories
from tests.factories import GULOU, XUANWU

EXISTING = "南京市玄武区示范小学（演示）"


@pytest.fixture
def xuanwu_admin(auth):
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    return admin


def add_school(client, name_zh, district_code=XUANWU):
    return client.post("/admin/schools/new?lang=zh", data={
        "name_zh": name_zh, "name_en": "", "kind": "primary", "district_code": district_code, "is_active": "y"})


def schools_named_like_the_demo() -> int:
    return db.session.scalar(select(func.count(School.id)).where(School.name_zh.like("%示范小学%")))


@pytest.mark.parametrize("variant", [
    "南京市玄武区示范小学(演示)",
    "南京市玄武区示范小学 （演示）",
    "南京市 玄武区示范小学（演示）",
    "南京市玄武区示范小学（演示）\u3000",
])
def test_a_name_differing_only_in_bracket_width_or_spaces_is_a_duplicate(client, xuanwu_admin, variant):
    factories.school(name_zh=EXISTING, district_code=XUANWU)

    response = add_school(client, variant)

    assert response.status_code == 400
    error = re.search(r'<p class="error" id="name_zh-error">(.*?)</p>', response.get_data(as_text=True))
    assert error and error.group(1) == "本区已登记同名学校。"
    assert schools_named_like_the_demo() == 1


def test_renaming_to_a_near_duplicate_is_refused(client, xuanwu_admin):
    factories.school(name_zh=EXISTING, district_code=XUANWU)
    other = factories.school(name_zh="南京市玄武区另一小学", district_code=XUANWU)

    response = client.post(f"/admin/schools/{other.id}/edit", data={
        "name_zh": "南京市玄武区示范小学(演示)", "name_en": "", "kind": "primary", "district_code": XUANWU,
        "is_active": "y"})

    assert response.status_code == 400
    db.session.refresh(other)
    assert other.name_zh == "南京市玄武区另一小学"


def test_the_same_name_in_another_district_is_another_school(client, auth):
    factories.school(name_zh=EXISTING, district_code=XUANWU)
    auth.login(factories.user("city_admin").email)

    assert add_school(client, "南京市玄武区示范小学(演示)", district_code=GULOU).status_code == 302


def test_the_registry_lists_numbered_schools_as_people_count(client, xuanwu_admin):
    for n in (10, 2, 1):
        factories.school(name_zh=f"玄武区第{n}学校（演示）", district_code=XUANWU)

    page = client.get("/admin/schools?lang=zh").get_data(as_text=True)

    listed = re.findall(r"玄武区第(\d+)学校（演示）</th>", page)
    assert listed == ["1", "2", "10"]


def test_the_registry_pages_in_that_order(client, xuanwu_admin, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for n in (10, 3, 2, 1):
        factories.school(name_zh=f"玄武区第{n}学校（演示）", district_code=XUANWU)

    second = client.get("/admin/schools?lang=zh&page=2").get_data(as_text=True)

    assert re.findall(r"玄武区第(\d+)学校（演示）</th>", second) == ["3", "10"]
    assert "4" in re.search(r'<p role="status">(.*?)</p>', second).group(1)
