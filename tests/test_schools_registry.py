"""The schools registry: district admins keep their district's schools, the city admin all of them."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.schools.models import School, SchoolKind
from app.schools.services import active_schools
from tests import factories
from tests.factories import GULOU, JIANGNING, XUANWU


def school_form(**overrides) -> dict:
    data = {"name_zh": "南京市玄武区新建小学", "name_en": "Xuanwu New Primary School", "kind": "primary",
            "district_code": XUANWU, "address": "北京东路1号", "is_active": "y"}
    data.update(overrides)
    return data


def school_count() -> int:
    return db.session.scalar(select(func.count(School.id)))


@pytest.fixture
def xuanwu_admin(auth):
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    return admin


@pytest.fixture
def city_admin(auth):
    admin = factories.user("city_admin")
    auth.login(admin.email)
    return admin


@pytest.mark.parametrize("url", ["/admin/schools", "/admin/schools/new"])
def test_anonymous_visitor_is_sent_to_log_in(client, app, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "venue_manager"])
def test_people_who_are_not_admins_are_refused_every_registry_page(client, auth, app, role):
    school = factories.school()
    auth.login(factories.user(role).email)
    before = school_count()
    assert client.get("/admin/schools").status_code == 403
    assert client.get("/admin/schools/new").status_code == 403
    assert client.post("/admin/schools/new", data=school_form()).status_code == 403
    assert client.get(f"/admin/schools/{school.id}/edit").status_code == 403
    assert client.post(f"/admin/schools/{school.id}/edit", data=school_form()).status_code == 403
    assert school_count() == before


def test_district_admin_sees_only_the_schools_of_their_district(client, app, xuanwu_admin):
    factories.school(name_zh="玄武示范小学", district_code=XUANWU)
    factories.school(name_zh="鼓楼示范小学", district_code=GULOU)
    page = client.get("/admin/schools").get_data(as_text=True)
    assert "玄武示范小学" in page
    assert "鼓楼示范小学" not in page


def test_district_admin_cannot_list_another_district_by_filtering_for_it(client, app, xuanwu_admin):
    factories.school(name_zh="鼓楼示范小学", district_code=GULOU)
    page = client.get(f"/admin/schools?district={GULOU}").get_data(as_text=True)
    assert "鼓楼示范小学" not in page


def test_city_admin_filters_the_registry_by_district_and_kind(client, app, city_admin):
    factories.school(name_zh="玄武示范小学", district_code=XUANWU, kind=SchoolKind.PRIMARY)
    factories.school(name_zh="鼓楼示范小学", district_code=GULOU, kind=SchoolKind.PRIMARY)
    factories.school(name_zh="鼓楼示范初中", district_code=GULOU, kind=SchoolKind.JUNIOR)
    page = client.get(f"/admin/schools?district={GULOU}&kind=primary").get_data(as_text=True)
    assert "鼓楼示范小学" in page
    assert "玄武示范小学" not in page
    assert "鼓楼示范初中" not in page


def test_city_admin_searches_schools_by_name(client, app, city_admin):
    factories.school(name_zh="南京市江宁区实验小学", name_en="Jiangning Experimental Primary",
                     district_code=JIANGNING)
    factories.school(name_zh="鼓楼示范小学", district_code=GULOU)
    page = client.get("/admin/schools?q=实验").get_data(as_text=True)
    assert "南京市江宁区实验小学" in page
    assert "鼓楼示范小学" not in page
    assert "南京市江宁区实验小学" in client.get("/admin/schools?q=experimental").get_data(as_text=True)


def test_odd_filters_are_ignored_rather_than_failing(client, app, city_admin):
    response = client.get("/admin/schools?district=999999&kind=castle&q=%25_%5C&page=-3")
    assert response.status_code == 200


def test_an_absurd_page_number_goes_to_the_last_page_rather_than_failing(client, app, city_admin):
    factories.school()
    response = client.get("/admin/schools?page=99999999999999999999")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/schools"


def test_district_admin_adds_a_school_in_their_district(client, app, xuanwu_admin):
    response = client.post("/admin/schools/new", data=school_form())
    assert response.status_code == 302
    school = db.session.scalar(select(School))
    assert (school.name_zh, school.district_code, school.kind, school.is_active) == (
        "南京市玄武区新建小学", XUANWU, SchoolKind.PRIMARY, True)


def test_district_admin_cannot_add_a_school_in_another_district(client, app, xuanwu_admin):
    response = client.post("/admin/schools/new", data=school_form(district_code=GULOU))
    assert response.status_code == 400
    assert 'id="district_code-error"' in response.get_data(as_text=True)
    assert school_count() == 0


def test_city_admin_adds_a_school_in_any_district(client, app, city_admin):
    response = client.post("/admin/schools/new", data=school_form(name_zh="鼓楼新学校", district_code=GULOU,
                                                                  kind="junior"))
    assert response.status_code == 302
    assert db.session.scalar(select(School.district_code)) == GULOU


def test_a_second_school_of_the_same_name_in_a_district_is_a_field_error(client, app, city_admin):
    factories.school(name_zh="南京市玄武区新建小学", district_code=XUANWU)
    response = client.post("/admin/schools/new", data=school_form(name_zh="  南京市玄武区新建小学 "))
    assert response.status_code == 400
    assert 'id="name_zh-error"' in response.get_data(as_text=True)
    assert school_count() == 1


def test_the_same_name_in_another_district_is_a_different_school(client, app, city_admin):
    factories.school(name_zh="实验小学", district_code=XUANWU)
    assert client.post("/admin/schools/new", data=school_form(name_zh="实验小学", district_code=GULOU)).status_code == 302
    assert school_count() == 2


@pytest.mark.parametrize("bad", [{"name_zh": ""}, {"name_zh": "校" * 121}, {"kind": "castle"},
                                 {"district_code": "999999"}, {"district_code": ""}, {"address": "路" * 201}])
def test_bad_input_is_shown_next_to_the_field(client, app, city_admin, bad):
    response = client.post("/admin/schools/new", data=school_form(**bad))
    assert response.status_code == 400
    assert f'id="{next(iter(bad))}-error"' in response.get_data(as_text=True)
    assert school_count() == 0


def test_district_admin_renames_and_deactivates_a_school(client, app, xuanwu_admin):
    school = factories.school(name_zh="旧名小学", district_code=XUANWU)
    form = school_form(name_zh="新名小学", kind="nine_year")
    del form["is_active"]  # an unticked checkbox is not sent
    assert client.post(f"/admin/schools/{school.id}/edit", data=form).status_code == 302
    db.session.refresh(school)
    assert (school.name_zh, school.kind, school.is_active) == ("新名小学", SchoolKind.NINE_YEAR, False)


def test_edit_form_shows_the_school_as_it_is(client, app, xuanwu_admin):
    school = factories.school(name_zh="旧名小学", district_code=XUANWU, kind=SchoolKind.JUNIOR)
    page = client.get(f"/admin/schools/{school.id}/edit").get_data(as_text=True)
    assert 'value="旧名小学"' in page
    assert '<option selected value="junior">' in page


def test_district_admin_cannot_edit_a_school_of_another_district(client, app, xuanwu_admin):
    school = factories.school(name_zh="鼓楼示范小学", district_code=GULOU)
    assert client.get(f"/admin/schools/{school.id}/edit").status_code == 403
    assert client.post(f"/admin/schools/{school.id}/edit",
                       data=school_form(district_code=GULOU)).status_code == 403
    db.session.refresh(school)
    assert school.name_zh == "鼓楼示范小学"


def test_district_admin_cannot_move_a_school_to_another_district(client, app, xuanwu_admin):
    school = factories.school(name_zh="玄武示范小学", district_code=XUANWU)
    response = client.post(f"/admin/schools/{school.id}/edit",
                           data=school_form(name_zh="玄武示范小学", district_code=GULOU))
    assert response.status_code == 400
    assert 'id="district_code-error"' in response.get_data(as_text=True)
    db.session.refresh(school)
    assert school.district_code == XUANWU


def test_renaming_onto_another_school_of_the_district_is_a_field_error(client, app, xuanwu_admin):
    factories.school(name_zh="甲小学", district_code=XUANWU)
    school = factories.school(name_zh="乙小学", district_code=XUANWU)
    response = client.post(f"/admin/schools/{school.id}/edit", data=school_form(name_zh="甲小学"))
    assert response.status_code == 400
    assert 'id="name_zh-error"' in response.get_data(as_text=True)


def test_city_admin_edits_a_school_in_any_district(client, app, city_admin):
    school = factories.school(name_zh="鼓楼示范小学", district_code=GULOU)
    response = client.post(f"/admin/schools/{school.id}/edit",
                           data=school_form(name_zh="鼓楼示范小学", district_code=JIANGNING))
    assert response.status_code == 302
    db.session.refresh(school)
    assert school.district_code == JIANGNING


def test_an_unknown_school_is_not_found(client, app, city_admin):
    assert client.get("/admin/schools/999999/edit").status_code == 404


def test_teachers_choose_from_active_schools_ordered_by_district_then_name(app):
    factories.school(name_zh="鼓楼第2小学", district_code=GULOU)
    factories.school(name_zh="鼓楼第1小学", district_code=GULOU)
    factories.school(name_zh="玄武小学", district_code=XUANWU)
    factories.school(name_zh="停办小学", district_code=XUANWU, is_active=False)
    assert [(s.district_code, s.name_zh) for s in active_schools()] == [
        (XUANWU, "玄武小学"), (GULOU, "鼓楼第1小学"), (GULOU, "鼓楼第2小学")]


def test_the_count_of_schools_found_says_school_for_one(client, app, xuanwu_admin):
    factories.school(name_zh="玄武示范小学", district_code=XUANWU)
    assert "1 school found." in client.get("/admin/schools?lang=en").get_data(as_text=True)
    assert "共找到 1 所学校。" in client.get("/admin/schools?lang=zh").get_data(as_text=True)
    factories.school(name_zh="玄武第二小学", district_code=XUANWU)
    assert "2 schools found." in client.get("/admin/schools?lang=en").get_data(as_text=True)
