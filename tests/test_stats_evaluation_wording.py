"""What the evaluation pages say of the scoring is what the scoring does: the tiers of each indicator, and
0 points for a figure of 0; a rank among one venue is "of 1 venue"."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine

from app.accounts.models import Role
from app.core.time import LOCAL_TZ, from_local
from app.extensions import db
from app.stats import rebuild
from app.stats.evaluation import INDICATORS, POINTS
from tests import factories

TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)  # 2025 is over
YEAR = 2025
RULE_START = "Each indicator gives points by tiers"


@pytest.fixture
def venue(app):
    """A venue open one day of 2025 with 5 walk-ins, and no themed event session: 0 of those. The test
    runs on 15 June 2026, the clock ticking on."""
    with time_machine.travel(TODAY, tick=True):
        venue = factories.venue(name_en="Tiered Hall")
        factories.slot(venue, day=date(YEAR, 3, 10))
        factories.walk_in(venue, persons=5, when=from_local(datetime.combine(date(YEAR, 3, 10), time(10))))
        rebuild.rebuild_all()
        db.session.commit()
        yield venue


def rule(page: str) -> str:
    start = page.index(RULE_START)
    return page[start:page.index("</p>", start)]


def test_the_rule_states_every_tier_the_scoring_uses_and_0_points_for_0(client, auth, venue):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    said = rule(client.get(f"/manage/evaluation/{YEAR}?lang=en").get_data(as_text=True))
    for indicator in INDICATORS:
        assert "/".join(f"{bound:,}" for bound in indicator.tiers) in said, indicator.key
        # each bound gives the points said, and only a figure of 0 gives none
        assert [indicator.points(bound) for bound in indicator.tiers] == list(POINTS[:len(indicator.tiers)])
        assert indicator.points(0) == 0 and indicator.points(1) > 0
    assert "A figure of 0 gives 0 points." in said
    assert "100, 75 or 50 points from themed event sessions 10/5/1" in said
    assert "100, 75, 50 or 25 points by tiers (" not in said


def test_the_venues_page_shows_its_0_beside_what_the_rule_says(client, auth, venue):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    page = client.get(f"/manage/evaluation/{YEAR}?lang=en").get_data(as_text=True)
    events = next(r for r in page.split("<tbody>", 1)[1].split("<tr") if ">Themed event sessions<" in r)
    assert [cell.split("<", 1)[0] for cell in events.split('<td class="num">')[1:3]] == ["0", "0"]
    assert "A figure of 0 gives 0 points." in page


def test_the_city_admin_reads_the_rule_the_manager_reads(client, auth, venue):
    said = {}
    for role, path in ((Role.CITY_ADMIN, f"/admin/evaluation?year={YEAR}&lang=en"),
                       (Role.VENUE_MANAGER, f"/manage/evaluation/{YEAR}?lang=en")):
        auth.login(factories.user(role, venue=venue if role == Role.VENUE_MANAGER else None).email)
        said[role] = rule(client.get(path).get_data(as_text=True))
        auth.logout()
    assert said[Role.CITY_ADMIN] == said[Role.VENUE_MANAGER]
    assert "A figure of 0 gives 0 points." in said[Role.CITY_ADMIN]


def test_a_rank_among_one_venue_is_of_1_venue(client, auth, venue):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    published = client.post(f"/admin/evaluation/{YEAR}/publish?lang=en", data={"version": "1"})
    assert published.status_code == 302 and "/login" not in published.headers["Location"]
    auth.logout()
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    page = client.get(f"/manage/evaluation/{YEAR}?lang=en").get_data(as_text=True)
    assert "Rank 1 of 1 venue in the city" in page
