"""Gate staff scan tickets in a real browser: a typed (or USB-scanned) code, and Chromium's fake camera
pointed at a ticket's QR."""
from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.checkin import tickets
from app.checkin.models import CheckIn, CheckInKind
from app.extensions import db
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, TIMEOUT_MS
from tests.browser.helpers import horizontal_overflow, log_in, translate


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


# Whether the element is what the screen shows at its own centre (not covered by something else).
_IN_VIEW_JS = """(el) => { const box = el.getBoundingClientRect();
  return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === el; }"""


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_over_an_answer_the_focused_ticket_field_is_in_view_and_the_page_behind_out_of_reach(phone_page, app,
                                                                                            mode):
    """A keyboard user sees where the focus is (WCAG 2.4.7) and Tab stays on what is in view (2.4.3)."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=3)
    page = phone_page
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto(f"/scan?mode={mode}")
    code_field = page.get_by_label(translate(app, "Ticket code or booking number"))
    code_field.fill(tickets.code_for_booking(booking))
    code_field.press("Enter")
    expect(page.locator("#scan-result")).to_have_class("scan-result overlay tone-ok")

    expect(code_field).to_be_focused()
    assert code_field.evaluate(_IN_VIEW_JS)
    for _ in range(6):
        page.keyboard.press("Tab")
        where = page.evaluate("""() => { const el = document.activeElement;
          return el === document.body || !!el.closest('#scan-result, [data-scan-form]'); }""")
        assert where, page.evaluate("() => document.activeElement.outerHTML.slice(0, 160)")
    page.keyboard.press("Escape")
    expect(page.locator("#scan-result")).to_be_hidden()
    assert not page.evaluate("() => document.querySelector('[inert]')")  # the page is back


def test_staff_type_a_ticket_code_and_see_it_admitted_in_green(phone_page, app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=3)
    staff = factories.user("venue_staff", venue=slot.venue)
    page = phone_page
    log_in(page, staff.email)
    page.goto("/scan")

    code_field = page.get_by_label(translate(app, "Ticket code or booking number"))
    expect(code_field).to_be_focused()
    code_field.fill(tickets.code_for_booking(booking))
    code_field.press("Enter")  # what a USB scanner does after typing the code

    result = page.locator("#scan-result")
    expect(result).to_have_class("scan-result overlay tone-ok")
    expect(result).to_contain_text(translate(app, "Admitted"))
    expect(result).to_contain_text(translate(app, ("%(num)d person", "%(num)d people"), num=3))
    assert _status(booking.id) == BookingStatus.CHECKED_IN
    expect(page.locator('[data-total="checked_in"]')).to_have_text("3")

    page.get_by_role("link", name=translate(app, "Next scan")).click()
    expect(result).to_be_hidden()
    code_field.fill(booking.reference)
    code_field.press("Enter")
    expect(result).to_have_class("scan-result overlay tone-warn")
    expect(result).to_contain_text(translate(app, "Already checked in"))


class _HeldCheckIns:
    """Holds POST /api/v1/checkins until released, as a gate's slow mobile network might: the test,
    not the machine's speed, decides what reaches the screen first."""

    def __init__(self, page) -> None:
        self.page, self.held, self.holding = page, [], True
        page.route("**/api/v1/checkins", self._handle)

    def _handle(self, route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        """Lets the held requests through (waiting for the first to be sent), and every later one."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not self.held:
            assert time.monotonic() < deadline, "the scanner sent no check-in"
            self.page.wait_for_timeout(20)
        self.holding = False
        for route in self.held:
            route.continue_()


def _type_code(page, code: str) -> None:
    """What a USB scanner does with a ticket: the code typed into the focused field, then Enter."""
    page.keyboard.insert_text(code)
    page.keyboard.press("Enter")


def _scan_back_to_back(page, app, *codes: str) -> None:
    """Tickets held out one after another, all scanned before the first answer is back."""
    network = _HeldCheckIns(page)
    page.get_by_label(translate(app, "Ticket code or booking number")).focus()
    for code in codes:
        _type_code(page, code)
    network.release()


def test_two_tickets_scanned_back_to_back_are_both_checked_in_and_both_answers_shown(page, app):
    slot = factories.slot_at()
    first, second = factories.confirmed_visit(slot, party_size=2), factories.confirmed_visit(slot, party_size=3)
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto("/scan")

    _scan_back_to_back(page, app, tickets.code_for_booking(first), tickets.code_for_booking(second))

    result = page.locator("#scan-result")
    earlier = page.locator("[data-result-earlier-list] li")
    expect(earlier).to_have_count(1)  # the first answer, listed under the second's
    expect(earlier).to_contain_text(translate(app, "Admitted"))
    expect(earlier).to_contain_text(translate(app, ("%(num)d person", "%(num)d people"), num=2))
    expect(result.locator("[data-result-party]")).to_have_text(
        translate(app, ("%(num)d person", "%(num)d people"), num=3))
    expect(result).to_have_class("scan-result overlay tone-ok")
    expect(page.locator("[data-result-waiting]")).to_be_hidden()
    assert _status(first.id) == _status(second.id) == BookingStatus.CHECKED_IN
    expect(page.locator('[data-total="checked_in"]')).to_have_text("5")


def test_a_refused_ticket_scanned_right_after_an_admitted_one_turns_the_screen_red(page, app):
    slot = factories.slot_at()
    admitted = factories.confirmed_visit(slot, party_size=2)
    tomorrows = factories.confirmed_visit(factories.slot(slot.venue, days_ahead=1))
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto("/scan")

    _scan_back_to_back(page, app, tickets.code_for_booking(admitted), tickets.code_for_booking(tomorrows))

    result = page.locator("#scan-result")
    expect(page.locator("[data-result-earlier-list] li")).to_contain_text(translate(app, "Admitted"))
    expect(result).to_have_class("scan-result overlay tone-bad")  # the last visitor's answer, not the green before
    expect(result.locator("[data-result-title]")).to_have_text(translate(app, "Ticket for another day"))
    assert _status(admitted.id) == BookingStatus.CHECKED_IN
    assert _status(tomorrows.id) == BookingStatus.CONFIRMED


def _class_and_party_at_the_gate(page) -> tuple[Booking, Booking]:
    """A class of 30 and 2 adults and a party of 2, both due now; the venue's staff at /scan."""
    slot = factories.slot_at()
    school = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    party = factories.confirmed_visit(slot, party_size=2)
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto("/scan")
    return school, party


def test_a_scan_behind_a_classs_headcount_waits_for_it_then_is_checked_in(page, app):
    school, party = _class_and_party_at_the_gate(page)

    _scan_back_to_back(page, app, tickets.code_for_booking(school), tickets.code_for_booking(party))

    expect(page.locator("#js-students")).to_have_value("30")
    expect(page.locator("[data-result-waiting]")).to_have_text(
        translate(app, "Scans waiting to be checked: %(num)s", num=1))
    assert _status(party.id) == BookingStatus.CONFIRMED  # waits: staff are counting the class
    page.get_by_role("button", name=translate(app, "Admit the class")).click()
    expect(page.locator("[data-result-earlier-list] li")).to_have_count(1)
    expect(page.locator("#scan-result [data-result-party]")).to_have_text(
        translate(app, ("%(num)d person", "%(num)d people"), num=2))
    assert _status(school.id) == _status(party.id) == BookingStatus.CHECKED_IN


def test_a_class_answer_arriving_while_the_next_code_is_typed_leaves_the_scanner_its_field(page, app):
    """The scanner's Enter must queue its own code, not confirm the class with the booked numbers."""
    school, party = _class_and_party_at_the_gate(page)
    field = page.get_by_label(translate(app, "Ticket code or booking number"))
    network = _HeldCheckIns(page)
    field.focus()
    _type_code(page, tickets.code_for_booking(school))
    code = tickets.code_for_booking(party)
    page.keyboard.insert_text(code[:20])

    network.release()
    expect(page.locator("#js-students")).to_have_value("30")
    expect(field).to_be_focused()
    _type_code(page, code[20:])

    expect(page.locator("[data-result-waiting]")).to_have_text(
        translate(app, "Scans waiting to be checked: %(num)s", num=1))
    assert _status(school.id) == _status(party.id) == BookingStatus.CONFIRMED
    page.get_by_role("button", name=translate(app, "Admit the class")).click()
    expect(page.locator("#scan-result [data-result-party]")).to_have_text(
        translate(app, ("%(num)d person", "%(num)d people"), num=2))
    assert _status(school.id) == _status(party.id) == BookingStatus.CHECKED_IN


def _class_ticket_typed_at_the_gate(page, app) -> Booking:
    """A class of 30 students and 2 adults, its booking number typed at /scan by the venue's staff."""
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, factories.user("teacher"), students=30, adults=2)
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto("/scan")
    page.get_by_label(translate(app, "Ticket code or booking number")).fill(booking.reference)
    page.keyboard.press("Enter")
    return booking


