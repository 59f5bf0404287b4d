"""Sign-ins: logging out ends the session on the server (a copy of the cookie is worth nothing after),
and a person sees where they are signed in and signs other devices out."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from app.accounts.models import SignIn, User
from app.accounts.services import password_reset_token
from app.accounts.tokens import token_row
from app.core.time import utcnow
from app.extensions import db
from tests import factories
from tests.conftest import Auth
from tests.test_deploy_logging import _capture_app_log, _records, json_app  # noqa: F401  (a fixture)
from tests.test_perf_hot_paths import statements

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Mobile Safari/537.36")
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
IPHONE_WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN")


def _device(app, person: User, user_agent: str | None = None):
    """A browser of its own, signed in as ``person`` through the login form."""
    browser = app.test_client()
    if user_agent:
        browser.environ_base["HTTP_USER_AGENT"] = user_agent
    Auth(browser).login(person.email)
    return browser


def _signed_in(browser) -> bool:
    response = browser.get("/me")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _text(response) -> str:
    """The page's text without its tags; each table row starts with a form feed."""
    html = response.get_data(as_text=True).replace("<tr", "\f<tr")
    return re.sub(r"<[^>]+>", "", html)


def _sign_ins_of(person: User) -> list[SignIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignIn).where(SignIn.user_id == person.id).order_by(SignIn.id)))


