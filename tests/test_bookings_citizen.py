"""A citizen books, changes and cancels individual visits through the pages."""
from __future__ import annotations

import re
from datetime import time, timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot
from tests import factories


def _request_key(client, slot_id: int) -> str:
    page = client.get(f"/slots/{slot_id}/book").get_data(as_text=True)
    return re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page).group(1)


def _book(client, slot_id, **data):
    if "request_key" not in data:
        data["request_key"] = _request_key(client, slot_id)
    data.setdefault("party_size", 2)
    return client.post(f"/slots/{slot_id}/book", data=data)


def _taken(slot_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Slot, slot_id).taken


def test_citizen_books_a_public_slot_and_sees_the_confirmed_booking(client, auth):
    slot = factories.slot(capacity=40)
    citizen = factories.user("citizen")
    auth.login(citizen.email)

    response = _book(client, slot.id, party_size=3)

    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == citizen.id))
    assert booking.status == BookingStatus.CONFIRMED and booking.seats == 3
    assert _taken(slot.id) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert booking.reference in page


def test_submitting_the_same_form_twice_books_once(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    key = _request_key(client, slot.id)
    first = _book(client, slot.id, request_key=key)
    second = _book(client, slot.id, request_key=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(db.func.count(Booking.id))) == 1
    assert _taken(slot.id) == 2


def test_a_form_sent_again_for_another_time_is_refused_above_the_form(client, auth):
    """The page's request key stands for one booking, as the API's Idempotency-Key does."""
    slot, other = factories.slot(), factories.slot(days_ahead=3)
    auth.login(factories.user("citizen").email)
    key = _request_key(client, slot.id)
    assert _book(client, slot.id, request_key=key).status_code == 302
    refused = client.post(f"/slots/{other.id}/book?lang=en", data={"request_key": key, "party_size": 2})
    assert refused.status_code == 409 and "nothing was booked" in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Booking.id))) == 1 and _taken(other.id) == 0


