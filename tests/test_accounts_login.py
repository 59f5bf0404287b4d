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
