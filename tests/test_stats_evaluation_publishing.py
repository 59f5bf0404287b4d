"""Publishing the yearly performance review (年度绩效考评): once a year is over, the city admin publishes
its evaluation after a confirmation page that shows what will be published. Each venue's score, points
per indicator, rank and the weights used are frozen as published, whatever the statistics do later; the
venue's managers are emailed their result in their language. Until then every view is live and
provisional. When the live figures come to differ, the city admin is told and may publish a correction:
a new version, mailed again to the venues whose result changed, the earlier versions kept."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.core.time import LOCAL_TZ, from_local
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.stats import publication, rebuild
from app.stats.models import EvaluationPublication, PublishedResult
from app.venues.models import VenueStatus
from tests import factories
from tests.races import race

TODAY = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)  # 2025 is over, 2026 under way
YEAR = 2025
A_EN, B_EN = "Published Hall A", "Published Hall B"


def _open_day(venue, day: date, persons: int) -> None:
    factories.slot(venue, day=day)
    factories.walk_in(venue, persons=persons, when=from_local(datetime.combine(day, time(10))))


def _manager(venue, locale: str | None):
    person = factories.user(Role.VENUE_MANAGER, venue=venue)
    person.locale = locale
    db.session.commit()
    return person


@pytest.fixture
def world(app, client, auth):
    """Venue A (玄武区) open two days of 2025 with 5 walk-ins each, venue B (鼓楼区) one day with 3; A has a
    manager who reads Chinese and one who reads English, B one who reads English."""
    with time_machine.travel(TODAY, tick=True):
        a = factories.venue(name_zh="发布考评甲馆", name_en=A_EN, district_code=factories.XUANWU)
        b = factories.venue(name_zh="发布考评乙馆", name_en=B_EN, district_code=factories.GULOU)
        _open_day(a, date(YEAR, 3, 10), 5)
        _open_day(a, date(YEAR, 4, 10), 5)
        _open_day(b, date(YEAR, 3, 10), 3)
        rebuild.rebuild_all()
        db.session.commit()
        built = {"a": a, "b": b, "a_zh": _manager(a, "zh"), "a_en": _manager(a, "en"), "b_en": _manager(b, "en"),
                 "city": factories.user(Role.CITY_ADMIN, name="Wang Shi")}
        auth.login(built["city"].email)
        yield built


def publish(client, year: int = YEAR, version: int = 1):
    return client.post(f"/admin/evaluation/{year}/publish?lang=en", data={"version": str(version)})


def page(client, path: str) -> str:
    response = client.get(f"{path}{'&' if '?' in path else '?'}lang=en")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def late_check_ins(venue) -> None:
    """A gate that was offline uploads 2025's last visits in 2026; the nightly job rebuilds."""
    _open_day(venue, date(YEAR, 5, 10), 40)
    rebuild.rebuild_all()
    db.session.commit()


def mails(person) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email)
                                   .order_by(OutboxMessage.id)))


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def venue_row(text: str, name: str) -> str:
    return next(r for r in text.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr") if name in r)


def publications() -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationPublication))


# --- publishing -------------------------------------------------------------------------------------

def test_the_confirmation_page_shows_what_will_be_published(client, world):
    assert 'href="/admin/evaluation/2025/publish"' in page(client, "/admin/evaluation?year=2025")
    text = page(client, "/admin/evaluation/2025/publish")
    assert "2 venues" in text
    assert re.search(r"Visits</th>\s*<td[^>]*>25</td>", text)  # the default weights, each shown
    assert 'name="version" type="hidden" value="1"' in text
    assert publications() == 0  # looking publishes nothing


