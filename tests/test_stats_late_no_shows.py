"""No-shows marked on a day a refresh already settled (``bookings close-day`` run after ``stats
refresh``, or with ``--date`` for an older day) count at once in every period holding that day, as a
rebuild would count them: the stored supply of the day and its month follow."""
from __future__ import annotations

from datetime import time, timedelta

from tests import factories
from tests.test_stats_late_admissions import _at, _cli, _figures, _key_dir, _periods, _summary, night  # noqa: F401


def _no_shows(client, venue_id, day) -> dict:
    return {name: _summary_no_shows(client, venue_id, *period) for name, period in _periods(day).items()}


def _summary_no_shows(client, venue_id, first, last) -> tuple:
    body = client.get("/api/v1/stats/summary", query_string={"from": first.isoformat(), "to": last.isoformat(),
                                                             "venue": venue_id}).get_json()
    return body["bookings"], body["no_shows"]


def test_no_shows_marked_after_the_refresh_count_in_every_period_of_their_day(app, client, night):
    venue, other = factories.venue(), factories.venue()
    for each in (venue, other):
        slot = factories.slot(each, day=night, start=time(14), end=time(16))
        factories.confirmed_visit(slot, party_size=2)
    with _at(night + timedelta(days=1), 0, 5):
        _cli(app, "stats", "refresh")  # before close-day, by a mistaken schedule: the day is settled
        assert _no_shows(client, venue.id, night) == dict.fromkeys(_periods(night), (1, 0))
    with _at(night + timedelta(days=1), 9):
        _cli(app, "bookings", "close-day", "--date", night.isoformat())
        live = _no_shows(client, venue.id, night)
        assert live == dict.fromkeys(_periods(night), (1, 1))
        assert _no_shows(client, other.id, night) == live
        figures = _figures(client, venue.id, night)
        _cli(app, "stats", "rebuild")
        assert _no_shows(client, venue.id, night) == live and _figures(client, venue.id, night) == figures


def test_no_shows_of_an_older_day_count_at_once_and_through_the_next_refresh(app, client, night):
    venue = factories.venue()
    slot = factories.slot(venue, day=night, start=time(9), end=time(11))
    factories.confirmed_visit(slot, party_size=3)
    with _at(night + timedelta(days=3), 0, 5):
        _cli(app, "stats", "refresh")
    with _at(night + timedelta(days=3), 10):
        _cli(app, "bookings", "close-day", "--date", night.isoformat())
        assert _summary(client, venue.id, *_periods(night)["whole month"])["bookings"] == 1
        assert _no_shows(client, venue.id, night) == dict.fromkeys(_periods(night), (1, 1))
    with _at(night + timedelta(days=4), 0, 5):
        _cli(app, "stats", "refresh")
        assert _no_shows(client, venue.id, night) == dict.fromkeys(_periods(night), (1, 1))
