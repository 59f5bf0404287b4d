"""The benchmark scenarios, one function per quality bar of PRODUCT.md."""
from __future__ import annotations

import json
import tempfile
from datetime import timedelta

import sqlalchemy as sa

from bench import harness, seed

HEALTHZ_CLIENTS = 32
SECONDS = 5


def _healthz_rps() -> dict:
    return harness.load("closed", "--url", f"{harness.BASE}/healthz", "--clients", str(HEALTHZ_CLIENTS),
                        "--seconds", str(SECONDS))


def contended_booking(report: harness.Report, attempts: int = 1000, seats: int = 40) -> None:
    """1,000 concurrent attempts on one 40-seat slot: exactly 40 confirmed, no errors, all within 3 s."""
    harness.fresh_database()
    app = harness.bench_app()
    from app.bookings.models import Booking, BookingStatus
    from app.extensions import db
    from app.scheduling.models import Slot

    with app.app_context():
        venue = seed.venue()
        slot = seed.slot(venue.id, capacity=seats)
        tokens = seed.users_with_tokens(attempts)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))  # statistics, as a live database has them
        db.session.commit()
        slot_id = slot.id
    body = json.dumps({"slot_id": slot_id, "party_size": 1})
    requests = [{"method": "POST", "path": "/api/v1/bookings", "body": body,
                 "headers": {"Authorization": f"Bearer {t}", "Content-Type": "application/json"}} for t in tokens]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as spec:
        json.dump(requests, spec)
        spec.flush()
        # The same burst of /healthz on the same server: what the machine takes to answer 1,000
        # concurrent requests that do almost nothing, for scale (the bar itself is absolute).
        healthz = [{"method": "GET", "path": "/healthz"}] * attempts
        with harness.gunicorn():
            result = harness.load("burst", "--base", harness.BASE, "--requests", spec.name)
            spec.seek(0)
            spec.truncate()
            json.dump(healthz, spec)
            spec.flush()
            baseline = harness.load("burst", "--base", harness.BASE, "--requests", spec.name)
    with app.app_context():
        confirmed = db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
            Booking.slot_id == slot_id, Booking.status == BookingStatus.CONFIRMED))
        taken = db.session.get(Slot, slot_id).taken
    server_errors = sum(n for status, n in result["statuses"].items() if int(status) >= 500)
    overbooked = max(0, confirmed - seats)
    passed = (confirmed == seats == taken and server_errors == 0 and result["max_ms"] <= 3000
              and result["requests"] == attempts)
    report.add("contended booking",
               f"{attempts} attempts on a {seats}-seat slot: {confirmed} confirmed, {overbooked} overbooked, "
               f"{server_errors} server errors, answers {result['statuses']} {result['errors']}, "
               f"all answered within {result['max_ms'] / 1000:.2f} s (p50 {result['p50_ms'] / 1000:.2f} s, p95 "
               f"{result['p95_ms'] / 1000:.2f} s); the same burst of /healthz: {baseline['max_ms'] / 1000:.2f} s, "
               f"ratio {result['max_ms'] / baseline['max_ms']:.1f}; CPU per attempt {harness.cpu_text(result)}, "
               f"per /healthz {harness.cpu_text(baseline)} (bar: exactly {seats}, 0, 0, ≤ 3 s)", passed)


def directory_pages(report: harness.Report, venues: int = 500) -> None:
    """The venue directory with 500 venues: p95 server time under 50 ms."""
    harness.fresh_database()
    app = harness.bench_app()
    from app.extensions import db

    from app.core.time import local_today

    districts = ["320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115"]
    with app.app_context():
        ids = [seed.venue(name=f"基准科技馆{i:03d}", district=districts[i % len(districts)]).id
               for i in range(venues)]
        slots = seed.month_of_slots(ids)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))  # statistics, as a live database has them
        db.session.commit()
        today = local_today()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # the coming one, not today
    with harness.gunicorn():
        healthz = _healthz_rps()
        # Two clients, one per core: the latency is the server's time, not a queue's.
        page = harness.load("closed", "--url", f"{harness.BASE}/venues", "--clients", "2", "--seconds", str(SECONDS))
        search = harness.load("closed", "--url", f"{harness.BASE}/venues?q=%E7%A7%91%E6%8A%80&district=320102",
                              "--clients", "2", "--seconds", str(SECONDS))
        day = harness.load("closed", "--url", f"{harness.BASE}/venues?open_on={saturday.isoformat()}",
                           "--clients", "2", "--seconds", str(SECONDS))
    loads = (page, search, day)
    ok = all(load["statuses"] == {"200": load["requests"]} for load in loads)
    report.add("venue directory, 500 venues",
               f"p95 {page['p95_ms']:.1f} ms (search p95 {search['p95_ms']:.1f} ms, open on a Saturday p95 "
               f"{day['p95_ms']:.1f} ms over {slots} slots), {page['rps']:.0f} pages/s = "
               f"{page['rps'] / healthz['rps']:.0%} of /healthz ({healthz['rps']:.0f}/s) (bar: p95 < 50 ms)",
               ok and all(load["p95_ms"] < 50 for load in loads))


def _checkin(report: harness.Report) -> None:
    from bench.checkin import checkin_bars

    checkin_bars(report)


def _stats(report: harness.Report) -> None:
    from bench.stats import stats_bars

    stats_bars(report)


ALL = {
    "booking": contended_booking,
    "checkin": _checkin,
    "directory": directory_pages,
    "stats": _stats,
}
