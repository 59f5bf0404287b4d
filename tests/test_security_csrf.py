"""A form whose CSRF token is missing or stale (the page stayed open while its person signed out and in
again) is refused before anything is done, and the person is told why in their language and sent back."""
from __future__ import annotations

import re

import pytest

from app.accounts.models import User
from app.extensions import db
from tests import factories

HTML_LANG = {"en": "en", "zh": "zh-CN"}  # the page's own <html lang>


@pytest.fixture
def admin_page(app, client, auth):
    """A city admin with a person's account page open, and that page's form token."""
    admin = factories.user("city_admin")
    person = factories.user("citizen")
    auth.login(admin.email)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return admin, person, token


def _suspended(person: User) -> bool:
    db.session.expire_all()
    return db.session.get(User, person.id).is_disabled


def test_a_form_left_open_across_a_new_sign_in_says_it_expired_and_links_back_to_its_page(app, client, auth,
                                                                                         admin_page):
    admin, person, token = admin_page
    app.config["WTF_CSRF_ENABLED"] = False
    auth.logout()
    auth.login(admin.email)  # in another tab: a new session, whose forms carry a new token
    app.config["WTF_CSRF_ENABLED"] = True
    page_url = f"http://localhost/admin/people/{person.id}"

    client.set_cookie("lang", "en")  # the language chosen earlier on this device
    response = client.post(f"/admin/people/{person.id}/suspend", data={"csrf_token": token, "reason": "x"},
                           headers={"Referer": page_url})

    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "The form has expired" in html and "signed in or out in another tab" in html
    assert f'href="/admin/people/{person.id}"' in html and "Back to the page" in html
    assert not _suspended(person)


def test_the_expired_form_page_speaks_chinese(client, admin_page):
    _, person, _ = admin_page
    client.set_cookie("lang", "zh")
    response = client.post(f"/admin/people/{person.id}/suspend", data={"reason": "x"},
                           headers={"Referer": f"http://localhost/admin/people/{person.id}?tab=1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "表单已过期" in html and "返回该页面" in html and f'href="/admin/people/{person.id}?tab=1"' in html
    assert "The form has expired" not in html
    assert not _suspended(person)


@pytest.mark.parametrize("referrer", ["https://evil.example/admin/people", "javascript:alert(1)", "",
                                      "//evil.example/x"])
def test_only_a_page_of_this_site_is_linked_back_to(client, admin_page, referrer):
    _, person, _ = admin_page
    headers = {"Referer": referrer} if referrer else {}
    client.set_cookie("lang", "en")
    html = client.post(f"/admin/people/{person.id}/suspend", headers=headers).get_data(as_text=True)
    assert "The form has expired" in html and "Back to the page" not in html
    assert "evil.example" not in html and "javascript:" not in html
    assert 'href="/"' in html  # the home page instead


def test_a_json_request_gets_the_apis_error_shape(client, admin_page):
    _, person, _ = admin_page
    response = client.post(f"/admin/people/{person.id}/suspend", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"
    assert response.get_json()["message"]
    assert not _suspended(person)


def test_the_apis_own_session_check_is_unchanged(client, admin_page):
    response = client.post("/api/v1/bookings", json={})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"


@pytest.mark.parametrize("asked, earlier, words, not_words", [
    ("zh", "en", ("表单已过期", "返回该页面"), ("The form has expired",)),
    ("en", "zh", ("The form has expired", "Back to the page"), ("表单已过期",)),
])
def test_the_expired_form_page_speaks_the_language_the_url_asks_for(client, admin_page, asked, earlier, words,
                                                                    not_words):
    # CSRF is checked before any view runs; the page still follows the refused request's ``?lang=``
    # over the language chosen earlier.
    _, person, _ = admin_page
    client.set_cookie("lang", earlier)
    response = client.post(f"/admin/people/{person.id}/suspend?lang={asked}", data={"reason": "x"},
                           headers={"Referer": f"http://localhost/admin/people/{person.id}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'<html lang="{HTML_LANG[asked]}"' in html
    assert all(word in html for word in words) and not any(word in html for word in not_words)
    assert not _suspended(person)


@pytest.mark.parametrize("asked, earlier, message", [
    ("zh", "en", "页面已过期，请刷新后重试。"),
    ("en", "zh", "The page expired. Reload it and try again."),
])
def test_the_expired_form_json_answer_speaks_the_language_the_url_asks_for(client, admin_page, asked, earlier,
                                                                           message):
    _, person, _ = admin_page
    client.set_cookie("lang", earlier)
    response = client.post(f"/admin/people/{person.id}/suspend?lang={asked}",
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json() == {"error": "csrf_failed", "message": message}
    assert not _suspended(person)


def test_the_expired_form_page_follows_the_persons_saved_language(client, admin_page):
    # Pins the rule after ``?lang=``, unchanged: the account's language over the device's cookie.
    admin, person, _ = admin_page
    admin.locale = "zh"
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.post(f"/admin/people/{person.id}/suspend").get_data(as_text=True)
    assert "表单已过期" in html and "The form has expired" not in html
