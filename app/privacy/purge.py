"""The retention purge: bookings whose visit ended long ago lose everything that could identify
the booker, and accounts closed long ago go, while every figure built from them (visits, bookings,
classes, students) stays."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.staff import accounts_closed_by_staff_removal_before
from app.bookings.models import Booking
from app.core.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.checkin.models import CheckIn
from app.privacy.services import ANONYMOUS_BOOKING, erase_account, forget_bookings_in_access_log, forget_walk_ins
from app.scheduling.models import Slot

_AGE = re.compile(r"^\s*(\d{1,4})\s*([dmy])\s*$", re.IGNORECASE)


def _months_back(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    # The same day of the month, or the month's last day when it is shorter (31 Aug - 6m → 28/29 Feb).
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    day = min(moment.day, (next_first - timedelta(days=1)).day)
    return moment.replace(year=year, month=month, day=day)


def cutoff_for(age: str, now: datetime) -> datetime:
    """``18m``, ``540d`` or ``2y`` before ``now``; at least one day."""
    match = _AGE.match(age or "")
    if not match or int(match.group(1)) < 1:
        raise DomainError("bad_age", _l("Give an age such as 18m, 540d or 2y."), field="older_than")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit == "d":
        return now - timedelta(days=amount)
    return _months_back(now, amount * (12 if unit == "y" else 1))


def _identifying():
    """Bookings that still carry something that could point to a person."""
    return sa.or_(Booking.user_id.isnot(None), Booking.class_name.isnot(None), Booking.request_key.isnot(None),
                  Booking.cancel_reason != "", Booking.cancel_reason_en != "", Booking.decline_reason != "")


def bookings_to_purge(cutoff: datetime) -> list[int]:
    """Ids of the bookings whose slot ended before ``cutoff`` and that still identify someone."""
    return list(db.session.scalars(
        select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.ends_at < cutoff, _identifying()).order_by(Booking.id)))


def anonymise_bookings(ids: list[int]) -> int:
    """Strip the booker, class name, request key and reasons; counts, statuses and dates stay. The
    access log forgets which of these bookings were viewed."""
    if not ids:
        return 0
    forget_bookings_in_access_log(ids)
    return db.session.execute(
        sa.update(Booking).where(Booking.id.in_(ids)).values(**ANONYMOUS_BOOKING),
        execution_options={"synchronize_session": False}).rowcount


def unlink_old_walk_ins(cutoff: datetime) -> int:
    """Walk-ins registered signed in before ``cutoff`` lose the account, as old bookings lose the booker."""
    return forget_walk_ins(CheckIn.scanned_at < cutoff)


def delete_old_messages(cutoff: datetime) -> int:
    """Messages (names, visit details, addresses) older than ``cutoff`` are no longer needed."""
    return db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.created_at < cutoff)).rowcount


def closed_accounts_to_delete(cutoff: datetime) -> list[int]:
    """Ids of the accounts closed before ``cutoff`` and closed since: those a venue closed by removing
    the person from its staff (the other ways of closing an account delete it at once)."""
    return accounts_closed_by_staff_removal_before(cutoff)


def delete_closed_account(user_id: int) -> bool:
    """Delete a closed account by the one deletion rule (``erase_account``), as if the person had asked:
    name, email address and phone go; what they did (the check-ins they recorded, the bookings they
    made) stays as counts naming no one, so statistics do not change. False if it was gone already."""
    person = db.session.get(User, user_id)
    if person is None:
        return False
    erase_account(person)
    return True


def purge(cutoff: datetime, *, batch: int = 500) -> tuple[int, int, int, int]:
    """The whole purge in one go (tests, callers without a progress bar): (bookings, walk-ins, messages,
    closed accounts)."""
    ids = bookings_to_purge(cutoff)
    done = sum(anonymise_bookings(ids[i:i + batch]) for i in range(0, len(ids), batch))
    accounts = sum(delete_closed_account(user_id) for user_id in closed_accounts_to_delete(cutoff))
    return done, unlink_old_walk_ins(cutoff), delete_old_messages(cutoff), accounts
