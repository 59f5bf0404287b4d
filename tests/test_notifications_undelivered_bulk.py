"""The city admin's undelivered email after a mail-server outage: many messages ticked and sent again
or dismissed at once, or every given-up one (of a kind) sent again after a confirmation that says
how many. One rule decides what may be sent again, for one message as for many."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.time import utcnow
from app.extensions import db
from app.notifications import undelivered
from app.notifications.models import OutboxMessage
from app.notifications.services import queue_message
from app.privacy.models import PersonalDataAccess
from tests import factories
from tests.races import race
from tests.test_notifications_delivery import REFUSED, smtp_sink  # noqa: F401 - a fixture

LIST = "/admin/mail?lang=en"
SELECTED_SEND = "/admin/mail/selected/send-again?lang=en"
SELECTED_DISMISS = "/admin/mail/selected/dismiss?lang=en"
ALL = "/admin/mail/send-again-all?lang=en"


@pytest.fixture
def city_admin(auth):
    admin = factories.user("city_admin")
    auth.login(admin.email)
    return admin


@pytest.fixture
def queued_for_the_delivery_job(app):
    app.config.update(MAIL_DELIVER_IN_REQUEST=False)  # production: the delivery job sends them


def _given_up(n: int = 1, *, kind: str = "booking_confirmed", recipient: str = "li.xiaoming@example.com",
              ago: timedelta = timedelta(minutes=5)) -> list[OutboxMessage]:
    messages = []
    for i in range(n):
        message = queue_message(kind=kind, recipient=recipient, subject=f"Message {kind} {i}", body="…")
        message.attempts, message.given_up_at = 5, utcnow() - ago
        message.last_error = "[Errno 111] Connection refused"
        messages.append(message)
    db.session.commit()
    return messages


def _overdue() -> OutboxMessage:
    """Unsent two hours after it was queued, not given up: still being tried."""
    message = queue_message(kind="password_reset", recipient="wang@example.com", subject="Reset", body="…")
    message.created_at, message.attempts = utcnow() - timedelta(hours=2), 3
    message.next_attempt_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    return message


def _stored(message: OutboxMessage) -> OutboxMessage:
    return db.session.get(OutboxMessage, message.id, populate_existing=True)


def _ticked(*messages: OutboxMessage) -> dict:
    return {"message": [str(m.id) for m in messages]}


def _as_of(confirmation: str) -> str:
    return re.search(r'name="as_of" type="hidden" value="([^"]+)"', confirmation).group(1)


def _given_up_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.given_up_at.is_not(None)))


# --- ticked messages -----------------------------------------------------------------------------

def test_each_message_has_a_box_to_tick_named_for_it_and_the_buttons_act_on_the_ticked(client, city_admin):
    [message] = _given_up()

    html = client.get(LIST).get_data(as_text=True)

    assert f'type="checkbox" name="message" value="{message.id}"' in html
    assert "Select: Message booking_confirmed 0" in html
    assert "Send the selected again" in html and "Dismiss the selected" in html
    assert "Select all on this page" in html


def test_ticked_messages_are_sent_again_together(client, city_admin, queued_for_the_delivery_job):
    first, second, third = _given_up(3)

    response = client.post(SELECTED_SEND, data=_ticked(first, second), follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "2 messages are back in the queue: they go out with the next delivery." in html
    assert [(_stored(m).attempts, _stored(m).given_up_at) for m in (first, second)] == [(0, None), (0, None)]
    assert _stored(third).given_up_at is not None
    assert "1 message not delivered." in html


def test_ticked_messages_go_out_with_the_delivery_that_follows(client, city_admin, smtp_sink):  # noqa: F811
    messages = _given_up(2)
    refused = _given_up(recipient=REFUSED)

    html = client.post(SELECTED_SEND, data=_ticked(*messages, *refused), follow_redirects=True).get_data(as_text=True)

    assert "2 messages have been sent." in html and len(smtp_sink) == 2
    assert "1 message was refused again; the list says why." in html
    assert all(_stored(m).sent_at is not None for m in messages) and _stored(refused[0]).given_up_at is not None


def test_a_ticked_message_that_is_not_given_up_is_not_sent_again(client, city_admin, queued_for_the_delivery_job):
    [given_up] = _given_up()
    still_tried = _overdue()

    html = client.post(SELECTED_SEND, data=_ticked(given_up, still_tried), follow_redirects=True).get_data(as_text=True)

    assert "1 message is back in the queue: it goes out with the next delivery." in html
    assert "1 ticked message was left as it is: only a given-up message is sent again." in html
    assert _stored(still_tried).attempts == 3 and _stored(still_tried).next_attempt_at is not None


def test_ticked_messages_are_dismissed_together(client, city_admin):
    first, second, kept = _given_up(3)
    held = _overdue()

    response = client.post(SELECTED_DISMISS, data=_ticked(first, second, held), follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "3 messages are dismissed: they will not be sent." in html
    assert all(_stored(m).dismissed_at is not None for m in (first, second, held))
    assert _stored(held).given_up_at is not None  # no longer tried
    assert _stored(kept).dismissed_at is None and "1 message not delivered." in html


def test_a_ticked_message_dealt_with_in_another_tab_is_counted_not_an_error(client, city_admin):
    first, second = _given_up(2)
    client.post(f"/admin/mail/{first.id}/dismiss")

    response = client.post(SELECTED_DISMISS, data=_ticked(first, second), follow_redirects=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 message is dismissed: it will not be sent." in html
    assert "1 ticked message was sent or dismissed meanwhile." in html


@pytest.mark.parametrize("ticked", [{}, {"message": ""}, {"message": ["abc", "7"]}, {"message": str(2**80)},
                                    {"message": "-3"}])
def test_nothing_ticked_or_no_message_ids_says_what_to_do(client, city_admin, ticked):
    [message] = _given_up()

    for url in (SELECTED_SEND, SELECTED_DISMISS):
        response = client.post(url, data=ticked, follow_redirects=True)
        assert response.status_code == 200
        assert "Tick the messages to act on first." in response.get_data(as_text=True)
    assert _stored(message).given_up_at is not None and _stored(message).dismissed_at is None


def test_select_all_on_this_page_ticks_every_box_without_script(client, city_admin):
    _given_up(3)

    html = client.get(LIST + "&select=page").get_data(as_text=True)

    assert html.count(" checked>") == 3 and "Clear the selection" in html


def test_after_a_bulk_action_the_list_keeps_its_filter(client, city_admin, queued_for_the_delivery_job):
    [reset] = _given_up(kind="password_reset")
    _given_up(kind="booking_confirmed")

    response = client.post("/admin/mail/selected/send-again?kind=password_reset", data=_ticked(reset))

    assert response.status_code == 302 and response.headers["Location"] == "/admin/mail?kind=password_reset"


# --- everything given up -------------------------------------------------------------------------

def test_send_all_again_asks_first_saying_how_many(client, city_admin):
    _given_up(12)
    _overdue()  # still being tried: not sent again

    listing = client.get(LIST).get_data(as_text=True)
    confirmation = client.get(ALL).get_data(as_text=True)

    assert "Send all 12 given-up messages again…" in listing and 'href="/admin/mail/send-again-all"' in listing
    assert "12 messages will be sent again." in confirmation
    assert "Yes, send 12 messages again" in confirmation
    assert _given_up_count() == 12  # asking changes nothing


def test_send_all_again_sends_every_given_up_message_once_confirmed(client, city_admin, queued_for_the_delivery_job):
    _given_up(12)
    still_tried = _overdue()
    as_of = _as_of(client.get(ALL).get_data(as_text=True))

    html = client.post(ALL, data={"as_of": as_of}, follow_redirects=True).get_data(as_text=True)

    assert "12 messages are back in the queue: they go out with the next delivery." in html
    assert _given_up_count() == 0 and _stored(still_tried).attempts == 3
    assert "1 message not delivered." in html


def test_a_message_given_up_after_the_confirmation_is_not_sent_again_unseen(client, city_admin,
                                                                            queued_for_the_delivery_job):
    [confirmed] = _given_up(ago=timedelta(minutes=5))
    as_of = _as_of(client.get(ALL).get_data(as_text=True))
    [later] = _given_up(ago=-timedelta(minutes=1))  # given up while the city admin read the page

    html = client.post(ALL, data={"as_of": as_of}, follow_redirects=True).get_data(as_text=True)

    assert "1 message is back in the queue" in html
    assert _stored(confirmed).given_up_at is None and _stored(later).given_up_at is not None


def test_the_list_filters_by_kind_and_send_all_again_keeps_to_it(client, city_admin, queued_for_the_delivery_job):
    resets = _given_up(2, kind="password_reset")
    bookings = _given_up(3, kind="booking_confirmed")

    listing = client.get(LIST + "&kind=password_reset").get_data(as_text=True)
    confirmation = client.get(ALL + "&kind=password_reset").get_data(as_text=True)
    client.post(ALL, data={"as_of": _as_of(confirmation), "kind": "password_reset"})

    assert "2 messages not delivered." in listing and "Message booking_confirmed" not in listing
    assert '<option value="password_reset" selected>Password reset link (2)</option>' in listing
    assert "Send all 2 given-up messages again…" in listing
    assert "2 messages will be sent again." in confirmation and "Only messages of the kind Password reset link." \
        in confirmation and 'name="kind" type="hidden" value="password_reset"' in confirmation
    assert all(_stored(m).given_up_at is None for m in resets)
    assert all(_stored(m).given_up_at is not None for m in bookings)


def test_the_kind_filter_names_each_kind_for_people_and_keeps_its_value(client, city_admin):
    _given_up(kind="venue_class_resized")
    _given_up(kind="staff_invitation")

    listing = client.get(LIST).get_data(as_text=True)

    assert '<option value="venue_class_resized">To the venue: class visit numbers changed (1)</option>' in listing
    assert '<option value="staff_invitation">Invitation to a venue\'s staff (1)</option>' in listing \
        or '<option value="staff_invitation">Invitation to a venue&#39;s staff (1)</option>' in listing
    assert ">venue_class_resized" not in listing and ">staff_invitation" not in listing


def test_a_kind_without_a_name_is_shown_as_it_is(client, city_admin):
    _given_up(kind="some_new_kind")
    listing = client.get(LIST + "&kind=some_new_kind").get_data(as_text=True)
    assert '<option value="some_new_kind" selected>some_new_kind (1)</option>' in listing


def test_every_kind_of_message_the_code_queues_has_a_name():
    """The mapping is kept next to the kinds: a new kind without a name would show its raw value."""
    from pathlib import Path

    from app.bookings.notify import EVENTS, VENUE_SUBJECTS
    from app.notifications.models import MESSAGE_KINDS

    source = "\n".join(path.read_text(encoding="utf-8") for path in Path("app").rglob("*.py"))
    literal = {kind for pattern in (r'kind="([a-z_]+)"', r'kind="[a-z_]+" if .*? else "([a-z_]+)"',
                                    r'return "(venue_[a-z]+)", _l') for kind in re.findall(pattern, source)}
    accreditations = re.findall(r'_tell_managers_of_accreditation\(\w+, "(\w+)"[,)]', source)
    families = {f"booking_{event}" for event in EVENTS} | {f"venue_class_{event}" for event in VENUE_SUBJECTS} \
        | {f"accreditation_{action}" for action in accreditations}
    people = set(re.findall(r'_tell\(\s*\w+, "([a-z_]+)"', source))
    queued = (literal | families | people) - {"citizen"}  # the demo's email pattern, not a message
    assert queued - set(MESSAGE_KINDS) == set()
    assert {"booking_reminder", "venue_class_closed", "accreditation_removed", "venue_reinstated",
            "account_closed", "staff_invitation", "evaluation_published"} <= queued


def test_a_kind_with_nothing_undelivered_says_so(client, city_admin):
    _given_up()

    html = client.get(LIST + "&kind=no_such_kind").get_data(as_text=True)

    assert "No undelivered message of this kind." in html and "Send all" not in html


def test_with_nothing_given_up_there_is_nothing_to_send_again(client, city_admin):
    _overdue()

    listing = client.get(LIST).get_data(as_text=True)
    confirmation = client.get(ALL).get_data(as_text=True)

    assert "Send all" not in listing
    assert "No given-up message to send again." in confirmation and 'name="as_of"' not in confirmation


@pytest.mark.parametrize("confirmation", [
    {}, {"as_of": ""}, {"as_of": "yesterday"}, {"as_of": "2026-02-30T10:00:00"}, {"as_of": "9" * 40},
    {"as_of": "2026-01-01T10:00:00+08:00"},  # the page gives UTC without an offset
    {"as_of": "2026-01-01T10:00:00", "kind": "x" * 41},
])
def test_a_confirmation_that_cannot_be_read_sends_nothing(client, city_admin, confirmation):
    [message] = _given_up()

    response = client.post(ALL, data=confirmation, follow_redirects=True)

    assert response.status_code == 200
    assert "That confirmation could not be read: confirm again." in response.get_data(as_text=True)
    assert _stored(message).given_up_at is not None


# --- who may, and what is recorded ---------------------------------------------------------------

def test_bulk_forms_need_the_pages_form_token(app, client, city_admin):
    messages = _given_up(2)
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(LIST).get_data(as_text=True))
    confirmation = client.get(ALL).get_data(as_text=True)

    assert client.post(SELECTED_DISMISS, data=_ticked(messages[0])).status_code == 400
    assert client.post(SELECTED_SEND, data=_ticked(messages[0])).status_code == 400
    assert client.post(ALL, data={"as_of": _as_of(confirmation)}).status_code == 400
    assert _given_up_count() == 2 and _stored(messages[0]).dismissed_at is None

    client.post(SELECTED_DISMISS, data={**_ticked(messages[0]), "csrf_token": token.group(1)})
    assert _stored(messages[0]).dismissed_at is not None
    assert 'name="csrf_token"' in confirmation


def test_a_district_admin_may_not_use_the_bulk_actions(client, auth):
    messages = _given_up(2)
    auth.login(factories.user("district_admin").email)

    assert client.post(SELECTED_SEND, data=_ticked(*messages)).status_code == 403
    assert client.post(SELECTED_DISMISS, data=_ticked(*messages)).status_code == 403
    assert client.get(ALL).status_code == 403
    assert client.post(ALL, data={"as_of": utcnow().isoformat()}).status_code == 403
    assert _given_up_count() == 2 and all(_stored(m).dismissed_at is None for m in messages)


def test_bulk_views_and_actions_go_to_the_access_log_as_single_ones_do(client, city_admin,
                                                                       queued_for_the_delivery_job):
    """A list view is logged with its page number, filtered or with every box ticked as plainly; each
    message acted on, one or many, is logged with the action and the message (the confirmation, which
    shows a number and no address, is not)."""
    first, second, third = _given_up(3)

    client.get(LIST + "&kind=booking_confirmed&select=page")
    client.post(f"/admin/mail/{first.id}/dismiss")
    client.post(SELECTED_DISMISS, data=_ticked(second))
    client.get(ALL)
    client.post(ALL, data={"as_of": utcnow().isoformat()})

    rows = db.session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
    assert [(r.actor_id, r.action, r.detail) for r in rows] == [
        (city_admin.id, "view_undelivered_mail", "1"), (city_admin.id, "dismiss_mail", str(first.id)),
        (city_admin.id, "dismiss_mail", str(second.id)), (city_admin.id, "send_mail_again", str(third.id))]
    assert _stored(third).given_up_at is None


def test_each_ticked_message_acted_on_is_logged_with_whose_it_is(client, city_admin, queued_for_the_delivery_job):
    people = [factories.user("citizen"), factories.user("teacher")]
    sent = [_given_up(recipient=person.email)[0] for person in people]
    dismissed = [_given_up(recipient=person.email)[0] for person in people]
    for message, person in zip(sent + dismissed, people * 2):
        message.user_id = person.id
    left_alone = _overdue()  # not given up: not sent again, so not logged
    db.session.commit()

    client.post(SELECTED_SEND, data=_ticked(*sent, left_alone))
    client.post(SELECTED_DISMISS, data=_ticked(*dismissed))

    db.session.expire_all()
    rows = db.session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
    assert sorted((r.actor_id, r.action, r.subject_user_id, r.detail) for r in rows) == sorted(
        [(city_admin.id, "send_mail_again", m.user_id, str(m.id)) for m in sent]
        + [(city_admin.id, "dismiss_mail", m.user_id, str(m.id)) for m in dismissed])


def test_two_admins_sending_everything_again_at_once_put_each_message_back_once(app, city_admin):
    _given_up(10)
    admins = [city_admin.id, factories.user("city_admin").id]

    def send_all(admin_id):
        return lambda: len(undelivered.send_all_again(db.session.get(User, admin_id), given_up_by=utcnow()).done)

    assert sum(race(app, [send_all(a) for a in admins])) == 10  # not 20: none is put back twice
    db.session.expire_all()
    assert _given_up_count() == 0


def test_one_message_sent_again_from_two_tabs_at_once_is_put_back_once(app, city_admin):
    [message] = _given_up()

    def send_again():
        return lambda: undelivered.send_again(db.session.get(User, city_admin.id),
                                              db.session.get(OutboxMessage, message.id))

    assert sorted(race(app, [send_again(), send_again()]), key=str) == [None, "not_given_up"]
