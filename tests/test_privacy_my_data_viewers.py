"""/me/data also tells the person who looked at their data: when, in which role and for which venue or
office, and what they did; never the name or email of whoever looked."""
from __future__ import annotations

import json

from app.extensions import db
from tests import factories


def _download(client) -> dict:
    response = client.post("/me/data")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def test_the_download_lists_who_viewed_the_persons_data(client, auth):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum")
    manager = factories.user("venue_manager", venue=venue, name="李经理", email="li.manager@example.com")
    admin = factories.user("city_admin", name="赵管理员", email="zhao.admin@example.com")
    person = factories.user("citizen", name="王小明")
    other = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(venue, days_ahead=5), person)
    theirs = factories.booked_visit(factories.slot(venue, days_ahead=5), other)
    auth.login(manager.email)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.get(f"/bookings/{theirs.id}").status_code == 200
    auth.logout()
    auth.login(admin.email)
    assert client.get(f"/admin/people/{person.id}").status_code == 200
    auth.logout()
    auth.login(person.email)

    data = _download(client)

    viewed = data["viewed_by"]
    assert [(v["action"], v["viewer_role"], v["viewer_organisation"]) for v in viewed] == [
        ("view_booking", "venue_manager", "南京科技馆"), ("view_account", "city_admin", None)]
    assert viewed[0]["booking_reference"] == booking.reference and viewed[0]["at"].endswith("+00:00")
    assert viewed[0]["what"]  # the action in words
    text = json.dumps(data["viewed_by"], ensure_ascii=False)
    for named in ("李经理", "li.manager", "赵管理员", "zhao.admin", theirs.reference):
        assert named not in text


def test_the_persons_own_downloads_are_listed_as_their_own(client, auth):
    person = factories.user("citizen")
    auth.login(person.email)
    _download(client)

    [earlier] = _download(client)["viewed_by"]

    assert (earlier["action"], earlier["by_you"]) == ("export_own_data", True)


def test_a_viewer_whose_account_is_gone_is_listed_without_a_role(client, auth):
    venue = factories.venue()
    manager = factories.user("venue_manager", venue=venue)
    person = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(venue, days_ahead=5), person)
    auth.login(manager.email)
    client.get(f"/bookings/{booking.id}")
    auth.logout()
    db.session.delete(db.session.merge(manager))
    db.session.commit()
    auth.login(person.email)

    [viewing] = _download(client)["viewed_by"]

    assert (viewing["action"], viewing["viewer_role"], viewing["by_you"]) == ("view_booking", None, False)


def test_the_privacy_notice_says_the_download_lists_who_looked(client):
    text = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "lists these records" in text


def test_the_download_page_says_it_lists_who_looked(client, auth):
    auth.login(factories.user("citizen").email)
    assert "who looked at your details" in client.get("/me/data?lang=en").get_data(as_text=True)
