"""Changes to a registered venue: a move to another district goes back to review there, a new name
is written in the history, a stale review tab is told what happened, accreditation dates are sane."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.core.time import local_today
from app.extensions import db
from app.venues.models import Accreditation, Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU, JIANGNING, XUANWU


def _venue(venue_id: int) -> Venue:
    db.session.expire_all()
    return db.session.get(Venue, venue_id)


def _approved_venue_with_manager(client, auth, **kw):
    """A venue registered through the pages and approved by 玄武's admin; its manager is signed in."""
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    data = factories.venue_form_data(district_code=XUANWU, **kw)
    client.post("/manage/venue", data=data)
    client.post("/manage/venue/submit")
    auth.logout()
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    venue_id = db.session.merge(manager).venue_id
    assert client.post(f"/admin/venues/{venue_id}/approve").status_code == 302
    auth.logout()
    auth.login(manager.email)
    return venue_id, data


# --- moving district and renaming --------------------------------------------------------------------

def test_an_approved_venue_that_moves_district_goes_back_to_review_by_the_new_district(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth, name_zh="迁址测试馆", name_en="Moving Hall")
    response = client.post("/manage/venue?lang=en", data={**data, "district_code": GULOU, "confirm_move": GULOU},
                           follow_redirects=True)
    assert "goes back to review by that district" in response.get_data(as_text=True)
    venue = _venue(venue_id)
    assert (venue.status, venue.district_code) == (VenueStatus.SUBMITTED, GULOU)
    assert "Moving Hall" not in client.get(f"/venues?district={GULOU}&lang=en").get_data(as_text=True)
    auth.logout()

    auth.login(factories.user("district_admin", district_code=GULOU).email)
    assert "迁址测试馆" in client.get("/admin/venues?lang=zh").get_data(as_text=True)
    review = client.get(f"/admin/venues/{venue_id}").get_data(as_text=True)
    assert "由玄武区迁至鼓楼区" in review and f"/admin/venues/{venue_id}/approve" in review
    english = client.get(f"/admin/venues/{venue_id}?lang=en").get_data(as_text=True)
    assert "迁至" not in english  # the reason and the history in the reader's language
    assert english.count("Moved from Xuanwu District to Gulou District; the new district reviews it.") == 2
    assert client.post(f"/admin/venues/{venue_id}/approve").status_code == 302
    assert _venue(venue_id).status == VenueStatus.APPROVED


def _public_in(client, district: str, name_en: str) -> bool:
    return name_en in client.get(f"/venues?district={district}&lang=en").get_data(as_text=True)


def test_an_approved_venues_move_waits_for_confirmation_and_keeps_what_was_typed(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth, name_zh="确认迁址馆", name_en="Confirm Hall")
    typed = {**data, "district_code": GULOU, "name_en": "Confirm Hall Renamed", "description_zh": "新写的介绍。"}
    response = client.post("/manage/venue?lang=en", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Moving to Gulou District sends Confirm Hall back to review by Gulou District: it leaves the public "
            "directory until approved. Confirm the move, or choose Xuanwu District again.") in page
    assert f'name="confirm_move" id="confirm_move" value="{GULOU}">' in page  # offered, not ticked
    assert 'value="Confirm Hall Renamed"' in page and "新写的介绍。" in page
    assert f'<option selected value="{GULOU}">' in page
    venue = _venue(venue_id)
    assert (venue.status, venue.district_code, venue.name_en) == (VenueStatus.APPROVED, XUANWU, "Confirm Hall")
    assert len(venue.status_changes) == 3  # registered, submitted, approved: no step recorded
    assert _public_in(client, XUANWU, "Confirm Hall")

    zh = client.post("/manage/venue?lang=zh", data=typed).get_data(as_text=True)
    assert "迁至鼓楼区会使确认迁址馆重新由鼓楼区审核" in zh


