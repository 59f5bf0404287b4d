"""``flask seed-demo``: the real Nanjing venues, demo schools and the demo accounts, loaded once."""
import csv

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.demo.seed import VENUES_CSV, parse_note
from app.extensions import db
from app.schools.models import School
from app.venues.models import Accreditation, Venue, VenueStatus, VenueStatusChange, VenueTheme
from tests import factories
from tests.conftest import make_config

DEMO_EMAILS = ["admin@scivisit.local", "district@scivisit.local", "manager@scivisit.local",
               "staff@scivisit.local", "teacher@scivisit.local", "citizen@scivisit.local"]


def csv_rows() -> list[dict]:
    with VENUES_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def seed(app, *args):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def venue_named(name_zh: str) -> Venue:
    return db.session.scalar(select(Venue).where(Venue.name_zh == name_zh))


def test_every_demo_account_logs_in_with_the_demo_password(app, client):
    seed(app)
    for email in DEMO_EMAILS:
        response = client.post("/login", data={"email": email, "password": "scivisit-demo"})
        assert response.status_code == 302, email
        client.post("/logout")


def test_demo_accounts_hold_the_roles_product_md_gives_them(app):
    seed(app)
    users = {u.email: u for u in db.session.scalars(select(User))}
    museum = venue_named("南京科技馆")
    assert users["admin@scivisit.local"].role.value == "city_admin"
    assert (users["district@scivisit.local"].role.value, users["district@scivisit.local"].district_code) == (
        "district_admin", "320102")
    assert (users["manager@scivisit.local"].role.value, users["manager@scivisit.local"].venue_id) == (
        "venue_manager", museum.id)
    assert (users["staff@scivisit.local"].role.value, users["staff@scivisit.local"].venue_id) == (
        "venue_staff", museum.id)
    assert users["citizen@scivisit.local"].role.value == "citizen"


def test_demo_teacher_is_verified_at_a_demo_primary_school(app):
    seed(app)
    teacher = db.session.scalar(select(User).where(User.email == "teacher@scivisit.local"))
    assert teacher.is_verified_teacher
    assert teacher.school.kind.value == "primary"
    assert "演示" in teacher.school.name_zh


def test_every_venue_of_the_file_is_loaded_as_approved(app):
    seed(app)
    names = {row["name_zh"] for row in csv_rows()}
    venues = list(db.session.scalars(select(Venue)))
    assert len(venues) == len(csv_rows())
    assert {v.name_zh for v in venues} == names
    assert {v.status for v in venues} == {VenueStatus.APPROVED}


def test_each_approval_is_recorded_as_a_status_change(app):
    seed(app)
    changes = list(db.session.scalars(select(VenueStatusChange)))
    assert len(changes) == len(csv_rows())
    assert {c.to_status for c in changes} == {VenueStatus.APPROVED}
    assert all(c.actor.email == "admin@scivisit.local" for c in changes)


def test_uncertain_rows_carry_an_unverified_note_and_certain_rows_none(app):
    seed(app)
    for row in csv_rows():
        venue = venue_named(row["name_zh"])
        if row["verified"] == "uncertain":
            assert venue.unverified_note and venue.unverified_facts, row["name_zh"]
        else:
            assert venue.unverified_note == "", row["name_zh"]
    # What the note calls uncertain; its other remarks are not about that; else its district or type.
    assert venue_named("南京国防园").unverified_note == "district"
    assert venue_named("江苏省科学技术馆").unverified_note == "district"  # "...; building about 13586 m2"
    assert venue_named("南京信息工程大学气象科普馆").unverified_note == "existence; name"
    assert venue_named("东南大学吴健雄纪念馆").unverified_note == "district_or_type"  # "Sipailou campus"


def test_the_source_datas_english_notes_stay_off_chinese_pages_and_out_of_descriptions(app, client):
    seed(app)
    uncertain, museum = venue_named("南京国防园"), venue_named("南京科技馆")
    chinese = client.get(f"/venues/{uncertain.id}?lang=zh").get_data(as_text=True)
    assert "<strong>尚未核实：</strong> 所在区。" in chinese and "district" not in chinese
    english = client.get(f"/venues/{uncertain.id}?lang=en").get_data(as_text=True)
    assert "<strong>Not yet verified:</strong> its district." in english
    assert museum.description_en == ""  # "about 10k visitors a day…" is a remark, not a description


def test_nanjing_science_museum_is_in_yuhuatai_and_closed_monday_and_tuesday(app):
    seed(app)
    museum = venue_named("南京科技馆")
    assert museum.district_code == "320114"
    assert museum.closed_weekdays == "1,2"
    assert museum.address_zh == "紫荆花路9号"
    assert museum.theme_names == ["general science", "public safety education"]
    assert museum.latitude is None and museum.longitude is None


