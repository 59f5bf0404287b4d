"""Security headers on every kind of response; HSTS only in production."""
import pytest

from app import create_app
from app.core.security import CONTENT_SECURITY_POLICY
from app.extensions import db
from config import ProductionConfig
from tests import factories


def _production_app(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://scivisit.example")
    config = type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": "https://scivisit.example",
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
    return create_app(config)


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/api/v1/venues", "/static/css/app.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]


def test_content_security_policy_allows_no_inline_script_and_no_framing(client):
    policy = dict(part.strip().split(" ", 1) for part in client.get("/").headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in client.get("/").headers["Content-Security-Policy"]


def test_hsts_is_not_sent_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_production_sends_hsts_for_a_year(database_url, _migrated, monkeypatch):
    app = _production_app(database_url, monkeypatch)
    response = app.test_client().get("/healthz", base_url="https://scivisit.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    with app.app_context():
        db.engine.dispose()


# --- Caching of pages with personal data --------------------------------------------------------

PRIVATE = {"private", "no-store"}


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def test_pages_for_a_signed_in_person_are_never_stored_by_browsers_or_proxies(client, auth, app):
    manager = factories.user("venue_manager")
    citizen = factories.user("citizen")
    booking = factories.confirmed_visit(factories.slot_at(manager.venue), citizen)
    auth.login(citizen.email)
    for path in ("/me", "/me/profile", f"/bookings/{booking.id}", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _cache_control(response) == PRIVATE, path
    client.post("/logout")
    auth.login(manager.email)
    assert _cache_control(client.get("/manage/bookings")) == PRIVATE


def test_the_city_admins_access_log_is_never_stored(client, auth, app):
    auth.login(factories.user("city_admin").email)
    response = client.get("/admin/privacy/access-log")
    assert response.status_code == 200
    assert _cache_control(response) == PRIVATE


def test_public_pages_stay_cacheable_for_anonymous_visitors(client, app):
    factories.venue()
    for path in ("/", "/venues", "/login", "/static/css/app.css"):
        assert "no-store" not in _cache_control(client.get(path)), path


def test_a_page_that_sets_its_own_caching_keeps_it(client, auth, app):
    auth.login(factories.user("venue_staff").email)
    response = client.get("/scan")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
