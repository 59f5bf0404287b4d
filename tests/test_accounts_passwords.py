import re

from sqlalchemy import select

from app.notifications.models import OutboxMessage
from app.extensions import db
from tests import factories
from tests.conftest import Auth


def _change(client, current="password123", new="a-new-password", confirm=None):
    return client.post("/me/password", data={"current_password": current, "new_password": new,
                                             "confirm": confirm or new})


def test_password_change_keeps_this_session_and_ends_the_others(app, client, auth):
    user = factories.user("citizen")
    other_device = app.test_client()
    Auth(other_device).login(user.email)
    auth.login(user.email)
    assert other_device.get("/me").status_code == 200

    response = _change(client)

    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    elsewhere = other_device.get("/me")
    assert elsewhere.status_code == 302 and "/login" in elsewhere.headers["Location"]
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": "password123"}).status_code == 400
    Auth(client).login(user.email, "a-new-password")


def test_password_change_needs_the_current_password(client, auth, app):
    user = factories.user("citizen")
    auth.login(user.email)
    response = _change(client, current="not-my-password")
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert client.get("/me").status_code == 200


def test_password_change_refuses_a_short_or_mismatched_new_password(client, auth, app):
    user = factories.user("citizen")
    auth.login(user.email)
    short = _change(client, new="short")
    mismatch = _change(client, new="a-new-password", confirm="another-password")
    assert short.status_code == mismatch.status_code == 400
    assert 'id="new_password-error"' in short.get_data(as_text=True)
    assert 'id="confirm-error"' in mismatch.get_data(as_text=True)
    client.post("/logout")
    Auth(client).login(user.email)


def test_password_change_needs_a_signed_in_user(client, app):
    response = client.get("/me/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _reset_link(email: str) -> str:
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == email,
                                                            OutboxMessage.kind == "password_reset"))
    assert message is not None and message.sent_at is not None
    return re.search(r"https?://\S+/password/reset/\S+", message.body).group(0)


def test_password_reset_end_to_end_and_the_link_works_once(client, app):
    user = factories.user("citizen", email="forgetful@example.com")
    response = client.post("/password/forgot", data={"email": "Forgetful@example.com"})
    assert response.status_code == 302
    link = _reset_link(user.email)
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert client.get("/" + path).status_code == 200
    reset = client.post("/" + path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert reset.status_code == 302
    Auth(client).login(user.email, "brand-new-pass")
    client.post("/logout")

    again = client.post("/" + path, data={"password": "third-password", "confirm": "third-password"})
    assert again.status_code == 400
    assert client.get("/" + path).status_code == 400
    Auth(client).login(user.email, "brand-new-pass")


def test_password_reset_answers_the_same_for_unknown_emails(client, app):
    factories.user("citizen", email="known@example.com")
    known = client.post("/password/forgot", data={"email": "known@example.com"}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200

    def flashes(response):
        html = response.get_data(as_text=True)
        return html[html.index('class="flashes"'):html.index("</div>", html.index('class="flashes"'))]

    assert flashes(known) == flashes(unknown)
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == ["known@example.com"]


def test_tampered_reset_link_is_refused(client, app):
    user = factories.user("citizen", email="forgetful@example.com")
    client.post("/password/forgot", data={"email": user.email})
    path = "/" + _reset_link(user.email).split("://", 1)[1].split("/", 1)[1]
    response = client.post(path + "x", data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 400
    assert client.get("/password/reset/not-a-token").status_code == 400
    Auth(client).login(user.email)


def test_reset_refuses_a_short_password_and_keeps_the_link_usable(client, app):
    user = factories.user("citizen", email="forgetful@example.com")
    client.post("/password/forgot", data={"email": user.email})
    path = "/" + _reset_link(user.email).split("://", 1)[1].split("/", 1)[1]
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert client.post(path, data={"password": "long-enough", "confirm": "long-enough"}).status_code == 302


def test_reset_link_expires(client, app):
    user = factories.user("citizen", email="forgetful@example.com")
    client.post("/password/forgot", data={"email": user.email})
    path = "/" + _reset_link(user.email).split("://", 1)[1].split("/", 1)[1]
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(path).status_code == 400


def test_forgot_password_form_checks_the_email_format(client, app):
    response = client.post("/password/forgot", data={"email": "not-an-email"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)


PUBLIC = "https://scivisit.example.gov.cn"


def test_a_forged_host_header_does_not_reach_the_reset_link(client, app):
    """The link goes to the account's owner: it must point at the site, whatever Host the asker sent."""
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    user = factories.user("citizen", email="forgetful@example.com")

    response = client.post("/password/forgot", data={"email": user.email},
                           headers={"Host": "scivisit.attacker.example"})

    assert response.status_code == 302
    link = _reset_link(user.email)
    assert link.startswith(PUBLIC + "/password/reset/")
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "password_reset"))
    assert "attacker" not in body
    assert client.get(link.removeprefix(PUBLIC)).status_code == 200


def test_without_a_public_address_development_links_to_the_address_it_was_reached_at(client, app):
    app.config["PUBLIC_BASE_URL"] = None
    user = factories.user("citizen", email="forgetful@example.com")
    client.post("/password/forgot", data={"email": user.email}, base_url="http://127.0.0.1:5000")
    assert _reset_link(user.email).startswith("http://127.0.0.1:5000/password/reset/")
