"""A token's life as an API client lives it: it asks what its token is and until when, ends it, and when
a token is refused it is told why (expired, revoked) and where to get a new one."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.accounts.tokens import issue_gate_token, issue_user_token
from app.core.time import utcnow
from app.extensions import db
from tests import factories


def _bearer(secret: str, **headers) -> dict:
    return {"Authorization": f"Bearer {secret}", **headers}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_a_person_asks_what_their_token_is_and_until_when(client):
    teacher = factories.user("teacher")
    secret = factories.user_token(teacher)
    response = client.get("/api/v1/auth/token", headers=_bearer(secret))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["kind"], body["role"], body["user_id"], body["school_id"]) == ("user", "teacher", teacher.id,
                                                                              teacher.school_id)
    assert timedelta(days=29) < _moment(body["expires_at"]) - utcnow() <= timedelta(days=30)
    assert "token" not in body  # the secret is shown once, when issued


def test_a_gate_device_asks_which_venue_its_token_is_for_and_until_when(client):
    venue = factories.venue()
    secret = factories.gate_token(venue, name="East gate 2")
    body = client.get("/api/v1/auth/token", headers=_bearer(secret)).get_json()
    assert (body["kind"], body["role"], body["venue_id"], body["name"], body["user_id"]) == (
        "gate", "gate_device", venue.id, "East gate 2", None)
    assert timedelta(days=364) < _moment(body["expires_at"]) - utcnow() <= timedelta(days=365)


def test_a_person_ends_the_token_they_send_and_only_that_one(client):
    citizen = factories.user("citizen")
    ended, kept = factories.user_token(citizen), factories.user_token(citizen)
    response = client.delete("/api/v1/auth/token", headers=_bearer(ended))
    assert response.status_code == 204 and response.data == b"" and "Content-Type" not in response.headers
    refused = client.get("/api/v1/bookings", headers=_bearer(ended, **{"Accept-Language": "en"}))
    assert refused.status_code == 401
    assert (refused.get_json()["error"], refused.get_json()["reason"]) == ("unauthorized", "token_revoked")
    assert "POST /api/v1/auth/token" in refused.get_json()["message"]
    assert client.get("/api/v1/bookings", headers=_bearer(kept)).status_code == 200


def test_a_gate_device_retires_its_own_token_and_is_told_to_ask_the_manager_for_a_new_one(client):
    venue = factories.venue()
    secret = factories.gate_token(venue)
    assert client.delete("/api/v1/auth/token", headers=_bearer(secret)).status_code == 204
    refused = client.post("/api/v1/checkins", json={"code": "X"}, headers=_bearer(secret, **{"Accept-Language": "en"}))
    assert refused.status_code == 401 and refused.get_json()["reason"] == "token_revoked"
    assert "manager" in refused.get_json()["message"]
    assert refused.headers["WWW-Authenticate"] == ('Bearer realm="SciVisit", error="invalid_token", '
                                                   'error_description="The access token was revoked"')


def test_ending_or_reading_a_token_needs_the_token(client):
    for method in ("GET", "DELETE"):
        response = client.open("/api/v1/auth/token", method=method)
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
        assert "reason" not in response.get_json()  # nothing was sent: nothing to explain


def test_an_expired_token_is_refused_saying_when_it_expired(client):
    citizen = factories.user("citizen")
    secret, _token = issue_user_token(citizen, now=utcnow() - timedelta(days=31))
    db.session.commit()
    response = client.get("/api/v1/bookings", headers=_bearer(secret, **{"Accept-Language": "en"}))
    assert response.status_code == 401
    body = response.get_json()
    assert (body["error"], body["reason"]) == ("unauthorized", "token_expired")
    expired_on = (utcnow() - timedelta(days=1) + timedelta(hours=8)).date().isoformat()  # Beijing time
    assert expired_on in body["message"] and "POST /api/v1/auth/token" in body["message"]
    assert response.headers["WWW-Authenticate"] == ('Bearer realm="SciVisit", error="invalid_token", '
                                                    'error_description="The access token expired"')


def test_an_expired_gate_token_is_explained_in_chinese_by_default(client):
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    secret, _token = issue_gate_token(manager, venue, name="北门", now=utcnow() - timedelta(days=366))
    db.session.commit()
    body = client.post("/api/v1/checkins", json={"code": "X"}, headers=_bearer(secret)).get_json()
    assert body["reason"] == "token_expired"
    assert "过期" in body["message"]


def test_a_token_nobody_issued_is_refused_without_a_story(client):
    response = client.get("/api/v1/bookings", headers=_bearer("sv_forged"))
    assert response.status_code == 401 and response.get_json()["reason"] == "token_unknown"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SciVisit", error="invalid_token"'


def test_the_token_of_a_disabled_account_is_refused_saying_so(client):
    citizen = factories.user("citizen")
    secret = factories.user_token(citizen)
    citizen.is_disabled = True
    db.session.commit()
    response = client.get("/api/v1/bookings", headers=_bearer(secret))
    assert response.status_code == 401 and response.get_json()["reason"] == "account_inactive"


def test_the_api_document_tells_a_newcomer_how_tokens_and_languages_work(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert "POST /api/v1/auth/token" in scheme and "Gate devices" in scheme and "DELETE" in scheme
    assert "Accept-Language" in doc["info"]["description"] and "lang=en" in doc["info"]["description"]
    operations = doc["paths"]["/api/v1/auth/token"]
    assert {"get", "post", "delete"} <= set(operations)
    assert "reason" in doc["components"]["schemas"]["Error"]["properties"]
