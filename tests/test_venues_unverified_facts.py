"""What the reference data could not confirm of a venue is named on its page and to its reviewer, in
the reader's language (``Venue.unverified_facts``); a free note written before, in English only, is
shown on English pages alone."""
from __future__ import annotations

import re

from tests import factories


def _notice(html: str) -> str:
    found = re.search(r'<div class="notice[^"]*" role="note">(.*?)</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_the_unverified_facts_are_named_in_either_language(client, auth):
    venue = factories.venue(unverified_note="existence; name")

    assert _notice(client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)) == \
        "Not yet verified: whether it is open and its name."
    zh = _notice(client.get(f"/venues/{venue.id}?lang=zh").get_data(as_text=True))
    assert zh.startswith("尚未核实：") and "是否仍在开放" in zh and "名称" in zh and "whether" not in zh
    auth.login(factories.user("city_admin").email)
    assert "是否仍在开放" in _notice(client.get(f"/admin/venues/{venue.id}?lang=zh").get_data(as_text=True))


def test_a_free_note_in_english_is_not_shown_on_chinese_pages(client, auth):
    venue = factories.venue(unverified_note="district uncertain; building about 13586 m2")

    assert "district uncertain; building about 13586 m2" in _notice(
        client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True))
    zh = _notice(client.get(f"/venues/{venue.id}?lang=zh").get_data(as_text=True))
    assert zh and "district" not in zh
    auth.login(factories.user("city_admin").email)
    assert "district" not in _notice(client.get(f"/admin/venues/{venue.id}?lang=zh").get_data(as_text=True))


def test_a_verified_venue_has_no_notice(client):
    assert _notice(client.get(f"/venues/{factories.venue().id}?lang=en").get_data(as_text=True)) == ""


def test_open_data_and_the_api_say_what_is_unverified(client):
    unsure = factories.venue(unverified_note="district; operator")
    sure = factories.venue()

    rows = {row["venue_id"]: row for row in client.get("/open-data/venues.json").get_json()["rows"]}
    assert rows[unsure.id]["unverified"] == "district; operator" and rows[sure.id]["unverified"] == ""
    fields = {f["name"]: f for resource in client.get("/open-data/datapackage.json").get_json()["resources"]
              if resource["name"].startswith("venues") for f in resource["schema"]["fields"]}
    assert "`operator`" in fields["unverified"]["description"]
    assert client.get(f"/api/v1/venues/{unsure.id}").get_json()["unverified_note"] == "district; operator"
    assert client.get(f"/api/v1/venues/{sure.id}").get_json()["unverified_note"] is None
