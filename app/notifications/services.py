"""Queueing and delivering messages. Services queue; delivery happens after commit."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage


def queue_message(*, kind: str, recipient: str, subject: str, body: str, user=None) -> OutboxMessage:
    message = OutboxMessage(kind=kind, recipient=recipient, subject=str(subject), body=str(body),
                            user_id=user.id if user is not None else None)
    db.session.add(message)
    return message


def deliver_pending(limit: int = 100) -> int:
    """Send queued messages: by SMTP when ``MAIL_SERVER`` is set, else print them to the log."""
    config = current_app.config
    pending = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            if config.get("MAIL_SERVER"):
                _send_smtp(message)
            else:
                current_app.logger.info(
                    "Mail to %s: %s\n%s", message.recipient, message.subject, message.body
                )
            message.sent_at = utcnow()
            sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = str(exc)[:500]
    db.session.commit()
    return sent


def _send_smtp(message: OutboxMessage) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
