"""Security headers on every kind of response; HSTS only in production."""
import pytest

from app import create_app
from app.core.security import CONTENT_SECURITY_POLICY
from app.extensions import db
from config import ProductionConfig


def _production_app(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
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
