"""Statistics over 1,000,000 check-ins: the dashboard and the summary API under load, and the
largest open-data export (rows per second, the serving worker's memory).

Seeding is bulk (COPY): 200 venues, two years of slots, ~660,000 bookings and 1,000,000 admitted
check-ins (individual tickets, classes and walk-ins), then the rollups by ``flask stats rebuild``.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime, time as clock, timedelta

import psycopg
import sqlalchemy as sa

from bench import harness

CHECKINS = 1_000_000
VENUES = 200
DAYS = 730
SCHOOLS = 300
CLIENTS = 2  # one per core: latency is the server's time, not a queue's
SECONDS = 8
P95_BAR_MS = 100
MEMORY_BAR_MB = 30  # "flat": the worker's peak grows by less than this while streaming every row
SHANGHAI = timedelta(hours=8)


def _venues_and_schools() -> tuple[list[int], list[int]]:
    from app.extensions import db
    from app.schools.models import School, SchoolKind
    from app.venues.models import OperatorKind, Venue, VenueStatus, VenueTheme, VenueType

    districts = ["320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115", "320116",
                 "320117", "320118", "JBXQ"]
    types, operators = list(VenueType), list(OperatorKind)
    rows = [{"name_zh": f"基准场馆{i:03d}", "name_en": f"Bench venue {i}", "venue_type": types[i % len(types)],
             "operator_kind": operators[i % len(operators)], "district_code": districts[i % len(districts)],
             "status": VenueStatus.APPROVED} for i in range(VENUES)]
    venue_ids = list(db.session.execute(sa.insert(Venue).returning(Venue.id), rows).scalars())
    themes = ["天文", "地质", "生命科学", "交通", "安全教育"]
    db.session.execute(sa.insert(VenueTheme), [{"venue_id": v, "name": themes[i % len(themes)]}
                                               for i, v in enumerate(venue_ids)])
    kinds = list(SchoolKind)
    school_rows = [{"name_zh": f"基准学校{i:03d}", "kind": kinds[i % len(kinds)],
                    "district_code": districts[i % 11]} for i in range(SCHOOLS)]
    school_ids = list(db.session.execute(sa.insert(School).returning(School.id), school_rows).scalars())
    db.session.commit()
    return venue_ids, school_ids


def _utc(day: date, at: clock) -> datetime:
    return datetime.combine(day, at) - SHANGHAI


def seed_rows(venue_ids: list[int], school_ids: list[int]) -> dict:
    """Slots, bookings and check-ins by COPY, ids assigned in order on the fresh database."""
    from app.core.time import local_today, utcnow

    rng = random.Random(1)
    today = local_today()
    first = today - timedelta(days=DAYS)
    now = utcnow()
    conninfo = dict(host=harness.PG_HOST, port=harness.PG_PORT, user="postgres", dbname=harness.DB_NAME)
    counts = {"slots": 0, "bookings": 0, "checkins": 0}
    per_day = CHECKINS / (len(venue_ids) * DAYS)
    with psycopg.connect(**conninfo) as conn, conn.cursor() as cur:
        slot_id = 0
        booking_id = 0
        with cur.copy("COPY slots (venue_id, starts_at, ends_at, local_date, audience, admission, capacity, taken, "
                      "partner_taken, reserved_seats, window_opens_days, window_closes_hours, status, note_zh, "
                      "note_en, created_at) FROM STDIN") as copy:
            slots = []
            for day_index in range(DAYS):
                day = first + timedelta(days=day_index)
                for venue_id in venue_ids:
                    admission = "free" if venue_id % 5 else "discounted"
                    copy.write_row((venue_id, _utc(day, clock(9)), _utc(day, clock(16, 30)), day, "public", admission,
                                    60, 0, 0, 0, 7, 0, "open", "", "", now))
                    copy.write_row((venue_id, _utc(day, clock(9, 30)), _utc(day, clock(11, 30)), day, "school",
                                    admission, 100, 0, 0, 0, 30, 72, "open", "", "", now))
                    slots.append((venue_id, day, slot_id + 1, slot_id + 2))
                    slot_id += 2
        counts["slots"] = slot_id
        bookings, checkins = [], []

        def admit(venue_id, day, public_slot, school_slot):
            nonlocal booking_id
            scanned = _utc(day, clock(10))
            kind = rng.random()
            if kind < 0.60:
                booking_id += 1
                party = rng.randint(1, 5)
                bookings.append((f"B{booking_id:015d}", public_slot, venue_id, "individual", "checked_in", party,
                                 None, None, None, None, party, now))
                checkins.append(("ticket", venue_id, booking_id, day, party, None, None, None, scanned))
            elif kind < 0.63 and day.weekday() < 5:
                booking_id += 1
                students, grade = rng.randint(25, 45), rng.randint(0, 12)
                bookings.append((f"B{booking_id:015d}", school_slot, venue_id, "group", "checked_in", None,
                                 students, 2, grade, rng.choice(school_ids), students + 2, now))
                checkins.append(("ticket", venue_id, booking_id, day, students + 2, students, 2, None, scanned))
            else:
                checkins.append(("walk_in", venue_id, None, day, rng.randint(1, 4), None, None,
                                 rng.choice(("youth", "adult", "senior")), scanned))

        for venue_id, day, public_slot, school_slot in slots:
            mean = per_day * 0.97 * (1.6 if day.weekday() >= 5 else 0.76)
            for _ in range(max(0, int(rng.gauss(mean, 2)))):
                if len(checkins) < CHECKINS:
                    admit(venue_id, day, public_slot, school_slot)
            if rng.random() < 0.3:  # some no-shows, for the rate
                booking_id += 1
                bookings.append((f"B{booking_id:015d}", public_slot, venue_id, "individual", "no_show", 2, None,
                                 None, None, None, 2, now))
        while len(checkins) < CHECKINS:  # the last few, anywhere in the two years
            admit(*rng.choice(slots))
        with cur.copy("COPY bookings (reference, slot_id, venue_id, kind, status, party_size, students, adults, "
                      "grade, school_id, seats, created_at, is_partner, guardian_confirmed, ticket_version, "
                      "decline_reason, cancel_reason) FROM STDIN") as copy:
            for row in bookings:
                copy.write_row((*row, False, False, 1, "", ""))
        with cur.copy("COPY checkins (kind, result, reason, venue_id, booking_id, local_date, persons, students, "
                      "adults, audience_group, gate, scanned_at, created_at) FROM STDIN") as copy:
            for kind, venue_id, b_id, day, persons, students, adults, group, scanned in checkins:
                copy.write_row((kind, "ok", "", venue_id, b_id, day, persons, students, adults, group, "bench",
                                scanned, now))
        conn.commit()
        counts.update(bookings=len(bookings), checkins=len(checkins))
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return counts


def _rebuild() -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "stats", "rebuild"], cwd=harness.ROOT,
                          env=harness.app_env(), check=True, capture_output=True, text=True)
    with psycopg.connect(host=harness.PG_HOST, port=harness.PG_PORT, user="postgres", dbname=harness.DB_NAME,
                         autocommit=True) as conn:
        conn.execute("ANALYZE")
    return time.monotonic() - started, done.stdout.strip().splitlines()[-1]


def _worker_pids() -> list[int]:
    """gunicorn's workers: the children of the master listening on the bench port."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        if "gunicorn" in cmd and f":{harness.PORT}" in cmd:
            parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            found.append((int(pid), parent))
    pids = {pid for pid, _ in found}
    return [pid for pid, parent in found if parent in pids]


