"""The outbox is delivered after commit: by SMTP with the .ics as a MIME attachment, else to the log."""
from __future__ import annotations

import email
import email.policy
import logging
import socket
import socketserver
import threading

import icalendar
import pytest
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import MAX_ATTEMPTS, after_commit_delivery, deliver_pending
from tests import factories


class _SMTPSink(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server to receive messages (a real socket, a real smtplib client)."""

    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        data, lines = False, []
        while line := self.rfile.readline():
            if data:
                if line == b".\r\n":
                    self.server.received.append(b"".join(lines))
                    data, lines = False, []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            self.wfile.write({b"DATA": b"354 go on\r\n", b"QUIT": b"221 bye\r\n"}.get(verb, b"250 ok\r\n"))
            data = verb == b"DATA"
            if verb == b"QUIT":
                return


@pytest.fixture
def smtp_sink(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPSink)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1])
    yield server.received
    server.shutdown()
    server.server_close()


def _booking_message() -> OutboxMessage:
    booking = factories.booked_visit(factories.slot(), factories.user("citizen"))
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.booking_id == booking.id))


def test_without_a_mail_server_messages_go_to_the_log_and_count_as_sent(app, caplog):
    message = _booking_message()

    with caplog.at_level(logging.INFO):
        sent = deliver_pending()

    assert sent == 1
    assert db.session.get(OutboxMessage, message.id).sent_at is not None
    assert message.recipient in caplog.text and message.attachment_name in caplog.text


def test_with_a_mail_server_the_ics_is_sent_as_a_mime_attachment(app, smtp_sink):
    message = _booking_message()

    assert deliver_pending() == 1

    assert len(smtp_sink) == 1
    received = email.message_from_bytes(smtp_sink[0], policy=email.policy.default)
    assert received["To"] == message.recipient and received["Subject"] == message.subject
    assert message.body.strip() in received.get_body(preferencelist=("plain",)).get_content()
    attachment = next(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == message.attachment_name
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["uid"]).startswith("booking-")


def test_a_sent_message_is_not_sent_again(app, smtp_sink):
    _booking_message()

    deliver_pending()
    assert deliver_pending() == 0

    assert len(smtp_sink) == 1


def test_an_unreachable_mail_server_keeps_the_message_queued_with_the_error(app):
    message = _booking_message()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    assert after_commit_delivery() == 0

    stored = db.session.get(OutboxMessage, message.id)
    assert stored.sent_at is None and stored.attempts == 1 and stored.last_error
    assert stored.claimed_at is None  # free for the next delivery to try again


def test_a_message_another_worker_is_sending_is_left_to_it(app):
    message = _booking_message()
    message.claimed_at = utcnow()
    db.session.commit()

    assert deliver_pending() == 0
    assert db.session.get(OutboxMessage, message.id).sent_at is None


def test_a_message_that_failed_too_often_is_given_up(app):
    message = _booking_message()
    message.attempts = MAX_ATTEMPTS
    db.session.commit()

    assert deliver_pending() == 0


def test_the_deliver_command_sends_what_is_waiting(app):
    _booking_message()
    _booking_message()

    result = app.test_cli_runner().invoke(args=["notifications", "deliver"], env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code == 0 and "2 messages sent" in result.output
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) is None
