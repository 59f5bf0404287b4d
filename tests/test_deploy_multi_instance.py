"""Two gunicorn instances (two "machines") on one PostgreSQL and one Redis: a booking storm split
across both confirms exactly the capacity, and a rate limit counts once for both."""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.tokens import issue_user_token
from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
CAPACITY, CITIZENS = 20, 60
TOKEN_LIMIT = 10  # "10 per minute" on POST /api/v1/auth/token

pytestmark = pytest.mark.postgres_only


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None,
             timeout: float = 30) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"raw": raw[:200].decode("utf-8", "replace")}
        return response.status, payload
    finally:
        conn.close()


def _wait_until_healthy(process: subprocess.Popen, port: int, log: Path, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn on port {port} exited:\n{log.read_text()[-3000:]}")
        try:
            if _request(port, "GET", "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn on port {port} did not answer /healthz within {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def instances(database_url, _migrated, tmp_path_factory, request):
    """Two gunicorn instances with 2 workers each, in production configuration, rate limits on."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two instances sharing one database need PostgreSQL (set TEST_DATABASE_URL); "
                    "SQLite is a single-machine file")
    redis_url = request.getfixturevalue("redis_url")

    tmp_path = tmp_path_factory.mktemp("instances")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "TEST_"))}
    env.update(SCIVISIT_CONFIG="production", SECRET_KEY="multi-instance-test-secret", DATABASE_URL=database_url,
               PUBLIC_BASE_URL="https://scivisit.example",
               REDIS_URL=redis_url, WEB_CONCURRENCY="2", LOG_LEVEL="WARNING", GUNICORN_GRACEFUL_TIMEOUT="5",
               # As behind the reverse proxy: the client address comes from X-Forwarded-For (one hop).
               TRUSTED_PROXY_COUNT="1",
               # The machines share the ticket signing keys, as docs/deploy/README.md asks.
               TICKET_KEY_DIR=str(tmp_path / "ticket_keys"))
    started = []
    try:
        for _ in range(2):
            port = _free_port()
            log = tmp_path / f"gunicorn-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                           env={**env, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            started.append((process, port, log))
        for process, port, log in started:
            _wait_until_healthy(process, port, log)
        yield [port for _, port, _ in started]
    finally:
        for process, _, _ in started:
            _stop(process)


def _client_address() -> str:
    # A fresh address per run: Redis keeps counts for a minute, and runs may follow each other.
    return "10.%d.%d.%d" % (random.randint(1, 254), random.randint(1, 254), random.randint(1, 254))


def test_a_booking_storm_split_across_two_instances_confirms_exactly_the_capacity(app, instances):
    slot = factories.slot(capacity=CAPACITY)
    tokens = []
    for _ in range(CITIZENS):
        secret, _token = issue_user_token(factories.user("citizen"))
        tokens.append(secret)
    db.session.commit()
    slot_id = slot.id
    start = threading.Barrier(CITIZENS)

    def book(index: int) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {tokens[index]}", "X-Forwarded-For": _client_address()}
        start.wait(timeout=30)
        return _request(instances[index % 2], "POST", "/api/v1/bookings",
                        {"slot_id": slot_id, "party_size": 1}, headers)

    with ThreadPoolExecutor(max_workers=CITIZENS) as pool:
        results = list(pool.map(book, range(CITIZENS), timeout=120))

    statuses = [status for status, _ in results]
    assert statuses.count(201) == CAPACITY, results
    assert statuses.count(409) == CITIZENS - CAPACITY, results
    assert {body["error"] for status, body in results if status == 409} == {"slot_full"}
    assert not [status for status in statuses if status >= 500]
    db.session.expire_all()
    seats = db.session.scalar(select(func.coalesce(func.sum(Booking.seats), 0))
                              .where(Booking.slot_id == slot_id, Booking.status == BookingStatus.CONFIRMED))
    assert seats == CAPACITY


def test_the_token_rate_limit_counts_once_across_both_instances(app, instances):
    address = _client_address()
    statuses = []
    for attempt in range(3 * TOKEN_LIMIT):
        status, body = _request(instances[attempt % 2], "POST", "/api/v1/auth/token",
                                {"email": "nobody@example.com", "password": "wrong-password"},
                                {"X-Forwarded-For": address})
        statuses.append(status)
        if status == 429:
            assert body["error"] == "rate_limited"
            break
    # Shared in Redis: the 11th attempt is refused, not the 21st (or later, counting per worker).
    assert statuses.index(429) == TOKEN_LIMIT, statuses
    assert not [status for status in statuses if status >= 500]
