"""The walk-in poster's rate limits: per phone or account, per venue, and per address as a backstop,
so that visitors behind one address (the venue's Wi-Fi, a carrier's NAT) are all counted."""
from __future__ import annotations

import random
import re

from app.checkin import walkins
from app.checkin.models import CheckIn, CheckInKind
from app.checkin.views import DEVICE_COOKIE
from app.core.time import local_today
from app.extensions import db
from tests import factories
from tests.conftest import _empty_tables, limited_app_with

PARTY = {"persons": 2, "audience_group": "adult"}
REAL_WAIT = re.compile(r"Please wait (\d+ seconds?|1 minute) and try again\.")


def _address() -> str:
    return "10.%d.%d.%d" % tuple(random.randint(1, 254) for _ in range(3))


def _phone(app, address: str, *, cookie: bool = True):
    """A visitor's phone at ``address``, with today's walk-in cookie as its first visit sets it."""
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = address
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if cookie:
        phone.set_cookie(DEVICE_COOKIE, walkins.new_device_id(local_today()))
    return phone


def _url(venue) -> str:
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"


def _walk_ins(venue_id: int) -> int:
    db.session.expire_all()
    return db.session.query(CheckIn).filter_by(venue_id=venue_id, kind=CheckInKind.WALK_IN).count()


def test_many_parties_behind_one_address_are_all_counted(limited_app):
    venue, address = factories.venue(), _address()
    # More than the old 10 a minute and 60 a day per address, each from its own phone.
    statuses = [_phone(limited_app, address).post(_url(venue), data=PARTY).status_code for _ in range(65)]
    assert statuses == [200] * 65 and _walk_ins(venue.id) == 65


def test_one_phone_sending_over_and_over_is_refused_with_the_real_wait_but_not_its_neighbours(limited_app):
    venue, address = factories.venue(), _address()
    phone = _phone(limited_app, address)
    statuses = [phone.post(_url(venue), data=PARTY).status_code for _ in range(10)]
    refused = phone.post(_url(venue), data=PARTY)

    assert statuses == [200] * 10 and refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert REAL_WAIT.search(page) and "wait a minute" not in page
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert _phone(limited_app, address).post(_url(venue), data=PARTY).status_code == 200
    assert _walk_ins(venue.id) == 2  # the repeating phone counted once


def test_a_signed_in_visitor_counts_per_account_whatever_cookie_the_phone_sends(limited_app):
    venue, citizen = factories.venue(), factories.user("citizen")
    phone = _phone(limited_app, _address())
    assert phone.post("/login", data={"email": citizen.email, "password": "password123"}).status_code == 302
    statuses = []
    for _ in range(11):
        phone.set_cookie(DEVICE_COOKIE, walkins.new_device_id(local_today()))  # a new "phone" each time
        statuses.append(phone.post(_url(venue), data=PARTY).status_code)
    assert statuses == [200] * 10 + [429]


def test_the_default_backstops_are_far_above_one_phones_limit(app):
    # The two tests below run them lower, to stay quick; these are what a deployment gets.
    assert app.config["WALK_IN_LIMIT_PER_WALKER"] == "10 per minute"
    assert app.config["WALK_IN_LIMIT_PER_VENUE"] == "300 per minute"
    assert app.config["WALK_IN_LIMIT_PER_ADDRESS"] == "120 per minute; 2000 per hour"


def test_phones_minting_new_cookies_at_one_address_meet_the_address_backstop(limited_app):
    limited_app.config["WALK_IN_LIMIT_PER_ADDRESS"] = "12 per minute; 100 per hour"
    venue, address = factories.venue(), _address()
    statuses = [_phone(limited_app, address).post(_url(venue), data=PARTY).status_code for _ in range(13)]
    assert statuses == [200] * 12 + [429]
    assert _phone(limited_app, _address()).post(_url(venue), data=PARTY).status_code == 200


def test_a_venue_takes_a_bounded_number_of_walk_in_forms_a_minute_from_everyone_together(limited_app):
    limited_app.config["WALK_IN_LIMIT_PER_VENUE"] = "12 per minute"
    venue, other = factories.venue(), factories.venue()
    statuses = [_phone(limited_app, _address()).post(_url(venue), data=PARTY).status_code for _ in range(13)]
    assert statuses == [200] * 12 + [429]
    assert _phone(limited_app, _address()).post(_url(other), data=PARTY).status_code == 200


def test_a_limit_by_the_hour_says_when_to_come_back(limited_app):
    limited_app.config["WALK_IN_LIMIT_PER_ADDRESS"] = "2 per hour"
    venue, address = factories.venue(), _address()
    for _ in range(2):
        _phone(limited_app, address).post(_url(venue), data=PARTY)
    refused = _phone(limited_app, address).post(_url(venue), data=PARTY)
    assert refused.status_code == 429
    assert re.search(r"Please try again after \d\d:\d\d\.", refused.get_data(as_text=True))
    api_like = _phone(limited_app, address)
    answer = api_like.post(_url(venue), data=PARTY, headers={"Accept": "application/json"}).get_json()
    assert answer["error"] == "rate_limited" and "Please try again after" in answer["message"]


def test_the_poster_page_itself_is_never_limited(limited_app):
    venue, address = factories.venue(), _address()
    phone = _phone(limited_app, address, cookie=False)
    assert {phone.get(_url(venue)).status_code for _ in range(15)} == {200}


def test_two_app_instances_share_a_phones_count_through_redis(database_url, _migrated, redis_url):
    prefix = f"walkin{random.randint(0, 10**9)}"
    first = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url, REDIS_KEY_PREFIX=prefix)
    second = limited_app_with(database_url, RATELIMIT_STORAGE_URI=redis_url, REDIS_KEY_PREFIX=prefix)
    cookie = None
    with first.app_context():
        try:
            venue = factories.venue()
            url, cookie = _url(venue), walkins.new_device_id(local_today())
            for _ in range(10):
                phone = _phone(first, "10.9.9.9", cookie=False)
                phone.set_cookie(DEVICE_COOKIE, cookie)
                assert phone.post(url, data={}).status_code == 400
            phone = _phone(second, "10.9.9.9", cookie=False)
            phone.set_cookie(DEVICE_COOKIE, cookie)
            assert phone.post(url, data={}).status_code == 429
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
