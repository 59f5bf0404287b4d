"""The evaluation's weights belong to a year (绩效考评): setting one year's weights never rescores
another; a year without its own is scored with the most recent earlier year's, else the defaults;
the page says which apply. A year that is over can be changed only when the city admin confirms it,
and a later year that is over keeps the weights it was scored with. The upgrade that brought this
keeps every year's scores as they were."""
from __future__ import annotations

import re
import threading
import time as clock
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import Role
from app.core.time import LOCAL_TZ, from_local
from app.extensions import db
from app.stats import evaluation, rebuild
from app.stats.models import EvaluationWeight
from tests import factories
from tests.conftest import Auth, _fresh_g, make_config
from tests.test_migrations import _fresh_database

TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)  # 2026 is under way; 2025 and before are over
VENUE_EN = "Yearly Review Hall"
ONLY_VISITS = {"open_days": "0", "visits": "100", "free_visits": "0", "school_groups": "0", "events": "0"}
PAGE_WEIGHTS = re.compile(r"weight ([\d.]+)</span>")


def _venue_open_each_year():
    """A venue with one free-open day and a walk-in party of 5 in each of 2024, 2025 and 2026."""
    venue = factories.venue(name_zh="年度考评馆", name_en=VENUE_EN)
    for year in (2024, 2025, 2026):
        day = date(year, 3, 10)
        factories.slot(venue, day=day)
        factories.walk_in(venue, persons=5, when=from_local(datetime.combine(day, time(10))))
    rebuild.rebuild_all()
    db.session.commit()
    return venue


@pytest.fixture
def city_admin(app, client, auth):
    with time_machine.travel(TODAY, tick=True):
        _venue_open_each_year()
        auth.login(factories.user(Role.CITY_ADMIN).email)
        yield


def page(client, year: int) -> str:
    return client.get(f"/admin/evaluation?year={year}&lang=en").get_data(as_text=True)


def score(client, year: int) -> str:
    row = next(r for r in page(client, year).split("<tr") if VENUE_EN in r)
    return re.search(r"<strong>([^<]+)</strong>", row).group(1)


def weights_shown(client, year: int) -> list[str]:
    """The weight under each indicator's heading of the scores table, in the indicators' order."""
    return PAGE_WEIGHTS.findall(page(client, year).split("</thead>", 1)[0])


def save(client, year: int, data: dict, **extra):
    return client.post(f"/admin/evaluation?year={year}&lang=en", data={**data, **extra})


def stored_years() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(EvaluationWeight.year).distinct().order_by(EvaluationWeight.year)))


def test_setting_this_years_weights_leaves_last_years_scores_as_they_were(client, city_admin):
    last_year, this_year = score(client, 2025), score(client, 2026)
    assert save(client, 2026, ONLY_VISITS).status_code == 302
    assert score(client, 2025) == last_year
    assert weights_shown(client, 2025) == ["25", "25", "20", "20", "10"]
    assert score(client, 2026) == "25" != this_year
    assert weights_shown(client, 2026) == ["0", "100", "0", "0", "0"]


def test_a_year_without_weights_of_its_own_is_scored_with_the_latest_earlier_years(client, city_admin):
    assert save(client, 2025, ONLY_VISITS, confirm_past_year="y").status_code == 302
    assert stored_years() == [2025]
    assert score(client, 2026) == "25"
    text = page(client, 2026)
    assert "Scored with the weights of 2025 (set on" in text and "2026 has no weights of its own" in text
    assert re.search(r'id="visits"[^>]*value="100', text)  # the form starts from the weights that apply


def test_the_page_says_which_weights_apply(client, city_admin):
    assert "Scored with the default weights" in page(client, 2026)
    save(client, 2026, ONLY_VISITS)
    assert "Scored with the weights of 2026 (set on" in page(client, 2026)
    assert "Scored with the default weights" in page(client, 2025)
    assert "Weights of 2026" in page(client, 2026)


def test_a_year_that_is_over_changes_only_when_the_admin_confirms_it(client, city_admin):
    before = score(client, 2025)
    assert "2025 is over" in page(client, 2025) and 'name="confirm_past_year"' in page(client, 2025)
    response = save(client, 2025, ONLY_VISITS)
    assert response.status_code == 400
    assert 'id="confirm_past_year-error"' in response.get_data(as_text=True)
    assert stored_years() == [] and score(client, 2025) == before
    assert save(client, 2025, ONLY_VISITS, confirm_past_year="y").status_code == 302
    assert score(client, 2025) == "25"


