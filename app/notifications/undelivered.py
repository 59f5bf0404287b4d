"""The city admin's undelivered e-mail: messages given up or overdue (``services.undelivered``), each
sent again or dismissed. Until then the delivery job reports them and the city admin's page counts them."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Role
from app.core.db import LabelledEnum
from app.core.errors import DomainError, Forbidden
from app.core.time import utcnow
from app.notifications.models import OutboxMessage
from app.notifications.services import mail_is_held, undelivered


class MailState(LabelledEnum):
    GIVEN_UP = "given_up", _l("Given up")
    HELD = "held", _l("Held: no mail server is set")
    WAITING = "waiting", _l("Waiting to be tried again")
    NOT_TRIED = "not_tried", _l("Not tried yet: is the delivery job running?")


def can_see_undelivered_mail(user) -> bool:
    # The city admin runs the site; a district admin has no say over its mail server.
    return user.is_authenticated and user.role == Role.CITY_ADMIN


def undelivered_messages(now: datetime | None = None):
    """What the city admin's list shows, the oldest first (the longest overdue)."""
    return select(OutboxMessage).where(undelivered(now or utcnow())).order_by(OutboxMessage.created_at,
                                                                              OutboxMessage.id)


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


def can_send_again(message: OutboxMessage) -> bool:
    """Only a message delivery stopped trying: any other is still in the queue."""
    return message.sent_at is None and message.given_up_at is not None


def send_again(admin, message: OutboxMessage) -> None:
    """Put a given-up message back in the queue, its attempts counted afresh (the address was
    corrected, the mail server mended). It goes out with the next delivery."""
    if not can_see_undelivered_mail(admin):
        raise Forbidden()
    if not can_send_again(message):
        raise DomainError("not_given_up", _l("This message is no longer given up: it was sent, or sent again, "
                                             "meanwhile."), status=409)
    message.given_up_at = message.dismissed_at = message.next_attempt_at = message.claimed_at = None
    message.attempts, message.last_error = 0, ""


def dismiss(admin, message: OutboxMessage, now: datetime | None = None) -> None:
    """The city admin has dealt with it another way (telephoned the person, say): it is not sent,
    and neither the delivery job nor the city admin's page counts it as stuck any more."""
    if not can_see_undelivered_mail(admin):
        raise Forbidden()
    if message.sent_at is not None or message.dismissed_at is not None:
        raise DomainError("not_undelivered", _l("This message was sent or dismissed meanwhile."), status=409)
    now = now or utcnow()
    message.dismissed_at = now
    if message.given_up_at is None:  # no longer tried: dismissed means it will not be sent
        message.given_up_at = now
