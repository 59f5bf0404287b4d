"""Queueing and delivering messages. Services queue; delivery happens after commit.

A view that queued messages commits, then calls ``after_commit_delivery()``; messages left
unsent (SMTP down, a crash between commit and delivery) go out with the next delivery or with
``flask --app wsgi notifications deliver`` from cron. Each message is claimed by one worker
before it is sent, so several workers delivering at once never send it twice. A failed message is
tried again after a growing delay (``RETRY_DELAYS``), then given up; one the mail server refuses for
good (a 5xx reply) is given up at once. Each failure is logged. The city admin sends a given-up
message again or dismisses it (``undelivered.py``).
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import LazyString, force_locale
from sqlalchemy import func, select

from app.core.logging import redact
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage

# How long to wait after each failed attempt before the next: a mail server down for a couple of
# hours loses nothing; the attempt after the last delay is the last one (about 2.5 hours in all).
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
CLAIM_TIMEOUT = timedelta(minutes=10)  # a worker that died while sending: try again after this
# A message still unsent this long after it was queued is late enough for the city admin to hear of.
OVERDUE_AFTER = timedelta(hours=1)
# How far back the city admin's notice and the delivery job's summary look for mail that is not going out.
RECENT = timedelta(days=7)
DEFAULT_SITE_URL = "http://127.0.0.1:5000/"


def site_url(path: str = "") -> str:
    """An absolute link into the site, for whatever leaves the request (emails, invitations,
    calendar feeds): from ``PUBLIC_BASE_URL``, never from the request's Host header, which the
    client chooses. Without ``PUBLIC_BASE_URL`` (development only: production requires it) the
    address the request reached, else ``DEFAULT_SITE_URL``."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else DEFAULT_SITE_URL
    return base.rstrip("/") + "/" + path.lstrip("/")


def recipient_locale(user) -> str:
    """The language to write to this person in: their chosen one, else Chinese (the default)."""
    locale = getattr(user, "locale", None)
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def paragraphs(*parts) -> LazyString:
    """A plain-text message body; each paragraph is its own translatable sentence.

    Lazy, so that queue_message renders it in the recipient's language, not the request's.
    """
    return LazyString(lambda: "\n\n".join(str(p) for p in parts))


def queue_message(*, kind: str, recipient: str, subject, body, user=None, booking=None,
                  attachment: tuple[str, str, str] | None = None) -> OutboxMessage:
    """Store a message for delivery. Lazy texts are rendered in the recipient's language.

    ``attachment`` is ``(filename, content_type, text)``, for example a booking's .ics.
    """
    with force_locale(recipient_locale(user)):
        subject, body = str(subject), str(body)
    name, content_type, content = attachment or (None, None, None)
    message = OutboxMessage(kind=kind, recipient=recipient, subject=subject[:300], body=body,
                            user_id=user.id if user is not None else None,
                            booking_id=booking.id if booking is not None else None,
                            attachment_name=name, attachment_type=content_type, attachment=content)
    db.session.add(message)
    return message


@dataclass
class Delivery:
    """What a delivery run did with the messages waiting in the outbox."""

    sent: int = 0
    failed: int = 0  # not sent this time; tried again later
    given_up: int = 0  # failed for the last time (``MAX_ATTEMPTS``), or refused for good
    held: int = 0  # not tried: no MAIL_SERVER, and bodies may not go to the log (production)

    @property
    def tried(self) -> int:
        return self.sent + self.failed + self.given_up

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(self.sent + other.sent, self.failed + other.failed,
                        self.given_up + other.given_up, self.held + other.held)


def _not_given_up():
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None))


def mail_is_held() -> bool:
    """No mail server, and bodies may not go to the log (production): nothing can be sent."""
    config = current_app.config
    return not config.get("MAIL_SERVER") and not config.get("MAIL_LOG_BODY", True)


def _claimable(now: datetime):
    return sa.and_(_not_given_up(),
                   sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                   sa.or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))


def deliver_pending(limit: int = 100) -> Delivery:
    """Send queued messages: by SMTP when ``MAIL_SERVER`` is set, else print them to the log
    (development). Production without ``MAIL_SERVER`` sends nothing and leaves them queued.

    A failure is logged and tried again after ``RETRY_DELAYS``; the last one, or a refusal for good,
    gives the message up and is logged as an error. Commits the session (call it after the caller's
    own commit).
    """
    now = utcnow()
    if mail_is_held():
        # Bodies hold reset links and must not reach the log: keep them until a server is set. Every
        # unsent message is held, also one waiting for its retry: no later run can send it either.
        held = db.session.scalar(select(func.count(OutboxMessage.id)).where(_not_given_up()))
        if held:
            current_app.logger.warning("No MAIL_SERVER: %d queued message(s) left unsent", held)
        return Delivery(held=held)
    ids = list(db.session.scalars(select(OutboxMessage.id).where(_claimable(now))
                                  .order_by(OutboxMessage.id).limit(limit)))
    delivery = Delivery()
    for message_id in ids:
        claimed = db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id == message_id, _claimable(now))
            .values(claimed_at=now, attempts=OutboxMessage.attempts + 1),
            execution_options={"synchronize_session": False}).rowcount
        db.session.commit()
        if not claimed:  # another worker has it
            continue
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            _record_failure(message, exc, delivery)
        else:
            message.sent_at = utcnow()
            delivery.sent += 1
        db.session.commit()
    return delivery


