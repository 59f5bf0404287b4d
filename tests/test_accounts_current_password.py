"""The current password asked before a new password (/me/password), a new email (/me/profile) or deleting
the account (/me/delete) is guessed at as the login form is: wrong answers count with failed logins and
lock the account by the same rule, a locked account answers no check, the browser guessing is signed
out, and the forms are rate limited."""
from __future__ import annotations

import uuid

import pytest

from app.accounts.models import Role, User
from app.core.time import utcnow
from app.extensions import db
from tests import factories
from tests.conftest import Auth

WRONG = "not-my-password"


def _change_password(client, user, password, lang="en"):
    return client.post(f"/me/password?lang={lang}", data={"current_password": password, "new_password": "a-new-password",
                                             "confirm": "a-new-password"})


def _change_email(client, user, password, lang="en"):
    return client.post(f"/me/profile?lang={lang}", data={"name": user.name, "phone": user.phone, "email": "new@example.com",
                                            "current_password": password})


def _delete_account(client, user, password, lang="en"):
    return client.post(f"/me/delete?lang={lang}", data={"password": password})


# (how the form is sent, the field its password error is shown next to)
CHECKS = {
    "password change": (_change_password, "current_password"),
    "email change": (_change_email, "current_password"),
    "account deletion": (_delete_account, "password"),
}


def _reload(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def lockout(app):
    app.config.update(LOGIN_LOCKOUT_THRESHOLD=5, LOGIN_LOCKOUT_MINUTES=15)


@pytest.mark.parametrize("check", list(CHECKS))
def test_a_wrong_current_password_counts_as_a_failed_login_and_says_so_next_to_the_field(client, auth, lockout,
                                                                                         check):
    send, field = CHECKS[check]
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)

    response = send(client, user, WRONG)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert "After 5 wrong tries in a row, you are signed out and signing in pauses for 15 minutes." in html
    assert _reload(user).failed_logins == 1


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_wrong_password_message_is_in_the_person_s_language(client, auth, lockout, check):
    send, field = CHECKS[check]
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)

    html = send(client, user, WRONG, lang="zh").get_data(as_text=True)

    error = html[html.index(f'id="{field}-error"'):]
    assert "连续输错 5 次后" in error[:error.index("</")]


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_fifth_wrong_current_password_locks_the_account_and_signs_this_browser_out(client, auth, lockout,
                                                                                        check):
    send, _field = CHECKS[check]
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)

    refused = [send(client, user, WRONG).status_code for _ in range(4)]
    locking = send(client, user, WRONG)

    assert refused == [400] * 4
    assert locking.status_code == 302 and locking.headers["Location"].endswith("/login")
    login_page = client.get("/login?lang=en").get_data(as_text=True)
    assert "entered wrong too many times in a row, so you have been signed out" in login_page
    assert client.get("/me").status_code == 302
    person = _reload(user)
    assert person.locked_until is not None and person.locked_until > utcnow()
    assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 400


def test_a_copy_of_the_signed_out_browsers_cookie_is_worth_nothing(app, client, auth, lockout):
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/me").status_code == 200

    for _ in range(5):
        _change_password(client, user, WRONG)

    assert copy.get("/me").status_code == 302


def test_a_locked_account_answers_no_check_even_with_the_right_password(app, client, auth, lockout):
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)
    stranger = app.test_client()
    for _ in range(5):
        stranger.post("/login", data={"email": user.email, "password": WRONG})

    response = _change_password(client, user, factories.PASSWORD)

    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/me").status_code == 302
    person = _reload(user)
    person.locked_until = None
    db.session.commit()
    Auth(app.test_client()).login(user.email, factories.PASSWORD)  # the password was not changed


def test_failed_logins_and_wrong_current_passwords_add_up_to_one_lock(app, client, auth, lockout):
    user = factories.user(Role.CITIZEN)
    stranger = app.test_client()
    for _ in range(3):
        stranger.post("/login", data={"email": user.email, "password": WRONG})
    auth.login(user.email)  # a successful login starts the count again
    for _ in range(2):
        stranger.post("/login", data={"email": user.email, "password": WRONG})

    assert [_delete_account(client, user, WRONG).status_code for _ in range(3)] == [400, 400, 302]
    assert _reload(user).locked_until is not None


def test_the_right_current_password_starts_the_count_again(client, auth, lockout):
    user = factories.user(Role.CITIZEN)
    auth.login(user.email)
    for _ in range(4):
        _change_email(client, user, WRONG)

    assert _change_email(client, user, factories.PASSWORD).status_code == 302

    person = _reload(user)
    assert person.email == "new@example.com" and person.failed_logins == 0 and person.locked_until is None


def test_a_wrong_password_keeps_the_other_details_unsaved(client, auth):
    user = factories.user(Role.CITIZEN, name="王小明")
    auth.login(user.email)
    response = client.post("/me/profile", data={"name": "李小红", "phone": user.phone, "email": "new@example.com",
                                                 "current_password": WRONG})
    assert response.status_code == 400
    person = _reload(user)
    assert (person.name, person.email, person.failed_logins) == ("王小明", user.email, 1)


@pytest.mark.parametrize("path, field", [("/me/password", "current_password"), ("/me/delete", "password")])
@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_guessing_the_current_password_is_rate_limited(request, database_url, _migrated, storage, path, field):
    from tests.conftest import _empty_tables, limited_app_with

    uri = request.getfixturevalue("redis_url") if storage == "redis" else "memory://"
    limited = limited_app_with(database_url, RATELIMIT_STORAGE_URI=uri, REDIS_KEY_PREFIX=f"current-password-{uuid.uuid4().hex}",
                               LOGIN_LOCKOUT_THRESHOLD=100)
    with limited.app_context():
        try:
            user = factories.user(Role.CITIZEN)
            client = limited.test_client()
            Auth(client).login(user.email)
            statuses = [client.post(path, data={field: WRONG, "new_password": "a-new-password",
                                                "confirm": "a-new-password"}).status_code for _ in range(11)]
            assert statuses == [400] * 10 + [429]
            assert client.get(path).status_code == 200
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
