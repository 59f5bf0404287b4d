"""The city admin's undelivered email (/admin/mail): what has not gone out, each message sent again
or dismissed; a dismissed one is not sent and no longer keeps the delivery job failing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import MAX_ATTEMPTS, count_overdue
from app.privacy.models import PersonalDataAccess
from tests import factories
from tests.test_notifications_delivery import REFUSED, _booking_message, smtp_sink  # noqa: F401 - a fixture

LIST = "/admin/mail?lang=en"
SELECTED_DISMISS = "/admin/mail/selected/dismiss"


@pytest.fixture
def city_admin(auth):
    admin = factories.user("city_admin")
    auth.login(admin.email)
    return admin


def _given_up(recipient: str = "li.xiaoming@example.com", *, error: str | None = None) -> OutboxMessage:
    message = _booking_message()
    message.recipient = recipient
    message.attempts, message.given_up_at = 1, utcnow() - timedelta(minutes=5)
    message.last_error = error or f"550 5.1.1 <{recipient}>: Recipient address rejected"
    db.session.commit()
    return message


def _queued_ago(age: timedelta) -> OutboxMessage:
    message = _booking_message()
    message.created_at = utcnow() - age
    db.session.commit()
    return message


def _stored(message: OutboxMessage) -> OutboxMessage:
    return db.session.get(OutboxMessage, message.id, populate_existing=True)


def _deliver(app):
    return app.test_cli_runner().invoke(args=["notifications", "deliver"], env={"LC_ALL": "en_US.UTF-8"})


def test_the_city_admin_sees_given_up_mail_with_the_address_masked_and_the_reply(client, city_admin):
    message = _given_up()

    page = client.get(LIST)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 message not delivered." in html and message.subject in html and message.kind in html
    assert "li***@example.com" in html and "li.xiaoming@example.com" not in html
    assert "550 5.1.1 &lt;[email]&gt;: Recipient address rejected" in html
    assert "Given up" in html and "Send again" in html and "Dismiss" in html


def test_mail_held_for_want_of_a_mail_server_is_listed_to_be_dismissed_not_sent_again(app, client, city_admin):
    app.config.update(MAIL_SERVER=None, MAIL_LOG_BODY=False)  # production without a mail server
    _queued_ago(timedelta(hours=2))
    _queued_ago(timedelta(minutes=10))  # the delivery job may simply not have run yet

    html = client.get(LIST).get_data(as_text=True)

    assert "1 message not delivered." in html and "Held: no mail server is set" in html
    assert "Dismiss" in html and "/send-again" not in html


def test_sent_and_dismissed_mail_is_not_listed(client, city_admin):
    _queued_ago(timedelta(hours=3)).sent_at = utcnow()
    _given_up().dismissed_at = utcnow()
    db.session.commit()

    html = client.get(LIST).get_data(as_text=True)

    assert "Every email has gone out." in html


def test_viewing_the_list_goes_to_the_access_log(client, city_admin):
    _given_up()

    client.get(LIST)

    [row] = db.session.scalars(select(PersonalDataAccess)).all()
    assert (row.actor_id, row.action, row.detail) == (city_admin.id, "view_undelivered_mail", "1")


def _logged_actions() -> list[tuple]:
    db.session.expire_all()
    return [(row.actor_id, row.action, row.subject_user_id, row.detail) for row in db.session.scalars(
        select(PersonalDataAccess).where(PersonalDataAccess.action != "view_undelivered_mail")
        .order_by(PersonalDataAccess.id))]


def test_sending_a_message_again_goes_to_the_access_log_with_whose_it_is(app, client, city_admin):
    app.config.update(MAIL_DELIVER_IN_REQUEST=False)
    message = _given_up()

    client.post(f"/admin/mail/{message.id}/send-again")

    assert _logged_actions() == [(city_admin.id, "send_mail_again", message.user_id, str(message.id))]
    log = client.get(f"/admin/privacy/access-log?lang=en&subject={message.user_id}").get_data(as_text=True)
    assert "Sent an undelivered email again" in log and f"message {message.id}" in log


def test_dismissing_a_message_goes_to_the_access_log_with_whose_it_is(client, city_admin):
    message = _given_up()

    client.post(f"/admin/mail/{message.id}/dismiss")

    assert _logged_actions() == [(city_admin.id, "dismiss_mail", message.user_id, str(message.id))]
    log = client.get(f"/admin/privacy/access-log?lang=en&subject={message.user_id}").get_data(as_text=True)
    assert "Dismissed an undelivered email" in log and f"message {message.id}" in log


def test_an_action_refused_because_it_was_done_meanwhile_logs_nothing(client, city_admin):
    """Pins what must not change: only what was done is logged."""
    message = _given_up()
    client.post(f"/admin/mail/{message.id}/dismiss")

    client.post(f"/admin/mail/{message.id}/dismiss")  # in another tab, say
    client.post(SELECTED_DISMISS, data={"message": [str(message.id)]})

    assert [action for _actor, action, _subject, _detail in _logged_actions()] == ["dismiss_mail"]


def test_a_district_admin_may_not_see_or_touch_undelivered_mail(client, auth):
    message = _given_up()
    auth.login(factories.user("district_admin").email)

    assert client.get(LIST).status_code == 403
    assert client.post(f"/admin/mail/{message.id}/dismiss").status_code == 403
    assert client.post(f"/admin/mail/{message.id}/send-again").status_code == 403
    stored = _stored(message)
    assert stored.dismissed_at is None and stored.attempts == 1
    assert "/admin/mail" not in client.get("/me?lang=en").get_data(as_text=True)


def test_sending_again_puts_the_message_back_in_the_queue_with_its_attempts_reset(app, client, city_admin):
    app.config.update(MAIL_DELIVER_IN_REQUEST=False)  # production: the delivery job sends it
    message = _given_up()
    message.attempts = MAX_ATTEMPTS
    db.session.commit()

    response = client.post(f"/admin/mail/{message.id}/send-again?lang=en", follow_redirects=True)

    stored = _stored(message)
    assert (stored.attempts, stored.given_up_at, stored.last_error, stored.sent_at) == (0, None, "", None)
    html = response.get_data(as_text=True)
    assert "is back in the queue" in html and "li***@example.com" in html
    assert "Every email has gone out." in html  # in the queue again: not overdue yet


def test_a_message_sent_again_goes_out_with_the_next_delivery(app, client, city_admin, smtp_sink):  # noqa: F811
    message = _given_up()

    client.post(f"/admin/mail/{message.id}/send-again")

    assert _stored(message).sent_at is not None and len(smtp_sink) == 1
    assert count_overdue() == 0


def test_a_message_refused_again_is_listed_again(app, client, city_admin, smtp_sink):  # noqa: F811
    message = _given_up(REFUSED)

    response = client.post(f"/admin/mail/{message.id}/send-again?lang=en", follow_redirects=True)

    assert "was refused again" in response.get_data(as_text=True)
    stored = _stored(message)
    assert stored.attempts == 1 and stored.given_up_at is not None and smtp_sink == []


def test_a_dismissed_message_is_not_sent_and_no_longer_counts_as_stuck(app, client, city_admin, smtp_sink):  # noqa: F811
    message = _given_up()
    assert _deliver(app).exit_code == 1 and count_overdue() == 1

    response = client.post(f"/admin/mail/{message.id}/dismiss?lang=en", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "is dismissed: it will not be sent" in html and "Every email has gone out." in html
    result = _deliver(app)
    assert result.exit_code == 0 and result.output.strip() == "0 messages sent."
    assert count_overdue() == 0 and smtp_sink == [] and _stored(message).dismissed_at is not None
    assert "not been delivered" not in client.get("/me?lang=en").get_data(as_text=True)


def test_a_dismissed_held_message_stays_unsent_when_a_mail_server_is_set(app, client, city_admin, smtp_sink):  # noqa: F811
    app.config.update(MAIL_SERVER=None, MAIL_LOG_BODY=False)
    message = _queued_ago(timedelta(hours=2))
    other = _queued_ago(timedelta(hours=2))
    assert "2 messages held" in _deliver(app).output

    client.post(f"/admin/mail/{message.id}/dismiss")

    assert "1 message held" in _deliver(app).output
    app.config.update(MAIL_SERVER="127.0.0.1")
    assert _deliver(app).output.strip() == "1 message sent."
    assert _stored(message).sent_at is None and _stored(other).sent_at is not None


def test_a_message_dismissed_in_another_tab_is_said_so_not_an_error_page(client, city_admin):
    message = _given_up()
    client.post(f"/admin/mail/{message.id}/dismiss")

    again = client.post(f"/admin/mail/{message.id}/dismiss?lang=en", follow_redirects=True)
    resend = client.post(f"/admin/mail/{_given_up().id}/send-again", follow_redirects=True)
    stale = client.post(f"/admin/mail/{message.id}/send-again?lang=en", follow_redirects=True)

    assert again.status_code == 200 and "was sent or dismissed meanwhile" in again.get_data(as_text=True)
    assert resend.status_code == 200 and stale.status_code == 200
    assert client.post("/admin/mail/999999/dismiss").status_code == 404


def test_the_buttons_need_the_pages_form_token(app, client, city_admin):
    message = _given_up()
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(LIST).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    refused = client.post(f"/admin/mail/{message.id}/dismiss")
    assert refused.status_code == 400 and _stored(message).dismissed_at is None

    client.post(f"/admin/mail/{message.id}/dismiss", data={"csrf_token": token})
    assert _stored(message).dismissed_at is not None


def test_the_city_admins_notice_links_to_the_list(client, city_admin):
    _given_up()

    html = client.get("/me?lang=en").get_data(as_text=True)

    assert "1 email queued in the past 7 days has not been delivered" in html
    assert 'href="/admin/mail"' in html
