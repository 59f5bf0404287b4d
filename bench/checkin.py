"""Check-in bars: throughput as a share of /healthz with latencies at 32 clients, signature
verifications per second on one core, and the ticket page's weight."""
from __future__ import annotations

import json
import secrets
import tempfile
import uuid
from datetime import timedelta

import sqlalchemy as sa

from bench import harness, seed

TICKETS = 40_000
HISTORY = 200_000  # admissions on the year's earlier days, as a live database holds them
CLIENTS = 32
SECONDS = 5


def _seed(app) -> tuple[list[str], str, int]:
    """A slot under way with ``TICKETS`` confirmed bookings, their codes, and a gate device token."""
    from app.accounts.models import ApiToken, TokenKind
    from app.accounts.tokens import generate_secret
    from app.bookings.models import Booking, BookingKind, BookingStatus
    from app.checkin import keys, tickets
    from app.core.time import to_local, utcnow
    from app.extensions import db
    from app.scheduling.models import Audience, Slot

    with app.app_context():
        venue = seed.venue()
        now = utcnow()
        slot = Slot(venue_id=venue.id, starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=3),
                    local_date=to_local(now).date(), audience=Audience.PUBLIC, admission="free",
                    capacity=TICKETS, taken=TICKETS, window_opens_days=7, window_closes_hours=0)
        db.session.add(slot)
        db.session.flush()
        rows = [{"reference": secrets.token_hex(8).upper(), "slot_id": slot.id, "venue_id": venue.id,
                 "kind": BookingKind.INDIVIDUAL, "status": BookingStatus.CONFIRMED, "party_size": 1, "seats": 1,
                 "is_partner": False, "guardian_confirmed": False, "ticket_version": 1, "decline_reason": "",
                 "cancel_reason": "", "created_at": now} for _ in range(TICKETS)]
        db.session.execute(sa.insert(Booking), rows)
        secret, digest = generate_secret()
        db.session.add(ApiToken(token_hash=digest, kind=TokenKind.GATE, venue_id=venue.id, name="bench gate",
                                expires_at=now + timedelta(days=1)))
        db.session.commit()
        keys.provision()
        db.session.commit()
        bookings = db.session.scalars(sa.select(Booking).where(Booking.slot_id == slot.id)).all()
        codes = [tickets.code_for_booking(b) for b in bookings]
        _history(venue.id, slot.local_date)
        db.session.commit()
        # Statistics, as autovacuum keeps them in a live database: just after a bulk load PostgreSQL
        # believes `bookings` is empty and claims a ticket through (venue, status), filtering 40,000
        # rows (5 ms), instead of through its unique reference.
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return codes, secret, slot.id


def _history(venue_id: int, today) -> None:
    """A year of walk-ins at the venue before ``today``, and their rollups. Without them the check-ins
    table starts the run empty, PostgreSQL plans the statements of a scan for an empty table, and
    each scan's count reads every check-in of the run so far, which no live database does."""
    from app.extensions import db
    from app.stats import rollups

    db.session.execute(sa.text(
        "INSERT INTO checkins (kind, result, reason, venue_id, local_date, persons, audience_group, gate, "
        "scanned_at, created_at) "
        "SELECT 'walk_in', 'ok', '', :venue, CAST(:today AS date) - 1 - n % 365, 1, 'adult', 'history', "
        "CAST(:today AS timestamp) - make_interval(days => 1 + n % 365), "
        "CAST(:today AS timestamp) - make_interval(days => 1 + n % 365) "
        "FROM generate_series(1, :rows) AS n"), {"venue": venue_id, "today": today, "rows": HISTORY})
    rollups.rebuild_attendance(today - timedelta(days=365), today - timedelta(days=1))