def _memory_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith(field + ":")))


def _export(path: str) -> dict:
    workers = _worker_pids()
    before = {pid: _memory_kb(pid, "VmHWM") for pid in workers}
    rss_before = {pid: _memory_kb(pid, "VmRSS") for pid in workers}
    started = time.perf_counter()
    size = rows = 0
    with urllib.request.urlopen(f"{harness.BASE}{path}", timeout=300) as response:
        status = response.status
        while chunk := response.read(256 * 1024):
            size += len(chunk)
            rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    growth = max((_memory_kb(pid, "VmHWM") - before[pid]) for pid in workers) / 1024
    peak = max(_memory_kb(pid, "VmHWM") for pid in workers) / 1024
    rss = max(rss_before.values()) / 1024
    return {"status": status, "rows": rows - 1, "bytes": size, "seconds": elapsed, "growth_mb": growth,
            "peak_mb": peak, "rss_mb": rss}


def stats_bars(report: harness.Report) -> None:
    """p95 of /stats and /api/v1/stats/summary over 1,000,000 check-ins; the largest CSV export."""
    harness.fresh_database()
    app = harness.bench_app()
    started = time.monotonic()
    with app.app_context():
        venue_ids, school_ids = _venues_and_schools()
    counts = seed_rows(venue_ids, school_ids)
    seeded = time.monotonic() - started
    rebuild_s, summary = _rebuild()
    print(f"      seeded {counts['checkins']:,} check-ins, {counts['bookings']:,} bookings, {counts['slots']:,} "
          f"slots in {seeded:.0f} s; {summary}", flush=True)
    report.add("stats rebuild, 1,000,000 check-ins", f"{rebuild_s:.1f} s ({summary})", counts["checkins"] >= CHECKINS)
    from app.core.time import local_today

    today = local_today()
    urls = {
        "dashboard /stats (this year)": "/stats",
        "dashboard /stats, one district": "/stats?district=320106",
        "GET /api/v1/stats/summary (this year)": "/api/v1/stats/summary",
        "GET /api/v1/stats/summary, two years, one district": (
            f"/api/v1/stats/summary?from={today - timedelta(days=DAYS - 2)}&to={today}&district=320104"),
    }
    with harness.gunicorn():  # as configured: figures at most STATS_CACHE_SECONDS (30) old
        _measure(report, urls, counts, "")
        export = _export("/open-data/attendance-daily.csv")
        report.add("largest CSV export /open-data/attendance-daily.csv",
                   f"{export['rows']:,} rows ({export['bytes'] / 1e6:.1f} MB) in {export['seconds']:.1f} s = "
                   f"{export['rows'] / export['seconds']:,.0f} rows/s; serving worker's peak memory "
                   f"+{export['growth_mb']:.1f} MB (to {export['peak_mb']:.0f} MB; bar: flat, < {MEMORY_BAR_MB} MB "
                   f"growth)", export["status"] == 200 and export["growth_mb"] < MEMORY_BAR_MB)
    # The same pages with every request computed from the database (no half-minute figures cache):
    # the bar holds without it too.
    os.environ["STATS_CACHE_SECONDS"] = "0"
    try:
        with harness.gunicorn():
            _measure(report, {k: v for k, v in urls.items() if "one district" not in k}, counts,
                     ", every request computed")
    finally:
        os.environ.pop("STATS_CACHE_SECONDS", None)


def _measure(report: harness.Report, urls: dict, counts: dict, note: str) -> None:
    for url in urls.values():  # warm every worker's statements and connections
        harness.load("closed", "--url", f"{harness.BASE}{url}", "--clients", "4", "--seconds", "1")
    for name, url in urls.items():
        result = harness.load("closed", "--url", f"{harness.BASE}{url}", "--clients", str(CLIENTS),
                              "--seconds", str(SECONDS))
        ok = result["statuses"] == {"200": result["requests"]}
        report.add(f"{name}, {counts['checkins']:,} check-ins{note}",
                   f"p95 {result['p95_ms']:.1f} ms, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                   f"{result['rps']:.0f}/s (bar: p95 < {P95_BAR_MS} ms)", ok and result["p95_ms"] < P95_BAR_MS)
