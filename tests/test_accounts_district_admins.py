"""A district's administrators, as the city admin keeps them: invited on the district administrators'
page (a new account whose owner chooses the password from an emailed link), the invitation sent again
or withdrawn; a district admin cannot invite one."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import AccountStatus, Role, User
from app.extensions import db
from app.notifications.models import OutboxMessage
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


def _invite(client, email: str = "New.Admin@example.com", district: str = GULOU, name: str = "鼓楼区管理员"):
    return client.post("/admin/district-admins?lang=en", data={"name": name, "email": email, "district": district})


def _text(response) -> str:
    return response.get_data(as_text=True)


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', _text(response), re.S))


def _messages(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)
                                   .order_by(OutboxMessage.id)))


def _person(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_the_city_admin_invites_a_district_admin_who_chooses_a_password_and_reviews_the_district(app, client, city):
    response = _invite(client)

    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/district-admins")
    person = _person("new.admin@example.com")
    assert (person.role, person.district_code, person.account_status) == \
        (Role.DISTRICT_ADMIN, GULOU, AccountStatus.INVITED)
    [invitation] = _messages(person.email)
    assert invitation.kind == "district_admin_invitation" and invitation.sent_at is not None
    assert "鼓楼区" in invitation.subject  # a new account is written to in Chinese, the default
    link = re.search(r"https?://\S+/password/reset/\S+", invitation.body).group(0)
    assert "鼓楼区管理员" in _text(client.get("/admin/district-admins?lang=en"))

    browser = app.test_client()
    chosen = browser.post(_path(link), data={"password": "district-password-1", "confirm": "district-password-1"})
    assert chosen.status_code == 302
    Auth(browser).login(person.email, "district-password-1")
    assert browser.get("/admin/venues").status_code == 200


def test_the_people_page_leads_the_city_admin_to_the_invitation(client, city):
    assert "/admin/district-admins" in _text(client.get("/admin/people?lang=en"))


def test_a_district_admin_cannot_invite_one(client, auth):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    assert client.get("/admin/district-admins").status_code == 403
    assert _invite(client, district=XUANWU).status_code == 403
    assert _person("new.admin@example.com") is None
    assert "/admin/district-admins" not in _text(client.get("/admin/people?lang=en"))


@pytest.mark.parametrize("district", ["", "999999"])
def test_a_missing_or_unknown_district_is_said_beside_the_field(client, city, district):
    response = _invite(client, district=district)

    assert response.status_code == 400
    assert "district" in _errors(response)
    assert 'value="鼓楼区管理员"' in _text(response)  # what was typed is kept
    assert _person("new.admin@example.com") is None


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_manager", "district_admin"])
def test_an_address_with_an_account_is_refused_beside_the_field(client, city, role):
    person = factories.user(role)

    response = _invite(client, email=person.email)

    assert response.status_code == 400
    assert "already has a SciVisit account" in _errors(response)["email"]
    db.session.expire_all()
    assert db.session.get(User, person.id).role == Role(role)
    assert not _messages(person.email)


def test_inviting_the_same_address_again_points_to_sending_the_invitation_again(client, city):
    _invite(client)

    response = _invite(client)

    assert response.status_code == 400
    assert "Send the invitation again" in _errors(response)["email"]
    assert len(_messages("new.admin@example.com")) == 1


def test_the_city_admin_sends_the_invitation_again(client, city):
    _invite(client)
    person = _person("new.admin@example.com")

    response = client.post(f"/admin/district-admins/{person.id}/invitation?lang=en")

    assert response.status_code == 302
    assert [m.kind for m in _messages(person.email)] == ["district_admin_invitation"] * 2


def test_the_city_admin_withdraws_the_invitation_and_the_account_is_gone(client, city):
    _invite(client)
    person = _person("new.admin@example.com")
    link = re.search(r"https?://\S+/password/reset/\S+", _messages(person.email)[0].body).group(0)

    response = client.post(f"/admin/district-admins/{person.id}/invitation/withdraw?lang=en")

    assert response.status_code == 302
    assert _person("new.admin@example.com") is None
    assert _messages("new.admin@example.com")[-1].kind == "invitation_withdrawn"
    assert client.post(_path(link), data={"password": "district-password-1",
                                          "confirm": "district-password-1"}).status_code != 302


def test_an_accepted_invitation_cannot_be_withdrawn(client, city):
    admin = factories.user("district_admin", district_code=GULOU)

    response = client.post(f"/admin/district-admins/{admin.id}/invitation/withdraw?lang=en", follow_redirects=True)

    assert "already chosen a password" in _text(response)
    assert _person(admin.email) is not None


def test_a_district_admin_cannot_send_again_or_withdraw_an_invitation(client, auth):
    invited = factories.user("district_admin", district_code=GULOU, password=None)
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    assert client.post(f"/admin/district-admins/{invited.id}/invitation").status_code == 403
    assert client.post(f"/admin/district-admins/{invited.id}/invitation/withdraw").status_code == 403
    assert _person(invited.email) is not None


def _rows(html: str, action: str) -> list[str]:
    """The table rows (history of an account, access log) of ``action``, as their cells' text."""
    return [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if action in row]


@pytest.mark.parametrize("lang, name", [("en", "Gulou District"), ("zh", "鼓楼区")])
def test_history_and_access_log_rows_name_the_district_not_its_code(client, city, lang, name):
    _invite(client)
    person = _person("new.admin@example.com")
    client.post(f"/admin/district-admins/{person.id}/invitation")  # sent again
    invited, again = {"en": ("Invited a district administrator", "Sent a district administrator's invitation again"),
                      "zh": ("邀请了区科协管理员", "重新发送了区科协管理员的邀请")}[lang]

    history = _text(client.get(f"/admin/people/{person.id}?lang={lang}"))
    log = _text(client.get(f"/admin/privacy/access-log?lang={lang}&subject={person.id}"))

    for html in (history, log):
        rows = _rows(html, invited) + _rows(html, again)
        assert len(rows) == 2, rows
        assert all(name in row and GULOU not in row for row in rows)
