"""The outbox is delivered after commit: by SMTP with the .ics as a MIME attachment, else to the log
(development). Failures are reported, logged without personal data, and tried again after a delay."""
from __future__ import annotations

import email
import email.policy
import logging
import socket
import socketserver
import threading

from datetime import timedelta

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from app.core.time import to_local, utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import MAX_ATTEMPTS, RETRY_DELAYS, after_commit_delivery, deliver_pending
from tests import factories

REFUSED = "refused-person@example.com"  # the sink refuses mail to this address for good (550), quoting it
GREYLISTED = "greylisted-person@example.com"  # the sink asks to try this address again later (451)
REFUSED_SENDER = "no-such-sender@example.com"  # the sink refuses mail from this sender for good (553)


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
            if verb == b"RCPT" and REFUSED.encode() in line:
                self.wfile.write(f"550 5.1.1 <{REFUSED}>: Recipient address rejected\r\n".encode())
                continue
            if verb == b"RCPT" and GREYLISTED.encode() in line:
                self.wfile.write(b"451 4.7.1 Greylisted, please try again later\r\n")
                continue
            if verb == b"MAIL" and REFUSED_SENDER.encode() in line:
                self.wfile.write(f"553 5.7.1 <{REFUSED_SENDER}>: Sender address rejected\r\n".encode())
                continue
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


def test_without_a_mail_server_development_writes_messages_to_the_log_and_counts_them_sent(app, caplog):
    message = _booking_message()

    with caplog.at_level(logging.INFO):
        sent = deliver_pending().sent

    assert sent == 1
    assert db.session.get(OutboxMessage, message.id).sent_at is not None
    assert message.recipient in caplog.text and message.attachment_name in caplog.text


def test_with_a_mail_server_the_ics_is_sent_as_a_mime_attachment(app, smtp_sink):
    message = _booking_message()

    assert deliver_pending().sent == 1

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
    assert deliver_pending().tried == 0

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

    assert deliver_pending().tried == 0
    assert db.session.get(OutboxMessage, message.id).sent_at is None


def test_a_message_given_up_is_not_tried_again(app):
    message = _booking_message()
    message.attempts, message.given_up_at = MAX_ATTEMPTS, utcnow()
    db.session.commit()

    assert deliver_pending().tried == 0


def test_the_deliver_command_sends_what_is_waiting(app):
    _booking_message()
    _booking_message()

    result = app.test_cli_runner().invoke(args=["notifications", "deliver"], env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code == 0 and "2 messages sent" in result.output
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) is None


# --- failures are seen: the summary, the log, the exit status ------------------------------------

def _deliver(app):
    return app.test_cli_runner().invoke(args=["notifications", "deliver"], env={"LC_ALL": "en_US.UTF-8"})


def _at(moment) -> str:
    """A time as the summary gives it: Beijing time, to the minute, with its offset."""
    return to_local(moment).isoformat(" ", timespec="minutes")


GIVEN_UP_NONE = "0 given up and not dismissed (queued in the past 7 days)"
GIVEN_UP_ONE = "1 given up and not dismissed (queued in the past 7 days)"


def _mail_server_down(app) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)


def test_a_failed_delivery_is_reported_logged_and_exits_non_zero(app, caplog):
    message = _booking_message()
    _mail_server_down(app)

    with caplog.at_level(logging.WARNING):
        result = _deliver(app)

    assert result.exit_code == 1
    retry_at = db.session.get(OutboxMessage, message.id, populate_existing=True).next_attempt_at
    assert result.output.strip() == (f"0 messages sent, 1 failed; 1 waiting to be tried again, the next at "
                                     f"{_at(retry_at)}; {GIVEN_UP_NONE}.")
    [record] = [r for r in caplog.records if getattr(r, "outbox_message_id", None) == message.id]
    assert record.levelname == "WARNING" and record.attempt == 1 and record.message_kind == message.kind
    assert "Connection refused" in record.getMessage() or "ConnectionRefusedError" in record.getMessage()
    assert message.recipient not in caplog.text and message.body.strip()[:40] not in caplog.text


def test_a_failed_message_waits_before_it_is_tried_again(app):
    message = _booking_message()
    _mail_server_down(app)
    _deliver(app)
    failed_at = utcnow()

    _deliver(app)  # the next minute's run, say

    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert stored.attempts == 1 and stored.next_attempt_at >= failed_at + RETRY_DELAYS[0] - timedelta(seconds=5)
    with time_machine.travel(stored.next_attempt_at + timedelta(seconds=1), tick=False):
        later = _deliver(app)
    assert later.exit_code == 1 and "1 failed" in later.output
    assert db.session.get(OutboxMessage, message.id, populate_existing=True).attempts == 2


