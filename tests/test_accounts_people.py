"""The administrators' user accounts pages: the city admin finds any account and suspends, reinstates or
closes it; a district admin sees and suspends the teachers, managers and gate staff of their district."""
from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingStatus, Partnership
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from app.scheduling.models import Closure
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.conftest import Auth

XUANWU, GULOU = factories.XUANWU, factories.GULOU


@pytest.fixture(autouse=True)
def _deliver_in_request(app):
    app.config["MAIL_DELIVER_IN_REQUEST"] = True


@pytest.fixture
def city(auth):
    admin = factories.user("city_admin", name="市科协管理员")
    auth.login(admin.email)
    return admin


def _fresh(user_id: int) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _audit(action: str) -> list[PersonalDataAccess]:
    db.session.expire_all()
    return list(db.session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.action == action)
                                   .order_by(PersonalDataAccess.id)))


def _error_summary(response) -> str:
    html = _text(response)
    start = html.index('class="error-summary"')
    return html[start:html.index("</div>", start)]


def _signed_in(app, person: User):
    browser = app.test_client()
    Auth(browser).login(person.email)
    assert browser.get("/me").status_code == 200
    return browser


def _listed(client, query: str = "") -> str:
    response = client.get(f"/admin/people?lang=en&{query}")
    assert response.status_code == 200
    return _text(response)


# --- the list -----------------------------------------------------------------------------------

def test_the_city_admin_filters_accounts_by_role_and_district(client, city):
    xuanwu_teacher = factories.user("teacher", school=factories.school(district_code=XUANWU), name="玄武老师")
    gulou_manager = factories.user("venue_manager", venue=factories.venue(district_code=GULOU), name="鼓楼馆长")
    citizen = factories.user("citizen", name="普通市民")

    everyone = _listed(client)
    assert all(p.name in everyone for p in (xuanwu_teacher, gulou_manager, citizen, city))
    teachers = _listed(client, "role=teacher")
    assert xuanwu_teacher.name in teachers and gulou_manager.name not in teachers and citizen.name not in teachers
    gulou = _listed(client, f"district={GULOU}")
    assert gulou_manager.name in gulou and xuanwu_teacher.name not in gulou and citizen.name not in gulou


def test_the_city_admin_searches_by_name_or_email_and_by_status(client, city):
    wang = factories.user("citizen", name="王小明", email="wang@example.com")
    li = factories.user("citizen", name="李华", email="lihua@example.org")
    li.is_disabled = True
    db.session.commit()

    by_name = _listed(client, "q=小明")
    assert wang.email in by_name and li.email not in by_name
    by_email = _listed(client, "q=LIHUA@EXAMPLE")
    assert li.email in by_email and wang.email not in by_email
    suspended = _listed(client, "status=suspended")
    assert li.email in suspended and wang.email not in suspended
    assert "1 account found." in suspended
    assert wang.email not in _listed(client, "q=100%25_")  # LIKE's wildcards are searched as themselves


def test_a_search_too_long_is_marked_next_to_the_field(client, city):
    response = client.get("/admin/people?lang=en&q=" + "x" * 101)
    assert response.status_code == 400
    assert 'id="q-error"' in _text(response)


def test_nonsense_filters_and_pages_are_no_error(client, city):
    assert client.get("/admin/people?role=emperor&district=999999&status=x&page=-3").status_code == 200
    assert client.get("/admin/people?page=99999999", follow_redirects=True).status_code == 200  # to the last page


def test_the_list_is_paginated(app, client, city):
    for n in range(51):
        db.session.add(User(email=f"many{n}@example.com", password_hash="!", name=f"Many {n}", role=Role.CITIZEN))
    db.session.commit()
    first = _listed(client, "role=citizen")
    assert "52 accounts found." not in first and "51 accounts found." in first
    assert "Page 1 of 2" in first
    assert "Many 0" in _listed(client, "role=citizen&page=2")  # newest first: the first made comes last


def test_phone_numbers_are_masked_on_the_list_and_on_the_persons_page(client, city):
    person = factories.user("citizen", name="王小明", phone="13812345678")
    assert "138****5678" in _listed(client) and "13812345678" not in _listed(client)
    page = _text(client.get(f"/admin/people/{person.id}"))
    assert "138****5678" in page and "13812345678" not in page


