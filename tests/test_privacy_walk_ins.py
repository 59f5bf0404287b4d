"""A walk-in registered at a venue's poster while signed in carries the person's account: it is theirs to
download, it is unlinked when they delete their account, and the retention purge unlinks it once old,
like a booking; its count stays in every statistic."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import time_machine
from sqlalchemy import select

from app.accounts.models import Role
from app.checkin import walkins
from app.checkin.models import CheckIn, CheckInKind
from app.core.time import LOCAL_TZ, local_today
from app.extensions import db
from tests import factories


def _register_at_poster(client, venue, persons: int = 2, group: str = "adult"):
    url = f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"
    client.get(url)  # the phone's cookie
    answer = client.post(url + "?lang=en", data={"persons": persons, "audience_group": group})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]


def _download(client) -> dict:
    response = client.post("/me/data")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def _walk_ins_of(person_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).where(
        CheckIn.kind == CheckInKind.WALK_IN,
        (CheckIn.user_id == person_id) | (CheckIn.actor_key == f"u{person_id}"))).all()


def _summary(client, day) -> dict:
    return client.get("/api/v1/stats/summary", query_string={"from": day.isoformat(), "to": day.isoformat()}).get_json()


def test_the_download_holds_the_walk_ins_the_person_registered_signed_in(client, auth):
    venue = factories.venue(name_zh="扫码场馆", name_en="Poster Hall")
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    _register_at_poster(client, venue, persons=3, group="senior")
    [walk_in] = _download(client)["walk_ins"]
    assert walk_in["venue"] in ("扫码场馆", "Poster Hall")
    assert walk_in["date"] == local_today().isoformat()
    assert (walk_in["persons"], walk_in["visitors"]) == (3, "senior")
    assert walk_in["registered_at"].endswith("+00:00")


def test_the_download_holds_no_walk_in_of_anyone_else(app, client, auth):
    venue = factories.venue()
    someone = factories.user(Role.CITIZEN)
    auth.login(someone.email)
    _register_at_poster(client, venue)
    auth.logout()
    _register_at_poster(app.test_client(), venue)  # an anonymous phone
    factories.walk_in(venue, persons=4)  # a group the venue's staff counted
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    assert _download(client)["walk_ins"] == []


def test_deleting_the_account_unlinks_its_walk_ins_and_keeps_their_count(client, auth):
    venue = factories.venue()
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    _register_at_poster(client, venue, persons=2)
    before = _summary(client, local_today())
    assert before["walk_ins"] == 2
    assert client.post("/me/delete", data={"password": "password123"}).status_code in (302, 303)
    assert _walk_ins_of(person.id) == []
    assert _summary(client, local_today()) == before


def test_the_purge_unlinks_old_walk_ins_from_the_account_and_keeps_their_count(app, client, auth):
    venue = factories.venue()
    person = factories.user(Role.CITIZEN)
    three_days_ago = local_today() - timedelta(days=3)
    with time_machine.travel(datetime.combine(three_days_ago, time(11)).replace(tzinfo=LOCAL_TZ), tick=False):
        auth.login(person.email)
        _register_at_poster(client, venue, persons=2)
    [walk_in] = _walk_ins_of(person.id)
    before = _summary(client, three_days_ago)
    assert before["walk_ins"] == 2
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--older-than", "1d"],
                                          env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "1 walk-in unlinked from its account" in result.output
    assert _walk_ins_of(person.id) == []
    kept = db.session.get(CheckIn, walk_in.id)
    assert (kept.persons, kept.local_date, kept.nonce) == (2, three_days_ago, None)
    assert _summary(client, three_days_ago) == before


def test_the_purge_leaves_todays_walk_in_linked(app, client, auth):
    """Today's walk-in still does its work: a ticket of the same account admitted later takes it over."""
    venue = factories.venue()
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    _register_at_poster(client, venue)
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--older-than", "1d"],
                                          env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    assert len(_walk_ins_of(person.id)) == 1


def test_the_privacy_notice_says_a_walk_in_registered_signed_in_is_recorded_with_the_account(client):
    text = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "If you are logged in when you register, the visit is recorded with your account as well" in text
