"""A venue manager registers a venue; the district reviews it (登记注册)."""
import re

from sqlalchemy import select

from app.extensions import db
from app.venues.models import Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU, XUANWU


def _venue_of(manager) -> Venue | None:
    db.session.expire_all()
    venue_id = db.session.merge(manager).venue_id
    return db.session.get(Venue, venue_id) if venue_id else None


def test_the_registration_journey_from_draft_to_the_public_directory(client, auth, app):
    manager = factories.user("venue_manager", venue=None, name="馆长甲")
    admin = factories.user("district_admin", district_code=XUANWU, name="区管理员乙")

    auth.login(manager.email)
    assert "name_zh" in client.get("/manage/venue").get_data(as_text=True)
    data = factories.venue_form_data(name_zh="紫金星空馆", name_en="Purple Star Hall", admission="discounted",
                                     discount_zh="")
    assert client.post("/manage/venue", data=data).status_code == 400  # discount not described
    data["discount_zh"] = "学生半价"
    assert client.post("/manage/venue", data=data).status_code == 302
    venue = _venue_of(manager)
    assert venue.status == VenueStatus.DRAFT and venue.name_en == "Purple Star Hall"
    assert client.post("/manage/venue/submit").status_code == 302
    auth.logout()

    auth.login(admin.email)
    assert "紫金星空馆" in client.get("/admin/venues").get_data(as_text=True)
    response = client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": "请补充英文地址"})
    assert response.status_code == 302
    auth.logout()

    auth.login(manager.email)
    page = client.get("/manage/venue").get_data(as_text=True)
    assert "请补充英文地址" in page
    data["address_en"] = "1 Zhongshan Road, Xuanwu"
    assert client.post("/manage/venue", data=data).status_code == 302
    assert client.post("/manage/venue/submit").status_code == 302
    auth.logout()

    auth.login(admin.email)
    assert client.post(f"/admin/venues/{venue.id}/approve").status_code == 302
    auth.logout()

    assert "紫金星空馆" in client.get("/venues?q=星空").get_data(as_text=True)
    items = client.get("/api/v1/venues?q=Purple").get_json()["items"]
    assert [item["name_zh"] for item in items] == ["紫金星空馆"]
    assert items[0]["address_en"] == "1 Zhongshan Road, Xuanwu"

    steps = db.session.execute(
        select(VenueStatusChange.from_status, VenueStatusChange.to_status, VenueStatusChange.actor_id,
               VenueStatusChange.reason).where(VenueStatusChange.venue_id == venue.id)
        .order_by(VenueStatusChange.id)).all()
    S = VenueStatus
    assert [tuple(step) for step in steps] == [
        (None, S.DRAFT, manager.id, ""),
        (S.DRAFT, S.SUBMITTED, manager.id, ""),
        (S.SUBMITTED, S.REJECTED, admin.id, "请补充英文地址"),
        (S.REJECTED, S.SUBMITTED, manager.id, ""),
        (S.SUBMITTED, S.APPROVED, admin.id, ""),
    ]


