"""Rate limits: a friendly page or JSON 429 after the limit, shared through Redis, off when disabled."""
import random

import pytest
import redis

from app.extensions import db
from tests.conftest import _empty_tables, limited_app_with

WRONG_LOGIN = {"email": "nobody@example.com", "password": "not-the-password"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}  # the page's own <html lang>


def _client(app, address: str):
    # Limits count per client address; a fresh one per test keeps runs sharing a Redis apart.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English wording
    return client


def _random_address() -> str:
    return "10.%d.%d.%d" % tuple(random.randint(1, 254) for _ in range(3))


def test_login_answers_a_friendly_429_page_after_ten_attempts_a_minute(limited_app):
    browser = _client(limited_app, _random_address())
    statuses = [browser.post("/login", data=WRONG_LOGIN).status_code for _ in range(10)]
    refused = browser.post("/login", data=WRONG_LOGIN)

    assert 429 not in statuses
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0


def test_token_endpoint_answers_json_429_after_ten_attempts_a_minute(limited_app):
    api = _client(limited_app, _random_address())
    statuses = [api.post("/api/v1/auth/token", json=WRONG_LOGIN).status_code for _ in range(10)]
    refused = api.post("/api/v1/auth/token", json=WRONG_LOGIN)

    assert 429 not in statuses
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert refused.get_json()["message"]


def test_limits_count_each_client_address_separately(limited_app):
    first, second = _client(limited_app, "10.0.0.1"), _client(limited_app, "10.0.0.2")
    for _ in range(11):
        first.post("/api/v1/auth/token", json=WRONG_LOGIN)
    assert second.post("/api/v1/auth/token", json=WRONG_LOGIN).status_code != 429


def test_rate_limits_are_off_when_disabled(database_url, _migrated):
    app = limited_app_with(database_url, RATELIMIT_ENABLED=False)
    api = _client(app, _random_address())
    statuses = {api.post("/api/v1/auth/token", json=WRONG_LOGIN).status_code for _ in range(15)}
    assert 429 not in statuses


def test_two_app_instances_share_the_count_through_redis(database_url, _migrated, redis_url):
    address = _random_address()
    first_worker = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url)
    for _ in range(10):
        assert _client(first_worker, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code != 429

    # A second worker starts with its own connection to the store; it sees the first one's count.
    second_worker = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url)
    assert _client(second_worker, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code == 429


def test_deployments_sharing_one_redis_count_apart_by_their_key_prefix(database_url, _migrated, redis_url):
    address, prefix = _random_address(), f"prod{random.randint(0, 10**9)}"
    production = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url, REDIS_KEY_PREFIX=prefix)
    for _ in range(10):
        assert _client(production, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code != 429

    # Staging on the same Redis, with its own prefix, has its own count...
    staging = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url, REDIS_KEY_PREFIX=f"staging-{prefix}")
    assert _client(staging, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code != 429
    # ...while another machine of the same deployment shares the first one's.
    production_too = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url, REDIS_KEY_PREFIX=prefix)
    assert _client(production_too, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code == 429
    assert redis.Redis.from_url(redis_url).keys(f"*/{prefix}/{address}/*")


def test_counts_in_process_memory_are_not_shared_which_is_why_production_uses_redis(database_url, _migrated):
    address = _random_address()
    first_worker = limited_app_with(database_url, RATELIMIT_STORAGE_URI="memory://")
    for _ in range(10):
        _client(first_worker, address).post("/api/v1/auth/token", json=WRONG_LOGIN)

    second_worker = limited_app_with(database_url, RATELIMIT_STORAGE_URI="memory://")
    assert _client(second_worker, address).post("/api/v1/auth/token", json=WRONG_LOGIN).status_code != 429


def test_requests_are_still_answered_when_the_rate_limit_store_is_down(database_url, _migrated):
    app = limited_app_with(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                       RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1})
    api = _client(app, _random_address())
    response = api.post("/api/v1/auth/token", json=WRONG_LOGIN)
    assert response.status_code < 500
    assert response.get_json()["error"] != "server_error"


