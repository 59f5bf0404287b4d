"""A refused headcount is said next to the number it is about: on the scanner page's form, and as the
`field` of the API's error (the number's path in the request), one by one and in offline batches."""
from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.checkin import tickets
from app.checkin.models import CheckIn
from app.core.time import to_local, utcnow
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _count() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


class _Form(HTMLParser):
    """The inputs of a page by id (their attributes), and the text of each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str]] = {}
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "input":
            self.inputs[attrs.get("id", "")] = attrs
            return
        self._open.append((tag, attrs.get("id")))
        if attrs.get("id"):
            self.texts[attrs["id"]] = ""

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id:
                self.texts[element_id] += data

    def marked(self, input_id: str) -> bool:
        """Marked as the field macro marks an error: aria-invalid, and described by its message."""
        attrs = self.inputs[input_id]
        return (attrs.get("aria-invalid") == "true"
                and f"{input_id}-error" in attrs.get("aria-describedby", "").split())


# --- the scanner page, without JavaScript -----------------------------------------------------------

@pytest.fixture
def class_at_the_gate(client, auth):
    """A class of 30 students and 2 adults due now, and the venue's staff signed in: its code."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    return tickets.code_for_booking(booking)


def _confirm(client, code: str, students, adults):
    return client.post("/scan/group?lang=en", data={"code": code, "nonce": "h1", "students": students,
                                                     "adults": adults})


def test_more_students_than_booked_are_refused_next_to_the_students_typed(client, class_at_the_gate):
    response = _confirm(client, class_at_the_gate, 31, 2)
    page = _Form(response.get_data(as_text=True))
    assert response.status_code == 400 and _count() == 0
    assert page.marked("students") and not page.marked("adults")
    assert "no more than 30 students can be admitted" in page.texts["students-error"]
    assert (page.inputs["students"]["value"], page.inputs["adults"]["value"]) == ("31", "2")


def test_more_people_than_booked_are_refused_next_to_the_adults_typed(client, class_at_the_gate):
    response = _confirm(client, class_at_the_gate, 30, 3)
    page = _Form(response.get_data(as_text=True))
    assert response.status_code == 400 and _count() == 0
    assert page.marked("adults") and not page.marked("students")
    assert "no more than 32 people in all can be admitted" in page.texts["adults-error"]
    assert (page.inputs["students"]["value"], page.inputs["adults"]["value"]) == ("30", "3")


def test_a_class_of_nobody_is_refused_above_the_form_not_next_to_either_number(client, class_at_the_gate):
    response = _confirm(client, class_at_the_gate, 0, 0)
    html = response.get_data(as_text=True)
    page = _Form(html)
    assert response.status_code == 400 and _count() == 0
    assert not page.marked("students") and not page.marked("adults")
    summary = html[html.index('class="error-summary"'):html.index('action="/scan/group"')]
    assert "At least one student or adult must have arrived" in summary


# --- the API ----------------------------------------------------------------------------------------

def _scan(client, slot, booking, headcount):
    return client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(booking), "headcount": headcount},
                       headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}",
                                "Accept-Language": "en"})


@pytest.mark.parametrize("headcount, status, error, field", [
    ({"students": 31, "adults": 2}, 422, "headcount_above_booking", "headcount.students"),
    ({"students": 30, "adults": 3}, 422, "headcount_above_booking", "headcount.adults"),
    ({"students": 28}, 400, "invalid_headcount", "headcount.adults"),
    ({"adults": 2, "persons": 30}, 400, "invalid_headcount", "headcount.students"),
    ({"students": "28", "adults": 2}, 400, "invalid_parameter", "headcount.students"),
    ({"students": 0, "adults": 0}, 400, "invalid_headcount", "headcount"),  # neither number alone is wrong
    (30, 400, "invalid_headcount", "headcount"),  # a class's headcount sent as one number
], ids=["students above", "people above", "adults missing", "students missing", "students not a number",
        "nobody", "a number for a class"])
def test_a_refused_class_headcount_names_the_number_at_fault(client, headcount, status, error, field):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    response = _scan(client, slot, booking, headcount)
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (status, error, field), body
    assert _count() == 0


@pytest.mark.parametrize("headcount, status, error, field", [
    (4, 422, "headcount_above_booking", "headcount"),
    ({"persons": 4}, 422, "headcount_above_booking", "headcount.persons"),
    ({"persons": 0}, 400, "invalid_headcount", "headcount.persons"),
    ({"students": 2, "adults": 2}, 422, "headcount_above_booking", "headcount"),  # no persons sent to name
], ids=["a number", "persons", "nobody", "students and adults"])
def test_a_refused_party_headcount_names_the_number_as_it_was_sent(client, headcount, status, error, field):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=3)
    response = _scan(client, slot, booking, headcount)
    body = response.get_json()
    assert (response.status_code, body["error"], body["field"]) == (status, error, field), body
    assert _count() == 0


def test_an_offline_batch_names_the_number_a_refused_headcount_is_about(client):
    slot = factories.slot_at(starts_in=-timedelta(minutes=10))
    school = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    party = factories.confirmed_visit(slot, party_size=3)
    now = to_local(utcnow()).isoformat()
    scans = [{"code": tickets.code_for_booking(school), "nonce": "c1", "scanned_at": now,
              "headcount": {"students": 30, "adults": 3}},
             {"code": tickets.code_for_booking(party), "nonce": "p1", "scanned_at": now, "headcount": 5},
             {"code": tickets.code_for_booking(school), "nonce": "c2", "scanned_at": now,
              "headcount": {"students": -1, "adults": 2}}]
    response = client.post("/api/v1/checkins/batch", json={"scans": scans},
                           headers={"Authorization": f"Bearer {factories.gate_token(slot.venue)}"})
    results = response.get_json()["results"]
    assert response.status_code == 200
    assert [(r["error"], r["field"]) for r in results] == [("headcount_above_booking", "headcount.adults"),
                                                           ("headcount_above_booking", "headcount"),
                                                           ("invalid_headcount", "headcount.students")]
    assert _count() == 0
