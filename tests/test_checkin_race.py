"""Two gates scan one ticket at the same instant: it admits exactly once, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import ApiToken, TokenKind
from app.accounts.tokens import GateDevice
from app.bookings.models import Booking, BookingStatus
from app.checkin import services, tickets
from app.checkin.models import CheckIn, CheckInResult
from app.extensions import db
from tests import factories
from tests.races import race


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _devices(venue, count: int) -> list[GateDevice]:
    for n in range(count):
        factories.gate_token(venue, name=f"闸机 {n + 1}")
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.kind == TokenKind.GATE).order_by(ApiToken.id))
    return [GateDevice(token_id=t.id, venue_id=t.venue_id, name=t.name) for t in tokens]


def _scan(device: GateDevice, code: str, nonce: str):
    def job():
        outcome = services.record_check_in(device, code, nonce=nonce)
        return outcome.result.value, outcome.replayed

    return job


def test_two_or_more_gates_scanning_one_ticket_at_once_admit_it_exactly_once(app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=4)
    code = tickets.code_for_booking(booking)
    devices = _devices(slot.venue, 6)

    outcomes = race(app, [_scan(device, code, f"nonce-{n}") for n, device in enumerate(devices)])

    results = [result for result, _replayed in outcomes]
    assert results.count("ok") == 1, outcomes
    assert results.count("already_checked_in") == len(devices) - 1, outcomes
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CHECKED_IN
    admitted = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.result == CheckInResult.OK))
    counted = db.session.scalar(select(func.sum(CheckIn.persons)))
    assert (admitted, counted) == (1, 4)
    assert db.session.scalar(select(func.count(CheckIn.id))) == len(devices)


def test_one_scan_sent_twice_at_once_with_one_nonce_counts_once(app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot)
    code = tickets.code_for_booking(booking)
    [device] = _devices(slot.venue, 1)

    outcomes = race(app, [_scan(device, code, "the-same-nonce") for _ in range(4)])

    assert [result for result, _ in outcomes] == ["ok"] * 4, outcomes
    assert sum(1 for _, replayed in outcomes if not replayed) == 1
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