def test_viewing_the_list_and_a_persons_account_is_logged(client, city):
    person = factories.user("teacher")
    client.get("/admin/people")
    client.get(f"/admin/people/{person.id}")
    assert [(r.actor_id, r.detail) for r in _audit("view_people_list")] == [(city.id, "1")]
    assert [(r.actor_id, r.subject_user_id) for r in _audit("view_account")] == [(city.id, person.id)]
    log = _text(client.get(f"/admin/privacy/access-log?subject={person.id}&lang=en"))
    assert "Viewed a person&#39;s account" in log or "Viewed a person's account" in log


def test_the_persons_page_shows_role_affiliation_dates_and_status(client, city):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science and Technology Museum", district_code=GULOU)
    manager = factories.user("venue_manager", venue=venue, name="馆长")
    manager.last_login_at = utcnow()
    db.session.commit()
    page = _text(client.get(f"/admin/people/{manager.id}?lang=en"))
    for expected in ("Venue manager", "Nanjing Science and Technology Museum", "Gulou", "Account created",
                     "Last signed in", "Active", "Suspend the account", "Close the account…"):
        assert expected in page, expected


# --- suspending and reinstating ------------------------------------------------------------------

def test_suspending_ends_the_persons_live_session_and_their_login_is_refused(app, client, city):
    person = factories.user("venue_staff", name="王检票")
    token = factories.user_token(person)
    browser = _signed_in(app, person)

    response = client.post(f"/admin/people/{person.id}/suspend", data={"reason": "离职交接中"})

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/people/{person.id}")
    assert _fresh(person.id).is_disabled
    assert browser.get("/me").status_code == 302  # the live session has ended
    refused = app.test_client().post("/login?lang=en", data={"email": person.email, "password": "password123"})
    wrong = app.test_client().post("/login?lang=en", data={"email": person.email, "password": "not-the-password"})
    assert refused.status_code == 400 and _error_summary(refused) == _error_summary(wrong)
    api = app.test_client().get("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert [(r.actor_id, r.subject_user_id, r.detail) for r in _audit("suspend_account")] == [
        (city.id, person.id, "离职交接中")]
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_suspended"))
    assert message.recipient == person.email and "离职交接中" in message.body and message.sent_at is not None


def test_the_persons_page_then_shows_the_suspension_and_who_made_it(client, city):
    person = factories.user("citizen")
    client.post(f"/admin/people/{person.id}/suspend", data={"reason": "repeated no-shows"})
    page = _text(client.get(f"/admin/people/{person.id}?lang=en"))
    assert "Suspended" in page and "Reinstate the account" in page and "Suspend the account" not in page
    assert "Suspended an account" in page and "市科协管理员" in page and "repeated no-shows" in page


def test_reinstating_lets_the_person_sign_in_again(app, client, city):
    person = factories.user("teacher")
    client.post(f"/admin/people/{person.id}/suspend")

    response = client.post(f"/admin/people/{person.id}/reinstate", data={"reason": ""})

    assert response.status_code == 302
    assert not _fresh(person.id).is_disabled
    _signed_in(app, person)
    assert [r.subject_user_id for r in _audit("reinstate_account")] == [person.id]
    assert db.session.scalar(select(OutboxMessage.recipient).where(OutboxMessage.kind == "account_reinstated")) \
        == person.email


def test_suspending_twice_or_reinstating_an_active_account_says_so(client, city):
    person = factories.user("citizen")
    not_suspended = client.post(f"/admin/people/{person.id}/reinstate?lang=en")
    assert not_suspended.status_code == 409 and "This account is not suspended." in _text(not_suspended)
    client.post(f"/admin/people/{person.id}/suspend")
    again = client.post(f"/admin/people/{person.id}/suspend?lang=en")
    assert again.status_code == 409 and "This account is already suspended." in _text(again)


def test_a_reason_too_long_is_marked_next_to_the_field_and_nothing_changes(client, city):
    person = factories.user("citizen")
    response = client.post(f"/admin/people/{person.id}/suspend?lang=en", data={"reason": "x" * 201})
    assert response.status_code == 400 and 'id="reason-error"' in _text(response)
    assert not _fresh(person.id).is_disabled


def test_an_account_a_venue_closed_by_removing_its_staff_member_is_not_reinstated_here(client, auth):
    manager = factories.user("venue_manager")
    member = factories.user("venue_staff", venue=manager.venue)
    auth.login(manager.email)
    client.post(f"/manage/staff/{member.id}/remove")
    auth.logout()
    auth.login(factories.user("city_admin").email)

    response = client.post(f"/admin/people/{member.id}/reinstate?lang=en")

    assert response.status_code == 409 and "adds them again from the venue" in _text(response)
    assert _fresh(member.id).is_disabled