def test_a_copied_session_cookie_is_refused_after_logout(app, client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert _signed_in(copy)

    auth.logout()

    assert not _signed_in(copy)
    assert not _signed_in(client)
    assert _sign_ins_of(citizen) == []


def test_logging_out_on_one_device_leaves_the_others_signed_in(app):
    citizen = factories.user("citizen")
    phone, laptop = _device(app, citizen), _device(app, citizen)
    Auth(phone).logout()
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_a_session_from_before_sign_ins_is_no_longer_signed_in(client):
    citizen = factories.user("citizen")
    with client.session_transaction() as session:
        session["_user_id"] = citizen.session_token  # what a cookie held before sign-ins were recorded
        session["_fresh"] = True
    assert not _signed_in(client)


def test_the_page_lists_this_persons_devices_and_marks_this_one(app):
    citizen = factories.user("citizen")
    phone = _device(app, citizen, ANDROID_CHROME)
    _device(app, citizen, WINDOWS_FIREFOX)

    page = _text(phone.get("/me/sessions?lang=en"))

    assert "Chrome on Android" in page and "Firefox on Windows" in page
    this_row = next(row for row in page.split("\f") if "This device" in row)
    assert "Chrome on Android" in this_row and "Firefox on Windows" not in this_row
    assert "Sign out of all other devices" in page
    assert "/me/sessions" in phone.get("/me?lang=en").get_data(as_text=True)  # linked from My SciVisit
    # In Chinese the names stay as they are, marked as not to be translated.
    chinese = phone.get("/me/sessions?lang=zh").get_data(as_text=True)
    assert '<span translate="no">Android</span> 上的 <span translate="no">Chrome</span>' in chinese


def test_this_device_comes_first_then_the_others_most_recently_used_first(app):
    citizen = factories.user("citizen")
    phone = _device(app, citizen, ANDROID_CHROME)
    _device(app, citizen, WINDOWS_FIREFOX)
    _device(app, citizen, IPHONE_WECHAT)
    # The others were used after this one (all within LAST_SEEN_RESOLUTION, so loading the page keeps them).
    now = utcnow()
    for browser, minutes_ago in (("Chrome", 8), ("Firefox", 1), ("WeChat", 4)):
        db.session.execute(sa.update(SignIn).where(SignIn.user_id == citizen.id, SignIn.browser == browser)
                           .values(last_seen_at=now - timedelta(minutes=minutes_ago)))
    db.session.commit()

    rows = [row for row in _text(phone.get("/me/sessions?lang=en")).split("\f") if " on " in row]

    assert [row.split(" on ")[0].strip() for row in rows] == ["Chrome", "Firefox", "WeChat"]
    assert "This device" in rows[0]


def test_the_page_shows_no_other_persons_sessions_nor_ends_them(app):
    mine, theirs = factories.user("citizen"), factories.user("citizen")
    browser = _device(app, mine, ANDROID_CHROME)
    other_person = _device(app, theirs, IPHONE_WECHAT)
    (their_sign_in,) = _sign_ins_of(theirs)

    page = browser.get("/me/sessions?lang=en").get_data(as_text=True)
    assert "WeChat" not in page and "iOS" not in page
    assert page.count("<tr role=\"row\">") == 2  # the heading row and this device

    assert browser.post(f"/me/sessions/{their_sign_in.id}/end").status_code == 404
    assert _signed_in(other_person)


def test_signing_out_everywhere_else_ends_the_other_devices_but_not_this_one(app):
    citizen = factories.user("citizen")
    this, other, third = _device(app, citizen), _device(app, citizen), _device(app, citizen)
    someone_else = _device(app, factories.user("citizen"))

    response = this.post("/me/sessions/end-others?lang=en", follow_redirects=True)

    assert response.status_code == 200 and "2 other devices have been signed out." in response.get_data(as_text=True)
    assert _signed_in(this)
    assert not _signed_in(other) and not _signed_in(third)
    assert _signed_in(someone_else)
    assert len(_sign_ins_of(citizen)) == 1


def test_ending_one_device_signs_out_only_that_one(app):
    citizen = factories.user("citizen")
    this = _device(app, citizen, ANDROID_CHROME)
    lost = _device(app, citizen, WINDOWS_FIREFOX)
    kept = _device(app, citizen, IPHONE_WECHAT)
    lost_sign_in = next(s for s in _sign_ins_of(citizen) if s.browser == "Firefox")

    response = this.post(f"/me/sessions/{lost_sign_in.id}/end?lang=en", follow_redirects=True)

    assert "Firefox on Windows has been signed out." in response.get_data(as_text=True)
    assert not _signed_in(lost)
    assert _signed_in(this) and _signed_in(kept)


def test_ending_this_device_from_the_list_logs_out(app):
    citizen = factories.user("citizen")
    this = _device(app, citizen)
    (sign_in,) = _sign_ins_of(citizen)
    response = this.post(f"/me/sessions/{sign_in.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not _signed_in(this)


def test_the_device_actions_need_their_csrf_token(app):
    citizen = factories.user("citizen")
    this, other = _device(app, citizen), _device(app, citizen)
    first = _sign_ins_of(citizen)[0]
    app.config["WTF_CSRF_ENABLED"] = True

    assert this.post("/me/sessions/end-others").status_code == 400
    assert this.post(f"/me/sessions/{first.id}/end").status_code == 400

    assert len(_sign_ins_of(citizen)) == 2 and _signed_in(other)


def test_password_change_ends_the_other_devices_and_keeps_this_one(app, client, auth):
    citizen = factories.user("citizen")
    other = _device(app, citizen)
    auth.login(citizen.email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)

    response = client.post("/me/password", data={"current_password": factories.PASSWORD,
                                                 "new_password": "a-new-password", "confirm": "a-new-password"})

    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)
    assert not _signed_in(copy)  # the old cookie of this very browser: it named the old session token
    assert len(_sign_ins_of(citizen)) == 1


def test_a_password_reset_ends_every_device(app, client):
    citizen = factories.user("citizen")
    phone, laptop = _device(app, citizen), _device(app, citizen)
    token = password_reset_token(citizen)

    response = client.post(f"/password/reset/{token}", data={"password": "a-new-password", "confirm": "a-new-password"})

    assert response.status_code == 302
    assert not _signed_in(phone) and not _signed_in(laptop)
    assert _sign_ins_of(citizen) == []


def test_a_new_session_token_ends_sign_ins_whose_rows_remain(app):
    """Code that rotates the token itself (staff removal, an administrator) deletes no rows: the sign-ins
    end all the same, and the person's list no longer shows them."""
    from app.accounts.models import new_session_token

    citizen = factories.user("citizen")
    before = _device(app, citizen)
    citizen.session_token = new_session_token()
    db.session.commit()
    assert not _signed_in(before)
    after = _device(app, citizen, ANDROID_CHROME)
    page = after.get("/me/sessions?lang=en").get_data(as_text=True)
    assert page.count("<tr role=\"row\">") == 2


def test_a_disabled_account_with_a_live_session_is_signed_out(app):
    citizen = factories.user("citizen")
    browser = _device(app, citizen)
    citizen.is_disabled = True
    db.session.commit()
    assert not _signed_in(browser)
    assert browser.get("/me/sessions").status_code == 302


def test_a_disabled_account_is_not_loaded_at_all(json_app):  # noqa: F811  (the fixture)
    """Not merely inactive: no request is made in a disabled person's name (the access log names nobody)."""
    citizen = factories.user("citizen")
    browser = _device(json_app, citizen)
    citizen.is_disabled = True
    db.session.commit()
    stream = _capture_app_log()
    browser.get("/me")
    line = next(r for r in _records(stream) if r["logger"] == "scivisit.access")
    assert "user_id" not in line


def test_an_expired_sign_in_is_refused(app):
    citizen = factories.user("citizen")
    browser = _device(app, citizen)
    db.session.execute(sa.update(SignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _signed_in(browser)


def test_a_sign_in_lasts_the_session_lifetime(app):
    citizen = factories.user("citizen")
    _device(app, citizen)
    (sign_in,) = _sign_ins_of(citizen)
    assert sign_in.expires_at - sign_in.created_at == app.config["PERMANENT_SESSION_LIFETIME"]


def test_loading_the_person_is_one_statement_and_last_seen_is_written_only_now_and_then(app):
    citizen = factories.user("citizen")
    browser = _device(app, citizen)
    browser.get("/me")
    with statements() as seen:
        assert browser.get("/me").status_code == 200
    assert [s for s in seen if "sign_ins" in s or s.startswith("select users")] == ["select users.id, users.email,"]
    assert not any(s.startswith("update sign_ins") for s in seen), seen

    long_ago = utcnow() - timedelta(minutes=11)
    db.session.execute(sa.update(SignIn).values(last_seen_at=long_ago))
    db.session.commit()
    with statements() as seen:
        assert browser.get("/me").status_code == 200
    assert sum(s.startswith("update sign_ins") for s in seen) == 1, seen
    (sign_in,) = _sign_ins_of(citizen)
    assert sign_in.last_seen_at > long_ago + timedelta(minutes=10)


def test_only_the_browser_and_system_are_kept_of_the_device(app):
    citizen = factories.user("citizen")
    _device(app, citizen, IPHONE_WECHAT)
    (sign_in,) = _sign_ins_of(citizen)
    assert (sign_in.browser, sign_in.system) == ("WeChat", "iOS")
    columns = {c.name for c in SignIn.__table__.columns}
    assert columns == {"id", "user_id", "secret_hash", "session_token", "created_at", "expires_at", "last_seen_at",
                       "browser", "system"}


def test_the_secret_is_not_stored(app, client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    with client.session_transaction() as session:
        secret = session["_user_id"].split(".", 1)[1]
    (sign_in,) = _sign_ins_of(citizen)
    assert secret and sign_in.secret_hash != secret and secret not in sign_in.secret_hash


def test_logging_in_removes_the_persons_expired_sign_ins(app):
    citizen = factories.user("citizen")
    _device(app, citizen)
    db.session.execute(sa.update(SignIn).values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    _device(app, citizen)
    assert len(_sign_ins_of(citizen)) == 1


def test_the_privacy_purge_removes_everyones_expired_sign_ins(app):
    fresh, stale = factories.user("citizen"), factories.user("citizen")
    _device(app, fresh)
    _device(app, stale)
    db.session.execute(sa.update(SignIn).where(SignIn.user_id == stale.id)
                       .values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--older-than", "18m"],
                                          env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "1 expired sign-in removed" in result.output.strip().splitlines()[-1]
    assert len(_sign_ins_of(fresh)) == 1 and _sign_ins_of(stale) == []


def test_deleting_the_account_removes_its_sign_ins(app, client, auth):
    citizen = factories.user("citizen")
    other = _device(app, citizen)
    auth.login(citizen.email)
    citizen_id = citizen.id
    response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SignIn).where(SignIn.user_id == citizen_id)) == 0
    assert not _signed_in(other)


def test_the_download_lists_the_signed_in_devices(app, client, auth):
    citizen = factories.user("citizen")
    _device(app, citizen, ANDROID_CHROME)
    auth.login(citizen.email)
    data = client.post("/me/data?lang=en").get_json()
    devices = data["signed_in_devices"]
    assert len(devices) == 2 and {"device", "signed_in_at", "last_active_at", "expires_at"} == set(devices[0])
    assert "Chrome on Android" in {d["device"] for d in devices}


def _token_works(app, secret: str) -> bool:
    return app.test_client().get("/api/v1/bookings", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_an_app_signed_in_through_the_api_is_listed_and_can_be_signed_out_alone(app):
    citizen = factories.user("citizen")
    this = _device(app, citizen, ANDROID_CHROME)
    issued = app.test_client().post("/api/v1/auth/token", json={"email": citizen.email, "password": factories.PASSWORD})
    app_secret, kept_secret = issued.get_json()["token"], factories.user_token(citizen)
    assert _token_works(app, app_secret)

    page = _text(this.get("/me/sessions?lang=en"))
    assert page.count("App using the API") == 2 and "Not used yet" in page  # the factory's has not called yet
    app_row = next(row for row in page.split("\f") if "App using the API" in row and "Not used yet" not in row)
    assert "until" in app_row

    row_id = re.search(r"/me/api-tokens/(\d+)/revoke", this.get("/me/sessions").get_data(as_text=True)).group(1)
    response = this.post(f"/me/api-tokens/{row_id}/revoke?lang=en", follow_redirects=True)
    assert "The app has been signed out: its API token no longer works." in _text(response)
    assert sum(_token_works(app, secret) for secret in (app_secret, kept_secret)) == 1
    assert _signed_in(this)
    assert this.post(f"/me/api-tokens/{row_id}/revoke").status_code == 404  # already ended


def test_signing_out_everywhere_else_also_ends_the_apps_using_the_api(app):
    citizen, neighbour = factories.user("citizen"), factories.user("citizen")
    this, other = _device(app, citizen), _device(app, citizen)
    secret, theirs = factories.user_token(citizen), factories.user_token(neighbour)

    response = this.post("/me/sessions/end-others?lang=en", follow_redirects=True)

    text = _text(response)
    assert "1 other device has been signed out." in text
    assert "1 app using your account through the API has been signed out." in text
    assert not _token_works(app, secret) and not _signed_in(other)
    assert _token_works(app, theirs) and _signed_in(this)
    assert "App using the API" not in text and "No other device is signed in." in text


def test_an_app_alone_is_enough_to_offer_signing_out_everywhere_else(app):
    citizen = factories.user("citizen")
    this = _device(app, citizen)
    assert "Sign out of all other devices" not in _text(this.get("/me/sessions?lang=en"))
    factories.user_token(citizen)
    assert "Sign out of all other devices" in _text(this.get("/me/sessions?lang=en"))


def test_nobody_signs_out_another_persons_app_or_a_gate_device(app):
    venue = factories.venue()
    citizen, manager = factories.user("citizen"), factories.user("venue_manager", venue=venue)
    theirs, gate = factories.user_token(factories.user("citizen")), factories.gate_token(venue)
    browser = _device(app, citizen)
    for secret in (theirs, gate):
        assert browser.post(f"/me/api-tokens/{token_row(secret).id}/revoke").status_code == 404
        assert _device(app, manager).post(f"/me/api-tokens/{token_row(secret).id}/revoke").status_code == 404
    assert _token_works(app, theirs)
