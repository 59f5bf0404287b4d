"""HTTP's own contract on the API's answers: a 405 says which methods the resource allows, a 401 how
to authenticate (RFC 9110, RFC 6750), and a rate-limited operation documents its 429."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests import factories
from tests.conftest import _empty_tables, _fresh_g, make_config


@pytest.mark.parametrize("method, url", [("DELETE", "/api/v1/venues"), ("TRACE", "/api/v1/bookings"),
                                         ("PUT", "/api/v1/checkins"), ("DELETE", "/venues")])
def test_a_method_the_resource_does_not_allow_is_answered_with_the_ones_it_does(client, method, url):
    response = client.open(url, method=method)
    assert response.status_code == 405
    allowed = {name.strip() for name in response.headers.get("Allow", "").split(",")}
    assert {"GET"} <= allowed or {"POST"} <= allowed, response.headers
    assert method not in allowed
    if url.startswith("/api/"):
        assert response.get_json()["error"] == "method_not_allowed"
    else:
        assert response.mimetype == "text/html"


def test_a_request_without_credentials_is_told_to_send_a_bearer_token(client):
    response = client.get("/api/v1/bookings")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SciVisit"'


@pytest.mark.parametrize("request_", [("GET", "/api/v1/bookings"), ("POST", "/api/v1/checkins")])
def test_a_bad_bearer_token_is_answered_invalid_token(client, request_):
    method, url = request_
    response = client.open(url, method=method, json={}, headers={"Authorization": "Bearer sv_forged"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SciVisit", error="invalid_token"'


def test_another_authentication_scheme_is_not_a_bad_token_but_still_challenged(client):
    response = client.get("/api/v1/bookings", headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SciVisit"'


def test_wrong_credentials_at_the_token_endpoint_are_challenged_too(client):
    response = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


@pytest.fixture
def limited_app(database_url, _migrated):
    app = create_limited_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def create_limited_app(database_url):
    from app import create_app

    app = create_app(make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return app


def _documented_429(client, path: str, method: str) -> dict:
    doc = client.get("/api/v1/openapi.json").get_json()
    answer = doc["paths"][path][method]["responses"].get("429")
    assert answer is not None, f"{method.upper()} {path} does not document 429"
    return doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer


@pytest.mark.parametrize("path, body, limit", [("/api/v1/bookings", {}, 30),
                                               ("/api/v1/auth/token", {"email": "a@example.com", "password": "x"},
                                                10)])
def test_a_rate_limited_operation_answers_429_with_retry_after_as_documented(limited_app, path, body, limit):
    client = limited_app.test_client()
    headers = {"Authorization": f"Bearer {factories.user_token(factories.user('citizen'))}"}
    statuses = [client.post(path, json=body, headers=headers).status_code for _ in range(limit)]
    refused = client.post(path, json=body, headers=headers)
    assert 429 not in statuses
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    documented = _documented_429(client, path, "post")
    assert "Retry-After" in documented.get("headers", {})


def test_every_rate_limited_api_operation_documents_its_429(client, app):
    """Found from the limiter itself, so that a limit added later cannot go undocumented."""
    from flask_limiter.util import get_qualified_name

    from app.extensions import limiter

    doc = client.get("/api/v1/openapi.json").get_json()
    limited = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        for limit in limiter.limit_manager.decorated_limits(get_qualified_name(app.view_functions[rule.endpoint])):
            methods = {m.upper() for m in limit.methods} if limit.methods else rule.methods - {"HEAD", "OPTIONS"}
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            limited += [(path, method.lower()) for method in methods & rule.methods]
    assert ("/api/v1/bookings", "post") in limited and ("/api/v1/auth/token", "post") in limited
    undocumented = [f"{method.upper()} {path}" for path, method in limited
                    if "429" not in doc["paths"][path][method]["responses"]]
    assert not undocumented


def test_every_error_code_these_answers_give_is_named_in_the_openapi_text(client):
    """A client programs against `error`: each code it can meet is one it can read about."""
    citizen = factories.user_token(factories.user("citizen"))
    answers = [
        client.delete("/api/v1/venues"),
        client.get("/api/v1/bookings"),
        client.get("/api/v1/bookings", headers={"Authorization": "Bearer sv_forged"}),
        client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "x"}),
        client.post(f"/api/v1/venues/{factories.venue().id}/slots", json={},
                    headers={"Authorization": f"Bearer {citizen}"}),
        client.post("/api/v1/auth/token", data="{", content_type="application/json"),
        client.get("/api/v1/venues/424242"),
    ]
    codes = {answer.get_json()["error"] for answer in answers}
    assert codes >= {"method_not_allowed", "unauthorized", "invalid_credentials", "forbidden", "not_found"}
    document = client.get("/api/v1/openapi.json").get_data(as_text=True)
    assert [code for code in sorted(codes) if f"`{code}`" not in document] == []
    for code in ("too_large", "server_error", "unavailable", "rate_limited"):
        assert f"`{code}`" in document
