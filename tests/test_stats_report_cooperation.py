"""The annual report says what a venue's museum–school cooperation (馆校合作) amounted to in the year:
the schools it had an agreement with, how many of them came, and the class visits they made."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from app.accounts.models import Role
from app.bookings.models import Partnership
from app.extensions import db
from app.stats import rebuild
from tests import factories


@pytest.fixture
def scenario(app):
    built = factories.stats_scenario()
    rebuild.rebuild_all()
    year = built["day_a"].year
    # A partner that has not come this year, and one whose agreement ended the year before.
    db.session.add_all([
        Partnership(venue_id=built["a"].id, school_id=factories.school().id, valid_from=date(year, 9, 1),
                    valid_to=date(year + 1, 8, 31)),
        Partnership(venue_id=built["a"].id, school_id=factories.school().id, valid_from=date(year - 2, 9, 1),
                    valid_to=date(year - 1, 8, 31)),
    ])
    db.session.commit()
    built["year"] = year
    return built


def facts(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def test_the_report_counts_the_schools_under_agreement_and_their_class_visits(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)

    figures = facts(client.get(f"/manage/reports/{scenario['year']}?lang=en").get_data(as_text=True))

    assert figures["Schools with a cooperation agreement"] == "2"
    assert figures["Partner schools that visited"] == "1"
    assert figures["Class visits by partner schools"] == "1"


def test_the_xlsx_carries_the_cooperation_figures(client, auth, scenario):
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["a"]).email)

    response = client.get(f"/manage/reports/{scenario['year']}.xlsx?lang=en")

    summary = {row[0]: row[1] for row in load_workbook(io.BytesIO(response.get_data()), read_only=True)
               .worksheets[0].iter_rows(values_only=True)}
    assert (summary["Schools with a cooperation agreement"], summary["Class visits by partner schools"]) == (2, 1)


def test_the_district_reads_the_same_figures_in_chinese(client, auth, scenario):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)

    page = client.get(f"/admin/reports/{scenario['a'].id}/{scenario['year']}?lang=zh").get_data(as_text=True)

    assert facts(page)["签订馆校合作协议的学校数"] == "2"
    assert facts(page)["合作学校团体参观次数"] == "1"
