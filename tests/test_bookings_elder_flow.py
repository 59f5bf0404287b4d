"""In elder mode a citizen books one question per screen: day, time, people, children (and the
guardian's word), then a check screen. The answers travel in the URL; the rules are the one-page form's."""
from __future__ import annotations

import re
from datetime import time
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus
from tests import factories


class _Page(HTMLParser):
    """What a browser without JavaScript can do on a page: its links and its booking form."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (class, href)
        self.form: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append((a.get("class") or "", a["href"]))
        elif tag == "form" and "/book" in (a.get("action") or ""):
            self.form = {"method": a.get("method", "get"), "action": a["action"], "fields": {}}
        elif tag == "input" and self.form is not None and a.get("type") == "hidden":
            self.form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "button" and self.form is not None and "press" not in self.form:
            # The form's first button, the one pressed: a browser sends its name and value, if it has them.
            self.form["press"] = {a["name"]: a.get("value") or ""} if a.get("name") else {}


def _open(client, url, **kw):
    response = client.get(url, **kw)
    return response, _Page(response.get_data(as_text=True))


def _choices(page: _Page) -> list[str]:
    return [href for cls, href in page.links if "step-choice" in cls.split()]


def _send(client, page: _Page, **answers):
    """Fill in the screen's question and press its button, as the browser would."""
    form = page.form
    data = {**form["fields"], **form.get("press", {}), **{k: str(v) for k, v in answers.items()}}
    if form["method"] == "post":
        return client.post(form["action"], data=data)
    return client.get(form["action"], query_string=data)


def _screen(response) -> str:
    match = re.search(r'<p class="step-count">(.*?)\s*<span', response.get_data(as_text=True), re.S)
    return match.group(1).strip() if match else ""


def _bookings() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def _taken(slot_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Slot, slot_id).taken


@pytest.fixture
def elder(client, auth):
    """A signed-in citizen who has switched to elder mode, in English."""
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    client.get("/?mode=elder&lang=en")
    return citizen


def _walk_to_check(client, venue, slot, *, party_size=2, children=0, guardian="y"):
    """Day → time → people → children (→ guardian) → the check screen, by the links and forms shown."""
    _, day = _open(client, f"/venues/{venue.id}/book")
    day_link = next(href for href in _choices(day) if f"day={slot.local_date.isoformat()}" in href)
    _, times = _open(client, unescape(day_link))
    time_link = next(href for href in _choices(times) if f"slot={slot.id}" in href)
    _, people = _open(client, unescape(time_link))
    children_screen = _Page(_send(client, people, party_size=party_size).get_data(as_text=True))
    response = _send(client, children_screen, children=children)
    if children:
        response = _send(client, _Page(response.get_data(as_text=True)), guardian_confirmed=guardian)
    return response


def test_the_venue_page_has_one_big_book_button_in_elder_mode_only(client):
    venue = factories.venue()
    factories.slot(venue)
    elder_page = client.get(f"/venues/{venue.id}?mode=elder&lang=en").get_data(as_text=True)
    assert elder_page.count(f'href="/venues/{venue.id}/book?mode=elder"') == 1
    assert "big-button" in elder_page
    standard_page = client.get(f"/venues/{venue.id}?mode=standard").get_data(as_text=True)
    assert f'href="/venues/{venue.id}/book' not in standard_page


def test_a_visitor_who_logs_in_on_the_way_stays_in_elder_mode(client):
    venue = factories.venue()
    factories.slot(venue)
    citizen = factories.user("citizen")  # the account itself says standard mode
    elder_page = client.get(f"/venues/{venue.id}?mode=elder").get_data(as_text=True)
    start = re.search(r'href="(/venues/\d+/book[^"]*)"', elder_page).group(1)
    to_login = client.get(unescape(start))
    back = client.post(to_login.headers["Location"], data={"email": citizen.email, "password": "password123"})
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'class="elder"' in page and 'class="step-count"' in page


def test_a_signed_out_visitor_logs_in_and_comes_back_to_the_same_screen(client):
    venue = factories.venue()
    slot = factories.slot(venue)
    citizen = factories.user("citizen")
    start = f"/venues/{venue.id}/book?step=time&day={slot.local_date.isoformat()}"
    response = client.get(start)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    back = client.post(response.headers["Location"], data={"email": citizen.email, "password": "password123"})
    assert back.status_code == 302
    assert back.headers["Location"] == start
    assert f"slot={slot.id}" in client.get(start).get_data(as_text=True)