def test_a_confirmed_move_saves_everything_typed_and_goes_to_review(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth, name_zh="确认迁址馆乙", name_en="Confirm Hall B")
    typed = {**data, "district_code": GULOU, "name_en": "Confirm Hall B2"}
    client.post("/manage/venue", data=typed)
    assert client.post("/manage/venue", data={**typed, "confirm_move": GULOU}).status_code == 302
    venue = _venue(venue_id)
    assert (venue.status, venue.district_code, venue.name_en) == (VenueStatus.SUBMITTED, GULOU, "Confirm Hall B2")
    assert not _public_in(client, GULOU, "Confirm Hall B2")


def test_a_confirmation_of_another_district_asks_again(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth)
    response = client.post("/manage/venue?lang=en",
                           data={**data, "district_code": JIANGNING, "confirm_move": GULOU})
    assert response.status_code == 200 and "Moving to Jiangning District" in response.get_data(as_text=True)
    assert (_venue(venue_id).status, _venue(venue_id).district_code) == (VenueStatus.APPROVED, XUANWU)


def test_choosing_the_old_district_again_saves_straight_away(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth)
    client.post("/manage/venue", data={**data, "district_code": GULOU, "name_en": "Stayed Hall"})
    assert client.post("/manage/venue", data={**data, "name_en": "Stayed Hall"}).status_code == 302
    venue = _venue(venue_id)
    assert (venue.status, venue.district_code, venue.name_en) == (VenueStatus.APPROVED, XUANWU, "Stayed Hall")