def refused_for_good(exc: Exception) -> bool:
    """The mail server refused this message with a permanent (5xx) reply: the recipient's or the
    sender's address, or the message itself. Trying again would get the same answer. A 4xx reply, a
    failed connection or sign-in is the server's or our setup's trouble of the moment: tried again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return exc.smtp_code >= 500
    return False


def _reply(code: int, text) -> str:
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"


def failure_reason(exc: Exception) -> str:
    """What went wrong, as the mail server said it (``550 5.1.1 <…>: Recipient address rejected``)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return "; ".join(_reply(code, text) for code, text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _record_failure(message: OutboxMessage, exc: Exception, delivery: Delivery) -> None:
    reason = failure_reason(exc)
    # The server's answer may quote the address: the log gets it masked, and never the body.
    error = redact(f"{type(exc).__name__}: {reason}")[:500]
    message.last_error = reason[:500]
    message.claimed_at = None
    fields = {"outbox_message_id": message.id, "message_kind": message.kind, "attempt": message.attempts}
    permanent = refused_for_good(exc)
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.given_up_at, message.next_attempt_at = utcnow(), None
        delivery.given_up += 1
        if permanent:
            current_app.logger.error("Mail message %s (%s) refused for good by the mail server, given up: %s",
                                     message.id, message.kind, error, extra=fields)
        else:
            current_app.logger.error("Mail message %s (%s) given up after %d attempts: %s",
                                     message.id, message.kind, message.attempts, error, extra=fields)
        return
    delivery.failed += 1
    message.next_attempt_at = utcnow() + RETRY_DELAYS[message.attempts - 1]
    current_app.logger.warning("Mail message %s (%s) not sent, attempt %d of %d; next try after %s UTC: %s",
                               message.id, message.kind, message.attempts, MAX_ATTEMPTS,
                               message.next_attempt_at.isoformat(timespec="seconds"), error, extra=fields)


def undelivered(now: datetime, *, within: timedelta = RECENT):
    """The condition on messages queued in the last ``within`` that the city admin should hear of:
    given up, or still unsent ``OVERDUE_AFTER`` after they were queued (still failing, held for want
    of a mail server, or no delivery job running at all); not those the city admin dismissed."""
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.dismissed_at.is_(None),
                   OutboxMessage.created_at >= now - within,
                   sa.or_(OutboxMessage.given_up_at.is_not(None), OutboxMessage.created_at < now - OVERDUE_AFTER))


def count_overdue(now: datetime | None = None, *, within: timedelta = RECENT) -> int:
    """How many messages ``undelivered`` finds: the number on the city admin's page."""
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(undelivered(now or utcnow(), within=within)))


@dataclass(frozen=True)
class Backlog:
    """Unsent messages that no delivery can send right now."""

    waiting: int  # failed, waiting for their next attempt (``RETRY_DELAYS``)
    next_attempt_at: datetime | None  # the soonest of those next attempts (UTC)
    given_up: int  # queued in the last ``RECENT`` (as ``count_overdue`` counts), given up and not dismissed


def outbox_backlog(now: datetime | None = None) -> Backlog:
    """What is stuck in the outbox at ``now``, for the delivery job to report after its run."""
    now = now or utcnow()
    waiting, next_attempt_at = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at))
        .where(_not_given_up(), OutboxMessage.next_attempt_at > now)).one()
    given_up = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None),
        OutboxMessage.dismissed_at.is_(None), OutboxMessage.created_at >= now - RECENT))
    return Backlog(waiting, next_attempt_at, given_up)


def after_commit_delivery() -> int:
    """Deliver what the request queued, right after its commit. A mail problem is logged and
    never turns the visitor's successful action into an error page.

    Production sets ``MAIL_DELIVER_IN_REQUEST`` off: a delivery job (``flask notifications
    deliver`` from cron, every minute) sends instead, so no request waits for SMTP.
    """
    if not current_app.config.get("MAIL_DELIVER_IN_REQUEST", True):
        return 0
    try:
        return deliver_pending().sent
    except Exception:  # noqa: BLE001 - the action succeeded; the outbox keeps the message
        db.session.rollback()
        current_app.logger.exception("Delivering queued messages failed; they stay in the outbox")
        return 0


def build_email(message: OutboxMessage) -> EmailMessage:
    """The message as an email: a plain-text body and its attachment as a MIME part."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    if message.attachment is not None:
        maintype, _, subtype = (message.attachment_type or "text/plain").partition("/")
        params = {"method": "PUBLISH"} if subtype == "calendar" else {}
        if maintype == "text":
            email.add_attachment(message.attachment, subtype=subtype or "plain",
                                 filename=message.attachment_name or "attachment.txt", params=params)
        else:
            email.add_attachment(message.attachment.encode("utf-8"), maintype=maintype,
                                 subtype=subtype or "octet-stream", filename=message.attachment_name)
    return email


def _send(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):  # development (``deliver_pending`` holds them in production)
        attached = f"\n[attachment: {message.attachment_name}]" if message.attachment_name else ""
        current_app.logger.info("Mail to %s: %s\n%s%s", message.recipient, message.subject, message.body, attached)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(build_email(message))