def test_a_party_over_the_limit_is_refused_next_to_the_field(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    response = _book(client, slot.id, party_size=6)
    assert response.status_code == 400
    assert 'id="party_size-error"' in response.get_data(as_text=True)
    assert _taken(slot.id) == 0


def test_a_party_size_that_is_not_a_number_is_told_so_once(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    client.get("/?lang=en")
    page = _book(client, slot.id, party_size="abc").get_data(as_text=True)
    error = re.search(r'<p class="error" id="party_size-error">(.*?)</p>', page).group(1)
    assert error == "Not a valid integer value."


def test_children_need_a_guardian_confirmation(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    refused = _book(client, slot.id, party_size=2, children=1)
    assert refused.status_code == 400 and 'id="guardian_confirmed-error"' in refused.get_data(as_text=True)
    accepted = _book(client, slot.id, party_size=2, children=1, guardian_confirmed="y")
    assert accepted.status_code == 302


def test_the_booking_page_counts_the_children_in_words(client, auth):
    auth.login(factories.user("citizen").email)
    for children, said in ((1, "3 (1 child)"), (2, "3 (2 children)")):
        slot = factories.slot()
        detail = _book(client, slot.id, party_size=3, children=children, guardian_confirmed="y").headers["Location"]
        assert said in client.get(detail + "?lang=en").get_data(as_text=True)


def test_a_party_of_children_only_leaves_no_place_for_their_guardian(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    refused = _book(client, slot.id, party_size=3, children=3, guardian_confirmed="y")
    assert refused.status_code == 400 and 'id="children-error"' in refused.get_data(as_text=True)
    assert _taken(slot.id) == 0


def test_the_party_limit_said_is_the_venues_not_a_generic_bound(client, auth):
    slot = factories.slot()  # the default rules: up to 5 people
    auth.login(factories.user("citizen").email)
    page = _book(client, slot.id, party_size=9).get_data(as_text=True)
    assert "每次预约人数为 1 至 5 人。" in page and "1 至 50" not in page and 'max="50"' not in page


def test_a_school_only_slot_cannot_be_booked_by_a_citizen(client, auth):
    slot = factories.slot(audience="school")
    auth.login(factories.user("citizen").email)
    response = _book(client, slot.id, request_key="0" * 32)  # the page offers no form; a submission is refused
    assert response.status_code == 400
    assert _taken(slot.id) == 0


def test_bookings_outside_the_window_are_refused(client, auth):
    too_far = factories.slot(days_ahead=10)  # public window opens 7 days ahead
    past = factories.slot(days_ahead=-1)
    auth.login(factories.user("citizen").email)
    # The page says so before anything is filled in, and offers no form...
    page = client.get(f"/slots/{too_far.id}/book?lang=en").get_data(as_text=True)
    assert "Booking for this time opens at" in page and 'name="party_size"' not in page
    closed = client.get(f"/slots/{past.id}/book?lang=en").get_data(as_text=True)
    assert "Booking for this visit closed at 09:00 on" in closed
    # ...and a submission anyway is refused, saying when it opens (no field is wrong).
    refused = _book(client, too_far.id, request_key="a1")
    assert refused.status_code == 400
    assert "Booking for this time opens at" in refused.get_data(as_text=True)
    assert "Please correct the marked fields" not in refused.get_data(as_text=True)
    assert _book(client, past.id, request_key="a2").status_code == 400
    assert _taken(too_far.id) == _taken(past.id) == 0


def test_the_venue_calendar_offers_booking_only_inside_the_window(client, auth):
    venue = factories.venue()
    open_now = factories.slot(venue=venue, days_ahead=3)
    later = factories.slot(venue=venue, days_ahead=10)  # public window opens 7 days ahead
    school_later = factories.slot(venue=venue, days_ahead=11, audience="school")
    auth.login(factories.user("citizen").email)
    months = {s.starts_at.strftime("%Y-%m") for s in (open_now, later, school_later)}
    page = "".join(client.get(f"/venues/{venue.id}?month={m}&lang=en").get_data(as_text=True) for m in months)
    assert f'href="/slots/{open_now.id}/book"' in page
    assert f'href="/slots/{later.id}/book"' not in page and "Booking opens" in page
    # A citizen's calendar shows the times a citizen can book (partner schools' early window:
    # tests/test_bookings_class_rules.py).
    assert f'href="/slots/{school_later.id}/book"' not in page


def test_a_full_slot_offers_the_waitlist_and_a_cancellation_promotes_the_first_in_line(client, auth, app):
    slot = factories.slot(capacity=2)
    holder = factories.user("citizen")
    auth.login(holder.email)
    assert _book(client, slot.id, party_size=2).status_code == 302
    auth.logout()

    waiting = factories.user("citizen")
    auth.login(waiting.email)
    full = _book(client, slot.id, party_size=1)
    assert full.status_code == 409
    assert _book(client, slot.id, party_size=1, join_waitlist="y").status_code == 302
    queued = db.session.scalar(select(Booking).where(Booking.user_id == waiting.id))
    assert queued.status == BookingStatus.WAITLISTED
    auth.logout()

    auth.login(holder.email)
    held = db.session.scalar(select(Booking).where(Booking.user_id == holder.id))
    assert client.post(f"/bookings/{held.id}/cancel").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, queued.id).status == BookingStatus.CONFIRMED
    assert _taken(slot.id) == 1
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == waiting.id,
                                                         OutboxMessage.kind == "booking_promoted"))


def test_cancelling_after_the_cutoff_is_refused(client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    # A slot that starts in 3 hours: inside the 24-hour cutoff.
    soon = factories.slot()
    soon.starts_at = utcnow() + timedelta(hours=3)
    soon.ends_at = utcnow() + timedelta(hours=5)
    db.session.commit()
    assert _book(client, soon.id).status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == citizen.id))
    response = client.post(f"/bookings/{booking.id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    assert _taken(soon.id) == 2


def test_after_the_cutoff_the_booker_is_told_how_to_reach_the_venue_as_far_as_it_publishes(client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    soon = factories.slot_at(starts_in=timedelta(hours=3))  # inside the 24-hour cutoff
    soon.venue.contact_phone, soon.venue.contact_email = "", ""
    db.session.commit()
    before = client.get(f"/slots/{soon.id}/book?lang=en").get_data(as_text=True)  # warned before booking
    assert "The venue publishes no telephone or email to tell it of a change." in before
    assert _book(client, soon.id).status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == citizen.id))

    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Changes and cancellations closed at" in page
    assert "The venue publishes no telephone or email to tell it of a change." in page
    assert "please call the venue" not in page
    soon.venue.contact_email = "desk@museum.example"
    db.session.commit()
    assert 'href="mailto:desk@museum.example"' in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    soon.venue.contact_phone = "025 8458 8888"
    db.session.commit()
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "If plans change, please call the venue:" in page and 'href="tel:02584588888"' in page