def test_the_city_admin_publishes_a_year_that_is_over(client, world):
    live = page(client, "/admin/evaluation?year=2025")
    response = publish(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/evaluation?year=2025")
    shown = page(client, "/admin/evaluation?year=2025")
    assert "The evaluation of 2025 is published" in shown
    assert "Published on Jun 15, 2026" in shown and "Wang Shi" in shown
    assert re.search(r"<strong>[\d.]+</strong>", venue_row(shown, A_EN)).group(0) == \
        re.search(r"<strong>[\d.]+</strong>", venue_row(live, A_EN)).group(0)
    publication = db.session.scalars(select(EvaluationPublication)).one()
    assert (publication.year, publication.version, publication.published_by_id) == (YEAR, 1, world["city"].id)
    assert {w.indicator: float(w.weight) for w in publication.weights} == \
        {"open_days": 25.0, "visits": 25.0, "free_visits": 20.0, "school_groups": 20.0, "events": 10.0}
    results = {r.venue_id: r for r in publication.results}
    assert set(results) == {world["a"].id, world["b"].id}
    a, b = results[world["a"].id], results[world["b"].id]
    assert a.rank == 1 and b.rank == 1 and a.score == b.score  # the same tiers: a tie shares the rank
    assert {p.indicator: (p.value, p.points) for p in a.points}["visits"] == (10, 25)
    assert a.district_code == factories.XUANWU and b.district_code == factories.GULOU


def test_a_year_not_over_cannot_be_published(client, world):
    response = client.get("/admin/evaluation/2026/publish?lang=en")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/evaluation?year=2026")
    refused = publish(client, 2026)
    assert refused.status_code == 302
    text = page(client, "/admin/evaluation?year=2026")
    assert "2026 is not over yet: its review can be published from Jan 1, 2027." in text
    assert 'href="/admin/evaluation/2026/publish"' not in text
    assert publications() == 0 and mails(world["a_en"]) == []
    assert client.get("/admin/evaluation/2027/publish").status_code == 404


def test_publishing_twice_from_the_same_page_publishes_once(client, world):
    assert publish(client).status_code == 302
    again = publish(client)  # a double click, or a second tab
    assert again.status_code == 302
    assert "2025 was published meanwhile" in page(client, "/admin/evaluation?year=2025")
    assert publications() == 1 and len(mails(world["a_en"])) == 1


def test_the_publish_form_needs_its_csrf_token(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    assert publish(client).status_code == 400
    assert publications() == 0


# --- frozen ------------------------------------------------------------------------------------------

def test_published_figures_stay_as_published_after_late_check_ins(client, auth, world):
    publish(client)
    late_check_ins(world["a"])  # visits 10 → 50: the same tier, other figures
    city = page(client, "/admin/evaluation?year=2025")
    assert "10 <span" in venue_row(city, A_EN)
    assert "The live figures of 2025 now differ from those published on Jun 15, 2026: 1 venue" in city
    rows = csv_rows(client.get("/admin/evaluation.csv?year=2025"))
    assert {r["venue_en"]: r["visits"] for r in rows} == {A_EN: "10", B_EN: "3"}
    assert rows[0]["status"] == "published" and rows[0]["published_on"] == "2026-06-15" and rows[0]["version"] == "1"
    auth.logout()
    auth.login(world["a_en"].email)
    mine = page(client, "/manage/evaluation/2025")
    assert "Published on Jun 15, 2026" in mine and "Provisional" not in mine
    visits = next(r for r in mine.split("<tbody>", 1)[1].split("<tr") if ">Visits<" in r)
    assert '<td class="num">10</td>' in visits
    assert "Rank 1 of 2" in mine


# --- mail ----------------------------------------------------------------------------------------------

def test_each_venues_managers_are_mailed_their_result_in_their_language(client, world):
    publish(client)
    [english] = mails(world["a_en"])
    assert english.kind == "evaluation_published"
    assert english.subject == f"Yearly performance review 2025 published: {A_EN}"
    assert "of 100" in english.body and "rank 1 of 2 venues in the city" in english.body
    assert "Visits: 10 (25 points, weight 25)" in english.body
    assert "/manage/evaluation/2025" in english.body
    assert B_EN not in english.body
    [chinese] = mails(world["a_zh"])
    assert "发布考评甲馆" in chinese.subject and "2025年度绩效考评" in chinese.subject
    assert "您好" in chinese.body and "/manage/evaluation/2025" in chinese.body and "Visits" not in chinese.body
    [other] = mails(world["b_en"])
    assert B_EN in other.subject and A_EN not in other.body


# --- a correction ---------------------------------------------------------------------------------------

def test_a_correction_is_a_new_version_mailed_to_the_venues_it_changes(client, auth, world):
    publish(client)
    late_check_ins(world["a"])
    confirm = page(client, "/admin/evaluation/2025/publish")
    assert "correction" in confirm and 'value="2"' in confirm and "1 venue" in confirm
    assert publish(client, version=2).status_code == 302
    city = page(client, "/admin/evaluation?year=2025")
    assert "50 <span" in venue_row(city, A_EN) and "now differ" not in city
    assert "Version 1" in city and "Version 2" in city  # the history of versions
    assert [m.kind for m in mails(world["a_en"])] == ["evaluation_published", "evaluation_corrected"]
    assert "corrected" in mails(world["a_en"])[1].subject
    assert len(mails(world["b_en"])) == 1  # B's result did not change: no second mail
    first = csv_rows(client.get("/admin/evaluation.csv?year=2025&version=1"))
    assert {r["venue_en"]: r["visits"] for r in first} == {A_EN: "10", B_EN: "3"}
    assert client.get("/admin/evaluation.csv?year=2025&version=9").status_code == 404
    assert client.get("/admin/evaluation.csv?year=2025&version=x").status_code == 400
    auth.logout()
    auth.login(world["a_en"].email)
    mine = page(client, "/manage/evaluation/2025")
    assert "Published on Jun 15, 2026" in mine and "a correction (version 2); first published on Jun 15, 2026" in mine
    assert db.session.scalar(select(func.count()).select_from(PublishedResult)) == 4  # both versions kept


def test_a_venue_dropped_from_a_correction_is_told_in_its_managers_language(client, world):
    b_zh = _manager(world["b"], "zh")
    publish(client)
    world["b"].status = VenueStatus.REJECTED  # the register is corrected: B's approval had been entered in error
    db.session.commit()
    assert "1 venue's result changes" in page(client, "/admin/evaluation/2025/publish")
    assert publish(client, version=2).status_code == 302
    city = page(client, "/admin/evaluation?year=2025")
    assert "the managers of the 1 venue whose result it changes are told" in city
    assert B_EN not in city.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert len(mails(world["a_en"])) == 1  # A's result did not change
    first, english = mails(world["b_en"])
    assert first.kind == "evaluation_published" and english.kind == "evaluation_withdrawn"
    assert english.subject == f"Yearly performance review 2025 corrected: {B_EN} no longer appears in it"
    assert "version 2" in english.body and "version 1" in english.body
    assert f"the register no longer counts {B_EN} as registered in 2025 (its registration is now “Rejected”)" \
        in english.body
    assert "/manage/evaluation/2025" in english.body and A_EN not in english.body
    [chinese] = [m for m in mails(b_zh) if m.kind == "evaluation_withdrawn"]
    assert "发布考评乙馆" in chinese.subject and B_EN not in chinese.subject
    assert "您好" in chinese.body and "已退回" in chinese.body


def test_a_venue_renamed_after_publication_stays_named_as_published(client, auth, world):
    publish(client)
    world["a"].name_zh, world["a"].name_en = "改名后的甲馆", "Renamed Hall A"
    db.session.commit()
    city = page(client, "/admin/evaluation?year=2025")
    assert A_EN in venue_row(city, "10 <span") and "Renamed Hall A" not in city
    rows = csv_rows(client.get("/admin/evaluation.csv?year=2025"))
    assert {(r["venue"], r["venue_en"]) for r in rows} == {("发布考评甲馆", A_EN), ("发布考评乙馆", B_EN)}
    late_check_ins(world["a"])
    assert publish(client, version=2).status_code == 302  # a correction publishes the names of its day
    assert "Renamed Hall A" in venue_row(page(client, "/admin/evaluation?year=2025"), "50 <span")
    assert {r["venue_en"] for r in csv_rows(client.get("/admin/evaluation.csv?year=2025&version=1"))} == {A_EN, B_EN}
    assert {r["venue"] for r in csv_rows(client.get("/admin/evaluation.csv?year=2025&version=2"))} == \
        {"改名后的甲馆", "发布考评乙馆"}
    auth.logout()
    auth.login(world["a_en"].email)
    world["a"].name_en = "Renamed Again"
    db.session.commit()
    mine = page(client, "/manage/evaluation/2025")
    assert "Renamed Hall A" in mine and "Renamed Again" not in mine.split("<main", 1)[1]


def test_two_admins_publishing_at_once_publish_one_version(app, world, is_postgres):
    if not is_postgres:  # SQLite lets one writer in at a time: the second is answered "try again" (503)
        pytest.skip("two publications of one year at once need PostgreSQL (set TEST_DATABASE_URL)")
    admins = [world["city"].id, factories.user(Role.CITY_ADMIN).id]

    def publish_as(admin_id, version):
        return lambda: publication.publish_evaluation(db.session.get(User, admin_id), YEAR, version)[0].version

    assert sorted(race(app, [publish_as(a, 1) for a in admins]), key=str) == [1, "published_meanwhile"]
    assert publications() == 1 and len(mails(world["a_en"])) == 1 and len(mails(world["b_en"])) == 1
    late_check_ins(world["a"])
    assert sorted(race(app, [publish_as(a, 2) for a in admins]), key=str) == [2, "published_meanwhile"]
    assert publications() == 2 and len(mails(world["a_en"])) == 2 and len(mails(world["b_en"])) == 1
    assert db.session.scalar(select(func.count()).select_from(PublishedResult)) == 4


def test_publishing_again_without_a_change_is_refused(client, world):
    publish(client)
    assert publish(client, version=2).status_code == 302
    assert "Nothing has changed since version 1" in page(client, "/admin/evaluation?year=2025")
    assert publications() == 1


# --- before publication -----------------------------------------------------------------------------------

def test_before_publication_every_view_is_live_and_provisional(client, auth, world):
    rows = csv_rows(client.get("/admin/evaluation.csv?year=2025"))
    assert {r["status"] for r in rows} == {"provisional"} and {r["published_on"] for r in rows} == {""}
    late_check_ins(world["a"])
    assert {r["venue_en"]: r["visits"] for r in csv_rows(client.get("/admin/evaluation.csv?year=2025"))}[A_EN] == "50"
    auth.logout()
    auth.login(world["a_en"].email)
    mine = page(client, "/manage/evaluation/2025")
    assert "Provisional" in mine and "not published its yearly performance review yet" in mine
    assert "Published on" not in mine


# --- who ---------------------------------------------------------------------------------------------

def test_only_the_city_admin_publishes(client, auth, world):
    auth.logout()
    for person in (factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU), world["a_en"]):
        auth.login(person.email)
        assert client.get("/admin/evaluation/2025/publish").status_code == 403
        assert publish(client).status_code == 403
        auth.logout()
    assert publications() == 0


def test_a_district_admin_reads_their_districts_published_figures(client, auth, world):
    publish(client)
    late_check_ins(world["a"])
    auth.logout()
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=factories.XUANWU).email)
    text = page(client, "/admin/evaluation?year=2025")
    assert "Published on Jun 15, 2026" in text and "10 <span" in venue_row(text, A_EN)
    assert B_EN not in text and "now differ" not in text and "/publish" not in text
    rows = csv_rows(client.get(f"/admin/evaluation.csv?year=2025&district={factories.GULOU}"))
    assert [(r["venue_en"], r["visits"], r["status"]) for r in rows] == [(A_EN, "10", "published")]