def test_accreditations_are_loaded_with_a_demo_certificate_and_a_validity_period(app):
    seed(app)
    levels = {row["name_zh"]: row["accreditation"] for row in csv_rows() if row["accreditation"]}
    accreditations = list(db.session.scalars(select(Accreditation)))
    assert {a.venue.name_zh: a.level.value for a in accreditations} == levels
    for accreditation in accreditations:
        assert accreditation.certificate_no.startswith(f"DEMO-{accreditation.level.value}-")
        assert accreditation.valid_from < accreditation.valid_to


def test_only_street_addresses_in_the_note_become_addresses(app):
    seed(app)
    assert venue_named("南京地质博物馆").address_zh == "珠江路700号"
    assert venue_named("南京古生物博物馆").address_zh == ""
    assert all(v.address_zh in ("", "紫荆花路9号", "珠江路700号") for v in db.session.scalars(select(Venue)))


def test_demo_schools_span_several_districts_and_kinds(app):
    seed(app)
    schools = list(db.session.scalars(select(School)))
    assert len(schools) >= 8
    assert len({s.district_code for s in schools}) >= 5
    assert len({s.kind for s in schools}) >= 4
    assert all("演示" in s.name_zh for s in schools)


def test_running_it_twice_creates_nothing_more(app):
    seed(app)
    before = {model: count(model) for model in (Venue, VenueTheme, Accreditation, VenueStatusChange, School, User)}
    second = seed(app)
    assert {model: count(model) for model in before} == before
    assert "created 0 rows" in second.output


def test_it_ends_with_a_one_line_summary(app):
    result = seed(app)
    assert result.output.strip().splitlines()[-1].startswith(
        f"Demo ready: {len(csv_rows())} venues, 10 schools, 6 accounts (created ")


def test_if_empty_skips_when_any_venue_exists(app):
    factories.venue(name_zh="已有场馆")
    seed(app, "--if-empty")
    assert count(Venue) == 1
    assert count(User) == 0


def test_if_empty_loads_the_demo_into_an_empty_database(app):
    seed(app, "--if-empty")
    assert count(Venue) == len(csv_rows())


def test_it_refuses_to_run_where_demo_data_is_switched_off(database_url, _migrated):
    production_like = create_app(make_config(database_url, SEED_DEMO=False))
    result = production_like.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "SEED_DEMO" in result.output
    with production_like.app_context():
        assert count(User) == 0
        assert count(Venue) == 0
        db.engine.dispose()


@pytest.mark.parametrize("note, address, closed, remarks", [
    ("紫荆花路9号; closed Monday and Tuesday; about 10k visitors a day", "紫荆花路9号", "1,2",
     "about 10k visitors a day"),
    ("珠江路700号", "珠江路700号", "", ""),
    ("Chinese Academy of Sciences", "", "", "Chinese Academy of Sciences"),
    ("run by the institute near Jiming Temple; free admission", "", "",
     "run by the institute near Jiming Temple; free admission"),
    ("", "", "", ""),
])
def test_the_note_is_taken_apart_into_address_closing_days_and_remarks(note, address, closed, remarks):
    facts = parse_note(note)
    assert (facts.address, facts.closed_weekdays, facts.remarks) == (address, closed, remarks)


def test_the_science_museum_has_two_partner_schools_for_this_school_year(app, client):
    from app.bookings.models import Partnership
    from app.core.time import local_today
    from app.demo.seed import school_year_of

    seed(app)
    seed(app)  # idempotent: still two
    museum = venue_named("南京科技馆")
    agreements = db.session.scalars(select(Partnership).where(Partnership.venue_id == museum.id)).all()
    assert len(agreements) == 2
    assert {(a.valid_from, a.valid_to) for a in agreements} == {school_year_of(local_today())}
    teacher = db.session.scalar(select(User).where(User.email == "teacher@scivisit.local"))
    assert teacher.school_id not in {a.school_id for a in agreements}
    client.post("/login", data={"email": "manager@scivisit.local", "password": "scivisit-demo"})
    page = client.get("/manage/partners", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Gulou Model Primary School (demo)" in page.text or "南京市鼓楼区示范小学" in page.text


@pytest.mark.parametrize("day, year", [("2026-09-01", (2026, 2027)), ("2026-08-31", (2025, 2026)),
                                       ("2027-01-15", (2026, 2027))])
def test_the_school_year_runs_from_september_to_august(day, year):
    from datetime import date

    from app.demo.seed import school_year_of

    start, end = school_year_of(date.fromisoformat(day))
    assert (start, end) == (date(year[0], 9, 1), date(year[1], 8, 31))
