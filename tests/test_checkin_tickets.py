"""The ticket a visitor holds: its QR as PNG and SVG, on the booking page and the class's slip."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from app.bookings import services as booking_services
from app.checkin import tickets
from app.extensions import db
from tests import factories

PAGE_BUDGET = 200 * 1024


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def booking(app):
    slot = factories.slot_at()
    return factories.confirmed_visit(slot, party_size=2)


def test_the_booker_gets_the_ticket_as_png_and_svg(client, auth, booking):
    auth.login(booking.user.email)
    png = client.get(f"/api/v1/bookings/{booking.id}/ticket.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size[0] >= 200
    svg = client.get(f"/api/v1/bookings/{booking.id}/ticket.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_the_ticket_png_decodes_with_an_independent_reader_and_checks_in(client, auth, booking):
    zxingcpp = pytest.importorskip("zxingcpp")
    auth.login(booking.user.email)
    png = client.get(f"/api/v1/bookings/{booking.id}/ticket.png").data
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == tickets.code_for_booking(booking)

    gate = factories.gate_token(booking.venue)
    response = client.post("/api/v1/checkins", json={"code": found.text}, headers={"Authorization": f"Bearer {gate}"})
    assert response.get_json()["result"] == "ok"


def test_the_venues_staff_may_see_a_ticket_and_others_get_404(client, auth, booking):
    auth.login(factories.user("venue_staff", venue=booking.venue).email)
    assert client.get(f"/api/v1/bookings/{booking.id}/ticket.png").status_code == 200
    for stranger in (factories.user("citizen"), factories.user("venue_staff"), factories.user("venue_manager")):
        auth.logout()
        auth.login(stranger.email)
        assert client.get(f"/api/v1/bookings/{booking.id}/ticket.png").status_code == 404
        assert client.get(f"/api/v1/bookings/{booking.id}/ticket.svg").status_code == 404
    assert client.get("/api/v1/bookings/999999/ticket.png").status_code == 404


def test_a_ticket_needs_a_login_or_a_token(client, booking):
    assert client.get(f"/api/v1/bookings/{booking.id}/ticket.png").status_code == 401
    token = factories.user_token(booking.user)
    response = client.get(f"/api/v1/bookings/{booking.id}/ticket.png", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_gate_device_cannot_fetch_tickets(client, booking):
    gate = factories.gate_token(booking.venue)
    response = client.get(f"/api/v1/bookings/{booking.id}/ticket.png", headers={"Authorization": f"Bearer {gate}"})
    assert response.status_code == 404


def test_the_booking_page_shows_the_qr_the_booking_number_and_the_code(client, auth, booking):
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f"/api/v1/bookings/{booking.id}/ticket.png" in page
    assert tickets.grouped(booking.reference) in page
    assert tickets.grouped(tickets.code_for_booking(booking)) in page


def test_a_cancelled_booking_shows_no_ticket(client, auth):
    slot = factories.slot(days_ahead=3)
    citizen = factories.user("citizen")
    booking = factories.booked_visit(slot, citizen)
    booking_services.cancel_booking(citizen, booking)
    db.session.commit()
    auth.login(citizen.email)
    assert "ticket.png" not in client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/bookings/{booking.id}/ticket.png").status_code == 404


def test_a_class_slip_shows_one_code_for_the_whole_class(client, auth):
    slot = factories.slot_at()
    teacher = factories.user("teacher")
    booking = factories.confirmed_visit(slot, teacher, students=30, adults=3)
    auth.login(teacher.email)
    page = client.get(f"/bookings/{booking.id}/slip").get_data(as_text=True)
    assert page.count('class="ticket-qr"') == 1
    assert tickets.grouped(booking.reference) in page
    assert tickets.verify(tickets.code_for_booking(booking)).seats == 33


def test_the_ticket_page_weighs_under_200_kb_with_its_css_and_qr(client, auth, booking):
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}")
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/(?:static|api/v1)/[^"]+\.(?:css|png|js))"', html)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith("ticket.png") for a in assets)
    total = len(page.data) + sum(len(client.get(asset).data) for asset in set(assets))
    assert total < PAGE_BUDGET, f"{total} bytes"


def test_the_ticket_image_is_not_cached_stale(client, auth, booking):
    auth.login(booking.user.email)
    first = client.get(f"/api/v1/bookings/{booking.id}/ticket.png")
    assert "no-cache" in first.headers["Cache-Control"] and first.headers.get("ETag")
    again = client.get(f"/api/v1/bookings/{booking.id}/ticket.png", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_qr_download_is_a_png_a_phones_gallery_opens_with_the_session(client, auth, booking):
    auth.login(booking.user.email)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    [link] = re.findall(r'<a href="([^"]+)" download="([^"]+)"', page)
    assert link == (f"/api/v1/bookings/{booking.id}/ticket.png", f"ticket-{booking.reference}.png")
    download = client.get(link[0])  # the signed-in session, no bearer token
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert Image.open(io.BytesIO(download.data)).format == "PNG"