def test_booking_limits_count_per_account_so_people_behind_one_address_can_all_book(limited_app):
    from tests import factories

    slot = factories.slot(capacity=100)
    address = _random_address()
    statuses = []
    for _ in range(35):  # more people than the per-account limit of 30 a minute, one shared address
        token = factories.user_token(factories.user("citizen"))
        response = _client(limited_app, address).post(
            "/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1},
            headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)
    assert statuses == [201] * 35

    token = factories.user_token(factories.user("citizen"))
    one_person = _client(limited_app, address)
    answers = [one_person.post("/api/v1/bookings", json={"slot_id": 999999, "party_size": 1},
                               headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429


def test_login_guessing_at_one_account_is_limited_but_not_other_people_at_the_same_address(limited_app):
    address = _random_address()
    guesser = _client(limited_app, address)
    for _ in range(10):
        guesser.post("/login", data={"email": "target@example.com", "password": "guess-guess"})
    assert guesser.post("/login", data={"email": "target@example.com", "password": "guess"}).status_code == 429
    neighbour = _client(limited_app, address)
    assert neighbour.post("/login", data=WRONG_LOGIN).status_code != 429


@pytest.mark.parametrize("asked, earlier, words, not_words", [
    ("zh", "en", ("请求过于频繁", "秒后再试"), ("Too many requests", "Please wait")),
    ("en", "zh", ("Too many requests", "Please wait"), ("请求过于频繁",)),
])
def test_the_429_page_speaks_the_language_the_url_asks_for(limited_app, asked, earlier, words, not_words):
    # The limiter refuses before any view runs; the page is still in the ``?lang=`` of the refused
    # request, over the language chosen earlier on this device.
    browser = _client(limited_app, _random_address())
    browser.set_cookie("lang", earlier)
    for _ in range(10):
        browser.post("/login", data=WRONG_LOGIN)
    refused = browser.post(f"/login?lang={asked}", data=WRONG_LOGIN)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert f'<html lang="{HTML_LANG[asked]}"' in html
    assert all(word in html for word in words) and not any(word in html for word in not_words)


def test_the_429_page_leads_back_to_the_form_it_refused(limited_app):
    """Five registrations a minute from one address, mistakes included: the sixth is refused, and the
    page leads back to the form (with its language and mode), not only home."""
    browser = _client(limited_app, _random_address())
    form = "http://localhost/register?lang=zh&mode=elder"
    for _ in range(5):
        browser.post("/register?lang=zh&mode=elder", data={"email": "x"}, headers={"Referer": form})
    refused = browser.post("/register?lang=zh&mode=elder", data={"email": "x"}, headers={"Referer": form})

    assert refused.status_code == 429
    assert 'href="/register?lang=zh&amp;mode=elder"' in refused.get_data(as_text=True)
    elsewhere = browser.post("/register", data={"email": "x"}, headers={"Referer": "https://example.com/register"})
    assert elsewhere.status_code == 429 and "/register" not in elsewhere.get_data(as_text=True).split("<main")[1]


@pytest.mark.parametrize("asked, browser_language, message", [
    ("zh", "en", "操作过于频繁"),
    ("en", "zh", "You have tried this too often"),
])
def test_the_apis_429_speaks_the_language_the_url_asks_for(limited_app, asked, browser_language, message):
    api = _client(limited_app, _random_address())
    api.environ_base["HTTP_ACCEPT_LANGUAGE"] = browser_language
    for _ in range(10):
        api.post("/api/v1/auth/token", json=WRONG_LOGIN)
    refused = api.post(f"/api/v1/auth/token?lang={asked}", json=WRONG_LOGIN)

    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert refused.get_json()["message"].startswith(message)


def test_without_lang_in_the_url_the_429_page_follows_the_language_chosen_earlier(limited_app):
    # Pins the other rules, unchanged: the device's earlier choice over the browser's language.
    browser = _client(limited_app, _random_address())
    browser.set_cookie("lang", "zh")
    for _ in range(10):
        browser.post("/login", data=WRONG_LOGIN)
    refused = browser.post("/login", data=WRONG_LOGIN)
    assert refused.status_code == 429 and "请求过于频繁" in refused.get_data(as_text=True)


@pytest.fixture
def app_wide_limited_app(database_url, _migrated):
    # A limit on every route (Flask-Limiter's RATELIMIT_APPLICATION) is checked before any of the app's
    # own request hooks, unlike the limits on routes above, which are checked as their view starts.
    from app.extensions import limiter

    app = limited_app_with(database_url, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_APPLICATION="3 per minute")
    try:
        with app.app_context():
            yield app
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
    finally:
        # The one Limiter of the process keeps the first application limit it is given, for every app
        # made after: later tests' apps have none.
        limiter.limit_manager.set_application_limits([])


@pytest.mark.parametrize("asked, earlier, words, not_words", [
    ("zh", "en", ("请求过于频繁", "秒后再试"), ("Too many requests", "Please wait")),
    ("en", "zh", ("Too many requests", "Please wait"), ("请求过于频繁",)),
])
def test_a_429_refused_before_any_view_speaks_the_language_the_url_asks_for(app_wide_limited_app, asked, earlier,
                                                                            words, not_words):
    browser = _client(app_wide_limited_app, _random_address())
    browser.set_cookie("lang", earlier)
    for _ in range(3):
        browser.get("/login")
    refused = browser.get(f"/login?lang={asked}")

    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert f'<html lang="{HTML_LANG[asked]}"' in html
    assert all(word in html for word in words) and not any(word in html for word in not_words)


@pytest.mark.parametrize("asked, browser_language, message", [
    ("zh", "en", "操作过于频繁"),
    ("en", "zh", "You have tried this too often"),
])
def test_an_api_429_refused_before_any_view_speaks_the_language_the_url_asks_for(app_wide_limited_app, asked,
                                                                                 browser_language, message):
    api = _client(app_wide_limited_app, _random_address())
    api.environ_base["HTTP_ACCEPT_LANGUAGE"] = browser_language
    for _ in range(3):
        api.get("/api/v1/venues")
    refused = api.get(f"/api/v1/venues?lang={asked}")

    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert refused.get_json()["message"].startswith(message)