def test_staff_confirm_a_classs_headcount_before_it_is_admitted(page, app):
    booking = _class_ticket_typed_at_the_gate(page, app)

    students = page.locator("#js-students")
    expect(students).to_have_value("30")
    assert _status(booking.id) == BookingStatus.CONFIRMED
    students.fill("26")
    page.get_by_role("button", name=translate(app, "Admit the class")).click()
    expect(page.locator("#scan-result")).to_have_class("scan-result overlay tone-ok")
    expect(page.locator("#scan-result")).to_contain_text("26")
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def test_numbers_refused_for_a_class_are_corrected_on_the_same_form(page, app):
    booking = _class_ticket_typed_at_the_gate(page, app)

    page.locator("#js-students").fill("0")
    page.locator("#js-adults").fill("0")
    # Waits for the refusal itself: the question shown before it names "Do not admit" too, and numbers
    # typed while the first answer is on its way would be sent with nothing (the form is busy).
    with page.expect_response(lambda r: "/api/v1/checkins" in r.url and r.request.method == "POST") as refusal:
        page.get_by_role("button", name=translate(app, "Admit the class")).click()
    assert refusal.value.status == 400
    result = page.locator("#scan-result")
    expect(result).to_contain_text(translate(app, "Do not admit"))  # the message, and the button it names
    expect(page.get_by_role("button", name=translate(app, "Do not admit"))).to_be_visible()
    assert _status(booking.id) == BookingStatus.CONFIRMED
    page.locator("#js-students").fill("28")
    page.locator("#js-adults").fill("2")
    page.get_by_role("button", name=translate(app, "Admit the class")).click()
    expect(result).to_have_class("scan-result overlay tone-ok")
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def test_more_students_than_booked_are_refused_next_to_the_students_typed(page, app):
    booking = _class_ticket_typed_at_the_gate(page, app)

    students, adults = page.locator("#js-students"), page.locator("#js-adults")
    students.fill("31")
    with page.expect_response(lambda r: "/api/v1/checkins" in r.url and r.request.method == "POST") as refusal:
        page.get_by_role("button", name=translate(app, "Admit the class")).click()
    said = refusal.value.json()
    assert (refusal.value.status, said["field"]) == (422, "headcount.students")
    error = page.locator("#js-students-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(said["message"])
    expect(students).to_have_attribute("aria-invalid", "true")
    expect(students).to_have_attribute("aria-describedby", "js-students-error")
    expect(students).to_be_focused()
    expect(students).to_have_value("31")  # what staff typed, to correct
    expect(adults).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#js-adults-error")).to_be_hidden()
    assert _status(booking.id) == BookingStatus.CONFIRMED

    students.fill("30")
    page.get_by_role("button", name=translate(app, "Admit the class")).click()
    expect(page.locator("#scan-result")).to_have_class("scan-result overlay tone-ok")
    assert _status(booking.id) == BookingStatus.CHECKED_IN


def _gates(kind: CheckInKind) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn.gate).where(CheckIn.kind == kind)))