def test_suspending_the_only_manager_of_an_approved_venue_warns_first(client, city):
    venue = factories.venue(name_en="Lonely Hall", status=VenueStatus.APPROVED)
    manager = factories.user("venue_manager", venue=venue)
    page = _text(client.get(f"/admin/people/{manager.id}?lang=en"))
    assert "is the only active manager of Lonely Hall" in page
    response = client.post(f"/admin/people/{manager.id}/suspend?lang=en", follow_redirects=True)
    assert "Lonely Hall has no active manager now." in _text(response)


# --- closing -------------------------------------------------------------------------------------

def test_closing_asks_first_and_says_what_is_kept(client, city):
    person = factories.user("teacher", name="张老师")
    page = client.get(f"/admin/people/{person.id}/close?lang=en")
    html = _text(page)
    assert page.status_code == 200 and "Close the account of 张老师?" in html
    assert "only as anonymous counts in the statistics" in html and 'class="danger"' in html
    assert _fresh(person.id) is not None


def test_closing_erases_the_account_and_keeps_its_bookings_as_anonymous_counts(client, city):
    scenario = factories.stats_scenario()
    period = {"from": scenario["day_a"].isoformat(), "to": scenario["day_b"].isoformat()}
    teacher_booking = db.session.scalar(select(Booking).where(Booking.class_name == "大班"))
    teacher = teacher_booking.user
    teacher_id, email = teacher.id, teacher.email
    upcoming = factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    before = client.get("/api/v1/stats/summary", query_string=period).get_json()
    csv_before = client.get("/open-data/attendance-daily.csv").data

    response = client.post(f"/admin/people/{teacher_id}/close", data={"reason": "学校来函：已调离"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/people")
    db.session.expire_all()
    assert db.session.get(User, teacher_id) is None
    kept = db.session.get(Booking, teacher_booking.id)
    assert (kept.status, kept.user_id, kept.class_name, kept.students) == (BookingStatus.CHECKED_IN, None, None, 12)
    assert db.session.get(Booking, upcoming.id).status == BookingStatus.CANCELLED
    assert client.get("/api/v1/stats/summary", query_string=period).get_json() == before
    assert client.get("/open-data/attendance-daily.csv").data == csv_before
    closed = _audit("close_account")
    assert [(r.actor_id, r.subject_user_id, r.detail) for r in closed] == [(city.id, None, "teacher")]
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_closed"))
    assert told.recipient == email and told.user_id is None and "学校来函" in told.body
    assert email not in _listed(client)


def test_a_closed_persons_live_session_ends(app, client, city):
    person = factories.user("citizen")
    browser = _signed_in(app, person)
    client.post(f"/admin/people/{person.id}/close")
    assert browser.get("/me").status_code == 302


def test_closing_a_manager_keeps_what_they_did_for_others_without_naming_them(app, client, city):
    """A manager's schedules, closures, partnerships and decisions, and an official's reviews, outlive
    the account; the check-ins staff recorded keep counting."""
    scenario = factories.stats_scenario()
    period = {"from": scenario["day_a"].isoformat(), "to": scenario["day_b"].isoformat()}
    manager = factories.user("venue_manager")
    district = factories.user("district_admin")
    teacher = factories.user("teacher", verified=False)
    teacher.verified_by_id, teacher.verified_at = district.id, utcnow()
    closure = Closure(venue_id=manager.venue_id, starts_on=scenario["day_a"], ends_on=scenario["day_a"],
                      reason_zh="检修", created_by_id=manager.id)
    partnership = Partnership(venue_id=manager.venue_id, school_id=factories.school().id,
                              valid_from=scenario["day_a"], valid_to=scenario["day_b"], created_by_id=manager.id)
    change = VenueStatusChange(venue_id=manager.venue_id, from_status=VenueStatus.SUBMITTED,
                               to_status=VenueStatus.APPROVED, actor_id=district.id)
    db.session.add_all([closure, partnership, change])
    db.session.commit()
    staff_ids = list(db.session.scalars(select(User.id).where(User.role == Role.VENUE_STAFF)))
    before = client.get("/api/v1/stats/summary", query_string=period).get_json()

    for person_id in (manager.id, district.id, *staff_ids):
        assert client.post(f"/admin/people/{person_id}/close").status_code == 302

    db.session.expire_all()
    assert db.session.get(Closure, closure.id).created_by_id is None
    assert db.session.get(Partnership, partnership.id).created_by_id is None
    assert db.session.get(VenueStatusChange, change.id).actor_id is None
    assert _fresh(teacher.id).verified_at is not None and _fresh(teacher.id).verified_by_id is None
    assert client.get("/api/v1/stats/summary", query_string=period).get_json() == before


def test_the_only_manager_of_an_approved_venue_may_be_closed_with_a_warning(client, city):
    venue = factories.venue(name_en="Lonely Hall", status=VenueStatus.APPROVED)
    manager = factories.user("venue_manager", venue=venue)
    page = _text(client.get(f"/admin/people/{manager.id}/close?lang=en"))
    assert "the venue has no manager left" in page

    response = client.post(f"/admin/people/{manager.id}/close?lang=en", follow_redirects=True)

    assert "Lonely Hall has no manager left." in _text(response)
    assert _fresh(manager.id) is None


def test_a_manager_with_a_colleague_is_closed_without_a_warning(client, city):
    venue = factories.venue(name_en="Busy Hall", status=VenueStatus.APPROVED)
    manager = factories.user("venue_manager", venue=venue)
    factories.user("venue_manager", venue=venue)
    assert "no manager left" not in _text(client.get(f"/admin/people/{manager.id}/close?lang=en"))


# --- refusals ------------------------------------------------------------------------------------

def test_an_admin_cannot_suspend_or_close_their_own_account(client, city):
    page = _text(client.get(f"/admin/people/{city.id}?lang=en"))
    assert "You cannot suspend, reinstate or close your own account." in page
    assert "Suspend the account" not in page and "Close the account…" not in page
    for action in ("suspend", "close"):
        response = client.post(f"/admin/people/{city.id}/{action}?lang=en")
        assert response.status_code == 409, action
        assert "You cannot suspend, reinstate or close your own account." in _text(response)
    assert _fresh(city.id) is not None and not _fresh(city.id).is_disabled


def test_another_city_admin_can_be_suspended_while_one_stays_active(client, city):
    colleague = factories.user("city_admin")
    assert client.post(f"/admin/people/{colleague.id}/suspend").status_code == 302
    assert _fresh(colleague.id).is_disabled


@pytest.mark.parametrize("action", ["suspend", "close"])
def test_the_last_active_city_admin_is_never_suspended_or_closed(app, action):
    """Two city admins suspending each other at the same moment: the second to act is refused. Here B's
    request is caught half-way (A suspended, not yet committed) while A acts on B."""
    a, b = factories.user("city_admin"), factories.user("city_admin")
    a_id = a.id
    browser = app.test_client()
    Auth(browser).login(a.email)
    browser.get("/me?lang=en")  # remembered now: choosing it in the racing request would be a write of its own
    answers, url = {}, f"/admin/people/{b.id}/{action}"

    def act():
        answers["response"] = browser.post(url)

    with db.engine.connect() as other:
        with other.begin():
            other.execute(select(User.id).where(User.role == Role.CITY_ADMIN).order_by(User.id).with_for_update())
            other.execute(sa.update(User).where(User.id == a_id).values(is_disabled=True))
            thread = threading.Thread(target=act)
            thread.start()
            time.sleep(0.5)
    thread.join(30)

    response = answers["response"]
    assert response.status_code == 409, response.headers.get("Location")
    assert "This is the last active city administrator" in _text(response)
    assert _fresh(b.id) is not None and not _fresh(b.id).is_disabled


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "venue_manager"])
def test_other_roles_are_refused(client, auth, role):
    person = factories.user("citizen")
    auth.login(factories.user(role).email)
    assert client.get("/admin/people").status_code == 403
    assert client.get(f"/admin/people/{person.id}").status_code == 403
    assert client.post(f"/admin/people/{person.id}/suspend").status_code == 403
    assert client.get(f"/admin/people/{person.id}/close").status_code == 403
    assert client.post(f"/admin/people/{person.id}/close").status_code == 403
    assert client.get("/admin/people/999999").status_code == 403  # not even whether the id exists
    assert not _fresh(person.id).is_disabled