def test_the_day_screen_lists_only_days_with_times_a_citizen_can_book(client, elder):
    venue = factories.venue()
    soon = factories.slot(venue, days_ahead=2)
    later = factories.slot(venue, days_ahead=4, capacity=3)
    factories.slot(venue, days_ahead=3, audience="school")  # for classes only
    factories.slot(venue, days_ahead=5, status=SlotStatus.CANCELLED)
    factories.slot(venue, days_ahead=20)  # booking opens a week before
    factories.slot(factories.venue(), days_ahead=6)  # another venue

    response, page = _open(client, f"/venues/{venue.id}/book")

    assert response.status_code == 200
    assert _screen(response) == "Step 1 of 5"
    days = [parse_qs(urlsplit(unescape(href)).query)["day"][0] for href in _choices(page)]
    assert days == [soon.local_date.isoformat(), later.local_date.isoformat()]
    assert "3 places left" in response.get_data(as_text=True)
    back = [href for cls, href in page.links if href == f"/venues/{venue.id}"]
    assert back, "the first screen leads back to the venue page"


def test_the_time_screen_shows_places_left_and_keeps_full_times_as_full(client, elder):
    venue = factories.venue()
    open_slot = factories.slot(venue, start=time(9), end=time(11), capacity=10)
    full = factories.slot(venue, start=time(14), end=time(16), capacity=2)
    factories.booked_visit(full, factories.user("citizen"), party_size=2)

    response, page = _open(client, f"/venues/{venue.id}/book?step=time&day={open_slot.local_date.isoformat()}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _screen(response) == "Step 2 of 5"
    assert [unescape(h) for h in _choices(page)] == [
        f"/venues/{venue.id}/book?step=people&day={open_slot.local_date.isoformat()}&slot={open_slot.id}"]
    assert "09:00–11:00" in html and "10 places left" in html
    assert "14:00–16:00" in html and "Fully booked" in html
    assert f"slot={full.id}&amp;join_waitlist=y" in html  # a full time takes a waiting list


def test_a_booking_through_every_screen_makes_exactly_one_booking(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue, capacity=40)

    check = _walk_to_check(client, venue, slot, party_size=3)

    html = check.get_data(as_text=True)
    assert check.status_code == 200 and _screen(check) == "Step 5 of 5"
    assert "Please check your booking" in html and "3 people" in html and "Confirm booking" in html
    assert _bookings() == 0, "nothing is booked before the last button"
    done = _send(client, _Page(html))
    assert done.status_code == 302 and re.fullmatch(r"/bookings/\d+", done.headers["Location"])
    booking = db.session.scalar(select(Booking))
    assert _bookings() == 1
    assert (booking.user_id, booking.status, booking.party_size, booking.children) == \
        (elder.id, BookingStatus.CONFIRMED, 3, 0)
    assert _taken(slot.id) == 3
    assert client.get(done.headers["Location"]).status_code == 200


def test_pressing_confirm_twice_books_once(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    check = _Page(_walk_to_check(client, venue, slot).get_data(as_text=True))
    first, second = _send(client, check), _send(client, check)
    assert first.headers["Location"] == second.headers["Location"]
    assert _bookings() == 1 and _taken(slot.id) == 2


def test_children_bring_the_guardian_question_and_no_is_answered_beside_it(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)

    refused = _walk_to_check(client, venue, slot, party_size=3, children=1, guardian="false")

    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and _screen(refused) == "Step 4 of 5"
    assert 'id="guardian_confirmed-error"' in html and "must be booked by their guardian" in html
    kept = _Page(html).form["fields"]
    assert (kept["slot"], kept["party_size"], kept["children"]) == (str(slot.id), "3", "1")

    check = _send(client, _Page(html), guardian_confirmed="y")
    assert check.status_code == 200 and "You will come with the children." in check.get_data(as_text=True)
    assert _send(client, _Page(check.get_data(as_text=True))).status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.party_size, booking.children, booking.guardian_confirmed) == (3, 1, True)


def test_the_guardian_question_sent_unanswered_asks_for_an_answer_beside_it(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    _, day = _open(client, f"/venues/{venue.id}/book")
    _, times = _open(client, unescape(next(h for h in _choices(day) if slot.local_date.isoformat() in h)))
    _, people = _open(client, unescape(next(h for h in _choices(times) if f"slot={slot.id}" in h)))
    children = _Page(_send(client, people, party_size=3).get_data(as_text=True))
    guardian = _Page(_send(client, children, children=2).get_data(as_text=True))

    unanswered = _send(client, guardian)  # "Next step" with neither Yes nor No chosen
    html = unanswered.get_data(as_text=True)
    assert unanswered.status_code == 400 and _screen(unanswered) == "Step 4 of 5"
    assert 'id="guardian_confirmed-error"' in html and "Please choose one of the answers." in html
    # Come back to by a link (not sent from it), the question is asked without a message.
    back = client.get(f"/venues/{venue.id}/book", query_string={**guardian.form["fields"], "asked": ""})
    assert back.status_code == 200 and "Please choose one of the answers." not in back.get_data(as_text=True)
    assert _bookings() == 0


def test_no_children_means_no_guardian_question(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    response = client.get(f"/venues/{venue.id}/book?step=guardian&slot={slot.id}&party_size=2&children=0")
    assert response.status_code == 200 and "Please check your booking" in response.get_data(as_text=True)


@pytest.mark.parametrize("answer,message", [
    ("", "This field is required."),
    ("many", "Not a valid integer value."),
    ("6", "A booking is for 1 to 5 people."),  # the venue's party limit, from the service
])
def test_a_bad_number_of_people_comes_back_on_its_screen_with_the_message_beside_it(client, elder, answer,
                                                                                       message):
    venue = factories.venue()
    slot = factories.slot(venue)
    response = client.get(f"/venues/{venue.id}/book",
                          query_string={"step": "children", "slot": slot.id, "party_size": answer})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _screen(response) == "Step 3 of 5"
    error = re.search(r'<p class="error" id="party_size-error">(.*?)</p>', html).group(1)
    assert error.strip() == message  # one message: not also "at least 1" of a number it could not read
    assert 'aria-invalid="true"' in html
    assert _Page(html).form["fields"]["slot"] == str(slot.id)


def test_more_children_than_people_comes_back_on_the_children_screen(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    response = client.get(f"/venues/{venue.id}/book?step=guardian&slot={slot.id}&party_size=2&children=3")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="children-error"' in html
    assert "Children cannot be more than the whole party." in html
    assert _Page(html).form["fields"]["party_size"] == "2"


def test_the_back_link_keeps_the_answers_given(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    response, page = _open(client, f"/venues/{venue.id}/book?step=children&slot={slot.id}&party_size=4")
    back = next(href for cls, href in page.links if "step=people" in href)
    people = client.get(unescape(back)).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="party_size"[^>]*value="4"', people)


def test_a_screen_asked_for_before_its_answers_shows_the_first_missing_question(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    assert _screen(client.get(f"/venues/{venue.id}/book?step=check")) == "Step 1 of 5"
    response = client.get(f"/venues/{venue.id}/book?step=check&slot={slot.id}")
    assert response.status_code == 200 and _screen(response) == "Step 3 of 5"


def test_a_day_with_no_times_says_any_more_only_of_a_day_that_has_come(client, elder):
    from datetime import timedelta

    from app.core.time import local_today

    venue = factories.venue()
    factories.slot(venue)
    far = (local_today() + timedelta(days=200)).isoformat()
    for day, said in ((far, "There are no times to book on this day. Please choose another day."),
                      ("not-a-day", "There are no times to book on this day. Please choose another day."),
                      ((local_today() - timedelta(days=1)).isoformat(), "There are no times to book on this day any more.")):
        html = client.get(f"/venues/{venue.id}/book?step=time&day={day}").get_data(as_text=True)
        assert said in html, day


def test_a_time_no_longer_open_comes_back_on_the_time_screen(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    slot.status = SlotStatus.CANCELLED
    db.session.commit()
    response = client.get(f"/venues/{venue.id}/book?step=people&slot={slot.id}")
    assert response.status_code == 400 and _screen(response) == "Step 2 of 5"
    assert "This time is no longer open for booking." in response.get_data(as_text=True)


def test_the_last_places_taken_meanwhile_are_refused_on_the_check_screen_with_the_waiting_list_offered(
        client, elder):
    venue = factories.venue()
    slot = factories.slot(venue, capacity=3)
    check = _Page(_walk_to_check(client, venue, slot, party_size=2).get_data(as_text=True))
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)  # someone else was quicker

    refused = _send(client, check)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Please check your booking" in html
    assert "Only 1 place is left at this time." in html and "Join the waiting list" in html
    assert "Confirm booking" not in html, "a time known to be full is not offered again"
    assert _bookings() == 1 and _taken(slot.id) == 2
    waiting = _send(client, _Page(html), join_waitlist="y")
    assert waiting.status_code == 302
    mine = db.session.scalar(select(Booking).where(Booking.user_id == elder.id))
    assert mine.status == BookingStatus.WAITLISTED and _taken(slot.id) == 2


def test_a_full_time_chosen_from_the_list_books_a_place_on_the_waiting_list(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue, capacity=1)
    factories.booked_visit(slot, factories.user("citizen"), party_size=1)
    people = client.get(f"/venues/{venue.id}/book?step=people&slot={slot.id}&join_waitlist=y")
    assert "You are joining the waiting list" in people.get_data(as_text=True)
    check = client.get(f"/venues/{venue.id}/book?step=check&slot={slot.id}&join_waitlist=y&party_size=1&children=0")
    assert "1 person" in check.get_data(as_text=True)
    assert _send(client, _Page(check.get_data(as_text=True))).status_code == 302
    mine = db.session.scalar(select(Booking).where(Booking.user_id == elder.id))
    assert mine.status == BookingStatus.WAITLISTED


def test_a_time_the_citizen_has_booked_is_marked_as_theirs_on_the_time_screen(client, elder):
    venue = factories.venue()
    mine = factories.slot(venue, start=time(9), end=time(11))
    other = factories.slot(venue, start=time(14), end=time(16))
    booking = factories.booked_visit(mine, elder, party_size=1)

    response, page = _open(client, f"/venues/{venue.id}/book?step=time&day={mine.local_date.isoformat()}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [parse_qs(urlsplit(unescape(h)).query)["slot"] for h in _choices(page)] == [[str(other.id)]]
    assert ("step-mine", f"/bookings/{booking.id}") in page.links
    assert re.search(r'class="step-choice mine".*?09:00–11:00.*?Your booking', html, re.S)


def test_a_place_on_the_waiting_list_is_not_called_a_booking_on_the_time_screen_nor_the_venue_page(client, elder):
    venue = factories.venue()
    full = factories.slot(venue, start=time(9), end=time(11), capacity=1)
    factories.booked_visit(full, factories.user("citizen"), party_size=1)
    booking = factories.booked_visit(full, elder, party_size=1, join_waitlist=True)
    assert booking.status == BookingStatus.WAITLISTED

    html = client.get(f"/venues/{venue.id}/book?step=time&day={full.local_date.isoformat()}").get_data(as_text=True)
    assert re.search(r'class="step-choice mine".*?09:00–11:00.*?On the waiting list', html, re.S)
    assert "Your booking" not in html
    html = client.get(f"/venues/{venue.id}?mode=standard").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}">On the waiting list' in html and "Your booking" not in html


@pytest.mark.parametrize("step", ["people", "children", "check"])
def test_a_step_url_for_a_time_already_booked_shows_that_booking_and_no_confirm_button(client, elder, step):
    venue = factories.venue()
    slot = factories.slot(venue)
    booking = factories.booked_visit(slot, elder, party_size=1)

    response, page = _open(client, f"/venues/{venue.id}/book?step={step}&slot={slot.id}&party_size=1&children=0")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _screen(response) == "Step 2 of 5"
    assert "You already have a booking for this time." in html
    assert ("", f"/bookings/{booking.id}") in page.links  # "See your booking"
    assert "Confirm booking" not in html and page.form is None
    assert _bookings() == 1


def test_elder_mode_on_a_booked_slot_page_tells_of_the_booking(client, elder):
    slot = factories.slot()
    booking = factories.booked_visit(slot, elder, party_size=1)
    response = client.get(f"/slots/{slot.id}/book", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You already have a booking for this time." in html and f'href="/bookings/{booking.id}"' in html


def test_a_booking_made_meanwhile_for_the_same_time_is_refused_with_a_link_to_it(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)
    check = _Page(_walk_to_check(client, venue, slot, party_size=2).get_data(as_text=True))
    booking = factories.booked_visit(slot, elder, party_size=1)  # booked in another tab meanwhile

    refused = _send(client, check)

    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "You already have a booking for this time." in html and f'href="/bookings/{booking.id}"' in html
    assert "Confirm booking" not in html
    assert _bookings() == 1 and _taken(slot.id) == 1


def test_the_check_screen_offers_a_place_freed_since_the_waiting_list_was_chosen(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue, capacity=2000)

    check = client.get(f"/venues/{venue.id}/book?step=check&slot={slot.id}&party_size=1&children=0&join_waitlist=y")

    html = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "A place is free now: you can book it." in html and "Confirm booking" in html
    assert "This time is full" not in html and "Join the waiting list" not in html
    assert _send(client, _Page(html)).status_code == 302
    mine = db.session.scalar(select(Booking).where(Booking.user_id == elder.id))
    assert mine.status == BookingStatus.CONFIRMED and _taken(slot.id) == 1


def test_the_check_screen_says_a_time_filled_since_it_was_chosen_is_full_and_offers_the_waiting_list(
        client, elder):
    venue = factories.venue()
    slot = factories.slot(venue, capacity=3)
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)  # one place left, for 2 people

    check = client.get(f"/venues/{venue.id}/book?step=check&slot={slot.id}&party_size=2&children=0")

    html = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "This time is full." in html and "Join the waiting list" in html and "Confirm booking" not in html
    assert _send(client, _Page(html)).status_code == 302
    mine = db.session.scalar(select(Booking).where(Booking.user_id == elder.id))
    assert mine.status == BookingStatus.WAITLISTED and _taken(slot.id) == 2


def test_the_check_screen_says_before_booking_that_changes_have_closed_as_the_one_page_form_does(client, elder):
    """An older visitor booking tomorrow's visit of a venue whose changes close 48 hours before is
    told, before confirming, that the booking cannot be changed or cancelled online, and whom to call."""
    from app.bookings.models import BookingRules

    venue = factories.venue(contact_phone="025-8453 8888")
    db.session.add(BookingRules(venue_id=venue.id, cancel_cutoff_hours=48))
    soon, later = factories.slot(venue, days_ahead=1), factories.slot(venue, days_ahead=5)
    db.session.commit()

    html = client.get(f"/venues/{venue.id}/book?step=check&slot={soon.id}&party_size=1&children=0").get_data(
        as_text=True)
    assert "Changes and cancellations closed at" in html and 'href="tel:025-84538888"' in html
    assert "Confirm booking" in html  # still bookable: told, not stopped
    html = client.get(f"/venues/{venue.id}/book?step=check&slot={later.id}&party_size=1&children=0").get_data(
        as_text=True)
    assert "Changes and cancellations closed" not in html


def test_standard_mode_still_books_on_the_one_page_form(client, auth):
    slot = factories.slot()
    auth.login(factories.user("citizen").email)
    response = client.get(f"/slots/{slot.id}/book?mode=standard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(f'name="{name}"' in html for name in ("party_size", "children", "guardian_confirmed"))


def test_elder_mode_takes_a_chosen_slot_to_the_step_screens(client, elder):
    slot = factories.slot()
    response = client.get(f"/slots/{slot.id}/book")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/venues/{slot.venue_id}/book?step=people&slot={slot.id}"


def test_only_citizens_book_step_by_step(client, auth):
    venue = factories.venue()
    factories.slot(venue)
    auth.login(factories.user("teacher").email)
    assert client.get(f"/venues/{venue.id}/book").status_code == 403
    auth.logout()
    auth.login(factories.user("citizen").email)
    assert client.get(f"/venues/{factories.venue(status='draft').id}/book").status_code == 404
    other = factories.slot(factories.venue())
    assert client.get(f"/venues/{venue.id}/book?step=people&slot={other.id}").status_code == 404


JUNK = st.one_of(st.text(max_size=30), st.integers().map(str),
                 st.sampled_from(["", "0", "-1", "9999999999", "١٢٣", "2026-02-30", "9999-12-31", "y", "false"]))


def test_any_answers_in_the_url_never_give_a_server_error(client, elder):
    venue = factories.venue()
    slot = factories.slot(venue)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(answers=st.fixed_dictionaries({}, optional={
        "step": st.sampled_from(["day", "time", "people", "children", "guardian", "check", "x"]),
        "day": st.one_of(JUNK, st.just(slot.local_date.isoformat())), "slot": st.one_of(JUNK, st.just(str(slot.id))),
        "party_size": JUNK, "children": JUNK, "guardian_confirmed": JUNK, "join_waitlist": JUNK}))
    def visit(answers):
        response = client.get(f"/venues/{venue.id}/book", query_string=answers)
        assert response.status_code in (200, 400, 404), (answers, response.status_code)

    visit()
