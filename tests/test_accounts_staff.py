"""A venue manager keeps the venue's gate staff: lists them, adds someone (who chooses their own password
from an emailed link) and removes someone who left (whose account stops working at the gate at once)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.checkin import tickets
from app.checkin.models import CheckIn
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from tests import factories
from tests.conftest import Auth


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")
    app.config["MAIL_DELIVER_IN_REQUEST"] = True


def _errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page, re.S))


def _message(email: str, kind: str) -> OutboxMessage:
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == email,
                                                            OutboxMessage.kind == kind))
    assert message is not None, f"no {kind} message to {email}"
    return message


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _audit(action: str) -> list[PersonalDataAccess]:
    return list(db.session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.action == action)))


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


# --- the list -----------------------------------------------------------------------------------

def test_the_manager_sees_only_their_venues_staff_with_masked_phones(client, manager):
    ours = factories.user("venue_staff", venue=manager.venue, name="王检票", phone="13812341234")
    theirs = factories.user("venue_staff", name="别馆员工")

    page = client.get("/manage/staff?lang=en")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "王检票" in html and ours.email in html and "138****1234" in html and "13812341234" not in html
    assert "别馆员工" not in html and theirs.email not in html
    assert "Not yet" in html  # never signed in
    assert [row.detail for row in _audit("view_staff_list")] == [str(manager.venue_id)]


def test_the_list_shows_when_a_member_of_staff_last_signed_in(client, manager):
    member = factories.user("venue_staff", venue=manager.venue)
    Auth(client.application.test_client()).login(member.email)
    assert "Not yet" not in client.get("/manage/staff?lang=en").get_data(as_text=True)


def test_the_managers_task_list_links_to_the_staff_page(client, manager):
    assert 'href="/manage/staff"' in client.get("/me").get_data(as_text=True)


# --- adding -------------------------------------------------------------------------------------

def test_a_new_member_of_staff_is_invited_chooses_a_password_and_scans_at_the_gate(app, client, manager):
    slot = factories.slot_at(manager.venue)
    booking = factories.confirmed_visit(slot)

    response = client.post("/manage/staff", data={"name": "李新员工", "email": "New.Staff@example.com"})

    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "new.staff@example.com"))
    assert person.role == Role.VENUE_STAFF and person.venue_id == manager.venue_id and person.name == "李新员工"
    invitation = _message(person.email, "staff_invitation")
    assert invitation.sent_at is not None
    link = re.search(r"https?://\S+/password/reset/\S+", invitation.body).group(0)
    assert "password123" not in invitation.body
    assert [row.subject_user_id for row in _audit("add_venue_staff")] == [person.id]

    gate = app.test_client()
    chosen = gate.post(_path(link), data={"password": "gate-password-1", "confirm": "gate-password-1"})
    assert chosen.status_code == 302
    Auth(gate).login(person.email, "gate-password-1")
    scan = gate.post("/scan", data={"code": tickets.code_for_booking(booking), "nonce": "n1"})
    assert scan.status_code == 200 and "tone-ok" in scan.get_data(as_text=True)


def test_the_invitation_links_to_the_site_whatever_host_the_request_named(app):
    elsewhere = factories.signed_in_at_forged_host(app, factories.user("venue_manager"))

    elsewhere.post("/manage/staff", data={"name": "李新员工", "email": "new.staff@example.com"},
                   base_url=factories.FORGED_HOST)

    invitation = _message("new.staff@example.com", "staff_invitation")
    assert re.search(r"https://scivisit\.example\.gov\.cn/password/reset/\S+", invitation.body)
    assert "attacker" not in invitation.body


def test_the_new_member_appears_on_the_list(client, manager):
    client.post("/manage/staff", data={"name": "李新员工", "email": "new.staff@example.com"})
    html = client.get("/manage/staff").get_data(as_text=True)
    assert "李新员工" in html and "new.staff@example.com" in html


def _flashes(response) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True), re.S)


def _answer(client, email: str, name: str = "李新员工") -> tuple[int, list[str]]:
    """What the manager sees after adding ``email``: the status, and the flashed messages with the
    address taken out (the manager typed it)."""
    response = client.post("/manage/staff?lang=en", data={"name": name, "email": email})
    shown = client.get("/manage/staff?lang=en") if response.status_code == 302 else response
    return response.status_code, [text.replace(email, "[address]") for text in _flashes(shown)]


def _suspended_former_member(app, client) -> User:
    member = factories.user("venue_staff")
    _admin_browser(app).post(f"/admin/people/{member.id}/suspend")
    other_manager = Auth(app.test_client())
    other_manager.login(factories.user("venue_manager", venue=member.venue).email)
    assert other_manager.client.post(f"/manage/staff/{member.id}/remove").status_code == 302
    return member


EXISTING = {
    "citizen": lambda app, client: factories.user("citizen"),
    "teacher": lambda app, client: factories.user("teacher"),
    "venue_manager": lambda app, client: factories.user("venue_manager"),
    "city_admin": lambda app, client: factories.user("city_admin"),
    "staff_of_another_venue": lambda app, client: factories.user("venue_staff"),
    "suspended_former_member": _suspended_former_member,
}


@pytest.mark.parametrize("kind", EXISTING)
def test_the_answer_does_not_tell_the_manager_whether_the_address_has_an_account(app, client, manager, kind):
    existing = EXISTING[kind](app, client)
    fresh = _answer(client, "nobody.yet@example.com")

    assert _answer(client, existing.email) == fresh
    assert fresh[0] == 302 and len(fresh[1]) == 1 and "account" not in fresh[1][0]


@pytest.mark.parametrize("kind", EXISTING)
def test_an_existing_account_is_left_as_it_is_and_the_person_is_told_by_email(app, client, manager, kind):
    existing = EXISTING[kind](app, client)
    before = (existing.role, existing.venue_id, existing.name, existing.is_disabled, existing.password_hash)
    added_before = len(_audit("add_venue_staff"))

    client.post("/manage/staff", data={"name": "Someone", "email": existing.email})

    person = _fresh(existing.id)
    assert (person.role, person.venue_id, person.name, person.is_disabled, person.password_hash) == before
    assert len(_audit("add_venue_staff")) == added_before
    told = _message(existing.email, "staff_not_added")
    assert told.sent_at is not None and told.user_id == existing.id
    assert "/password/reset/" not in told.body
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == existing.email,
                                                         OutboxMessage.kind == "staff_invitation")) is None
    assert f'<span class="muted">{existing.email}</span>' not in client.get("/manage/staff").get_data(as_text=True)


@pytest.mark.parametrize("kind, says", [
    ("citizen", "give them another email address"),
    ("staff_of_another_venue", "remove you from its staff first"),
    ("suspended_former_member", "suspended"),
])
def test_the_email_tells_the_person_what_to_do(app, client, manager, kind, says):
    existing = EXISTING[kind](app, client)
    existing.locale = "en"
    db.session.commit()

    client.post("/manage/staff", data={"name": "Someone", "email": existing.email})

    told = _message(existing.email, "staff_not_added")
    venue_name = manager.venue.name_en or manager.venue.name_zh
    assert venue_name in told.subject and says in told.body and manager.name in told.body


def test_someone_already_on_the_staff_is_not_added_twice(client, manager):
    member = factories.user("venue_staff", venue=manager.venue)
    response = client.post("/manage/staff?lang=en", data={"name": "Again", "email": member.email})
    assert response.status_code == 400 and "already on your staff" in _errors(response.get_data(as_text=True))["email"]


@pytest.mark.parametrize("data,field", [
    ({"name": "", "email": "ok@example.com"}, "name"),
    ({"name": "李", "email": ""}, "email"),
    ({"name": "李", "email": "not-an-address"}, "email"),
    ({"name": "字" * 81, "email": "ok@example.com"}, "name"),
    ({"name": "李", "email": "a" * 250 + "@example.com"}, "email"),
])
def test_bad_input_is_marked_on_its_field_and_kept(client, manager, data, field):
    response = client.post("/manage/staff", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and field in _errors(html)
    for value in data.values():
        assert f'value="{value}"' in html or not value
    assert db.session.scalar(select(User).where(User.role == Role.VENUE_STAFF)) is None


# --- removing -----------------------------------------------------------------------------------

def test_removing_asks_first(client, manager):
    member = factories.user("venue_staff", venue=manager.venue, name="王检票")
    page = client.get(f"/manage/staff/{member.id}/remove?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Remove 王检票 from your staff?" in html and 'class="danger"' in html
    assert _fresh(member.id).role == Role.VENUE_STAFF


def test_a_removed_member_loses_the_gate_at_once_and_their_check_ins_stay(app, client, manager):
    slot = factories.slot_at(manager.venue)
    member = factories.user("venue_staff", venue=manager.venue)
    admitted = factories.confirmed_visit(slot)
    gate = app.test_client()
    Auth(gate).login(member.email)
    assert gate.post("/scan", data={"code": tickets.code_for_booking(admitted), "nonce": "a1"}).status_code == 200
    token = factories.user_token(member)
    waiting = factories.confirmed_visit(slot)

    response = client.post(f"/manage/staff/{member.id}/remove")

    assert response.status_code == 302
    person = _fresh(member.id)
    assert person.is_disabled and person.venue_id is None and person.role == Role.CITIZEN
    scan = gate.post("/scan", data={"code": tickets.code_for_booking(waiting), "nonce": "a2"})
    assert scan.status_code == 302 and "/login" in scan.headers["Location"]
    api = gate.post("/api/v1/checkins", json={"code": tickets.code_for_booking(waiting)},
                    headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert app.test_client().post("/login", data={"email": member.email, "password": "password123"}).status_code == 400
    assert db.session.scalar(select(CheckIn.user_id).where(CheckIn.booking_id == admitted.id)) == member.id
    assert [row.subject_user_id for row in _audit("remove_venue_staff")] == [member.id]
    assert _message(member.email, "staff_removed").sent_at is not None
    assert member.email not in client.get("/manage/staff").get_data(as_text=True)


def test_a_cached_api_token_stops_working_too(app, client, manager):
    member = factories.user("venue_staff", venue=manager.venue)
    token = factories.user_token(member)
    gate = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert gate.post("/api/v1/checkins", json={"code": "x"}, headers=headers).status_code == 200  # now remembered

    client.post(f"/manage/staff/{member.id}/remove")

    assert gate.post("/api/v1/checkins", json={"code": "x"}, headers=headers).status_code == 401


def test_a_removed_member_can_be_added_again_with_a_new_invitation(app, client, manager, auth):
    member = factories.user("venue_staff", venue=manager.venue)
    client.post(f"/manage/staff/{member.id}/remove")
    other_manager = factories.user("venue_manager")
    auth.logout()
    auth.login(other_manager.email)

    response = client.post("/manage/staff", data={"name": "回来了", "email": member.email})

    assert response.status_code == 302
    person = _fresh(member.id)
    assert not person.is_disabled and person.role == Role.VENUE_STAFF and person.venue_id == other_manager.venue_id
    assert _message(member.email, "staff_invitation").sent_at is not None
    assert app.test_client().post("/login", data={"email": member.email, "password": "password123"}).status_code == 400


def test_a_disabled_account_that_was_never_staff_is_not_reopened(client, manager):
    teacher = factories.user("teacher", verified=False)
    teacher.is_disabled = True  # a rejected registration
    db.session.commit()
    client.post("/manage/staff", data={"name": "X", "email": teacher.email})
    person = _fresh(teacher.id)
    assert person.is_disabled and person.role == Role.TEACHER


def test_staff_of_another_venue_cannot_be_removed(client, manager):
    elsewhere = factories.user("venue_staff")
    assert client.get(f"/manage/staff/{elsewhere.id}/remove").status_code == 404
    assert client.post(f"/manage/staff/{elsewhere.id}/remove").status_code == 404
    assert _fresh(elsewhere.id).role == Role.VENUE_STAFF


def test_the_manager_cannot_remove_themselves_here(client, manager):
    assert client.post(f"/manage/staff/{manager.id}/remove").status_code == 404
    assert not _fresh(manager.id).is_disabled


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["venue_staff", "citizen", "teacher", "district_admin", "city_admin"])
def test_only_a_venue_manager_opens_the_staff_page(client, auth, role):
    auth.login(factories.user(role).email)
    assert client.get("/manage/staff").status_code == 403
    assert client.post("/manage/staff", data={"name": "X", "email": "x@example.com"}).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_staff_cannot_remove_a_colleague(client, auth):
    member = factories.user("venue_staff")
    colleague = factories.user("venue_staff", venue=member.venue)
    auth.login(member.email)
    assert client.post(f"/manage/staff/{colleague.id}/remove").status_code == 403
    assert _fresh(colleague.id).role == Role.VENUE_STAFF


# --- an administrator's suspension ----------------------------------------------------------------

def _admin_browser(app) -> object:
    browser = app.test_client()
    Auth(browser).login(factories.user("city_admin").email)
    return browser


def test_a_member_an_administrator_suspended_is_removed_but_not_added_back(app, client, manager):
    member = factories.user("venue_staff", venue=manager.venue)
    admin = _admin_browser(app)
    assert admin.post(f"/admin/people/{member.id}/suspend", data={"reason": "misconduct"}).status_code == 302

    assert client.post(f"/manage/staff/{member.id}/remove").status_code == 302
    client.post("/manage/staff?lang=en", data={"name": "回来了", "email": member.email})

    person = _fresh(member.id)
    assert person.is_disabled and person.role == Role.CITIZEN and person.venue_id is None
    assert _audit("add_venue_staff") == []
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "staff_invitation")) is None
    assert app.test_client().post("/login", data={"email": member.email, "password": "password123"}).status_code == 400


def test_another_venue_cannot_add_back_a_member_an_administrator_suspended(app, client, manager, auth):
    member = factories.user("venue_staff", venue=manager.venue)
    _admin_browser(app).post(f"/admin/people/{member.id}/suspend")
    client.post(f"/manage/staff/{member.id}/remove")
    auth.logout()
    auth.login(factories.user("venue_manager").email)

    client.post("/manage/staff", data={"name": "换个场馆", "email": member.email})

    assert "暂停" in _message(member.email, "staff_not_added").body  # in the person's language
    assert _fresh(member.id).is_disabled


def test_once_an_administrator_lifts_the_suspension_a_venue_adds_the_member_again(app, client, manager):
    member = factories.user("venue_staff", venue=manager.venue)
    admin = _admin_browser(app)
    admin.post(f"/admin/people/{member.id}/suspend")
    client.post(f"/manage/staff/{member.id}/remove")

    lifted = admin.post(f"/admin/people/{member.id}/reinstate?lang=en", follow_redirects=True)

    assert lifted.status_code == 200 and "suspension is lifted" in lifted.get_data(as_text=True)
    assert _fresh(member.id).is_disabled  # still removed from the staff: closed until a venue adds them
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_reinstated")) is None
    assert client.post("/manage/staff", data={"name": "回来了", "email": member.email}).status_code == 302
    person = _fresh(member.id)
    assert not person.is_disabled and person.role == Role.VENUE_STAFF and person.venue_id == manager.venue_id


# --- an invitation not accepted yet -----------------------------------------------------------------

def _invite(client, email: str = "new.staff@example.com", name: str = "李新员工") -> User:
    assert client.post("/manage/staff", data={"name": name, "email": email}).status_code == 302
    return db.session.scalar(select(User).where(User.email == email))


def _invitation_links(email: str) -> list[str]:
    db.session.expire_all()
    bodies = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == email,
                                                                 OutboxMessage.kind == "staff_invitation")
                                .order_by(OutboxMessage.id))
    return [re.search(r"https?://\S+/password/reset/\S+", body).group(0) for body in bodies]


def _row(html: str, name: str) -> str:
    start = html.index(f'<th scope="row">{name}')
    return html[start:html.index("</tr>", start)]


def test_an_invited_member_is_listed_as_invited_until_they_choose_a_password(app, client, manager):
    person = _invite(client)

    row = _row(client.get("/manage/staff?lang=en").get_data(as_text=True), "李新员工")
    assert "Invited, no password yet" in row and "Active" not in row
    assert "Send the invitation again" in row and "Withdraw the invitation" in row and "Remove…" not in row

    link = _invitation_links(person.email)[0]
    app.test_client().post(_path(link), data={"password": "gate-password-1", "confirm": "gate-password-1"})

    row = _row(client.get("/manage/staff?lang=en").get_data(as_text=True), "李新员工")
    assert "Active" in row and "Invited" not in row and "Remove…" in row


def test_the_manager_sends_the_invitation_again(app, client, manager):
    person = _invite(client)

    response = client.post(f"/manage/staff/{person.id}/invitation?lang=en", follow_redirects=True)

    assert "We have emailed new.staff@example.com a new link" in response.get_data(as_text=True)
    links = _invitation_links(person.email)
    assert len(links) == 2
    assert [row.detail for row in _audit("resend_invitation")] == [str(manager.venue_id)]
    gate = app.test_client()
    assert gate.post(_path(links[-1]), data={"password": "gate-password-1", "confirm": "gate-password-1"}) \
        .status_code == 302
    Auth(gate).login(person.email, "gate-password-1")


def test_a_withdrawn_invitation_deletes_the_account_made_for_it(app, client, manager):
    person = _invite(client)
    link = _invitation_links(person.email)[0]

    response = client.post(f"/manage/staff/{person.id}/invitation/withdraw?lang=en", follow_redirects=True)

    assert "The invitation of 李新员工 is withdrawn" in response.get_data(as_text=True)
    assert _fresh(person.id) is None
    assert "李新员工" not in client.get("/manage/staff").get_data(as_text=True)
    assert _message("new.staff@example.com", "invitation_withdrawn").sent_at is not None
    assert app.test_client().post(_path(link), data={"password": "gate-password-1",
                                                     "confirm": "gate-password-1"}).status_code == 400
    assert _invite(client).venue_id == manager.venue_id  # the address is free again


def test_withdrawing_a_former_members_invitation_closes_their_account_again(app, client, manager):
    member = factories.user("venue_staff", venue=manager.venue, name="回来了")
    client.post(f"/manage/staff/{member.id}/remove")
    _invite(client, member.email, name="回来了")

    client.post(f"/manage/staff/{member.id}/invitation/withdraw")

    person = _fresh(member.id)
    assert person is not None and person.is_disabled and person.role == Role.CITIZEN and person.venue_id is None
    assert app.test_client().post("/login", data={"email": member.email, "password": "password123"}).status_code == 400
    assert _invite(client, member.email, name="回来了").venue_id == manager.venue_id  # may be invited again


def test_an_accepted_invitation_cannot_be_withdrawn(client, manager):
    member = factories.user("venue_staff", venue=manager.venue, name="王检票")

    response = client.post(f"/manage/staff/{member.id}/invitation/withdraw?lang=en", follow_redirects=True)

    assert "王检票 has already chosen a password" in response.get_data(as_text=True)
    assert _fresh(member.id).role == Role.VENUE_STAFF
    assert client.post(f"/manage/staff/{member.id}/invitation").status_code == 302
    assert _invitation_links(member.email) == []


def test_adding_an_invited_address_again_says_to_send_the_invitation_again(client, manager):
    _invite(client)
    response = client.post("/manage/staff?lang=en", data={"name": "李新员工", "email": "new.staff@example.com"})
    assert response.status_code == 400
    assert "has been invited already" in _errors(response.get_data(as_text=True))["email"]


def test_another_venue_neither_resends_nor_withdraws_the_invitation(app, client, manager):
    person = _invite(client)
    elsewhere = app.test_client()
    Auth(elsewhere).login(factories.user("venue_manager").email)

    assert elsewhere.post(f"/manage/staff/{person.id}/invitation").status_code == 404
    assert elsewhere.post(f"/manage/staff/{person.id}/invitation/withdraw").status_code == 404
    assert _fresh(person.id) is not None and len(_invitation_links(person.email)) == 1


def test_two_venues_adding_the_same_new_address_at_once_give_the_same_answer(app, is_postgres):
    """The address is free when both look: one venue's account wins the insert; the other, refused by the
    database, treats it as the existing account it now is (its owner is told), never as an error."""
    from app.accounts import staff
    from tests.races import race

    if not is_postgres:  # SQLite lets one writer in at a time: the second is answered "try again" (503)
        pytest.skip("concurrent inserts of one address need PostgreSQL (set TEST_DATABASE_URL)")

    managers = [factories.user("venue_manager").id, factories.user("venue_manager").id]

    def add(manager_id):
        def job():
            manager = db.session.get(User, manager_id)
            person = staff.add_venue_staff(manager, manager.venue, email="both@example.com", name="抢着加",
                                           link_for=lambda token: f"https://scivisit.example/password/reset/{token}")
            return person.venue_id if person is not None else None
        return job

    outcomes = race(app, [add(m) for m in managers])

    db.session.expire_all()
    person = db.session.scalar(select(User).where(User.email == "both@example.com"))
    assert person.role == Role.VENUE_STAFF and sorted(outcomes, key=str) == sorted([person.venue_id, None], key=str)
    assert _message("both@example.com", "staff_not_added").user_id == person.id
