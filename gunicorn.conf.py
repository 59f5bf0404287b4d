"""gunicorn settings for SciVisit: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything can be overridden from the environment (or the command line, which wins over this file).
Run the migrations before starting a new release: ``.venv/bin/flask --app wsgi db upgrade`` (see
docs/deploy/); in production a worker refuses to start on a database without them.
"""
import logging
import multiprocessing
import os

from gunicorn.glogging import Logger


def _whole(name: str, default: int, low: int = 0) -> int:
    """A whole-number setting from the environment. Anything else stops gunicorn with one line naming
    it: an exception here would print a traceback of this file instead."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) >= low):
        raise SystemExit(f"gunicorn.conf.py: {name} is {raw!r}; it takes a whole number, {low} or more.")
    return int(raw)


bind = f"0.0.0.0:{_whole('PORT', 8000, low=1)}"

# Workers are processes: each takes one core's worth of Python; 2 × cores + 1 keeps the cores busy
# while some workers wait on PostgreSQL.
workers = _whole("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1, low=1)

# gthread: a few threads per worker overlap the waits on PostgreSQL and Redis, keep connections
# from the proxy alive, and a slow client no longer blocks a whole worker as under "sync".
# Measured on the shared 2-core machine (busy, load average ~14), 4 workers, GET /healthz,
# wrk -t2 -c32 -d10s, four alternating runs each: sync 76-198 req/s (with timeouts), gthread with
# 4 threads 295-795 req/s; 8 threads was no better than 4. On a quiet machine (2026-11-28,
# `python -m bench --only booking`), 1,000 bookings at once were all answered in 3.1-3.2 s with
# 4 threads and 2.35-2.40 s with 1 or 2: the work is mostly CPU, and fewer threads fight less
# over each worker's GIL; 2 still overlap a database wait. Each thread may hold a database
# connection: threads (2) stay under SQLAlchemy's pool (5 + 10 overflow) per worker.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _whole("GUNICORN_THREADS", 2, low=1)
# gthread accepts every connection it can (worker_connections, 1,000 by default) whether or not a
# thread is free, and a kept-alive connection stays with the worker that accepted it: under load
# the connections pile onto one or two workers while the others idle (30 of 32 clients on one
# worker, seen in `make bench`). Bounded to its threads plus 8 idle connections, a full worker stops
# accepting and the kernel's queue hands new connections to the others; past 8 idle ones it answers
# "Connection: close", which a client or nginx simply obeys. Measured on 32 kept-alive clients, 4
# workers, runs alternating (2026-11-29): /healthz 852-2,372/s (median 1,216) -> 1,482-2,223/s
# (median 1,999), check-in p99 105-206 ms (median 171) -> 84-152 ms (median 124); 1,000 bookings at
# once answered in 2.27-3.23 s -> 2.65-2.86 s (no change beyond the noise).
worker_connections = _whole("GUNICORN_WORKER_CONNECTIONS", threads + 8, low=1)

# Each worker tells the master it is alive by touching a temporary file, once per turn of its loop
# (about once a request under load). On a disk that is a journaled metadata write; in /dev/shm, a
# memory one (gunicorn's own advice for containers). GUNICORN_WORKER_TMP_DIR overrides.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)

# A request still running after 30 s is stuck: its worker is replaced. On a restart or deploy the
# requests in flight may finish for up to 30 s before their worker is stopped.
timeout = _whole("GUNICORN_TIMEOUT", 30)
graceful_timeout = _whole("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections from the proxy are held this long. It must exceed nginx's upstream
# keepalive_timeout (60 s in docs/deploy/nginx.conf) so that nginx, not gunicorn, closes an idle
# connection; otherwise nginx may send a request down a connection gunicorn is just closing.
# Under gthread an idle connection waits in the poller and holds no thread.
keepalive = _whole("GUNICORN_KEEPALIVE", 75)
# GUNICORN_MAX_REQUESTS=N replaces a worker after N requests (with jitter, not all at once), a
# guard against slow memory growth. Off by default: a worker restarting mid-storm costs latency,
# and no growth has been seen.
max_requests = _whole("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _whole("GUNICORN_MAX_REQUESTS_JITTER", 100)

# No: each worker imports the app after the fork. With preload the app would be built once in the
# master and copied into every worker, and with it whatever it opened while starting (SQLAlchemy's
# pool, Redis connections, the rate limiter's storage); workers would then share those sockets and
# interleave their bytes on one PostgreSQL connection. Separate imports cost a little memory and
# start-up time, and let `kill -HUP` load new code.
preload_app = False

# gunicorn >= 25.1 opens a control socket at one fixed path per user ($HOME/.gunicorn/gunicorn.ctl):
# two instances on one host would take it from each other. systemd's signals (reload = HUP) do the
# same job; give an instance its own path (GUNICORN_CONTROL_SOCKET) to use gunicornc.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# The reverse proxy's address(es) whose X-Forwarded-Proto gunicorn believes (for wsgi.url_scheme).
# The app itself believes X-Forwarded-For only for TRUSTED_PROXY_COUNT hops (config.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr for journald or the container runtime. The access line carries the
# request id the app echoes in X-Request-ID, so it joins with the app's own (JSON) log records.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = ('%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms '
                     'request_id=%({x-request-id}o)s "%(a)s"')


class RedactingLogger(Logger):
    """gunicorn's logger, its access line redacted as the app's own is: no password-reset, calendar
    feed or walk-in poster token, no e-mail address or phone number (app/core/gunicorn_logging.py)."""

    def atoms(self, resp, req, environ, request_time):
        # Imported here, in a worker, which has loaded the app already. The master must never import
        # the app's package: every worker it forks would inherit those modules, and `kill -HUP`
        # would start workers with the old code.
        from app.core.gunicorn_logging import redact_atoms

        return redact_atoms(super().atoms(resp, req, environ, request_time), environ)


logger_class = RedactingLogger


def on_starting(server):
    # Several workers (or machines) counting rate limits in their own memory would each allow the
    # whole limit: they must share Redis.
    limits_on = os.environ.get("RATELIMIT_ENABLED", "true").strip().lower() in {"1", "true", "yes", "on"}
    if server.cfg.workers > 1 and limits_on and not os.environ.get("REDIS_URL"):
        logging.getLogger("gunicorn.error").warning(
            "REDIS_URL is not set: each of the %s workers keeps its own rate-limit counts.", server.cfg.workers)