def test_the_manager_sees_the_history_with_who_did_each_step(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    client.post("/manage/venue", data=factories.venue_form_data())
    client.post("/manage/venue/submit")
    page = client.get("/manage/venue").get_data(as_text=True)
    assert page.count(manager.name) >= 2
    assert "Registration history" in page or "登记记录" in page


def test_registration_saves_every_field_of_the_profile(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    client.post("/manage/venue", data=factories.venue_form_data(
        themes="天文，物理、地质; Astronomy、机器人", closed_weekdays=["1", "7"], opens_at="08:30", closes_at="16:30"))
    venue = _venue_of(manager)
    # Known themes are one theme in either language (filters and statistics count them once);
    # another theme is kept as typed. The form shows them back in the reader's language.
    assert venue.theme_names == ["astronomy", "physics", "geology", "机器人"]
    form = client.get("/manage/venue?lang=zh").get_data(as_text=True)
    assert "天文、物理、地质、机器人" in form
    assert venue.closed_weekdays == "1,7"
    assert str(venue.opens_at) == "08:30:00" and str(venue.closes_at) == "16:30:00"
    assert (venue.grade_min, venue.grade_max, venue.daily_capacity) == (1, 9, 800)
    assert float(venue.latitude) == 32.058 and float(venue.longitude) == 118.796
    assert venue.contact_email == "info@example.org" and venue.accessibility_en == "Ramps and lifts"


def _assert_rejected_and_nothing_saved(client, manager, data, message_part):
    response = client.post("/manage/venue", data=data)
    assert response.status_code == 400
    assert message_part in response.get_data(as_text=True)
    assert _venue_of(manager) is None
    assert db.session.scalar(select(Venue).limit(1)) is None


def test_discounted_admission_without_a_description_is_refused(client, auth, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    _assert_rejected_and_nothing_saved(
        client, manager, factories.venue_form_data(admission="discounted", discount_zh=""),
        "Describe the discount")


def test_a_lowest_grade_above_the_highest_is_refused(client, auth, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    _assert_rejected_and_nothing_saved(
        client, manager, factories.venue_form_data(grade_min="9", grade_max="3"), "highest grade")


def test_coordinates_out_of_range_or_not_numbers_are_refused(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    for lat, lon in (("91", "118.8"), ("32", "-181"), ("NaN", "118.8"), ("abc", "118"), ("Infinity", "1")):
        response = client.post("/manage/venue", data=factories.venue_form_data(latitude=lat, longitude=lon))
        assert response.status_code == 400, (lat, lon)
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Venue).limit(1)) is None


def test_only_one_coordinate_is_refused(client, auth, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    _assert_rejected_and_nothing_saved(
        client, manager, factories.venue_form_data(latitude="32.05", longitude=""), "both latitude and longitude")


def test_closing_before_opening_is_refused(client, auth, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    _assert_rejected_and_nothing_saved(
        client, manager, factories.venue_form_data(opens_at="17:00", closes_at="09:00"), "after the opening")


def test_a_website_that_is_not_http_is_refused(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    _assert_rejected_and_nothing_saved(
        client, manager, factories.venue_form_data(website="javascript:alert(1)"), "http")


def _field_error(page: str, field: str) -> str:
    """The error text shown next to ``field`` ('' when there is none)."""
    found = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_one_submit_marks_every_fault_next_to_its_field(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    data = factories.venue_form_data(address_zh="", admission="discounted", discount_zh="", grade_min="9",
                                     grade_max="3", opens_at="17:00", closes_at="09:00", website="www.example.cn")
    response = client.post("/manage/venue?lang=zh", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "此项为必填项" in _field_error(page, "address_zh")
    assert "请填写优惠说明" in _field_error(page, "discount_zh")
    assert "最高年级不能低于最低年级" in _field_error(page, "grade_max")
    assert "闭馆时间须晚于开馆时间" in _field_error(page, "closes_at")
    assert "请填写以 http:// 或 https:// 开头的网址" in _field_error(page, "website")
    # The form's own "required" says it once: the profile's rule about the same field does not repeat it.
    assert "请填写场馆地址" not in page
    assert _venue_of(manager) is None


def test_garbage_in_every_field_gives_400_not_500(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    garbage = {key: "\x00" + "ǅ" * 400 for key in factories.venue_form_data()}
    garbage.update(closed_weekdays=["x", "9"], grade_min="-1", daily_capacity="1e99")
    assert client.post("/manage/venue", data=garbage).status_code == 400
    assert client.post("/manage/venue", data={}).status_code == 400
    assert db.session.scalar(select(Venue).limit(1)) is None


def test_editing_an_approved_venue_keeps_it_approved(client, auth, app):
    venue = factories.venue(status=VenueStatus.APPROVED)
    manager = factories.user("venue_manager", venue=venue)
    auth.login(manager.email)
    form = factories.venue_form_data(name_zh="改名后的馆")
    assert client.post("/manage/venue", data=form).status_code == 302
    venue = db.session.get(Venue, venue.id)
    db.session.refresh(venue)
    assert venue.name_zh == "改名后的馆" and venue.status == VenueStatus.APPROVED
    # The history writes the renaming as a step that kept the status, not as "Approved → Approved".
    history = client.get("/manage/venue?lang=en").get_data(as_text=True).split('id="history-caption"', 1)[1]
    assert "Approved → Approved" not in history and "<td>Approved</td>" in history


def test_the_edit_form_shows_the_stored_profile(client, auth, app):
    venue = factories.venue(themes=["天文", "物理"], closed_weekdays="1")
    manager = factories.user("venue_manager", venue=venue)
    auth.login(manager.email)
    page = client.get("/manage/venue").get_data(as_text=True)
    assert venue.name_zh in page and "天文、物理" in page
    assert 'checked id="closed_weekdays-0"' in page and 'checked id="closed_weekdays-1"' not in page


def test_an_approved_venue_cannot_be_submitted_again(client, auth, app):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # reads the English wording
    venue = factories.venue(status=VenueStatus.APPROVED)
    manager = factories.user("venue_manager", venue=venue)
    auth.login(manager.email)
    response = client.post("/manage/venue/submit", follow_redirects=True)
    assert "cannot become" in response.get_data(as_text=True)
    assert db.session.get(Venue, venue.id).status == VenueStatus.APPROVED
    assert db.session.scalar(select(VenueStatusChange).limit(1)) is None


def test_a_manager_registers_only_in_their_own_name(client, auth, app):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    client.post("/manage/venue", data=factories.venue_form_data(district_code=GULOU))
    venue = _venue_of(manager)
    assert venue.district_code == GULOU
    assert db.session.scalar(select(VenueStatusChange.actor_id)) == manager.id
