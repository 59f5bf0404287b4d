"""Queueing and delivering messages. Services queue; delivery happens after commit.

A view that queued messages commits, then calls ``after_commit_delivery()``; messages left
unsent (SMTP down, a crash between commit and delivery) go out with the next delivery or with
``flask --app wsgi notifications deliver`` from cron. Each message is claimed by one worker
before it is sent, so several workers delivering at once never send it twice.
"""
from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import LazyString, force_locale
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=10)  # a worker that died while sending: try again after this
DEFAULT_SITE_URL = "http://127.0.0.1:5000/"


def site_url(path: str = "") -> str:
    """An absolute link into the site, for whatever leaves the request (e-mails, invitations,
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


def deliver_pending(limit: int = 100) -> int:
    """Send queued messages: by SMTP when ``MAIL_SERVER`` is set, else print them to the log.

    Commits the session (call it after the caller's own commit). Returns how many were sent.
    """
    now = utcnow()
    claimable = sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                        sa.or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
    ids = list(db.session.scalars(select(OutboxMessage.id).where(claimable).order_by(OutboxMessage.id).limit(limit)))
    sent = 0
    for message_id in ids:
        claimed = db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id == message_id, claimable)
            .values(claimed_at=now, attempts=OutboxMessage.attempts + 1),
            execution_options={"synchronize_session": False}).rowcount
        db.session.commit()
        if not claimed:  # another worker has it
            continue
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = str(exc)[:500]
            message.claimed_at = None
        else:
            message.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent


def after_commit_delivery() -> int:
    """Deliver what the request queued, right after its commit. A mail problem is logged and
    never turns the visitor's successful action into an error page.

    Production sets ``MAIL_DELIVER_IN_REQUEST`` off: a delivery job (``flask notifications
    deliver`` from cron, every minute) sends instead, so no request waits for SMTP.
    """
    if not current_app.config.get("MAIL_DELIVER_IN_REQUEST", True):
        return 0
    try:
        return deliver_pending()
    except Exception:  # noqa: BLE001 - the action succeeded; the outbox keeps the message
        db.session.rollback()
        current_app.logger.exception("Delivering queued messages failed; they stay in the outbox")
        return 0


def build_email(message: OutboxMessage) -> EmailMessage:
    """The message as an e-mail: a plain-text body and its attachment as a MIME part."""
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
    if not config.get("MAIL_SERVER"):
        if not config.get("MAIL_LOG_BODY", True):  # links in bodies (password resets) are secrets
            current_app.logger.warning("No MAIL_SERVER: message %s (%s) not sent", message.id, message.kind)
            return
        attached = f"\n[attachment: {message.attachment_name}]" if message.attachment_name else ""
        current_app.logger.info("Mail to %s: %s\n%s%s", message.recipient, message.subject, message.body, attached)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(build_email(message))
