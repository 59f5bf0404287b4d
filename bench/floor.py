"""The floor under the check-in bar: requests that do less than a scan, served by the same app
and gunicorn as the bars, measured in one run against /healthz. Not a bar: it tells how far any
scan that records something can get on this machine, and so how much of the check-in's distance
to its bar (≥ 60 % of /healthz, p99 < 50 ms at 32 clients) is the scan's own work.

    python -m bench.floor

Each request at 32 clients for 5 s, in turns, twice (so the noise shows):

* ``/healthz``: ``SELECT 1`` (the bar's yardstick);
* ``POST /bench/echo``: the scan's JSON body read, and a small JSON answer; no database;
* ``POST /bench/write``: that, and one ``INSERT … RETURNING`` and its ``COMMIT`` through the app's
  session: the least a scan that records something can do;
* ``POST /api/v1/checkins``: the scan itself (40,000 tickets, as the check-in bar seeds them).

The two ``/bench/`` routes exist only in the process this module starts (``bench.floor:app``);
the app's own routes are unchanged.
"""
from __future__ import annotations

import json
import os
import tempfile
import uuid

from bench import harness

os.environ.update(harness.app_env())  # before the configuration is imported

import sqlalchemy as sa  # noqa: E402

CLIENTS = 32
SECONDS = 5
ROUNDS = 2
SCRATCH = sa.text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, code text NOT NULL, "
                  "created_at timestamptz NOT NULL DEFAULT now())")


def _served_app():
    """The production app with the two floor routes, for gunicorn (``bench.floor:app``)."""
    from flask import jsonify, request

    from app.extensions import csrf, db
    from wsgi import app as served

    @csrf.exempt
    def echo():
        body = request.get_json()
        return jsonify(result="ok", code=body.get("code", "")[:8])

    @csrf.exempt
    def write():
        body = request.get_json()
        new_id = db.session.execute(sa.text("INSERT INTO bench_floor (code) VALUES (:code) RETURNING id"),
                                    {"code": body.get("code", "")}).scalar()
        db.session.commit()
        return jsonify(result="ok", id=new_id)

    served.add_url_rule("/bench/echo", view_func=echo, methods=["POST"])
    served.add_url_rule("/bench/write", view_func=write, methods=["POST"])
    return served


if os.environ.get("SCIVISIT_BENCH_FLOOR") == "serve":
    app = _served_app()


def _closed(path: str, bodies: str | None = None, headers: tuple[str, ...] = ()) -> dict:
    args = ["closed", "--url", f"{harness.BASE}{path}", "--clients", str(CLIENTS), "--seconds", str(SECONDS)]
    if bodies:
        args += ["--method", "POST", "--bodies", bodies, "--header", "Content-Type: application/json"]
    for header in headers:
        args += ["--header", header]
    return harness.load(*args)


def _bodies(codes: list[str]) -> tempfile.NamedTemporaryFile:
    bodies = tempfile.NamedTemporaryFile("w", suffix=".jsonl")
    for code in codes:
        bodies.write(json.dumps({"code": code, "nonce": uuid.uuid4().hex, "gate": "bench"}) + "\n")
    bodies.flush()
    return bodies


def _each(figures) -> str:
    return " / ".join(figures)


def main() -> int:
    from bench.checkin import _seed

    harness.fresh_database()
    app = harness.bench_app()
    codes, gate_secret, _slot = _seed(app)
    from app.extensions import db

    with app.app_context():
        db.session.execute(SCRATCH)
        db.session.commit()
    share = len(codes) // ROUNDS  # each round scans tickets of its own: every scan admits
    files = [_bodies(codes[n * share:(n + 1) * share]) for n in range(ROUNDS)]
    rows: dict[str, list[dict]] = {}
    with harness.gunicorn(app_spec="bench.floor:app", SCIVISIT_BENCH_FLOOR="serve"):
        for files_of_round in files:
            for name, measured in (
                    ("/healthz", lambda: _closed("/healthz")),
                    ("echo", lambda: _closed("/bench/echo", files_of_round.name)),
                    ("write", lambda: _closed("/bench/write", files_of_round.name)),
                    ("check-in", lambda: _closed("/api/v1/checkins", files_of_round.name,
                                                 (f"Authorization: Bearer {gate_secret}",)))):
                result = measured()
                if set(result["statuses"]) != {"200"}:
                    raise SystemExit(f"{name}: answers {result['statuses']}")
                rows.setdefault(name, []).append(result)
    for bodies in files:
        bodies.close()
    print(f"The floor under the check-in bar: {CLIENTS} clients, {SECONDS} s each, {ROUNDS} rounds "
          f"(PostgreSQL {harness.DATABASE_URL.rsplit('@', 1)[1]}, gunicorn {harness.WORKERS} workers)")
    print(f"{'request':10} {'per second':>16} {'of /healthz':>13} {'p99 ms':>11} {'CPU ms per request':>44}")
    for name, results in rows.items():
        rates = _each("{:,.0f}".format(r["rps"]) for r in results)
        ratios = _each("{:.0%}".format(r["rps"] / h["rps"]) for r, h in zip(results, rows["/healthz"]))
        p99s = _each("{:.0f}".format(r["p99_ms"]) for r in results)
        print(f"{name:10} {rates:>16} {ratios:>13} {p99s:>11}   {harness.cpu_text(results[-1]):>40}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
