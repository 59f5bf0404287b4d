"""Work per request, for a noisy machine: SQL statements and transactions per request, and the
app's CPU time per request as a ratio to /healthz's, measured in this process through the test
client (no gunicorn, no load generator, no wall clock), and the CPU PostgreSQL spent meanwhile.
The requests: /healthz, a gate's scan through the API and through the scanner form, a booking
refused because the slot is full (most of the contended-booking bar), the venue directory. It is not a quality bar: the bars are
`python -m bench`; this tells where a request's work goes and whether a change added some.

    python -m bench.work [--requests N] [--profile NAME]

``--profile booking_refused`` (any name below) also runs that request under cProfile and prints where
its time goes, by own time.

Uses the bench database (dropped and made again), seeded as the check-in and directory bars seed
it. CPU times still vary with the machine's load; the statement counts do not. For counts that do
not vary at all, run it under ``valgrind --tool=callgrind`` twice with different ``--requests`` and
divide the difference (docs/performance.md).
"""
from __future__ import annotations

import argparse
import os
import re
import time
import uuid

from bench import harness

os.environ.update(harness.app_env())  # before the configuration is imported

import sqlalchemy as sa  # noqa: E402

from bench import seed  # noqa: E402

HTTPS = "https://localhost"  # production cookies are Secure


class _Calls:
    """The requests measured: each a function making one request through a test client."""

    def __init__(self, app, codes: list[str], gate_secret: str, staff_session: str, full_slot: int,
                 citizen_secrets: list[str]):
        self.codes = iter(codes)
        self.full_slot, self.citizen_secrets = full_slot, iter(citizen_secrets)
        self.gate_secret = gate_secret
        self.anonymous = app.test_client()
        self.staff = app.test_client()
        with self.staff.session_transaction(base_url=HTTPS) as session:
            session["_user_id"] = staff_session
        page = self.staff.get("/scan", base_url=HTTPS)
        self.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)

    def healthz(self):
        return self.anonymous.get("/healthz", base_url=HTTPS)

    def checkin_api(self):
        return self.anonymous.post("/api/v1/checkins", base_url=HTTPS,
                                   json={"code": next(self.codes), "nonce": uuid.uuid4().hex, "gate": "bench"},
                                   headers={"Authorization": f"Bearer {self.gate_secret}"})

    def scanner_form(self):
        return self.staff.post("/scan", base_url=HTTPS, headers={"Referer": f"{HTTPS}/scan"},
                               data={"csrf_token": self.csrf, "code": next(self.codes), "gate": "east",
                                     "nonce": uuid.uuid4().hex})

    def booking_refused(self):
        """A booking for a slot already full, by someone using their token for the first time: most
        of the contended-booking bar's 1,000 attempts."""
        return self.anonymous.post("/api/v1/bookings", base_url=HTTPS, json={"slot_id": self.full_slot, "party_size": 1},
                                   headers={"Authorization": f"Bearer {next(self.citizen_secrets)}"})

    def directory_page(self):
        return self.anonymous.get("/venues", base_url=HTTPS)

    def directory_api(self):
        return self.anonymous.get("/api/v1/venues", base_url=HTTPS)


NAMES = ("healthz", "checkin_api", "scanner_form", "booking_refused", "directory_page", "directory_api")
STATUS = {"booking_refused": 409}  # the others answer 200


def _seed(app, tokens: int) -> tuple[list[str], str, str, int, list[str]]:
    from app.accounts.models import Role, User
    from app.extensions import db
    from app.scheduling.models import Slot
    from bench.checkin import _seed as checkin_seed

    codes, secret, slot_id = checkin_seed(app)
    districts = ["320102", "320104", "320105", "320106", "320111", "320113", "320114", "320115"]
    with app.app_context():
        for i in range(500):
            seed.venue(name=f"基准科技馆{i:03d}", district=districts[i % len(districts)])
        staff = User(email="staff@bench.example.com", password_hash="unused", name="Gate staff", phone="",
                     role=Role.VENUE_STAFF, venue_id=db.session.get(Slot, slot_id).venue_id)
        db.session.add(staff)
        full = seed.slot(seed.venue(name="基准已约满科技馆").id, capacity=40)
        full.taken = full.capacity
        citizen_secrets = seed.users_with_tokens(tokens, prefix="citizen")
        db.session.flush()
        from app.accounts.sign_ins import record_sign_in

        record_sign_in(staff)  # what the login form records: the session names this sign-in
        db.session.commit()
        return codes, secret, staff.get_id(), full.id, citizen_secrets


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.work")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per kind (after 30 to warm up)")
    parser.add_argument("--profile", choices=NAMES, help="print a cProfile of this request after the table")
    args = parser.parse_args()
    harness.fresh_database()
    app = harness.bench_app()
    seeded = _seed(app, (args.requests + 30) * (2 if args.profile else 1))  # a token per booking request
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counted = {"statements": 0, "transactions": 0}

    def statement(*_args):
        counted["statements"] += 1

    def transaction(*_args):
        counted["transactions"] += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", transaction)
    calls = _Calls(app, *seeded)
    rows = []
    for name in NAMES:
        call = getattr(calls, name)
        for _ in range(30):
            assert call().status_code == STATUS.get(name, 200), name
        counted.update(statements=0, transactions=0)
        started, database_started = time.process_time(), harness.cpu_seconds(b"postgres")
        for _ in range(args.requests):
            call()
        cpu = (time.process_time() - started) / args.requests
        database_cpu = (harness.cpu_seconds(b"postgres") - database_started) / args.requests
        rows.append((name, counted["statements"] / args.requests, counted["transactions"] / args.requests, cpu,
                     database_cpu))
    healthz_cpu = rows[0][3]
    print(f"{'request':16} {'statements':>10} {'commits':>8} {'CPU ms':>8} {'× /healthz':>10} {'PostgreSQL ms':>14}")
    for name, statements, commits, cpu, database_cpu in rows:
        print(f"{name:16} {statements:10.2f} {commits:8.2f} {cpu * 1000:8.2f} {cpu / healthz_cpu:10.2f} "
              f"{database_cpu * 1000:14.2f}")
    if args.profile:
        _profile(getattr(calls, args.profile), args.requests)
    return 0


def _profile(call, requests: int) -> None:
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(lambda: [call() for _ in range(requests)])
    print(f"\n{requests} requests under cProfile (times inflated by it; compare shares, not totals):")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(r"/app/", 40)


if __name__ == "__main__":
    raise SystemExit(main())