def test_the_pages_need_a_login(client):
    person = factories.user("citizen")
    for response in (client.get("/admin/people"), client.get(f"/admin/people/{person.id}"),
                     client.post(f"/admin/people/{person.id}/suspend")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_account_is_not_found(client, city):
    assert client.get("/admin/people/999999").status_code == 404


# --- district admins -----------------------------------------------------------------------------

@pytest.fixture
def district(auth):
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    return admin


def test_a_district_admin_lists_only_their_districts_teachers_managers_and_staff(client, district):
    ours = [factories.user("teacher", school=factories.school(district_code=XUANWU), name="玄武老师"),
            factories.user("venue_staff", venue=factories.venue(district_code=XUANWU), name="玄武检票")]
    theirs = [factories.user("teacher", school=factories.school(district_code=GULOU), name="鼓楼老师"),
              factories.user("citizen", name="某市民"), factories.user("district_admin", district_code=XUANWU,
                                                                    name="另一位区管理员"),
              factories.user("city_admin", name="市管理员")]
    listed = _listed(client)
    assert all(p.name in listed for p in ours) and not any(p.name in listed for p in theirs)
    assert "Citizen" not in _listed(client, "role=citizen")  # no such filter for a district
    assert "鼓楼老师" not in _listed(client, f"district={GULOU}")  # another district is not offered
    for person in theirs:
        assert client.get(f"/admin/people/{person.id}").status_code == 403


def test_a_district_admin_suspends_and_reinstates_but_does_not_close(app, client, district):
    manager = factories.user("venue_manager", venue=factories.venue(district_code=XUANWU))
    page = _text(client.get(f"/admin/people/{manager.id}?lang=en"))
    assert "To close an account for good, ask the city administrator." in page and "Close the account…" not in page
    assert client.post(f"/admin/people/{manager.id}/suspend").status_code == 302
    assert _fresh(manager.id).is_disabled
    assert client.post(f"/admin/people/{manager.id}/reinstate").status_code == 302
    assert client.get(f"/admin/people/{manager.id}/close").status_code == 403
    assert client.post(f"/admin/people/{manager.id}/close").status_code == 403
    assert _fresh(manager.id) is not None and not _fresh(manager.id).is_disabled


# --- the way in ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["city_admin", "district_admin"])
def test_the_admins_dashboard_links_to_the_accounts_page(client, auth, role):
    auth.login(factories.user(role).email)
    assert 'href="/admin/people"' in _text(client.get("/me"))


@pytest.mark.parametrize("role,wording", [
    ("venue_staff", "the venue’s manager removes you from its staff"),
    ("venue_manager", "If you are the venue’s only manager, arrange for a new manager first"),
    ("district_admin", "ask the city administrator (another one, if you are the city administrator)"),
])
def test_delete_my_account_tells_each_role_who_closes_it(client, auth, role, wording):
    auth.login(factories.user(role).email)
    page = _text(client.get("/me/delete?lang=en"))
    assert wording in page.replace("&#39;", "'").replace("&rsquo;", "’")


def test_the_access_log_names_a_closed_accounts_role_not_the_person(client, city):
    person = factories.user("venue_manager")
    client.post(f"/admin/people/{person.id}/close")
    log = _text(client.get("/admin/privacy/access-log?lang=en"))
    assert re.search(r"Closed an account</td>\s*<td></td>\s*<td></td>\s*<td>Venue manager</td>", log)


def test_closing_forgets_the_reasons_given_for_suspending_and_reinstating_the_account(client, city):
    person = factories.user("citizen")
    other = factories.user("citizen")
    client.post(f"/admin/people/{person.id}/suspend", data={"reason": "张三 13800001111 complaint"})
    client.post(f"/admin/people/{person.id}/reinstate", data={"reason": "张三 apologised"})
    client.post(f"/admin/people/{person.id}/suspend", data={"reason": "张三 again"})
    client.post(f"/admin/people/{other.id}/suspend", data={"reason": "another person's reason"})

    assert client.post(f"/admin/people/{person.id}/close", data={"reason": "CLOSEREASON"}).status_code == 302

    rows = _audit("suspend_account") + _audit("reinstate_account")
    assert sorted((r.subject_user_id or 0, r.detail) for r in rows) == [
        (0, ""), (0, ""), (0, ""), (other.id, "another person's reason")]
    log = _text(client.get("/admin/privacy/access-log?lang=en"))
    assert "张三" not in log and "13800001111" not in log and "CLOSEREASON" not in log
    assert "another person" in log
