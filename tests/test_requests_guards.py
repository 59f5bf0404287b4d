"""Bad input that no view should have to think about is refused before any view runs."""


def test_an_id_too_large_for_the_database_is_not_found(client):
    assert client.get("/venues/99999999999999999999").status_code == 404
    assert client.get("/api/v1/venues/99999999999999999999").get_json()["error"] == "not_found"
    assert client.get("/venues/2147483648").status_code == 404


def test_nul_characters_are_refused(client):
    assert client.get("/venues?q=a%00b").status_code == 400
    assert client.get("/events?theme=%00x").status_code == 400
    api = client.get("/api/v1/venues?q=%00")
    assert api.status_code == 400 and api.get_json()["field"] == "q"
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
