"""The database going away in the middle of a booking or a check-in.

A ``before_cursor_execute`` listener raises the driver's own ``OperationalError`` (as a dropped
connection does) on a chosen statement of the request: the UPDATE of the slot's counter, the
INSERT of the booking, the claim of the ticket, the INSERT of the admission. Whatever the point,
nothing is half-written; and the user should be told to try again (503), not shown a crash page.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.bookings.models import Booking
from app.checkin.models import CheckIn
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories

BOOKING_POINTS = {"slot_update": "update slots", "booking_insert": "insert into bookings"}
CHECKIN_POINTS = {"claim": "update bookings", "admission_insert": "insert into checkins"}

@contextmanager
def database_goes_away_at(fragment: str):
    """Fail the first statement containing ``fragment`` as a dropped connection would."""
    engine = db.engine
    fired = []

    def fail(conn, cursor, statement, parameters, context, executemany):
        if not fired and fragment in " ".join(statement.lower().split()):
            fired.append(statement)
            raise conn.dialect.loaded_dbapi.OperationalError(
                "server closed the connection unexpectedly (simulated)")

    sa.event.listen(engine, "before_cursor_execute", fail)
    try:
        yield fired
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail)


def _booking_request(client, slot_id: int, token: str):
    return client.post("/api/v1/bookings", json={"slot_id": slot_id, "party_size": 2},
                       headers={"Authorization": f"Bearer {token}"})


def _seats_and_bookings(slot_id: int) -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.get(Slot, slot_id).taken,
            db.session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot_id)))


@pytest.mark.parametrize("point", sorted(BOOKING_POINTS))
def test_a_booking_cut_off_by_the_database_leaves_nothing_half_written(client, point):
    slot = factories.slot(capacity=10)
    token = factories.user_token(factories.user("citizen"))
    with database_goes_away_at(BOOKING_POINTS[point]) as fired:
        response = _booking_request(client, slot.id, token)
    assert fired, "the fault was never injected"
    assert response.status_code >= 500
    assert _seats_and_bookings(slot.id) == (0, 0)
    # The same request again, with the database back, books normally.
    assert _booking_request(client, slot.id, token).status_code == 201
    assert _seats_and_bookings(slot.id) == (2, 1)


@pytest.mark.parametrize("point", sorted(BOOKING_POINTS))
def test_a_booking_cut_off_by_the_database_answers_503_try_again(client, point):
    slot = factories.slot(capacity=10)
    token = factories.user_token(factories.user("citizen"))
    with database_goes_away_at(BOOKING_POINTS[point]):
        response = _booking_request(client, slot.id, token)
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable"


def test_the_booking_page_cut_off_by_the_database_shows_a_try_again_page(client, auth):
    slot = factories.slot(capacity=10)
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    with database_goes_away_at("update slots"):
        response = client.post(f"/slots/{slot.id}/book", data={"party_size": "2", "request_key": "k1"})
    assert response.status_code == 503
    assert _seats_and_bookings(slot.id) == (0, 0)


def _check_in_request(client, token: str, reference: str, nonce: str):
    return client.post("/api/v1/checkins", json={"code": reference, "nonce": nonce},
                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("point", sorted(CHECKIN_POINTS))
def test_a_check_in_cut_off_by_the_database_admits_nobody_and_can_be_retried(client, point):
    slot = factories.slot_at(capacity=10)
    booking = factories.confirmed_visit(slot, party_size=3)
    token = factories.gate_token(slot.venue)
    with database_goes_away_at(CHECKIN_POINTS[point]) as fired:
        response = _check_in_request(client, token, booking.reference, "scan-1")
    assert fired and response.status_code >= 500
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status.value == "confirmed"
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
    # The gate retries with the same nonce: admitted once.
    retry = _check_in_request(client, token, booking.reference, "scan-1")
    assert retry.status_code == 200 and retry.get_json()["result"] == "ok"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status.value == "checked_in"
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.result == "ok")) == 1


def test_a_check_in_cut_off_by_the_database_answers_503_try_again(client):
    slot = factories.slot_at(capacity=10)
    booking = factories.confirmed_visit(slot, party_size=3)
    token = factories.gate_token(slot.venue)
    with database_goes_away_at("update bookings"):
        response = _check_in_request(client, token, booking.reference, "scan-1")
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable"


def test_a_real_disconnect_mid_booking_leaves_nothing_half_written(client, is_postgres):
    """PostgreSQL: another connection terminates the app's backend between two statements."""
    if not is_postgres:
        pytest.skip("pg_terminate_backend needs PostgreSQL")
    slot = factories.slot(capacity=10)
    token = factories.user_token(factories.user("citizen"))
    killer = sa.create_engine(db.engine.url)
    fired = []

    def terminate(conn, cursor, statement, parameters, context, executemany):
        if not fired and "insert into bookings" in " ".join(statement.lower().split()):
            fired.append(True)
            pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
            with killer.begin() as other:
                other.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid})

    sa.event.listen(db.engine, "before_cursor_execute", terminate)
    try:
        response = _booking_request(client, slot.id, token)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", terminate)
        killer.dispose()
    assert fired and response.status_code >= 500
    assert _seats_and_bookings(slot.id) == (0, 0)
    assert _booking_request(client, slot.id, token).status_code == 201
    assert _seats_and_bookings(slot.id) == (2, 1)


def test_a_database_older_than_the_code_is_a_server_error_logged_not_a_try_again(client, caplog):
    """SQLite tells a missing migration with the same exception as a lost connection: "try again in a
    moment" would hide it from monitoring, and trying again never helps."""
    slot = factories.slot(capacity=10)
    token = factories.user_token(factories.user("citizen"))
    engine = db.engine

    def behind(conn, cursor, statement, parameters, context, executemany):
        if statement.lower().startswith("insert into bookings"):
            raise conn.dialect.loaded_dbapi.OperationalError("no such column: bookings.cancel_reason_en")

    sa.event.listen(engine, "before_cursor_execute", behind)
    try:
        response = _booking_request(client, slot.id, token)
    finally:
        sa.event.remove(engine, "before_cursor_execute", behind)
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert response.get_json()["error"] == "server_error"
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)
    assert _seats_and_bookings(slot.id) == (0, 0)
