"""The work the hot paths do, counted rather than timed (a shared machine's timings say little):
the SQL statements of a gate's scan and of the venue directory, and how long a worker may keep
believing a bearer token it has looked up (docs/performance.md)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.accounts import tokens
from app.accounts.models import ApiToken, Role
from app.bookings.models import Booking, BookingStatus
from app.checkin import services as checkin_services
from app.checkin import tickets
from app.checkin.models import CheckIn, CheckInResult
from app.core.time import utcnow
from app.extensions import db
from app.stats import rebuild
from app.stats.models import VenueDailyStats
from tests import factories


@contextmanager
def executed(keep):
    """What ``keep(statement, parameters)`` says of each SQL statement run meanwhile, in order
    (``None``: nothing)."""
    seen: list = []

    def record(conn, cursor, statement, parameters, context, executemany):
        kept = keep(statement, parameters)
        if kept is not None:
            seen.append(kept)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def statements():
    """The SQL statements run meanwhile (their first words), in order."""
    return executed(lambda statement, _parameters: " ".join(statement.split()[:3]).lower())


def _scan(client, secret: str, code_or_booking, nonce: str):
    code = code_or_booking if isinstance(code_or_booking, str) else tickets.code_for_booking(code_or_booking)
    return client.post("/api/v1/checkins", json={"code": code, "nonce": nonce},
                       headers={"Authorization": f"Bearer {secret}"})


def test_a_gate_scan_is_one_statement_on_postgresql_and_three_on_sqlite(client):
    """On PostgreSQL the claim and the admission are one statement (``statements._claim_and_admit``)
    and the count (the upsert of the venue's day, a row every gate of the venue writes) is sent with
    the COMMIT, in the same round trip (``app/core/pg.py``): SQLAlchemy sees one statement; the
    day's row shows the visit all the same."""
    slot = factories.slot_at(capacity=10)
    first, second = factories.confirmed_visit(slot), factories.confirmed_visit(slot)
    secret = factories.gate_token(slot.venue)
    assert _scan(client, secret, first, "n1").get_json()["result"] == "ok"  # reads the token
    code = tickets.code_for_booking(second)
    with statements() as seen:
        response = _scan(client, secret, code, "n2")
    assert response.get_json()["result"] == "ok"
    if db.engine.dialect.name == "postgresql":
        assert seen == ["with claimed as"], seen
    else:
        assert seen == ["update bookings set", "insert into checkins", "insert into venue_daily_stats"], seen
    day = db.session.get(VenueDailyStats, (slot.venue_id, slot.local_date))
    db.session.refresh(day)
    assert day.visits == first.seats + second.seats


def test_a_scan_counts_a_class_and_a_party_as_booked_whichever_path_admits_it(client):
    """With no headcount, PostgreSQL admits through one statement that counts the party itself (in
    SQL); a gate confirming a headcount takes the two statements. Both count what
    ``admitted_headcount`` says: a party's seats; a class's students and adults."""
    slot = factories.slot_at(capacity=100)
    secret = factories.gate_token(slot.venue)
    party = factories.confirmed_visit(slot, party_size=3)
    school_class = factories.confirmed_visit(slot, factories.user(Role.TEACHER), students=25, adults=3)
    for booking, nonce in ((party, "p"), (school_class, "c")):
        with statements() as seen:
            assert _scan(client, secret, booking, nonce).get_json()["result"] == "ok"
        one_statement = db.engine.dialect.name == "postgresql"
        assert ("with claimed as" in seen, "update bookings set" in seen) == (one_statement, not one_statement)
    admissions = {row.booking_id: (row.persons, row.students, row.adults)
                  for row in db.session.execute(select(CheckIn).where(CheckIn.result == CheckInResult.OK)).scalars()}
    assert admissions == {party.id: (3, None, None), school_class.id: (28, 25, 3)}
    day = db.session.get(VenueDailyStats, (slot.venue_id, slot.local_date))
    db.session.refresh(day)
    assert (day.visits, day.school_students) == (31, 25)


def test_a_nonce_used_before_for_another_ticket_takes_the_claim_back(client):
    """A gate that sends a nonce again with another ticket is refused (nonce_reused); the second
    ticket, claimed by the one-statement admission before the nonce clashed, is released in the
    same transaction and stays valid."""
    slot = factories.slot_at(capacity=10)
    secret = factories.gate_token(slot.venue)
    first, second = factories.confirmed_visit(slot), factories.confirmed_visit(slot)
    assert _scan(client, secret, first, "reused").get_json()["result"] == "ok"
    again = _scan(client, secret, second, "reused")
    assert (again.status_code, again.get_json()["error"]) == (409, "nonce_reused")
    db.session.expire_all()
    assert db.session.get(Booking, second.id).status == BookingStatus.CONFIRMED
    assert _scan(client, secret, second, "fresh").get_json()["result"] == "ok"
    assert db.session.scalar(select(sa.func.count(CheckIn.id))) == 2


def test_a_count_sent_with_the_commit_still_runs_before_anything_after_it(app):
    """Deferred to the COMMIT, the count still runs in order: a later statement of the same
    transaction sees it (a rebuild after check-ins, as the demo does, does not count them twice),
    and a rollback takes it back with the rest."""
    slot = factories.slot_at(capacity=10)
    staff = factories.gate_staff(slot.venue)
    key = (slot.venue_id, slot.local_date)
    checkin_services.record_check_in(staff, factories.confirmed_visit(slot, party_size=2).reference)
    visits = select(VenueDailyStats.visits).where(VenueDailyStats.venue_id == key[0], VenueDailyStats.day == key[1])
    assert db.session.scalar(visits) == 2  # not yet committed: the count ran before this SELECT
    rebuild.rebuild_all()
    db.session.commit()
    assert db.session.scalar(visits) == 2  # counted once, not again at the COMMIT
    checkin_services.record_check_in(staff, factories.confirmed_visit(slot, party_size=3).reference)
    db.session.rollback()
    assert db.session.scalar(visits) == 2
    checkin_services.record_check_in(staff, factories.confirmed_visit(slot, party_size=4).reference)
    db.session.commit()
    assert db.session.scalar(visits) == 6


def test_a_booking_for_a_full_slot_is_refused_in_four_statements(client):
    """At 9:00 on a popular day most attempts are for places already gone: the person's token (its
    first use noted on a connection of its own), the slot with its venue and the venue's booking
    rules in one statement, and whether they already hold a booking there. No rules row of its own
    (a venue that never changed its rules has none), no row lock on the slot."""
    slot = factories.slot(capacity=1)
    factories.user_token(factories.user("citizen"))  # someone else's token: not this one's statements
    slot.taken, slot_id = 1, slot.id
    db.session.commit()
    headers = {"Authorization": f"Bearer {factories.user_token(factories.user('citizen'))}"}
    db.session.expunge_all()  # as a worker's request starts: nothing loaded yet
    with statements() as seen:
        response = client.post("/api/v1/bookings", json={"slot_id": slot_id, "party_size": 1}, headers=headers)
    assert (response.status_code, response.get_json()["error"]) == (409, "slot_full")
    assert seen == ["select api_tokens.id, api_tokens.token_hash,", "update api_tokens set",
                    "select slots.id, slots.venue_id,", "select bookings.id from"], seen
    db.session.expunge_all()
    with statements() as seen:
        client.post("/api/v1/bookings", json={"slot_id": slot_id, "party_size": 1}, headers=headers)
    # The token is remembered by the worker now, its use noted: the person is still read (by key).
    assert seen == ["select users.id, users.email,", "select slots.id, slots.venue_id,",
                    "select bookings.id from"], seen


def test_statements_stay_prepared_across_rollbacks_on_postgresql(app):
    """psycopg forgets a connection's prepared statements on every rollback, and every request that
    writes nothing ends in one: PostgreSQL would plan their statements anew each time
    (``app/core/pg.py``). Here the sixth run of a statement, each in a transaction rolled back, is
    prepared on the server."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    query = select(ApiToken.id).where(ApiToken.token_hash == sa.bindparam("digest"))
    with db.engine.connect() as connection:
        for n in range(6):
            connection.execute(query, {"digest": f"nothing-{n}"}).all()
            connection.rollback()
        prepared = connection.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("api_tokens" in statement for statement in prepared), prepared


def test_a_revoked_gate_device_is_refused_at_once_by_the_worker_that_revoked_it(client, auth):
    slot = factories.slot_at(capacity=10)
    booking = factories.confirmed_visit(slot)
    secret = factories.gate_token(slot.venue)
    assert _scan(client, secret, booking, "n1").status_code == 200  # now remembered by this worker
    token_id = db.session.scalar(select(ApiToken.id))
    auth.login(factories.user("venue_manager", venue=slot.venue).email)
    assert client.post(f"/manage/gates/{token_id}/revoke").status_code == 302
    auth.logout()
    assert _scan(client, secret, booking, "n2").status_code == 401


def test_a_gate_device_revoked_elsewhere_is_refused_within_the_cache_time(client, app, monkeypatch):
    slot = factories.slot_at(capacity=10)
    booking = factories.confirmed_visit(slot)
    secret = factories.gate_token(slot.venue)
    assert _scan(client, secret, booking, "n1").status_code == 200
    # Another worker revokes it: this worker's copy is not told.
    db.session.execute(sa.update(ApiToken).values(revoked_at=utcnow()))
    db.session.commit()
    clock = tokens.time.monotonic()
    monkeypatch.setattr(tokens.time, "monotonic", lambda: clock + app.config["API_TOKEN_CACHE_SECONDS"] + 0.1)
    assert _scan(client, secret, booking, "n2").status_code == 401


def test_a_remembered_token_still_expires_on_time(app):
    secret = factories.gate_token(factories.venue())
    token = db.session.scalar(select(ApiToken))
    assert tokens.principal_for(secret) is not None
    assert tokens.principal_for(secret, now=token.expires_at) is None


def test_a_password_change_ends_a_remembered_personal_token_at_once(client):
    from app.accounts.services import set_password

    citizen = factories.user("citizen")
    secret = factories.user_token(citizen)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/bookings/999999/ticket.png", headers=headers).status_code == 404  # known
    set_password(citizen, "a-new-password-1")
    db.session.commit()
    assert client.get("/api/v1/bookings/999999/ticket.png", headers=headers).status_code == 401


def test_a_disabled_account_is_refused_at_once_though_its_token_is_remembered(client):
    citizen = factories.user("citizen")
    secret = factories.user_token(citizen)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/bookings/999999/ticket.png", headers=headers).status_code == 404
    citizen.is_disabled = True
    db.session.commit()
    assert client.get("/api/v1/bookings/999999/ticket.png", headers=headers).status_code == 401


def test_the_directory_loads_a_page_of_venues_in_a_fixed_number_of_statements(client):
    for n in range(25):
        venue = factories.venue(themes=["astronomy", f"theme {n}"])
        if n % 3 == 0:
            factories.accreditation(venue)
    with statements() as seen:
        page = client.get("/venues")
    assert page.status_code == 200
    # The total, the page, its themes, accreditations and districts (one statement each however
    # many venues: no N+1), and the theme and district filters' choices. Folding the total into
    # the page (count(*) OVER ()) or joining the district saved two statements but cost the
    # database more than it saved (it must join or count all 500 venues before the top-20 sort).
    assert len(seen) == 7, seen
    with statements() as seen:
        listed = client.get("/api/v1/venues?per_page=25").get_json()
    assert listed["total"] == 25 and len(listed["items"]) == 25
    assert len(seen) == 5, seen


def test_a_directory_page_past_the_end_still_tells_the_total(client):
    for _ in range(3):
        factories.venue()
    listed = client.get("/api/v1/venues?per_page=2&page=5").get_json()
    assert listed["items"] == [] and listed["total"] == 3


def test_the_dashboard_statement_binds_only_its_dates_filters_and_time(client):
    """Its constants (zeros, dimension names, statuses) are written into its text: bound, they were
    342 parameters in 24 KB of SQL, re-parsed by psycopg and re-planned by PostgreSQL on every
    request (``app/core/sql.py`` ``constants_inline``)."""
    with executed(lambda statement, parameters: len(parameters) if "people" in statement and "places" in statement
                  else None) as bound:
        factories.venue(themes=["astronomy"])  # a theme no venue has is refused before any statement
        for url in ("/stats", "/stats?district=320106&theme=astronomy", "/api/v1/stats/summary?type=university_museum"):
            assert client.get(url).status_code == 200, url
    # Dates, filters and the time; SQLite's parameters are positional, so one used twice counts twice.
    assert len(bound) == 3 and max(bound) <= 20, bound