def test_the_current_year_needs_no_confirmation(client, city_admin):
    assert 'name="confirm_past_year"' not in page(client, 2026)
    assert save(client, 2026, ONLY_VISITS).status_code == 302


def test_changing_a_year_that_is_over_keeps_the_later_year_that_is_over_as_it_was(client, city_admin):
    scores = {year: score(client, year) for year in (2024, 2025, 2026)}
    response = save(client, 2024, ONLY_VISITS, confirm_past_year="y")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "2025 is over and keeps the weights it was scored with" in shown
    assert score(client, 2024) == "25"
    assert (score(client, 2025), score(client, 2026)) == (scores[2025], scores[2026])
    assert "Scored with the default weights, which 2025 was scored with and kept on" in page(client, 2025)
    assert weights_shown(client, 2025) == ["25", "25", "20", "20", "10"]


def test_changing_last_year_changes_this_year_that_inherits_it(client, city_admin):
    save(client, 2025, ONLY_VISITS, confirm_past_year="y")
    assert stored_years() == [2025]  # 2026 is not over: it follows
    assert score(client, 2026) == "25"


def test_bad_weights_are_shown_next_to_their_field_and_the_years_weights_stay(client, city_admin):
    save(client, 2026, ONLY_VISITS)
    response = save(client, 2026, {**ONLY_VISITS, "visits": "x", "open_days": "150"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="open_days-error"' in text and 'id="visits-error"' in text
    tiny = save(client, 2025, {**ONLY_VISITS, "visits": "0.04"}, confirm_past_year="y")
    assert tiny.status_code == 400 and "one decimal place at most" in tiny.get_data(as_text=True)
    assert 'id="visits-error"' in tiny.get_data(as_text=True)
    assert score(client, 2026) == "25" and stored_years() == [2026]


def test_weights_of_a_year_not_begun_are_refused(client, city_admin):
    assert save(client, 2027, ONLY_VISITS).status_code == 400
    assert stored_years() == []


# --- the upgrade ------------------------------------------------------------------------------------

WEIGHTS_PER_YEAR = "98e4d1f6e195"


def test_the_upgrade_keeps_every_years_weights_and_scores(tmp_path):
    """Before, the stored weights scored every year (an indicator without a row, its default). They
    were saved in 2025: had they become 2025's only, 2024 would have fallen back to the defaults."""
    from flask_migrate import downgrade, upgrade

    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    stored = {"open_days": 0, "visits": 100, "free_visits": 0, "school_groups": 0}  # events: its default, 10
    applied = {**{k: float(v) for k, v in stored.items()}, "events": 10.0}
    try:
        with time_machine.travel(TODAY, tick=True), app.app_context():
            upgrade()
            _venue_open_each_year()
            admin = factories.user(Role.CITY_ADMIN)
            admin_id, admin_email = admin.id, admin.email
            db.session.remove()
            downgrade(revision=f"{WEIGHTS_PER_YEAR}-1")
            with db.engine.begin() as conn:
                for indicator, weight in stored.items():
                    conn.execute(sa.text("insert into evaluation_weights (indicator, weight, updated_at, updated_by_id) "
                                         "values (:indicator, :weight, :at, :admin)"),
                                 {"indicator": indicator, "weight": weight, "at": datetime(2025, 3, 1, 2),
                                  "admin": admin_id})
            upgrade()
            for year in range(2000, 2027):
                assert evaluation.weights(year).values == applied, year
            client = app.test_client()
            client.post("/login", data={"email": admin_email, "password": factories.PASSWORD})
            for year in (2024, 2025, 2026):  # 100 × 25 points ÷ (100 + 10)
                assert score(client, year) == "22.7", year
                assert weights_shown(client, year) == ["0", "100", "0", "0", "10"]
            assert "Scored with the weights of 2024 (set on" in page(client, 2024)
            assert "Scored with the weights of 2025 (set on" in page(client, 2026)
            db.session.remove()
            downgrade(revision=f"{WEIGHTS_PER_YEAR}-1")
            with db.engine.connect() as conn:
                rows = conn.execute(sa.text("select indicator, weight from evaluation_weights")).all()
            assert {indicator: float(weight) for indicator, weight in rows} == stored
            upgrade()
            assert db.session.scalar(select(func.count()).select_from(EvaluationWeight)) == 4 * 26
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


# --- two saves at once --------------------------------------------------------------------------------

def _two_admins_save_at_once(app, year: int, first: dict, second: dict) -> list[int]:
    """Two city admins save ``year``'s weights at the same moment (a double click, or two admins): both
    requests read that the year has none, and wait to write behind a lock this test holds, then both go."""
    browsers = []
    for _ in range(2):
        browser = app.test_client()
        Auth(browser).login(factories.user(Role.CITY_ADMIN).email)
        page(browser, year)  # the language remembered now: choosing it in the race would be a write of its own
        browsers.append(browser)
    answers = {}

    def act(browser, data):
        answers[id(browser)] = save(browser, year, data, confirm_past_year="y").status_code

    threads = [threading.Thread(target=act, args=pair) for pair in zip(browsers, (first, second))]
    with db.engine.connect() as other, other.begin():
        if other.dialect.name == "postgresql":  # reads go on, writes wait
            other.execute(sa.text("LOCK TABLE evaluation_weights IN EXCLUSIVE MODE"))
        else:  # SQLite: this transaction takes the one writer's lock
            other.execute(sa.update(EvaluationWeight).where(sa.false()).values(weight=0))
        for thread in threads:
            thread.start()
        clock.sleep(1)
    for thread in threads:
        thread.join(30)
    return sorted(answers.values())


def test_two_saves_of_a_year_without_weights_at_the_same_moment_both_succeed(app, client, city_admin):
    scores = {year: score(client, year) for year in (2024, 2025)}
    only_open_days = {**ONLY_VISITS, "visits": "0", "open_days": "100"}
    assert _two_admins_save_at_once(app, 2024, ONLY_VISITS, only_open_days) == [302, 302]
    assert stored_years() == [2024, 2025]
    assert weights_shown(client, 2024) in (["0", "100", "0", "0", "0"], ["100", "0", "0", "0", "0"])
    assert score(client, 2025) == scores[2025]  # kept once, by whichever came first
    assert weights_shown(client, 2025) == ["25", "25", "20", "20", "10"]


# --- where a year's weights came from --------------------------------------------------------------------

def test_a_year_that_kept_the_defaults_says_so_not_that_someone_set_them(client, city_admin):
    save(client, 2024, ONLY_VISITS, confirm_past_year="y")
    text = page(client, 2025)
    assert "Scored with the default weights, which 2025 was scored with and kept on" in text
    assert "weights of 2025 (set on" not in text
    inheriting = page(client, 2026)  # 2026 follows 2025, which holds the defaults
    assert "Scored with the default weights, kept by 2025 on" in inheriting
    assert "2026 has no weights of its own" in inheriting


def test_a_year_that_kept_an_earlier_years_weights_names_that_year(client, auth, city_admin):
    """Set in 2026, 2026's weights score 2027 too; in 2028 the admin corrects 2026, and 2027, over by then,
    keeps 2026's weights as they were: the page names 2026, not a setting of 2027's."""
    assert save(client, 2026, ONLY_VISITS).status_code == 302
    with time_machine.travel(datetime(2028, 3, 1, 10, 0, tzinfo=LOCAL_TZ), tick=True):
        auth.login(factories.user(Role.CITY_ADMIN).email)
        assert save(client, 2026, {**ONLY_VISITS, "events": "50"}, confirm_past_year="y").status_code == 302
        text = page(client, 2027)
        assert "Scored with the weights of 2026 as set on Jun 15, 2026" in text
        assert "which 2027 was scored with and kept" in text
        assert weights_shown(client, 2027) == ["0", "100", "0", "0", "0"]
        inheriting = page(client, 2028)  # 2028 follows 2027, which holds 2026's
        assert "Scored with the weights of 2026 as set on Jun 15, 2026 10:00, kept by 2027" in inheriting


def test_saving_a_year_that_kept_its_weights_makes_them_its_own(client, city_admin):
    save(client, 2024, ONLY_VISITS, confirm_past_year="y")
    save(client, 2025, {**ONLY_VISITS, "events": "50"}, confirm_past_year="y")
    text = page(client, 2025)
    assert "Scored with the weights of 2025 (set on" in text and "kept" not in text.split("weights-applied", 1)[1][:300]
