"""A person corrects their own name, mobile number and email at /me/profile (the privacy notice's
right to correction)."""
import re

from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from tests import factories
from tests.conftest import Auth


def _save(client, user, **changes):
    data = {"name": user.name, "phone": user.phone, "email": user.email, "current_password": ""}
    data.update(changes)
    return client.post("/me/profile", data=data)


def _reload(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_my_page_links_to_the_profile_which_shows_my_own_phone_in_full(client, auth):
    user = factories.user("citizen", phone="13812345678")
    auth.login(user.email)
    assert "/me/profile" in client.get("/me").get_data(as_text=True)
    page = client.get("/me/profile").get_data(as_text=True)
    assert 'value="13812345678"' in page and 'value="%s"' % user.email in page


def test_a_citizen_corrects_name_and_phone_typed_in_full_width_digits(client, auth):
    user = factories.user("citizen")
    auth.login(user.email)
    response = _save(client, user, name="  王小明 ", phone="１３９ １２３４ ５６７８")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")
    user = _reload(user)
    assert (user.name, user.phone) == ("王小明", "13912345678")
    assert "王小明" in client.get("/me").get_data(as_text=True)


def test_a_wrong_phone_or_an_empty_name_is_marked_and_nothing_is_saved(client, auth):
    user = factories.user("citizen", name="原名")
    auth.login(user.email)
    for changes, field in (({"phone": "12345"}, "phone"), ({"phone": ""}, "phone"), ({"name": " "}, "name"),
                           ({"name": "长" * 81}, "name")):
        response = _save(client, user, **changes)
        assert response.status_code == 400, changes
        page = response.get_data(as_text=True)
        assert f'id="{field}-error"' in page and 'class="error-summary"' in page, changes
    assert _reload(user).name == "原名"


def test_an_administrator_created_without_a_phone_may_keep_it_empty(client, auth):
    admin = factories.user("city_admin", phone="")
    auth.login(admin.email)
    assert _save(client, admin, name="市科协 张").status_code == 302
    assert (_reload(admin).name, _reload(admin).phone) == ("市科协 张", "")


def test_changing_the_email_needs_the_current_password(client, auth):
    user = factories.user("citizen")
    auth.login(user.email)
    missing = _save(client, user, email="new@example.com")
    wrong = _save(client, user, email="new@example.com", current_password="not-it")
    for response in (missing, wrong):
        assert response.status_code == 400
        assert 'id="current_password-error"' in response.get_data(as_text=True)
        assert 'value="new@example.com"' in response.get_data(as_text=True)  # what was typed stays
    assert _reload(user).email == user.email


def test_a_new_email_becomes_the_login_and_the_old_address_is_told(app, client, auth):
    user = factories.user("citizen", email="old@example.com")
    other_device = app.test_client()
    Auth(other_device).login(user.email)
    auth.login(user.email)
    response = _save(client, user, email=" New@Example.com ", current_password=factories.PASSWORD)
    assert response.status_code == 302
    assert _reload(user).email == "new@example.com"
    assert client.get("/me").status_code == 200  # this session stays signed in
    assert other_device.get("/me").status_code == 302  # the others end
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email_changed"))
    assert notice.recipient == "old@example.com" and "new@example.com" in notice.body
    client.post("/logout")
    assert client.post("/login", data={"email": "old@example.com", "password": factories.PASSWORD}).status_code == 400
    Auth(client).login("new@example.com", factories.PASSWORD)


def test_an_email_another_account_uses_is_refused_whatever_its_case(client, auth):
    factories.user("citizen", email="taken@example.com")
    user = factories.user("citizen")
    auth.login(user.email)
    response = _save(client, user, email="TAKEN@example.com", current_password=factories.PASSWORD)
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert _reload(user).email == user.email


def test_a_demo_address_that_stays_the_same_is_not_checked_again(client, auth):
    # email_validator refuses special-use domains such as .local, though the demo's accounts use them.
    user = factories.user("citizen", email="someone@scivisit.local")
    auth.login(user.email)
    assert _save(client, user, name="新名字").status_code == 302
    assert _reload(user).name == "新名字"


def test_a_correction_is_logged_with_the_fields_changed_and_no_values(client, auth):
    user = factories.user("citizen")
    auth.login(user.email)
    _save(client, user, name="改名", phone="13987654321")
    _save(client, user, name="改名", phone="13987654321")  # nothing changed: nothing logged
    rows = db.session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.action == "correct_own_data")).all()
    assert [(r.actor_id, r.subject_user_id, r.detail) for r in rows] == [(user.id, user.id, "name, phone")]


def test_every_role_edits_only_their_own_details(app, client):
    """No id in the URL: whoever is signed in edits themselves, never anyone else."""
    someone_else = factories.user("citizen", name="别人")
    for role in Role:
        user = factories.user(role)
        auth = Auth(app.test_client())
        auth.login(user.email)
        response = _save(auth.client, user, name=f"{role.value} 改")
        assert response.status_code == 302, role
        assert _reload(user).name == f"{role.value} 改"
    assert _reload(someone_else).name == "别人"


def test_the_profile_needs_a_signed_in_person(client):
    for response in (client.get("/me/profile"), client.post("/me/profile", data={"name": "x"})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_profile_form_needs_its_csrf_token(app, client, auth):
    user = factories.user("citizen")
    auth.login(user.email)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = _save(client, user, name="无令牌")
    assert refused.status_code == 400 and _reload(user).name != "无令牌"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/me/profile").get_data(as_text=True)).group(1)
    assert _save(client, user, name="有令牌", csrf_token=token).status_code == 302
    assert _reload(user).name == "有令牌"