def test_a_run_while_a_failed_message_waits_for_its_retry_says_so_and_exits_non_zero(app):
    message = _booking_message()
    _mail_server_down(app)
    _deliver(app)

    again = _deliver(app)  # the next minute's run: nothing may be tried yet

    retry_at = db.session.get(OutboxMessage, message.id, populate_existing=True).next_attempt_at
    assert again.exit_code == 1
    assert again.output.strip() == (f"0 messages sent, 0 failed; 1 waiting to be tried again, the next at "
                                    f"{_at(retry_at)}; {GIVEN_UP_NONE}.")


def test_the_last_failed_attempt_gives_the_message_up_with_an_error_in_the_log(app, caplog):
    message = _booking_message()
    message.attempts = MAX_ATTEMPTS - 1
    db.session.commit()
    _mail_server_down(app)

    with caplog.at_level(logging.WARNING):
        result = _deliver(app)

    assert result.exit_code == 1
    assert result.output.strip() == ("0 messages sent, 1 failed; 0 waiting to be tried again; "
                                     f"{GIVEN_UP_ONE}.")
    [record] = [r for r in caplog.records if getattr(r, "outbox_message_id", None) == message.id]
    assert record.levelname == "ERROR" and "given up" in record.getMessage()
    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert stored.sent_at is None and stored.attempts == MAX_ATTEMPTS and stored.last_error
    assert stored.given_up_at is not None
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        assert deliver_pending().tried == 0  # never tried again


def _given_up(age: timedelta) -> OutboxMessage:
    message = _booking_message()
    message.created_at = utcnow() - age
    message.attempts = MAX_ATTEMPTS
    message.given_up_at = utcnow() - age + timedelta(hours=3)
    message.last_error = "Connection refused"
    db.session.commit()
    return message


def test_a_later_run_with_nothing_to_try_still_reports_messages_given_up_this_week(app, smtp_sink):
    _given_up(timedelta(days=2))

    result = _deliver(app)

    assert result.exit_code == 1
    assert result.output.strip() == ("0 messages sent, 0 failed; 0 waiting to be tried again; "
                                     f"{GIVEN_UP_ONE}.")


def test_messages_given_up_more_than_a_week_ago_are_no_longer_reported(app, smtp_sink):
    _given_up(timedelta(days=8))

    result = _deliver(app)

    assert result.exit_code == 0 and result.output.strip() == "0 messages sent."


def test_when_everything_waiting_is_delivered_the_summary_says_only_what_was_sent(app, smtp_sink):
    retried = _booking_message()
    retried.attempts, retried.last_error = 1, "Connection refused"
    retried.next_attempt_at = utcnow() - timedelta(seconds=1)  # its retry is due
    db.session.commit()
    _booking_message()

    result = _deliver(app)

    assert result.exit_code == 0 and result.output.strip() == "2 messages sent."
    assert len(smtp_sink) == 2


def test_a_run_that_sent_some_exits_zero_and_names_the_refused_address_nowhere_in_the_log(app, smtp_sink, caplog):
    refused = _booking_message()
    refused.recipient = REFUSED
    db.session.commit()
    _booking_message()

    with caplog.at_level(logging.WARNING):
        result = _deliver(app)

    assert result.exit_code == 0
    assert result.output.strip() == f"1 message sent, 1 failed; 0 waiting to be tried again; {GIVEN_UP_ONE}."
    assert "SMTPRecipientsRefused" in caplog.text and REFUSED not in caplog.text and "[email]" in caplog.text
    assert REFUSED in db.session.get(OutboxMessage, refused.id, populate_existing=True).last_error


# --- a refusal for good is not retried ------------------------------------------------------------

def _to(recipient: str) -> OutboxMessage:
    message = _booking_message()
    message.recipient = recipient
    db.session.commit()
    return message


def test_a_recipient_refused_for_good_is_given_up_at_once_with_the_reply_recorded(app, smtp_sink, caplog):
    message = _to(REFUSED)

    with caplog.at_level(logging.WARNING):
        result = _deliver(app)

    assert result.exit_code == 1
    assert result.output.strip() == f"0 messages sent, 1 failed; 0 waiting to be tried again; {GIVEN_UP_ONE}."
    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert stored.attempts == 1 and stored.given_up_at is not None and stored.next_attempt_at is None
    assert stored.last_error == f"550 5.1.1 <{REFUSED}>: Recipient address rejected"
    [record] = [r for r in caplog.records if getattr(r, "outbox_message_id", None) == message.id]
    assert record.levelname == "ERROR" and "refused for good" in record.getMessage()
    with time_machine.travel(utcnow() + RETRY_DELAYS[-1] + timedelta(minutes=1), tick=False):
        assert deliver_pending().tried == 0  # never tried again
    assert smtp_sink == []


