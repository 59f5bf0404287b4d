"""Themed days load from themed_days.csv, know their dates per year, and the city admin sets them."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app import create_app
from app.events.models import ThemedDay, ThemedDayDates, ThemedDayRule
from app.events.themed_days import (ThemedDaysFileError, dates_in, load_themed_days, read_themed_days,
                                    themed_day_by_key)
from app.extensions import db
from tests import factories
from tests.conftest import make_config
from tests.test_migrations import _fresh_database


def _load():
    result = load_themed_days()
    db.session.commit()
    return result


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_loading_adds_every_themed_day_of_the_file(app):
    _load()

    keys = set(db.session.scalars(select(ThemedDay.key)))
    assert len(keys) == 12 and {"national_science_day", "science_week", "china_water_week"} <= keys
    science_day = themed_day_by_key("national_science_day")
    assert science_day.name_zh == "全国科普日" and science_day.rule_kind == ThemedDayRule.YEARLY_TABLE


def test_a_fixed_rule_gives_the_dates_of_any_year(app):
    _load()

    water_week = themed_day_by_key("china_water_week")
    assert (dates_in(water_week, 2031).starts_on, dates_in(water_week, 2031).ends_on) == (
        date(2031, 3, 22), date(2031, 3, 28))
    single = dates_in(themed_day_by_key("disaster_reduction_day"), 2040)
    assert single.starts_on == single.ends_on == date(2040, 5, 12)


def test_a_yearly_table_gives_the_announced_years_only(app):
    _load()

    science_day = themed_day_by_key("national_science_day")
    known = dates_in(science_day, 2023)
    assert (known.starts_on, known.ends_on) == (date(2023, 9, 17), date(2023, 9, 23))
    assert dates_in(science_day, 2024) is None
    assert dates_in(themed_day_by_key("science_week"), 2026) is None
    low_carbon = dates_in(themed_day_by_key("low_carbon_day"), 2013)
    assert low_carbon.starts_on == low_carbon.ends_on == date(2013, 6, 17)


def test_a_standing_rule_gives_the_dates_from_its_first_year_on_and_a_stored_year_wins(app):
    _load()
    science_day = themed_day_by_key("national_science_day")  # all of September from 2025 (the law)

    assert science_day.standing == "2025:09-01..09-30"
    assert (dates_in(science_day, 2031).starts_on, dates_in(science_day, 2031).ends_on) == (
        date(2031, 9, 1), date(2031, 9, 30))
    assert dates_in(science_day, 2024) is None  # before the law, and not announced
    assert dates_in(science_day, 2023).starts_on == date(2023, 9, 17)  # as announced that year
    science_day.dates.append(ThemedDayDates(year=2031, starts_on=date(2031, 9, 6), ends_on=date(2031, 9, 28)))
    assert dates_in(science_day, 2031).starts_on == date(2031, 9, 6)


def test_a_standing_rule_that_cannot_be_read_names_its_line(tmp_path):
    bad = tmp_path / "themed_days.csv"
    bad.write_text("key,name_zh,rule_kind,rule,known_dates,standing\nx,某日,yearly_table,,,from 2025 on\n",
                   encoding="utf-8")
    with pytest.raises(ThemedDaysFileError) as error:
        read_themed_days(bad)
    assert error.value.line == 2


def test_loading_twice_changes_nothing(app):
    first = _load()
    days, dates = _count(ThemedDay), _count(ThemedDayDates)

    second = _load()

    assert first.themed_days_added == 12 and first.dates_added > 0
    assert (second.themed_days_added, second.themed_days_updated, second.dates_added) == (0, 0, 0)
    assert (_count(ThemedDay), _count(ThemedDayDates)) == (days, dates)


def test_loading_again_keeps_the_dates_the_city_admin_corrected(app):
    _load()
    row = next(d for d in themed_day_by_key("national_science_day").dates if d.year == 2023)
    row.starts_on, row.ends_on = date(2023, 9, 16), date(2023, 9, 24)
    db.session.commit()

    _load()

    assert dates_in(themed_day_by_key("national_science_day"), 2023).starts_on == date(2023, 9, 16)


def test_the_command_loads_the_themed_days(app):
    result = app.test_cli_runner().invoke(args=["events", "load-themed-days"], env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code == 0, result.output
    assert "12 themed days added" in result.output
    assert _count(ThemedDay) == 12


def test_a_bad_line_is_reported_by_its_line_number_and_nothing_is_loaded(app, tmp_path):
    bad = tmp_path / "themed_days.csv"
    bad.write_text("key,name_zh,name_en,rule_kind,rule,known_dates,note\n"
                   "a,甲,A,fixed,03-22,,\n"
                   "b,乙,B,yearly_table,,2022:13-40,\n", encoding="utf-8")

    with pytest.raises(ThemedDaysFileError) as refused:
        load_themed_days(bad)
    assert refused.value.line == 3
    result = app.test_cli_runner().invoke(args=["events", "load-themed-days", "--file", str(bad)], env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code != 0 and "line 3" in result.output
    assert _count(ThemedDay) == 0


# --- the city admin's page -----------------------------------------------------------------------

def _stored_years() -> set[int]:
    db.session.expire_all()
    return {row.year for row in themed_day_by_key("national_science_day").dates}


def _science_day_id() -> int:
    _load()
    return themed_day_by_key("national_science_day").id


def test_the_city_admin_adds_a_years_dates(client, auth):
    themed_day_id = _science_day_id()
    auth.login(factories.user("city_admin").email)

    response = client.post(f"/admin/themed-days/{themed_day_id}",
                           data={"year": "2026", "starts_on": "2026-09-12", "ends_on": "2026-09-18"})

    assert response.status_code == 302
    found = dates_in(themed_day_by_key("national_science_day"), 2026)
    assert (found.starts_on, found.ends_on) == (date(2026, 9, 12), date(2026, 9, 18))


def test_the_city_admin_changes_a_years_dates(client, auth):
    themed_day_id = _science_day_id()
    auth.login(factories.user("city_admin").email)

    client.post(f"/admin/themed-days/{themed_day_id}",
                data={"year": "2023", "starts_on": "2023-09-15", "ends_on": "2023-09-22"})

    db.session.expire_all()
    assert dates_in(themed_day_by_key("national_science_day"), 2023).starts_on == date(2023, 9, 15)
    assert sum(1 for d in themed_day_by_key("national_science_day").dates if d.year == 2023) == 1


def test_a_last_day_before_the_first_is_refused_next_to_the_field(client, auth):
    themed_day_id = _science_day_id()
    auth.login(factories.user("city_admin").email)

    response = client.post(f"/admin/themed-days/{themed_day_id}?lang=en",
                           data={"year": "2026", "starts_on": "2026-09-18", "ends_on": "2026-09-12"})

    assert response.status_code == 400
    assert 'id="ends_on-error"' in response.get_data(as_text=True)
    assert _stored_years() == {2022, 2023, 2025}  # nothing saved


def test_a_first_day_outside_the_year_is_refused(client, auth):
    themed_day_id = _science_day_id()
    auth.login(factories.user("city_admin").email)

    response = client.post(f"/admin/themed-days/{themed_day_id}",
                           data={"year": "2026", "starts_on": "2027-09-12", "ends_on": "2027-09-18"})

    assert response.status_code == 400 and 'id="starts_on-error"' in response.get_data(as_text=True)


def test_nonsense_in_the_form_is_refused_without_an_error_page(client, auth):
    themed_day_id = _science_day_id()
    auth.login(factories.user("city_admin").email)

    response = client.post(f"/admin/themed-days/{themed_day_id}",
                           data={"year": "99999999999", "starts_on": "yesterday", "ends_on": ""})

    assert response.status_code == 400


def test_the_city_admin_sees_the_themed_days_with_this_years_dates(client, auth):
    _load()
    auth.login(factories.user("city_admin").email)

    page = client.get("/admin/themed-days").get_data(as_text=True)

    assert "全国科普日" in page and "中国水周" in page


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "venue_manager", "district_admin"])
def test_only_the_city_admin_may_set_themed_day_dates(client, auth, role):
    themed_day_id = _science_day_id()
    auth.login(factories.user(role).email)

    assert client.get("/admin/themed-days").status_code == 403
    assert client.get(f"/admin/themed-days/{themed_day_id}").status_code == 403
    response = client.post(f"/admin/themed-days/{themed_day_id}",
                           data={"year": "2026", "starts_on": "2026-09-12", "ends_on": "2026-09-18"})
    assert response.status_code == 403
    assert _stored_years() == {2022, 2023, 2025}  # nothing saved


def test_the_themed_days_page_needs_a_signed_in_user(client):
    response = client.get("/admin/themed-days")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_themed_day_is_404(client, auth):
    auth.login(factories.user("city_admin").email)
    assert client.get("/admin/themed-days/999999").status_code == 404


# --- the rule in both languages ----------------------------------------------------------------

# The rule of each themed day in words, as the file describes it in English and in Chinese.
RULES_IN_WORDS = {
    "national_science_day": ("third weekend of September", "每年九月第三个周末"),
    "science_week": ("third week of May", "每年五月第三周"),
    "food_safety_week": ("State Council food safety office", "国务院食品安全办"),
    "china_water_week": ("03-22..03-28", "每年3月22日至28日"),
}


def test_every_themed_day_of_the_file_has_its_rule_in_chinese(app):
    _load()

    assert all(day.rule_zh and day.rule_en for day in db.session.scalars(select(ThemedDay)))


def test_the_chinese_themed_days_page_gives_each_rule_in_chinese(client, auth):
    _load()
    auth.login(factories.user("city_admin").email)

    page = client.get("/admin/themed-days?lang=zh").get_data(as_text=True)

    for english, chinese in RULES_IN_WORDS.values():
        assert chinese in page and english not in page


def test_the_english_themed_days_page_gives_each_rule_in_english(client, auth):
    _load()
    auth.login(factories.user("city_admin").email)

    page = client.get("/admin/themed-days?lang=en").get_data(as_text=True)

    for english, chinese in RULES_IN_WORDS.values():
        assert english in page and chinese not in page


@pytest.mark.parametrize("key", RULES_IN_WORDS)
def test_a_themed_days_page_gives_its_rule_in_the_chosen_language(client, auth, key):
    _load()
    themed_day_id = themed_day_by_key(key).id
    auth.login(factories.user("city_admin").email)
    english, chinese = RULES_IN_WORDS[key]

    in_chinese = client.get(f"/admin/themed-days/{themed_day_id}?lang=zh").get_data(as_text=True)
    in_english = client.get(f"/admin/themed-days/{themed_day_id}?lang=en").get_data(as_text=True)

    assert chinese in in_chinese and english not in in_chinese
    assert english in in_english and chinese not in in_english


def test_a_rule_with_no_chinese_wording_shows_the_english_marked_as_english(client, auth):
    _load()
    themed_day = themed_day_by_key("science_week")
    themed_day.rule_zh = ""
    db.session.commit()
    auth.login(factories.user("city_admin").email)

    page = client.get(f"/admin/themed-days/{themed_day.id}?lang=zh").get_data(as_text=True)

    assert '<span lang="en">third week of May (dates announced each year)</span>' in page


def test_themed_days_loaded_before_the_chinese_rules_get_them_on_upgrade(tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision="2b8486949f44")  # the schema before rule_zh
            with db.engine.begin() as conn:
                for key, rule in (("science_week", "third week of May (dates announced each year)"),
                                  ("a_local_day", "first Sunday of June")):
                    conn.execute(sa.text(
                        "insert into themed_days (key, name_zh, name_en, rule_kind, rule, note, created_at) "
                        "values (:key, '测试', 'Test', 'yearly_table', :rule, '', '2026-01-01 00:00:00')"),
                        {"key": key, "rule": rule})
            upgrade()
            with db.engine.connect() as conn:
                rules = dict(conn.execute(sa.text("select key, rule_zh from themed_days")).all())
            assert rules == {"science_week": "每年五月第三周（具体日期每年公布）", "a_local_day": ""}
            downgrade(revision="2b8486949f44")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_the_note_reads_in_the_interface_language(client, auth):
    _load()
    themed_day = themed_day_by_key("china_water_week")
    auth.login(factories.user("city_admin").email)

    in_chinese = client.get(f"/admin/themed-days/{themed_day.id}?lang=zh").get_data(as_text=True)
    in_english = client.get(f"/admin/themed-days/{themed_day.id}?lang=en").get_data(as_text=True)

    assert "<dd><span>始于1994年</span></dd>" in in_chinese and "since 1994" not in in_chinese
    assert "<dd><span>since 1994</span></dd>" in in_english and "始于1994年" not in in_english


def test_themed_days_loaded_before_the_chinese_notes_get_them_on_upgrade(tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision="df4a7a969ea3")  # the schema before note_zh
            with db.engine.begin() as conn:
                for key, note in (("china_water_week", "since 1994"), ("a_local_day", "a note")):
                    conn.execute(sa.text(
                        "insert into themed_days (key, name_zh, name_en, rule_kind, rule, rule_zh, note, created_at) "
                        "values (:key, '测试', 'Test', 'yearly_table', '', '', :note, '2026-01-01 00:00:00')"),
                        {"key": key, "note": note})
            upgrade()
            with db.engine.connect() as conn:
                notes = dict(conn.execute(sa.text("select key, note_zh from themed_days")).all())
            assert notes == {"china_water_week": "始于1994年", "a_local_day": ""}
            downgrade(revision="df4a7a969ea3")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_national_science_popularization_day_loaded_before_gets_its_standing_dates_on_upgrade(tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision="f2093500897f")  # the schema before standing dates
            with db.engine.begin() as conn:
                for key in ("national_science_day", "science_week"):
                    conn.execute(sa.text(
                        "insert into themed_days (key, name_zh, name_en, rule_kind, rule, rule_zh, note, note_zh, "
                        "created_at) values (:key, '测试', 'Test', 'yearly_table', '', '', '', '', "
                        "'2026-01-01 00:00:00')"), {"key": key})
            upgrade(revision="a4c9e2f7b1d3")
            with db.engine.connect() as conn:
                standing = dict(conn.execute(sa.text("select key, standing from themed_days")).all())
            assert standing == {"national_science_day": "2025:09-01..09-30", "science_week": ""}
            assert dates_in(themed_day_by_key("national_science_day"), 2027).ends_on == date(2027, 9, 30)
            db.session.remove()
            downgrade(revision="f2093500897f")
            db.engine.dispose()
    finally:
        drop()