def test_a_cancel_reason_too_long_is_said_next_to_it_and_kept(client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    slot = factories.slot()
    assert _book(client, slot.id).status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.user_id == citizen.id))
    reason = "家里有事" * 130  # 520 characters: the field takes 500
    response = client.post(f"/bookings/{booking.id}/cancel", data={"reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="reason-error"' in page and reason in page
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_three_recent_no_shows_pause_new_bookings(client, auth):
    citizen = factories.user("citizen")
    venue = factories.venue()
    for days in (3, 10, 20):
        old = factories.slot(venue, days_ahead=-days)
        db.session.add(Booking(slot_id=old.id, venue_id=venue.id, user_id=citizen.id, kind="individual",
                               status=BookingStatus.NO_SHOW, party_size=1, seats=1))
    db.session.commit()
    slot = factories.slot(venue)
    auth.login(citizen.email)
    response = _book(client, slot.id)
    assert response.status_code == 400
    assert _taken(slot.id) == 0


def test_someone_elses_booking_is_not_found(client, auth):
    slot = factories.slot()
    owner = factories.user("citizen")
    auth.login(owner.email)
    booking_url = _book(client, slot.id).headers["Location"]
    auth.logout()
    auth.login(factories.user("citizen").email)
    assert client.get(booking_url).status_code == 404
    booking_id = int(booking_url.rsplit("/", 1)[1])
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 404


def test_only_citizens_and_teachers_book(client, auth):
    slot = factories.slot()
    auth.login(factories.user("venue_staff").email)
    assert client.get(f"/slots/{slot.id}/book").status_code == 403
    auth.logout()
    assert client.get(f"/slots/{slot.id}/book").status_code == 302  # to login
    assert client.get("/slots/99999/book").status_code in (302, 404)


def test_a_time_already_booked_links_the_booking_instead_of_offering_to_book_it_again(client, auth):
    citizen = factories.user("citizen")
    slot = factories.slot(capacity=20)
    other = factories.slot(slot.venue, start=time(14, 0), end=time(16, 0), capacity=20)
    booking = factories.booked_visit(slot, citizen, party_size=2)
    auth.login(citizen.email)

    month = f"/venues/{slot.venue_id}/availability?month={slot.local_date:%Y-%m}"
    calendar = client.get(f"{month}&lang=en").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}"' in calendar and "Your booking" in calendar
    assert f'href="/slots/{slot.id}/book"' not in calendar and f'href="/slots/{other.id}/book"' in calendar
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    assert "You already have a booking for this time." in page and f'href="/bookings/{booking.id}"' in page
    assert 'name="party_size"' not in page  # no form that could only be refused
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 302
    assert f'href="/slots/{slot.id}/book"' in client.get(month).get_data(as_text=True)


def test_a_party_larger_than_the_places_left_is_told_how_many_and_offered_the_waiting_list(client, auth):
    slot = factories.slot(capacity=4)
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)
    citizen = factories.user("citizen")
    auth.login(citizen.email)

    refused = client.post(f"/slots/{slot.id}/book?lang=en",
                          data={"request_key": _request_key(client, slot.id), "party_size": 3})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Only 2 places are left at this time." in page and "fully booked" not in page
    assert 'name="join_waitlist"' in page  # the way to join is on the form sent back

    assert _book(client, slot.id, party_size=3, join_waitlist="y").status_code == 302
    assert db.session.scalar(select(Booking.status).where(Booking.user_id == citizen.id)) == BookingStatus.WAITLISTED


