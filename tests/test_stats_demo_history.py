"""The demo's past year: visits made through the booking and check-in services, seasonal, loaded once."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingKind, BookingStatus
from app.checkin.models import CheckIn, CheckInKind, CheckInResult
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.stats.models import VenueDailyStats

DAYS = 21


def seed(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def history(app):
    app.config["DEMO_HISTORY_DAYS"] = DAYS
    started = time.monotonic()
    seed(app)
    return time.monotonic() - started


def admitted() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(CheckIn.persons), 0))
                             .where(CheckIn.result == CheckInResult.OK))


def test_the_history_is_made_of_bookings_check_ins_and_walk_ins(history):
    kinds = dict(db.session.execute(select(Booking.kind, func.count()).group_by(Booking.kind)).all())
    assert kinds.get(BookingKind.INDIVIDUAL, 0) > 20 and kinds.get(BookingKind.GROUP, 0) > 5
    statuses = dict(db.session.execute(select(Booking.status, func.count()).group_by(Booking.status)).all())
    assert statuses[BookingStatus.CHECKED_IN] > 20 and statuses.get(BookingStatus.NO_SHOW, 0) > 0
    walk_ins = db.session.scalar(select(func.count()).where(CheckIn.kind == CheckInKind.WALK_IN))
    assert walk_ins > 20
    print(f"{DAYS} days of history: {admitted()} visits, {sum(kinds.values())} bookings in {history:.1f} s")


def test_every_admission_belongs_to_a_checked_in_booking_or_a_walk_in(history):
    orphans = db.session.scalar(select(func.count()).select_from(CheckIn).outerjoin(Booking).where(
        CheckIn.result == CheckInResult.OK, CheckIn.kind == CheckInKind.TICKET,
        Booking.status != BookingStatus.CHECKED_IN))
    assert orphans == 0


def test_the_rollups_hold_the_history(history):
    assert db.session.scalar(select(func.sum(VenueDailyStats.visits))) == admitted() > 0


def test_nobody_is_mailed_about_last_year(history):
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_seeding_again_adds_no_history(app, history):
    before = (admitted(), db.session.scalar(select(func.count()).select_from(Booking)))
    seed(app)
    db.session.expire_all()
    assert (admitted(), db.session.scalar(select(func.count()).select_from(Booking))) == before


def test_the_themed_days_its_events_were_held_on_are_announced_for_the_year(history):
    """The history holds Science Week and Science Day events this year: the seed announces those
    themed days' dates for this year (the events page itself lists the coming dates)."""
    from app.core.time import local_today
    from app.events.themed_days import all_themed_days, dates_in

    dated = {t.name_en: dates_in(t, local_today().year) for t in all_themed_days()}
    for name in ("Science and Technology Week", "National Science Popularization Day"):
        assert dated[name] is not None, name
