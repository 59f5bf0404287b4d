"""Plumbing for the benchmarks: a fresh PostgreSQL database, gunicorn, and the load process."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
DB_NAME = os.environ.get("BENCH_DB", "scivisit_bench")
DATABASE_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{DB_NAME}"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))


def app_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(SCIVISIT_CONFIG="production", SECRET_KEY="bench-secret-not-for-production",
               PUBLIC_BASE_URL="https://localhost",
               DATABASE_URL=DATABASE_URL, RATELIMIT_ENABLED="false", LOG_LEVEL="WARNING",
               TICKET_KEY_DIR=str(ROOT / "instance" / "bench_ticket_keys"))
    env.pop("REDIS_URL", None)
    # The bench reads the commands' summaries: they answer in English under an English locale.
    for name in ("LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    env["LANG"] = "en_US.UTF-8"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def fresh_database() -> None:
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=app_env(), check=True, capture_output=True)


def bench_app():
    """The app in this process, on the bench database, for seeding and checking results."""
    from app import create_app

    return create_app("production")


_serving: list[str] = []  # the running gunicorn's process group (its master's pid), for the CPU meter


@contextmanager
def gunicorn(workers: int = WORKERS, app_spec: str = "wsgi:app", **env):
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py") if (ROOT / "gunicorn.conf.py").exists() else "/dev/null", app_spec,
               "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers), "--log-level", "warning",
               "--access-logfile", "/dev/null"]
    process = subprocess.Popen(command, cwd=ROOT, env=app_env(WEB_CONCURRENCY=workers, **env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    _serving.append(str(process.pid))
    try:
        _wait_until_up(process)
        _wait_until_booted(process, workers)
        yield BASE
    finally:
        _serving.remove(str(process.pid))
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_until_up(process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + process.stderr.read().decode()[-2000:])
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def _wait_until_booted(process, workers: int, timeout: float = 60) -> None:
    """Wait until every worker has loaded the app: /healthz answers as soon as the first one has,
    while the others are still importing it. Measured then, a load shares the cores with the
    booting workers, and its kept-alive connections all go to the first workers up."""
    deadline = time.monotonic() + timeout
    master = str(process.pid)
    last = None
    while time.monotonic() < deadline:
        forked = [fields for fields in _processes() if fields[_PARENT] == master]
        spent = sum(_cpu(fields) for fields in forked)
        if len(forked) >= workers and last is not None and spent - last < 0.02:
            return  # all forked, and together idle for the last 0.3 s
        last = spent
        time.sleep(0.3)
    raise RuntimeError("gunicorn's workers did not settle in time")


def _pids() -> list[str]:
    return [pid for pid in os.listdir("/proc") if pid.isdigit()] if os.path.isdir("/proc") else []


# Positions in ``_stat``'s fields: the parent's pid and the process group.
_PARENT, _GROUP = 1, 2


def _stat(pid: str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, group, …), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _processes() -> list[list[str]]:
    """``_stat``'s fields of every process still running."""
    return [fields for fields in map(_stat, _pids()) if fields is not None]


def _cpu(fields: list[str]) -> float:
    """User plus system CPU seconds, from ``_stat``'s fields."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(program: bytes) -> float:
    """CPU seconds used so far by this machine's processes whose command line starts with
    ``program`` (Linux /proc; 0 elsewhere)."""
    total = 0.0
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if not (words[0].startswith(program) or words[0].endswith(b"/" + program)):
            continue
        fields = _stat(pid)
        total += _cpu(fields) if fields is not None else 0.0
    return total


def _cpu_now() -> tuple[float, float, float]:
    """(the bench's gunicorn, PostgreSQL, the finished load processes) CPU seconds so far."""
    server = sum(_cpu(fields) for fields in _processes() if fields[_GROUP] in _serving)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return server, cpu_seconds(b"postgres"), children.ru_utime + children.ru_stime


def load(*args: str, timeout: float = 120) -> dict:
    """Run the load generator as its own process and return what it measured, with the CPU that
    each request cost the server, the database and the load generator (``cpu_ms``)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 sockets at once
    before = _cpu_now()
    result = subprocess.run([sys.executable, "-m", "bench.load", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout, check=True)
    measured = json.loads(result.stdout)
    spent = [(after - start) * 1000 / max(1, measured["requests"]) for start, after in zip(before, _cpu_now())]
    measured["cpu_ms"] = dict(zip(("gunicorn", "postgres", "load"), spent))
    return measured


def cpu_text(measured: dict) -> str:
    """"2.1 ms (gunicorn 1.4, PostgreSQL 0.6, load 0.1)": CPU per request, all processes together."""
    cpu = measured["cpu_ms"]
    return (f"{sum(cpu.values()):.1f} ms (gunicorn {cpu['gunicorn']:.1f}, PostgreSQL {cpu['postgres']:.1f}, "
            f"load {cpu['load']:.1f})")


class Report:
    """One line per bar: the figure, the ratio to /healthz where one applies, PASS or FAIL."""

    def __init__(self):
        self.rows: list[tuple[str, str, bool]] = []

    def add(self, name: str, figure: str, passed: bool) -> None:
        self.rows.append((name, figure, passed))
        print(f"{'PASS' if passed else 'FAIL'}  {name}: {figure}", flush=True)

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.rows)