def test_a_party_larger_than_the_whole_time_is_refused_with_no_waiting_list(client, auth):
    slot = factories.slot(capacity=2)
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    for data in ({}, {"join_waitlist": "y"}):
        refused = client.post(f"/slots/{slot.id}/book?lang=en", data={
            "request_key": _request_key(client, slot.id), "party_size": 4, **data})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400 and 'id="party_size-error"' in page
        assert ("This time takes at most 2 people in all, so this party cannot book it, not even on the waiting "
                "list. Choose another time.") in page
    assert db.session.scalar(select(Booking.id).where(Booking.user_id == citizen.id)) is None
    token = client.post("/api/v1/auth/token", json={"email": citizen.email, "password": "password123"})
    response = client.post("/api/v1/bookings?lang=en", json={"slot_id": slot.id, "party_size": 3, "waitlist": True},
                           headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert (response.status_code, response.get_json()["error"]) == (400, "party_too_large")
    assert response.get_json()["field"] == "party_size"
    assert _book(client, slot.id, party_size=2).status_code == 302


def test_a_party_too_small_is_told_the_venues_range_as_one_too_large_is(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    for size in (0, -1, 6):
        page = client.post(f"/slots/{slot.id}/book?lang=en", data={"request_key": _request_key(client, slot.id),
                                                                     "party_size": size}).get_data(as_text=True)
        assert "A booking is for 1 to 5 people." in page and "Number must be at least" not in page


def test_the_api_says_how_many_places_are_left_for_a_party_that_does_not_fit(client):
    slot = factories.slot(capacity=4)
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)
    citizen = factories.user("citizen")
    token = client.post("/api/v1/auth/token", json={"email": citizen.email, "password": "password123"})
    response = client.post("/api/v1/bookings?lang=en", json={"slot_id": slot.id, "party_size": 3},
                           headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "slot_full"
    assert response.get_json()["message"].startswith("Only 2 places are left at this time.")


def test_a_waitlisted_booking_page_states_no_cancel_deadline_but_that_it_can_be_given_up_any_time(client, auth):
    soon = factories.slot(capacity=1)
    soon.starts_at, soon.ends_at = utcnow() + timedelta(hours=3), utcnow() + timedelta(hours=5)
    db.session.commit()
    factories.booked_visit(soon, factories.user("citizen"), party_size=1, now=utcnow() - timedelta(hours=1))
    auth.login(factories.user("citizen").email)
    assert _book(client, soon.id, party_size=1, join_waitlist="y").status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.WAITLISTED))

    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "You can cancel until" not in page  # the cutoff (21 hours ago) is not the waiting list's
    assert "You can leave the waiting list at any time." in page
    assert f'href="/bookings/{booking.id}/cancel"' in page  # asked there, with the reason
    assert 'name="reason"' in client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)


def test_one_missed_visit_that_pauses_booking_is_said_in_the_singular(client, auth):
    from app.bookings.models import BookingRules
    from app.checkin.services import mark_no_shows

    venue = factories.venue()
    db.session.add(BookingRules(venue_id=venue.id, noshow_limit=1))
    citizen = factories.user("citizen")
    missed = factories.slot_at(venue, starts_in=-timedelta(days=1, hours=3))
    factories.confirmed_visit(missed, citizen)
    mark_no_shows(missed.local_date)
    db.session.commit()
    auth.login(citizen.email)
    upcoming = factories.slot(venue, days_ahead=2)

    response = client.post(f"/slots/{upcoming.id}/book?lang=en", data={"request_key": "b1", "party_size": 1})

    page = response.get_data(as_text=True)
    assert "You missed 1 booked visit recently" in page and "1 booked visits" not in page