def checkin_bars(report: harness.Report) -> None:
    harness.fresh_database()
    app = harness.bench_app()
    codes, gate_secret, slot_id = _seed(app)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as bodies:
        for code in codes:
            bodies.write(json.dumps({"code": code, "nonce": uuid.uuid4().hex, "gate": "bench"}) + "\n")
        bodies.flush()
        with harness.gunicorn():
            healthz = harness.load("closed", "--url", f"{harness.BASE}/healthz", "--clients", str(CLIENTS),
                                   "--seconds", str(SECONDS))
            scans = harness.load("closed", "--url", f"{harness.BASE}/api/v1/checkins", "--method", "POST",
                                 "--clients", str(CLIENTS), "--seconds", str(SECONDS), "--bodies", bodies.name,
                                 "--header", f"Authorization: Bearer {gate_secret}",
                                 "--header", "Content-Type: application/json")
    from app.checkin.models import CheckIn, CheckInKind, CheckInResult
    from app.extensions import db

    with app.app_context():
        admitted = db.session.scalar(sa.select(sa.func.count(CheckIn.id)).where(
            CheckIn.result == CheckInResult.OK, CheckIn.kind == CheckInKind.TICKET))  # not the history
    ratio = scans["rps"] / healthz["rps"]
    clean = scans["statuses"] == {"200": scans["requests"]} and admitted == scans["requests"]
    report.add("check-in throughput",
               f"{scans['rps']:.0f} check-ins/s = {ratio:.0%} of /healthz ({healthz['rps']:.0f}/s) at {CLIENTS} "
               f"clients; p50 {scans['p50_ms']:.0f} ms, p95 {scans['p95_ms']:.0f} ms, p99 {scans['p99_ms']:.0f} ms "
               f"(/healthz p99 {healthz['p99_ms']:.0f} ms); {admitted} admitted of {scans['requests']} scans; "
               f"CPU per check-in {harness.cpu_text(scans)}, per /healthz {harness.cpu_text(healthz)} "
               f"(bar: ≥ 60 %, p99 < 50 ms)", clean and ratio >= 0.6 and scans["p99_ms"] < 50)

    from app.checkin.cli import verifications_per_second

    with app.app_context():
        cpu_rate, _wall = verifications_per_second(20_000)
    report.add("ticket signature verification", f"{cpu_rate:,.0f} per second on one core (bar: ≥ 5,000)",
               cpu_rate >= 5000)
    _ticket_page(report, app)


def _ticket_page(report: harness.Report, app) -> None:
    """The bytes a phone downloads for its ticket: the page, its stylesheet and the QR image."""
    from app.bookings.models import Booking, BookingStatus
    from app.extensions import db
    from bench.seed import users_with_tokens

    with app.app_context():
        app.config["SESSION_COOKIE_SECURE"] = False
        owner_token = users_with_tokens(1, prefix="ticket")[0]
        from app.accounts.models import ApiToken, User
        from app.accounts.tokens import _digest

        owner = db.session.scalar(sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
                                  .where(ApiToken.token_hash == _digest(owner_token)))
        # A ticket still to be used: the throughput run above admitted the ones it scanned.
        booking = db.session.scalar(sa.select(Booking).where(Booking.status == BookingStatus.CONFIRMED).limit(1))
        booking.user_id = owner.id
        db.session.commit()
        from app.accounts.sign_ins import record_sign_in

        record_sign_in(owner)
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = owner.get_id()
        page = client.get(f"/bookings/{booking.id}")
        css = client.get("/static/css/app.css")
        png = client.get(f"/api/v1/bookings/{booking.id}/ticket.png",
                         headers={"Authorization": f"Bearer {owner_token}"})
        total = len(page.data) + len(css.data) + len(png.data)
    ok = page.status_code == css.status_code == png.status_code == 200
    report.add("ticket page weight", f"{total / 1024:.0f} KB (page {len(page.data) / 1024:.0f} KB, stylesheet "
               f"{len(css.data) / 1024:.0f} KB, QR {len(png.data) / 1024:.1f} KB) (bar: < 200 KB)",
               ok and total < 200 * 1024)
