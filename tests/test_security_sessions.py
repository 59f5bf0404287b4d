"""Session cookies: HttpOnly and SameSite=Lax always, Secure in production, renewed at login."""
import re

from app import create_app
from app.extensions import db
from config import ProductionConfig
from tests import factories


def _set_cookie(response, name: str) -> str:
    lines = [line for line in response.headers.getlist("Set-Cookie") if line.startswith(f"{name}=")]
    assert lines, f"no {name} cookie in {response.headers.getlist('Set-Cookie')}"
    return lines[-1]


def _attributes(cookie_line: str) -> set[str]:
    return {part.strip().lower() for part in cookie_line.split(";")[1:]}


def _session_value(cookie_line: str) -> str:
    return cookie_line.split(";", 1)[0].split("=", 1)[1]


def test_session_cookie_is_httponly_and_samesite_lax(client, app):
    citizen = factories.user("citizen")
    response = client.post("/login", data={"email": citizen.email, "password": factories.PASSWORD})
    attributes = _attributes(_set_cookie(response, "session"))
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_login_issues_a_new_session_and_drops_what_the_old_one_held(client, app):
    citizen = factories.user("citizen")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
    before = client.get_cookie("session").value

    response = client.post("/login", data={"email": citizen.email, "password": factories.PASSWORD})

    assert response.status_code == 302
    after = _session_value(_set_cookie(response, "session"))
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_production_session_cookie_is_secure(app, database_url, monkeypatch):
    citizen = factories.user("citizen")
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://scivisit.example")
    production = create_app(type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": "https://scivisit.example",
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"}))
    browser = production.test_client()
    page = browser.get("/login", base_url="https://scivisit.example").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    # Over HTTPS Flask-WTF also wants a same-origin Referer, as a browser sends.
    response = browser.post("/login", base_url="https://scivisit.example",
                            headers={"Referer": "https://scivisit.example/login"},
                            data={"email": citizen.email, "password": factories.PASSWORD, "csrf_token": csrf})

    assert response.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= _attributes(_set_cookie(response, "session"))
    with production.app_context():
        db.engine.dispose()
