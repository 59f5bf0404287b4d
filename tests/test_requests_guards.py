"""Bad input that no view should have to think about is refused before any view runs."""

import pytest


def test_an_id_too_large_for_the_database_is_not_found(client):
    assert client.get("/venues/99999999999999999999").status_code == 404
    assert client.get("/api/v1/venues/99999999999999999999").get_json()["error"] == "not_found"
    assert client.get("/venues/2147483648").status_code == 404


def test_nul_characters_are_refused(client):
    assert client.get("/venues?q=a%00b").status_code == 400
    assert client.get("/events?theme=%00x").status_code == 400
    api = client.get("/api/v1/venues?q=%00")
    assert api.status_code == 400 and api.get_json()["field"] == "q"


def test_nul_characters_in_a_form_are_dropped_so_the_form_goes_on(client):
    """Invisible and meaningless, a pasted NUL costs no one their form: the text is read without it."""
    from tests import factories

    citizen = factories.user("citizen")
    name, domain = citizen.email.split("@")
    response = client.post("/login", data={"email": f"{name}\x00@{domain}", "password": "password123\x00"})
    assert response.status_code == 302
    assert client.get("/me").status_code == 200


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_past_any_honest_body_is_refused_not_a_server_error(client):
    """Nested 350 levels, the NUL check's recursion overflowed; past ~1,000 the parser's own."""
    from tests import factories

    citizen = factories.user("citizen")
    token = client.post("/api/v1/auth/token", json={"email": citizen.email, "password": "password123"})
    citizen_auth = {"Authorization": f"Bearer {token.get_json()['token']}"}
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    token = client.post("/api/v1/auth/token", json={"email": manager.email, "password": "password123"})
    manager_auth = {"Authorization": f"Bearer {token.get_json()['token']}"}
    gate_auth = {"Authorization": f"Bearer {factories.gate_token(venue)}"}
    for depth in (40, 400, 1500):
        for path, body, headers in (
                ("/api/v1/auth/token", f'{{"email": {_nested(depth)}, "password": "x"}}', {}),
                ("/api/v1/bookings", f'{{"slot_id": 1, "party_size": 1, "x": {_nested(depth)}}}', citizen_auth),
                ("/api/v1/checkins", f'{{"code": "x", "gate": {_nested(depth)}}}', gate_auth),
                (f"/api/v1/venues/{venue.id}/slots", f'{{"start": {_nested(depth)}}}', manager_auth)):
            response = client.post(path, data=body, content_type="application/json", headers=headers)
            assert response.status_code == 400, (path, depth, response.status_code)
            assert response.get_json()["error"] == "invalid_json", (path, depth)


def test_json_as_deep_as_an_offline_gates_batch_is_read(client):
    from tests import factories

    venue = factories.venue()
    scans = {"scans": [{"code": "x", "nonce": "n1", "scanned_at": "2026-01-01T09:00:00",
                        "headcount": {"students": 1, "adults": 1}}]}
    response = client.post("/api/v1/checkins/batch", json=scans,
                           headers={"Authorization": f"Bearer {factories.gate_token(venue)}"})
    assert response.status_code == 200


def test_a_body_larger_than_any_honest_request_is_refused_before_it_is_read(client):
    response = client.post("/api/v1/auth/token", data=b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}',
                           content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    assert client.post("/login", data={"email": "a" * (2 * 1024 * 1024), "password": "x"}).status_code == 413


def test_an_id_too_large_for_the_database_is_not_found_whatever_the_method(client):
    """A rule that takes POST beside one that takes only GET: the id failing to convert once made
    Werkzeug answer 405 with the GET rule's methods."""
    from tests import factories

    venue = factories.venue()
    headers = {"Authorization": f"Bearer {factories.user_token(factories.user('venue_manager', venue=venue))}"}
    for method in ("GET", "POST", "HEAD"):
        for venue_id in (2**31, 2**31 - 1, 10**20):
            response = client.open(f"/api/v1/venues/{venue_id}/slots", method=method, json={}, headers=headers)
            assert response.status_code == 404, (method, venue_id, response.status_code)


NOT_ALLOWED_EN = "This input contains a character that is not allowed."


@pytest.mark.parametrize("url", ["/venues?district=%00&lang=en", "/events?theme=%00&lang=en",
                                 "/stats?theme=%00&lang=en"])
def test_a_page_refusing_a_nul_character_speaks_the_language_the_link_asks_for(client, url):
    response = client.get(url)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<html lang="en"' in text and NOT_ALLOWED_EN in text


def test_the_api_refusing_a_nul_character_speaks_the_language_the_call_asks_for(client):
    body = client.get("/api/v1/venues?q=%00&lang=en").get_json()
    assert (body["error"], body["field"], body["message"]) == ("invalid_parameter", "q", NOT_ALLOWED_EN)


def test_a_language_with_a_nul_character_is_no_language(client):
    """``lang=en%00`` names no language: the refusal comes in the default one, naming ``lang``."""
    body = client.get("/api/v1/venues?lang=en%00").get_json()
    assert body["field"] == "lang" and body["message"] != NOT_ALLOWED_EN
    assert "lang=" not in client.get("/venues?lang=en%00").headers.get("Set-Cookie", "")
