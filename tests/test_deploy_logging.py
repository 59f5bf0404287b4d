"""Every request has an id, echoed in X-Request-ID and carried by its log records (JSON in production)."""
import io
import json
import logging
import re

import pytest
from flask import current_app

from app import create_app
from app.extensions import db
from tests import factories
from tests.conftest import _empty_tables, _fresh_g, make_config


def _capture_app_log() -> io.StringIO:
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "scivisit", False))
    handler.setStream(stream)
    return stream


@pytest.fixture
def json_app(database_url, _migrated):
    app = create_app(make_config(database_url, LOG_FORMAT="json"))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "gate-7.scan_0042"})
    assert response.headers["X-Request-ID"] == "gate-7.scan_0042"


def test_a_request_without_an_id_gets_a_new_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", 'quote"d', "", "日志"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming.encode("utf-8").decode("latin-1")})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_error_responses_carry_the_request_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404"


def test_json_access_line_has_the_request_fields_and_the_user_id(json_app):
    citizen = factories.user("citizen", email="wang@example.com", phone="13912345678")
    browser = json_app.test_client()
    browser.post("/login", data={"email": citizen.email, "password": factories.PASSWORD})
    stream = _capture_app_log()

    response = browser.get("/me", headers={"X-Request-ID": "req-me-1"})

    line = next(r for r in _records(stream) if r["logger"] == "scivisit.access")
    assert response.status_code == 200
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "path", "status",
                         "duration_ms", "user_id"}
    assert (line["request_id"], line["method"], line["path"], line["status"]) == ("req-me-1", "GET", "/me", 200)
    assert line["user_id"] == citizen.id and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], (int, float))
    assert "wang@example.com" not in stream.getvalue() and "13912345678" not in stream.getvalue()


def test_anonymous_requests_log_no_user(json_app):
    stream = _capture_app_log()
    json_app.test_client().get("/healthz")
    (line,) = _records(stream)
    assert "user_id" not in line


def test_emails_and_phone_numbers_are_masked_in_log_messages(json_app):
    stream = _capture_app_log()

    @json_app.get("/_test/log-contact")
    def log_contact():
        current_app.logger.warning("mail to li.lei+test@example.com failed, phone 139-1234-5678 / +86 13912345678")
        return "ok"

    json_app.test_client().get("/_test/log-contact")
    message = next(r for r in _records(stream) if r["level"] == "WARNING")["message"]
    assert message == "mail to [email] failed, phone [phone] / [phone]"


def test_secret_tokens_in_urls_are_not_written_to_the_log(json_app):
    stream = _capture_app_log()
    json_app.test_client().get("/password/reset/very-secret-reset-token")
    assert "very-secret-reset-token" not in stream.getvalue()
    assert any(r.get("path") == "/password/reset/[redacted]" for r in _records(stream))


def test_plain_text_log_lines_carry_the_request_id(client):
    stream = _capture_app_log()
    client.get("/healthz", headers={"X-Request-ID": "plain-1"})
    assert "[plain-1] GET /healthz 200" in stream.getvalue()