def test_the_gate_typed_once_is_kept_on_this_device(page, app):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=2)
    log_in(page, factories.user("venue_staff", venue=slot.venue).email)
    page.goto("/scan")
    gate_field = page.get_by_label(translate(app, "Gate"), exact=True)
    gate_field.fill("West gate 1")
    code_field = page.get_by_label(translate(app, "Ticket code or booking number"))
    code_field.fill(tickets.code_for_booking(booking))
    code_field.press("Enter")  # scanned by the script, through the API
    expect(page.locator("#scan-result")).to_have_class("scan-result overlay tone-ok")
    assert _gates(CheckInKind.TICKET) == ["West gate 1"]

    page.reload()
    expect(gate_field).to_have_value("West gate 1")
    page.get_by_label(translate(app, "How many people?")).fill("3")
    page.get_by_label(translate(app, "Who is visiting?")).select_option(label=translate(app, "Adults"))
    with page.expect_navigation():
        page.get_by_role("button", name=translate(app, "Add walk-ins")).click()
    expect(page.get_by_text(translate(app, ("%(num)d walk-in visitor counted.", "%(num)d walk-in visitors counted."), num=3))).to_be_visible()
    expect(gate_field).to_have_value("West gate 1")
    assert _gates(CheckInKind.WALK_IN) == ["West gate 1"]


def test_the_scanner_page_is_accessible_and_fits_a_phone(new_page, app):
    staff = factories.user("venue_staff")
    page = new_page(phone=True, axe=True)
    log_in(page, staff.email)
    page.goto("/scan")
    assert_accessible(page, "/scan (phone)")
    assert not horizontal_overflow(page)["overflows"]


def _y4m(png: bytes, path, width: int = 640, height: int = 480) -> None:
    """A still video (YUV 4:2:0) of the QR on white, for Chromium's fake camera."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    side = 400
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr.resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(3):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_the_camera_reads_a_ticket_and_admits_it(browser, live_server, app, tmp_path):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=2)
    staff = factories.user("venue_staff", venue=slot.venue)
    video = tmp_path / "ticket.y4m"
    _y4m(tickets.png(tickets.code_for_booking(booking)), video)

    camera_browser = _launch_with_camera(browser, video)
    try:
        context = camera_browser.new_context(base_url=live_server, locale="zh-CN", **PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        log_in(page, staff.email)
        page.goto("/scan")
        page.get_by_role("button", name=translate(app, "Start camera")).click()
        result = page.locator("#scan-result")
        expect(result).to_have_class("scan-result overlay tone-ok", timeout=15_000)
        assert _status(booking.id) == BookingStatus.CHECKED_IN
        context.close()
    finally:
        camera_browser.close()


def _launch_with_camera(browser, video):
    from tests.browser.conftest import chromium_path

    return browser.browser_type.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
