import hashlib
from datetime import timedelta

import pytest

from app.accounts.models import User
from app.accounts.services import unusable_password_hash
from app.core.time import utcnow
from app.extensions import db
from tests import factories


def test_user_logs_in_and_sees_their_page(client, auth, app):
    citizen = factories.user("citizen", name="王小明")
    auth.login(citizen.email)
    page = client.get("/me")
    assert page.status_code == 200
    assert "王小明" in page.get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(client, app):
    factories.user("citizen", email="known@example.com")
    wrong = client.post("/login", data={"email": "known@example.com", "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.get_data(as_text=True).count("error-summary") == 1
    assert client.get("/me").status_code == 302


def test_demo_style_local_addresses_log_in_and_reset(client, auth, app):
    factories.user("citizen", email="citizen@scivisit.local")
    auth.login("citizen@scivisit.local")
    client.post("/logout")
    assert client.post("/password/forgot", data={"email": "citizen@scivisit.local"}).status_code == 302


def _error_summary(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('class="error-summary"')
    return html[start:html.index("</div>", start)]


def test_five_failures_lock_the_account_with_the_same_neutral_message(client, app):
    factories.user("citizen", email="known@example.com")
    failures = [client.post("/login", data={"email": "known@example.com", "password": "wrong-pass"})
                for _ in range(5)]
    locked = client.post("/login", data={"email": "known@example.com", "password": "password123"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "password123"})
    assert all(r.status_code == 400 for r in failures)
    assert locked.status_code == 400
    assert _error_summary(locked) == _error_summary(failures[0]) == _error_summary(unknown)
    assert client.get("/me").status_code == 302


def test_a_refused_login_says_how_many_tries_pause_signing_in_and_for_how_long(client, app):
    # One typo must not read as "your account may be locked"; five in a row must say how long to wait.
    app.config.update(LOGIN_LOCKOUT_THRESHOLD=5, LOGIN_LOCKOUT_MINUTES=15)
    factories.user("citizen", email="known@example.com")
    first = client.post("/login", data={"email": "known@example.com", "password": "wrong-pass"}, query_string={"lang": "en"})
    summary = _error_summary(first)
    assert "Email or password is incorrect." in summary
    assert "After 5 wrong tries in a row, signing in pauses for 15 minutes" in summary
    assert "locked" not in summary
    assert "Forgot your password?" in summary


def test_locked_account_opens_again_after_the_lock_time(client, auth, app):
    user = factories.user("citizen", email="known@example.com")
    for _ in range(5):
        client.post("/login", data={"email": "known@example.com", "password": "wrong-pass"})
    user = db.session.get(User, user.id)
    assert user.locked_until is not None
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    auth.login("known@example.com")
    assert client.get("/me").status_code == 200


def test_disabled_account_cannot_log_in(client, app):
    user = factories.user("citizen", email="gone@example.com")
    user.is_disabled = True
    db.session.commit()
    response = client.post("/login", data={"email": "gone@example.com", "password": "password123"})
    assert response.status_code == 400


def test_login_follows_a_local_next_link(client, app):
    factories.user("citizen", email="known@example.com")
    response = client.post("/login?next=/venues?page=2",
                           data={"email": "known@example.com", "password": "password123"})
    assert response.headers["Location"] == "/venues?page=2"


def test_login_refuses_to_redirect_to_another_site(client, app):
    factories.user("citizen", email="known@example.com")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
                   "javascript:alert(1)", "/\r\n//evil.example"):
        client.post("/logout")
        response = client.post("/login", query_string={"next": target},
                               data={"email": "known@example.com", "password": "password123"})
        assert response.status_code == 302, target
        location = response.headers["Location"]
        assert "evil" not in location and location.endswith("/me"), (target, location)


def test_logout_ends_the_session(client, auth, app):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    auth.logout()
    assert client.get("/me").status_code == 302


def test_large_text_and_language_chosen_before_signing_in_stay_after_it(client, auth, app):
    citizen = factories.user("citizen")
    assert citizen.elder_mode is False
    client.get("/?mode=elder&lang=en")
    auth.login(citizen.email)
    page = client.get("/me").get_data(as_text=True)
    assert 'class="elder"' in page and 'lang="en"' in page
    db.session.refresh(citizen)
    assert (citizen.elder_mode, citizen.locale) == (True, "en")  # and on their other devices too


# --- Timing: every refusal costs what a wrong password costs ------------------------------------

@pytest.fixture
def key_derivations(monkeypatch):
    """The password key derivations (``hashlib.pbkdf2_hmac``, what the test configuration's hash
    method runs) that each request makes, with their cost in iterations.

    Honest instrumentation, not a mock: the wrapper records the call and runs the real function.
    The time of a login is the time of its derivations (a derivation is tens of milliseconds in
    production, the rest of a login one or two), so equal derivations mean equal answer times,
    which a test cannot measure reliably on a shared machine.
    """
    calls = []
    real = hashlib.pbkdf2_hmac

    def counting(hash_name, password, salt, iterations, *args, **kwargs):
        calls.append((hash_name, iterations))
        return real(hash_name, password, salt, iterations, *args, **kwargs)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    return calls


def _derivations_of_a_login(client, calls, email, password="wrong-pass") -> list:
    calls.clear()
    response = client.post("/login", data={"email": email, "password": password})
    return list(calls), response.status_code


def test_every_refused_login_costs_one_key_derivation_like_a_wrong_password(client, app, key_derivations):
    factories.user("citizen", email="known@example.com")
    locked = factories.user("citizen", email="locked@example.com")
    locked.locked_until = utcnow() + timedelta(minutes=10)
    disabled = factories.user("citizen", email="disabled@example.com")
    disabled.is_disabled = True
    invited = factories.user("venue_staff", email="invited@example.com")
    invited.password_hash = unusable_password_hash()  # chooses a password from the emailed link
    db.session.commit()
    client.post("/login", data={"email": "warm-up@example.com", "password": "wrong-pass"})

    wrong, status = _derivations_of_a_login(client, key_derivations, "known@example.com")
    assert status == 400 and len(wrong) == 1
    for email in ("nobody@example.com", "locked@example.com", "disabled@example.com", "invited@example.com"):
        assert _derivations_of_a_login(client, key_derivations, email) == (wrong, 400), email
    assert _derivations_of_a_login(client, key_derivations, "known@example.com", factories.PASSWORD) == (wrong, 302)
