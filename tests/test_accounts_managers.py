"""A venue's managers, as the administrators keep them: the city admin, or the admin of the venue's
district, adds a manager on the venue's page (a new address is invited to choose a password; a manager's
account without a venue takes this one; any other account is refused), and a venue's registration
history names the steps of a person whose account has since been closed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.conftest import Auth

XUANWU, GULOU = factories.XUANWU, factories.GULOU


@pytest.fixture(autouse=True)
def _deliver_in_request(app):
    app.config["MAIL_DELIVER_IN_REQUEST"] = True


@pytest.fixture
def venue():
    return factories.venue(name_zh="孤独科技馆", name_en="Lonely Hall", district_code=XUANWU)


@pytest.fixture
def city(auth):
    admin = factories.user("city_admin", name="市科协管理员")
    auth.login(admin.email)
    return admin


def _add(client, venue, email: str, name: str = "李新馆长", lang: str = "en"):
    return client.post(f"/admin/venues/{venue.id}/managers?lang={lang}",
                       data={"manager-name": name, "manager-email": email})


def _text(response) -> str:
    return response.get_data(as_text=True)


def _errors(response) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', _text(response), re.S))


def _fresh(user_id: int) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _messages(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def _audit(action: str) -> list[PersonalDataAccess]:
    db.session.expire_all()
    return list(db.session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.action == action)
                                   .order_by(PersonalDataAccess.id)))


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


# --- adding a new person -------------------------------------------------------------------------

def test_the_city_admin_adds_a_new_manager_who_chooses_a_password_and_manages_the_venue(app, client, city, venue):
    response = _add(client, venue, "New.Manager@example.com")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/venues/{venue.id}#managers")
    person = db.session.scalar(select(User).where(User.email == "new.manager@example.com"))
    assert (person.role, person.venue_id, person.name) == (Role.VENUE_MANAGER, venue.id, "李新馆长")
    [invitation] = _messages(person.email)
    assert invitation.kind == "manager_invitation" and invitation.sent_at is not None
    assert "孤独科技馆" in invitation.subject  # a new account is written to in Chinese, the default
    link = re.search(r"https?://\S+/password/reset/\S+", invitation.body).group(0)
    assert [(row.actor_id, row.subject_user_id, row.detail) for row in _audit("add_venue_manager")] == \
        [(city.id, person.id, str(venue.id))]

    browser = app.test_client()
    chosen = browser.post(_path(link), data={"password": "manager-password-1", "confirm": "manager-password-1"})
    assert chosen.status_code == 302
    Auth(browser).login(person.email, "manager-password-1")
    assert "孤独科技馆" in _text(browser.get("/manage/venue"))
    assert browser.get("/manage/staff").status_code == 200


def test_the_district_admin_of_the_venues_district_adds_a_manager_too(client, auth, venue):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)

    assert _add(client, venue, "second.manager@example.com").status_code == 302

    person = db.session.scalar(select(User).where(User.email == "second.manager@example.com"))
    assert person.venue_id == venue.id and person.role == Role.VENUE_MANAGER


def test_a_venue_may_have_more_than_one_manager(client, city, venue):
    first = factories.user("venue_manager", venue=venue, name="王馆长")

    assert _add(client, venue, "second.manager@example.com").status_code == 302

    page = _text(client.get(f"/admin/venues/{venue.id}?lang=en"))
    assert "王馆长" in page and "李新馆长" in page
    assert _fresh(first.id).venue_id == venue.id


def test_the_invitation_links_to_the_site_whatever_host_the_request_named(app, venue):
    elsewhere = factories.signed_in_at_forged_host(app, factories.user("city_admin"))

    elsewhere.post(f"/admin/venues/{venue.id}/managers", base_url=factories.FORGED_HOST,
                   data={"manager-name": "李新馆长", "manager-email": "new.manager@example.com"})

    [invitation] = _messages("new.manager@example.com")
    assert re.search(r"https://scivisit\.example\.gov\.cn/password/reset/\S+", invitation.body)
    assert "attacker" not in invitation.body


# --- existing accounts ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "district_admin", "city_admin"])
def test_an_existing_account_of_another_kind_is_refused_beside_the_field(client, city, venue, role):
    person = factories.user(role, name="张市民")

    response = _add(client, venue, person.email)

    assert response.status_code == 400
    assert "It cannot be made into a manager's account" in _errors(response)["manager-email"]
    assert 'value="李新馆长"' in _text(response)  # what was typed is kept
    assert (_fresh(person.id).role, _fresh(person.id).venue_id) == (Role(role), person.venue_id)
    assert not [m for m in _messages(person.email) if m.kind.startswith("manager")]
    assert not _audit("add_venue_manager")


def test_the_refusal_is_in_chinese_for_a_chinese_page(client, city, venue):
    response = _add(client, venue, factories.user("citizen").email, lang="zh")
    assert response.status_code == 400 and "管理员账号" in _errors(response)["manager-email"]


def test_a_venue_manager_without_a_venue_takes_this_one_keeps_their_password_and_is_told_in_their_language(
        app, client, city, venue):
    person = factories.user("venue_manager", venue=None, name="Alex Chen")
    person.locale = "en"
    db.session.commit()

    response = _add(client, venue, person.email, name="ignored", lang="zh")

    assert response.status_code == 302
    assert (_fresh(person.id).venue_id, _fresh(person.id).name) == (venue.id, "Alex Chen")
    [told] = _messages(person.email)
    assert told.kind == "manager_added" and "Lonely Hall" in told.subject and "manager" in told.subject
    assert "/password/reset/" not in told.body
    browser = app.test_client()
    Auth(browser).login(person.email)  # the password they had
    assert "孤独科技馆" in _text(browser.get("/manage/venue"))


def test_a_manager_of_another_venue_is_refused(client, city, venue):
    other = factories.user("venue_manager")

    response = _add(client, venue, other.email)

    assert response.status_code == 400 and "manages another venue" in _errors(response)["manager-email"]
    assert _fresh(other.id).venue_id != venue.id


def test_someone_already_managing_the_venue_is_not_added_twice(client, city, venue):
    manager = factories.user("venue_manager", venue=venue, name="王馆长")
    assert "王馆长 is already a manager of this venue." in _errors(_add(client, venue, manager.email))["manager-email"]

    manager.is_disabled = True
    db.session.commit()
    assert "reinstate it" in _errors(_add(client, venue, manager.email))["manager-email"]


def test_bad_input_is_marked_on_its_field_and_kept(client, city, venue):
    response = _add(client, venue, "not-an-address", name="")

    assert response.status_code == 400
    errors = _errors(response)
    assert set(errors) == {"manager-name", "manager-email"}
    assert 'value="not-an-address"' in _text(response)
    assert db.session.scalar(select(User).where(User.role == Role.VENUE_MANAGER)) is None


# --- who may -------------------------------------------------------------------------------------

def test_a_district_admin_of_another_district_is_refused(client, auth, venue):
    auth.login(factories.user("district_admin", district_code=GULOU).email)

    assert _add(client, venue, "new.manager@example.com").status_code == 403

    assert db.session.scalar(select(User).where(User.email == "new.manager@example.com")) is None
    assert not _messages("new.manager@example.com")


@pytest.mark.parametrize("role", ["venue_manager", "venue_staff", "teacher", "citizen"])
def test_nobody_else_adds_a_manager(client, auth, venue, role):
    kw = {"venue": venue} if role in ("venue_manager", "venue_staff") else {}
    auth.login(factories.user(role, **kw).email)

    assert _add(client, venue, "new.manager@example.com").status_code == 403

    assert db.session.scalar(select(User).where(User.email == "new.manager@example.com")) is None


# --- the list ------------------------------------------------------------------------------------

def test_the_venue_page_lists_its_managers_with_masked_phones_last_sign_in_and_status(app, client, city, venue):
    active = factories.user("venue_manager", venue=venue, name="王馆长", phone="13812341234")
    suspended = factories.user("venue_manager", venue=venue, name="赵前馆长")
    suspended.is_disabled = True
    db.session.commit()
    factories.user("venue_manager", name="别馆馆长")
    Auth(app.test_client()).login(active.email)

    html = _text(client.get(f"/admin/venues/{venue.id}?lang=en"))

    section = html[html.index('id="managers"'):html.index('id="history-heading"')]
    assert "王馆长" in section and "138****1234" in section and "13812341234" not in section
    assert f'href="/admin/people/{active.id}"' in section and f'href="/admin/people/{suspended.id}"' in section
    assert "Suspended" in section and "Active" in section and "Not yet" in section
    assert "别馆馆长" not in section
    assert [row.detail for row in _audit("view_venue_managers")] == [str(venue.id)]


def test_a_venue_without_a_manager_says_so(client, city, venue):
    html = _text(client.get(f"/admin/venues/{venue.id}?lang=en"))
    assert "This venue has no manager" in html and 'name="manager-email"' in html


# --- the people pages ----------------------------------------------------------------------------

def test_the_people_pages_warning_links_here_and_goes_once_the_venue_has_another_active_manager(app, client, city,
                                                                                                 venue):
    manager = factories.user("venue_manager", venue=venue)
    add_link = f'href="/admin/venues/{venue.id}#managers"'
    pages = (f"/admin/people/{manager.id}?lang=en", f"/admin/people/{manager.id}/close?lang=en")
    for page in pages:
        html = _text(client.get(page))
        assert "only active manager of Lonely Hall" in html and add_link in html

    _add(client, venue, "new.manager@example.com")

    for page in pages:  # invited, the new manager may never come: not yet one to rely on
        assert "only active manager of Lonely Hall" in _text(client.get(page))

    _choose_password(app, "new.manager@example.com")

    for page in pages:
        html = _text(client.get(page))
        assert "only active manager" not in html and add_link not in html


def test_a_suspended_only_manager_s_page_offers_to_add_another(client, city, venue):
    manager = factories.user("venue_manager", venue=venue)
    client.post(f"/admin/people/{manager.id}/suspend")

    html = _text(client.get(f"/admin/people/{manager.id}?lang=en"))

    assert "Lonely Hall has no active manager while this account is suspended." in html
    assert f'href="/admin/venues/{venue.id}#managers"' in html


def test_the_new_managers_account_history_says_who_added_them(client, city, venue):
    _add(client, venue, "new.manager@example.com")
    person = db.session.scalar(select(User).where(User.email == "new.manager@example.com"))

    html = _text(client.get(f"/admin/people/{person.id}?lang=en"))

    assert "Added a manager to a venue" in html and f"venue {venue.id}" in html


# --- the registration history --------------------------------------------------------------------

def test_a_closed_persons_steps_in_the_history_say_a_closed_account(client, city):
    manager = factories.user("venue_manager", name="王馆长")
    venue = manager.venue
    reviewer = factories.user("district_admin", name="玄武区科协审核员")
    db.session.add_all([
        VenueStatusChange(venue_id=venue.id, from_status=None, to_status=VenueStatus.DRAFT, actor_id=manager.id),
        VenueStatusChange(venue_id=venue.id, from_status=VenueStatus.DRAFT, to_status=VenueStatus.SUBMITTED,
                          actor_id=manager.id),
        VenueStatusChange(venue_id=venue.id, from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                          actor_id=reviewer.id),
    ])
    db.session.commit()

    assert client.post(f"/admin/people/{manager.id}/close").status_code == 302

    english = _text(client.get(f"/admin/venues/{venue.id}?lang=en"))
    history = english[english.index('id="history-caption"'):]
    assert history.count("a closed account") == 2 and "玄武区科协审核员" in history
    assert "System" not in history and "王馆长" not in history
    chinese = _text(client.get(f"/admin/venues/{venue.id}?lang=zh"))
    assert chinese[chinese.index('id="history-caption"'):].count("已注销的账号") == 2


def test_a_decision_taken_meanwhile_by_a_closed_account_says_so(client, city):
    venue = factories.venue(status=VenueStatus.APPROVED)
    reviewer = factories.user("district_admin")
    db.session.add(VenueStatusChange(venue_id=venue.id, from_status=VenueStatus.SUBMITTED,
                                     to_status=VenueStatus.APPROVED, actor_id=reviewer.id))
    db.session.commit()
    client.post(f"/admin/people/{reviewer.id}/close")

    response = client.post(f"/admin/venues/{venue.id}/approve?lang=en", follow_redirects=True)

    assert "last changed by a closed account" in _text(response)


# --- an invitation not accepted yet -----------------------------------------------------------------

def _link(email: str) -> str:
    invitation = [m for m in _messages(email) if m.kind == "manager_invitation"][-1]
    return re.search(r"https?://\S+/password/reset/\S+", invitation.body).group(0)


def _choose_password(app, email: str, password: str = "manager-password-1"):
    return app.test_client().post(_path(_link(email)), data={"password": password, "confirm": password})


def _managers_section(client, venue) -> str:
    html = _text(client.get(f"/admin/venues/{venue.id}?lang=en"))
    return html[html.index('id="managers"'):html.index('id="history-heading"')]


def _invited(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_an_invited_manager_is_listed_as_invited_not_active_until_they_choose_a_password(app, client, city, venue):
    response = _add(client, venue, "new.manager@example.com")
    assert "once they have chosen a password" in _text(client.get(response.headers["Location"]))
    person = _invited("new.manager@example.com")

    section = _managers_section(client, venue)
    assert "Invited, no password yet" in section and ">Active<" not in section
    assert "None of these managers is active" in section
    assert "Send the invitation again" in section and "Withdraw the invitation" in section
    listing = _text(client.get("/admin/people?lang=en&role=venue_manager"))
    assert "李新馆长" in listing and "Invited, no password yet" in listing
    assert "李新馆长" in _text(client.get("/admin/people?lang=en&status=invited"))
    assert "李新馆长" not in _text(client.get("/admin/people?lang=en&status=active"))
    assert "until 李新馆长 chooses a password" in _text(client.get(f"/admin/people/{person.id}?lang=en"))
    assert "邀请待接受" in _text(client.get(f"/admin/venues/{venue.id}?lang=zh"))

    assert _choose_password(app, person.email).status_code == 302

    section = _managers_section(client, venue)
    assert "Active" in section and "Invited" not in section and "Send the invitation again" not in section
    assert "None of these managers is active" not in section
    assert "李新馆长" in _text(client.get("/admin/people?lang=en&status=active"))


def test_the_invitation_is_sent_again_with_a_new_link_that_works(app, client, city, venue):
    _add(client, venue, "new.manager@example.com")
    person = _invited("new.manager@example.com")

    response = client.post(f"/admin/venues/{venue.id}/managers/{person.id}/invitation?lang=en",
                           follow_redirects=True)

    assert response.status_code == 200
    assert "We have emailed new.manager@example.com a new link" in _text(response)
    first, again = [m for m in _messages(person.email) if m.kind == "manager_invitation"]
    assert again.sent_at is not None and "/password/reset/" in again.body
    assert [(row.actor_id, row.detail) for row in _audit("resend_invitation")] == [(city.id, str(venue.id))]
    assert _choose_password(app, person.email).status_code == 302
    Auth(app.test_client()).login(person.email, "manager-password-1")


def test_a_withdrawn_invitation_deletes_the_unused_account_and_its_link_stops_working(app, client, city, venue):
    _add(client, venue, "new.manager@example.com")
    person = _invited("new.manager@example.com")
    link = _link(person.email)

    response = client.post(f"/admin/venues/{venue.id}/managers/{person.id}/invitation/withdraw?lang=en",
                           follow_redirects=True)

    assert "The invitation of 李新馆长 is withdrawn" in _text(response)
    assert _fresh(person.id) is None
    assert "李新馆长" not in _managers_section(client, venue)
    [told] = _messages(person.email)  # the invitation went with the account; this one says so
    assert told.kind == "invitation_withdrawn" and told.sent_at is not None and "/password/reset/" not in told.body
    assert app.test_client().post(_path(link), data={"password": "manager-password-1",
                                                     "confirm": "manager-password-1"}).status_code == 400
    assert [row.actor_id for row in _audit("withdraw_invitation")] == [city.id]
    assert _add(client, venue, person.email).status_code == 302  # the address is free again


def test_an_invitation_not_sent_yet_is_withdrawn_without_a_word_to_the_address(app, client, city, venue):
    app.config["MAIL_DELIVER_IN_REQUEST"] = False  # the mail worker has not run yet
    _add(client, venue, "typo.manager@example.com")
    person = _invited("typo.manager@example.com")

    client.post(f"/admin/venues/{venue.id}/managers/{person.id}/invitation/withdraw")

    assert _fresh(person.id) is None and _messages(person.email) == []


def test_an_accepted_invitation_is_neither_sent_again_nor_withdrawn(app, client, city, venue):
    _add(client, venue, "new.manager@example.com")
    person = _invited("new.manager@example.com")
    _choose_password(app, person.email)

    again = client.post(f"/admin/venues/{venue.id}/managers/{person.id}/invitation?lang=en", follow_redirects=True)
    withdrawn = client.post(f"/admin/venues/{venue.id}/managers/{person.id}/invitation/withdraw?lang=en",
                            follow_redirects=True)

    assert "李新馆长 has already chosen a password" in _text(again)
    assert "李新馆长 has already chosen a password" in _text(withdrawn)
    assert len(_messages(person.email)) == 1 and _fresh(person.id).venue_id == venue.id


def test_adding_the_invited_address_again_says_to_send_the_invitation_again(client, city, venue):
    _add(client, venue, "new.manager@example.com")

    response = _add(client, venue, "new.manager@example.com")

    assert response.status_code == 400
    assert "has been invited already" in _errors(response)["manager-email"]
    assert len(_messages("new.manager@example.com")) == 1


def test_only_whoever_could_invite_sends_the_invitation_again_or_withdraws_it(app, client, auth, venue):
    invited = factories.user("venue_manager", venue=venue, name="未设密码")
    invited.password_hash = "!not-chosen"
    db.session.commit()
    for role, kw in (("district_admin", {"district_code": GULOU}), ("venue_manager", {"venue": venue}),
                     ("venue_staff", {"venue": venue})):
        browser = app.test_client()
        Auth(browser).login(factories.user(role, **kw).email)
        for action in ("invitation", "invitation/withdraw"):
            assert browser.post(f"/admin/venues/{venue.id}/managers/{invited.id}/{action}").status_code == 403
    assert _fresh(invited.id) is not None and _messages(invited.email) == []

    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    other = factories.venue(district_code=XUANWU)
    assert client.post(f"/admin/venues/{other.id}/managers/{invited.id}/invitation").status_code == 404
    assert client.post(f"/admin/venues/{venue.id}/managers/{invited.id}/invitation/withdraw").status_code == 302
    assert _fresh(invited.id) is None