def test_a_sender_refused_for_good_is_given_up_at_once(app, smtp_sink):
    message = _booking_message()
    app.config.update(MAIL_SENDER=f"SciVisit <{REFUSED_SENDER}>")

    assert deliver_pending().given_up == 1

    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert stored.attempts == 1 and stored.given_up_at is not None
    assert stored.last_error.startswith("553 5.7.1")


def test_a_reply_to_try_again_later_keeps_the_message_for_its_retry(app, smtp_sink):
    message = _to(GREYLISTED)

    result = _deliver(app)

    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert result.exit_code == 1
    assert result.output.strip() == (f"0 messages sent, 1 failed; 1 waiting to be tried again, the next at "
                                     f"{_at(stored.next_attempt_at)}; {GIVEN_UP_NONE}.")
    assert stored.attempts == 1 and stored.given_up_at is None
    assert stored.last_error == "451 4.7.1 Greylisted, please try again later"
    with time_machine.travel(stored.next_attempt_at + timedelta(seconds=1), tick=False):
        assert deliver_pending().failed == 1  # tried again, and waits again


# --- production has no MAIL_SERVER: nothing is lost ----------------------------------------------

@pytest.fixture
def production_mail(app):
    """Production's mail settings: bodies hold reset links and never go to the log."""
    app.config.update(MAIL_SERVER=None, MAIL_LOG_BODY=False)


def test_production_without_a_mail_server_keeps_messages_queued_and_says_so(app, production_mail, caplog):
    message = _booking_message()

    with caplog.at_level(logging.WARNING):
        result = _deliver(app)

    assert result.exit_code == 1
    assert result.output.strip() == f"1 message held, not sent: MAIL_SERVER is not set; {GIVEN_UP_NONE}."
    assert "No MAIL_SERVER" in caplog.text and message.recipient not in caplog.text
    stored = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert stored.sent_at is None and stored.attempts == 0


def test_production_without_a_mail_server_reports_held_messages_even_when_none_is_due_now(app, production_mail):
    waiting = _booking_message()  # failed while a server was set; its retry is an hour away
    waiting.attempts, waiting.next_attempt_at = 2, utcnow() + timedelta(hours=1)
    db.session.commit()
    _given_up(timedelta(days=1))

    result = _deliver(app)

    assert result.exit_code == 1
    assert result.output.strip() == ("1 message held, not sent: MAIL_SERVER is not set; "
                                     f"{GIVEN_UP_ONE}.")


def test_messages_held_for_want_of_a_mail_server_go_out_once_it_is_set(app, production_mail, smtp_sink):
    app.config.update(MAIL_SERVER=None)
    message = _booking_message()
    _deliver(app)
    _deliver(app)

    app.config.update(MAIL_SERVER="127.0.0.1")
    result = _deliver(app)

    assert result.exit_code == 0 and result.output.strip() == "1 message sent."
    assert len(smtp_sink) == 1
    assert db.session.get(OutboxMessage, message.id, populate_existing=True).sent_at is not None


def test_production_without_a_mail_server_and_nothing_queued_is_quiet_success(app, production_mail):
    result = _deliver(app)

    assert result.exit_code == 0 and result.output.strip() == "0 messages sent."


# --- the city admin hears of mail that is not going out -------------------------------------------

OVERDUE = "email queued in the past 7 days has not been delivered within an hour"


def _queued_ago(age: timedelta, *, sent: bool = False) -> OutboxMessage:
    message = _booking_message()
    message.created_at = utcnow() - age
    message.sent_at = utcnow() if sent else None
    db.session.commit()
    return message


def test_the_city_admins_page_counts_mail_undelivered_for_over_an_hour(app, client, auth):
    _queued_ago(timedelta(hours=3))
    _queued_ago(timedelta(hours=3), sent=True)
    _queued_ago(timedelta(minutes=10))  # the delivery job may simply not have run yet
    _queued_ago(timedelta(days=8))  # old news
    auth.login(factories.user("city_admin").email)

    page = client.get("/me?lang=en").get_data(as_text=True)

    assert f"1 {OVERDUE}" in page


def test_the_city_admins_page_says_nothing_when_mail_goes_out(app, client, auth):
    _queued_ago(timedelta(hours=3), sent=True)
    auth.login(factories.user("city_admin").email)

    assert "not been delivered" not in client.get("/me?lang=en").get_data(as_text=True)


def test_only_the_city_admin_is_told_of_undelivered_mail(app, client, auth):
    _queued_ago(timedelta(hours=3))
    auth.login(factories.user("district_admin").email)

    assert "not been delivered" not in client.get("/me?lang=en").get_data(as_text=True)
