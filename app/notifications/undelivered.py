"""The city admin's undelivered email: messages given up or overdue (``services.undelivered``), sent
again or dismissed one at a time, a selection at once, or (sending again) every given-up one, each
message acted on logged in the personal-data access log. Until then the delivery job reports them and
the city admin's page counts them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.db import LabelledEnum
from app.core.errors import DomainError, Forbidden
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import mail_is_held, undelivered
from app.privacy.services import AccessAction, record_access_to_messages


class MailState(LabelledEnum):
    GIVEN_UP = "given_up", _l("Given up")
    HELD = "held", _l("Held: no mail server is set")
    WAITING = "waiting", _l("Waiting to be tried again")
    NOT_TRIED = "not_tried", _l("Not tried yet: is the delivery job running?")


def can_see_undelivered_mail(user) -> bool:
    # The city admin runs the site; a district admin has no say over its mail server.
    return user.is_authenticated and user.role == Role.CITY_ADMIN


def _listed(now: datetime, kind: str | None):
    condition = undelivered(now)
    return sa.and_(condition, OutboxMessage.kind == kind) if kind else condition


def undelivered_messages(now: datetime | None = None, *, kind: str | None = None):
    """What the city admin's list shows (of one kind of message, if given), the oldest first (the
    longest overdue)."""
    return select(OutboxMessage).where(_listed(now or utcnow(), kind)).order_by(OutboxMessage.created_at,
                                                                                OutboxMessage.id)


def undelivered_kinds(now: datetime | None = None) -> list[tuple[str, int]]:
    """Each kind of message on the list, with how many: the choices of the list's filter."""
    return [tuple(row) for row in db.session.execute(
        select(OutboxMessage.kind, func.count(OutboxMessage.id)).where(undelivered(now or utcnow()))
        .group_by(OutboxMessage.kind).order_by(OutboxMessage.kind))]


def state_of(message: OutboxMessage, now: datetime | None = None) -> MailState:
    """Why the message has not gone out."""
    now = now or utcnow()
    if message.given_up_at is not None:
        return MailState.GIVEN_UP
    if mail_is_held():
        return MailState.HELD
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return MailState.WAITING
    return MailState.NOT_TRIED


def may_be_sent_again():
    """What may be sent again, as a condition on messages: only one delivery stopped trying; any
    other is still in the queue. The one rule for the list's buttons, a message, a selection and
    "send all again"."""
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None))


def may_be_dismissed():
    """What may be dismissed: any message not sent, and not dismissed already."""
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.dismissed_at.is_(None))


def sendable_again(message_ids) -> set[int]:
    """Which of these messages may be sent again (those the list offers to)."""
    ids = list(message_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), may_be_sent_again())))


def _authorize(admin) -> None:
    if not can_see_undelivered_mail(admin):
        raise Forbidden()


def _put_back_in_queue(*where) -> list[int]:
    """Every message that may be sent again among ``where`` goes back in the queue, its attempts
    counted afresh; in one statement, so a message sent again in another tab meanwhile is left
    alone. The ids of those put back."""
    return list(db.session.scalars(
        sa.update(OutboxMessage).where(may_be_sent_again(), *where)
        .values(given_up_at=None, dismissed_at=None, next_attempt_at=None, claimed_at=None, attempts=0,
                last_error="")
        .returning(OutboxMessage.id)))


def _dismiss_where(now: datetime, *where) -> list[int]:
    """Every message that may be dismissed among ``where`` is dismissed; the ids of those dismissed."""
    return list(db.session.scalars(
        sa.update(OutboxMessage).where(may_be_dismissed(), *where)
        # No longer tried: dismissed means it will not be sent.
        .values(dismissed_at=now, given_up_at=func.coalesce(OutboxMessage.given_up_at, now))
        .returning(OutboxMessage.id)))


def _sent_again_by(admin, ids: list[int]) -> list[int]:
    """Messages just sent again, each logged as an action on the addressee's personal data."""
    record_access_to_messages(admin, AccessAction.SEND_MAIL_AGAIN, ids)
    return ids


def _dismissed_by(admin, ids: list[int]) -> list[int]:
    """Messages just dismissed, each logged as an action on the addressee's personal data."""
    record_access_to_messages(admin, AccessAction.DISMISS_MAIL, ids)
    return ids


def send_again(admin, message: OutboxMessage) -> None:
    """Put a given-up message back in the queue, its attempts counted afresh (the address was
    corrected, the mail server mended). It goes out with the next delivery."""
    _authorize(admin)
    if not _sent_again_by(admin, _put_back_in_queue(OutboxMessage.id == message.id)):
        raise DomainError("not_given_up", _l("This message is no longer given up: it was sent, or sent again, "
                                             "meanwhile."), status=409)


def dismiss(admin, message: OutboxMessage, now: datetime | None = None) -> None:
    """The city admin has dealt with it another way (telephoned the person, say): it is not sent,
    and neither the delivery job nor the city admin's page counts it as stuck any more."""
    _authorize(admin)
    if not _dismissed_by(admin, _dismiss_where(now or utcnow(), OutboxMessage.id == message.id)):
        raise DomainError("not_undelivered", _l("This message was sent or dismissed meanwhile."), status=409)


@dataclass(frozen=True)
class BulkResult:
    """What an action on several messages did: the ids it acted on, and how many it left alone
    (sent, sent again or dismissed meanwhile, or not given up)."""

    done: list[int]
    left: int = 0


def send_selected_again(admin, message_ids: list[int]) -> BulkResult:
    """Send again those of the ticked messages that may be sent again (``may_be_sent_again``)."""
    _authorize(admin)
    done = _sent_again_by(admin, _put_back_in_queue(OutboxMessage.id.in_(message_ids))) if message_ids else []
    return BulkResult(done, len(set(message_ids)) - len(done))


def dismiss_selected(admin, message_ids: list[int], now: datetime | None = None) -> BulkResult:
    """Dismiss those of the ticked messages not sent or dismissed meanwhile."""
    _authorize(admin)
    done = _dismissed_by(admin, _dismiss_where(now or utcnow(), OutboxMessage.id.in_(message_ids))) \
        if message_ids else []
    return BulkResult(done, len(set(message_ids)) - len(done))


def count_to_send_again(now: datetime | None = None, *, kind: str | None = None) -> int:
    """How many listed messages (of ``kind``, if given) "send all again" would send: what the city
    admin confirms."""
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(_listed(now or utcnow(), kind),
                                                                          may_be_sent_again()))


def send_all_again(admin, *, given_up_by: datetime, kind: str | None = None,
                   now: datetime | None = None) -> BulkResult:
    """Send again every listed message (of ``kind``, if given) that may be sent again and was given
    up by ``given_up_by``, when the city admin confirmed the number: one given up since is not
    sent unseen."""
    _authorize(admin)
    return BulkResult(_sent_again_by(admin, _put_back_in_queue(_listed(now or utcnow(), kind),
                                                                OutboxMessage.given_up_at <= given_up_by)))


@dataclass(frozen=True)
class Outcome:
    """Where messages just sent again stand after the delivery that followed."""

    sent: int
    refused: int  # given up again; the list says why
    queued: int  # waiting for the next delivery


def outcome_of(message_ids: list[int]) -> Outcome:
    if not message_ids:
        return Outcome(0, 0, 0)
    sent, refused, total = db.session.execute(
        select(func.count(OutboxMessage.sent_at), func.count(OutboxMessage.given_up_at), func.count(OutboxMessage.id))
        .where(OutboxMessage.id.in_(message_ids))).one()
    return Outcome(sent, refused, total - sent - refused)