def test_a_move_with_another_mistake_shows_both_and_keeps_the_confirmation(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth)
    response = client.post("/manage/venue?lang=en", data={**data, "district_code": GULOU, "confirm_move": GULOU,
                                                         "admission": "discounted", "discount_zh": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="discount_zh-error"' in page
    assert "Moving to Gulou District" in page and f'value="{GULOU}" checked>' in page
    assert _venue(venue_id).district_code == XUANWU


def test_the_move_confirmation_carries_the_csrf_token(app, client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth)
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/manage/venue").get_data(as_text=True)).group(1)
    page = client.post("/manage/venue", data={**data, "district_code": GULOU, "csrf_token": token})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post("/manage/venue", data={**data, "district_code": GULOU, "confirm_move": GULOU}
                       ).status_code == 400  # no token: refused
    assert _venue(venue_id).district_code == XUANWU
    assert client.post("/manage/venue", data={**data, "district_code": GULOU, "confirm_move": GULOU,
                                              "csrf_token": token}).status_code == 302
    assert _venue(venue_id).district_code == GULOU


@pytest.mark.parametrize("status", [VenueStatus.SUBMITTED, VenueStatus.REJECTED])
def test_a_venue_not_yet_approved_moves_without_confirmation(client, auth, status):
    venue = factories.venue(district_code=XUANWU, status=status)
    auth.login(factories.user("venue_manager", venue=venue).email)
    data = factories.venue_form_data(name_zh=venue.name_zh, district_code=GULOU)
    assert client.post("/manage/venue", data=data).status_code == 302
    assert (_venue(venue.id).status, _venue(venue.id).district_code) == (status, GULOU)


def test_a_renamed_approved_venue_stays_public_and_its_old_name_is_in_the_history(client, auth):
    venue_id, data = _approved_venue_with_manager(client, auth, name_zh="旧名称科普馆")
    assert client.post("/manage/venue", data={**data, "name_zh": "新名称科普馆"}).status_code == 302
    assert _venue(venue_id).status == VenueStatus.APPROVED
    auth.logout()
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    review = client.get(f"/admin/venues/{venue_id}").get_data(as_text=True)
    assert "名称由“旧名称科普馆”变更为“新名称科普馆”" in review
    english = client.get(f"/admin/venues/{venue_id}?lang=en").get_data(as_text=True)
    assert "Renamed from “旧名称科普馆” to “新名称科普馆”." in english and "变更为" not in english


def test_a_suspended_venue_cannot_move_district(client, auth):
    venue = factories.venue(district_code=XUANWU, status=VenueStatus.SUSPENDED)
    manager = factories.user("venue_manager", venue=venue)
    auth.login(manager.email)
    data = factories.venue_form_data(name_zh=venue.name_zh, district_code=GULOU)
    response = client.post("/manage/venue", data=data)
    assert response.status_code == 400 and 'id="district_code-error"' in response.get_data(as_text=True)
    assert _venue(venue.id).district_code == XUANWU


def test_a_draft_moves_district_without_any_review_step(client, auth):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    data = factories.venue_form_data(district_code=XUANWU)
    client.post("/manage/venue", data=data)
    assert client.post("/manage/venue", data={**data, "district_code": GULOU}).status_code == 302
    venue = _venue(db.session.merge(manager).venue_id)
    assert (venue.status, venue.district_code) == (VenueStatus.DRAFT, GULOU)


# --- a review decided in another tab ----------------------------------------------------------------

def test_approving_a_venue_already_rejected_in_another_tab_says_so(client, auth):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    admin = factories.user("district_admin", district_code=XUANWU, name="区管理员丙")
    auth.login(admin.email)
    client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": "资料不全"})
    response = client.post(f"/admin/venues/{venue.id}/approve?lang=en", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was changed: this venue is now “Rejected” (last changed by 区管理员丙)" in page
    assert _venue(venue.id).status == VenueStatus.REJECTED


def test_suspending_a_venue_already_suspended_in_another_tab_says_so_even_without_a_reason(client, auth):
    venue = factories.venue(status=VenueStatus.APPROVED)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": "安全检查"})
    response = client.post(f"/admin/venues/{venue.id}/suspend?lang=zh", data={"suspend-reason": ""},
                           follow_redirects=True)
    assert "未作任何更改：该场馆当前状态为“已暂停”" in response.get_data(as_text=True)
    changes = db.session.scalar(select(func.count(VenueStatusChange.id))
                                .where(VenueStatusChange.venue_id == venue.id))
    assert changes == 1


# --- accreditation dates ----------------------------------------------------------------------------

def _accreditation_form(**kw) -> dict:
    today = local_today()
    return {"level": "study_base", "certificate_no": "X1", "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=3 * 365)).isoformat(), **kw}


def test_accreditation_dates_from_year_1_or_to_year_9999_are_refused(client, auth):
    venue = factories.venue()
    auth.login(factories.user("city_admin").email)
    url = f"/admin/venues/{venue.id}/accreditations"
    response = client.post(url, data=_accreditation_form(valid_from="0001-01-01", valid_to="9999-12-31"))
    assert response.status_code == 400 and 'id="valid_from-error"' in response.get_data(as_text=True)
    response = client.post(url, data=_accreditation_form(valid_from="2020-01-01", valid_to="9999-12-31"))
    assert response.status_code == 400 and 'id="valid_to-error"' in response.get_data(as_text=True)
    far = (local_today() + timedelta(days=3 * 365)).isoformat()
    response = client.post(url, data=_accreditation_form(valid_from=far, valid_to="2099-12-31"))
    assert response.status_code == 400 and 'id="valid_from-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Accreditation.id))) == 0
    assert client.post(url, data=_accreditation_form(valid_from="1999-05-01",
                                                     valid_to="2029-04-30")).status_code == 302


def test_a_correction_is_held_to_the_same_date_bounds(client, auth):
    accreditation = factories.accreditation(factories.venue(), valid_from=date(2024, 1, 1), valid_to=date(2027, 1, 1))
    auth.login(factories.user("city_admin").email)
    response = client.post(f"/admin/accreditations/{accreditation.id}/edit",
                           data=_accreditation_form(certificate_no=accreditation.certificate_no, level="city_base",
                                                    valid_from="2024-01-01", valid_to="9999-12-31"))
    assert response.status_code == 400 and 'id="valid_to-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Accreditation, accreditation.id).valid_to == date(2027, 1, 1)
