"""Every request has an id, echoed in X-Request-ID and carried by its log records (JSON in production)."""
import io
import json
import logging
import re
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import current_app
from gunicorn.config import Config as GunicornConfig
from werkzeug.test import EnvironBuilder

from app import create_app
from app.extensions import db
from tests import factories
from tests.conftest import _empty_tables, _fresh_g, make_config

ROOT = Path(__file__).resolve().parent.parent


def _capture_app_log() -> io.StringIO:
    stream = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "scivisit", False))
    handler.setStream(stream)
    return stream


@pytest.fixture
def json_app(database_url, _migrated):
    app = create_app(make_config(database_url, LOG_FORMAT="json"))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "gate-7.scan_0042"})
    assert response.headers["X-Request-ID"] == "gate-7.scan_0042"


def test_a_request_without_an_id_gets_a_new_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", 'quote"d', "", "日志"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming.encode("utf-8").decode("latin-1")})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_error_responses_carry_the_request_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-404"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-404"


def test_json_access_line_has_the_request_fields_and_the_user_id(json_app):
    citizen = factories.user("citizen", email="wang@example.com", phone="13912345678")
    browser = json_app.test_client()
    browser.post("/login", data={"email": citizen.email, "password": factories.PASSWORD})
    stream = _capture_app_log()

    response = browser.get("/me", headers={"X-Request-ID": "req-me-1"})

    line = next(r for r in _records(stream) if r["logger"] == "scivisit.access")
    assert response.status_code == 200
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "path", "status",
                         "duration_ms", "user_id"}
    assert (line["request_id"], line["method"], line["path"], line["status"]) == ("req-me-1", "GET", "/me", 200)
    assert line["user_id"] == citizen.id and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], (int, float))
    assert "wang@example.com" not in stream.getvalue() and "13912345678" not in stream.getvalue()


def test_anonymous_requests_log_no_user(json_app):
    stream = _capture_app_log()
    json_app.test_client().get("/healthz")
    (line,) = _records(stream)
    assert "user_id" not in line


def test_emails_and_phone_numbers_are_masked_in_log_messages(json_app):
    stream = _capture_app_log()

    @json_app.get("/_test/log-contact")
    def log_contact():
        current_app.logger.warning("mail to li.lei+test@example.com failed, phone 139-1234-5678 / +86 13912345678")
        return "ok"

    json_app.test_client().get("/_test/log-contact")
    message = next(r for r in _records(stream) if r["level"] == "WARNING")["message"]
    assert message == "mail to [email] failed, phone [phone] / [phone]"


def test_secret_tokens_in_urls_are_not_written_to_the_log(json_app):
    stream = _capture_app_log()
    json_app.test_client().get("/password/reset/very-secret-reset-token")
    assert "very-secret-reset-token" not in stream.getvalue()
    assert any(r.get("path") == "/password/reset/[redacted]" for r in _records(stream))


def test_plain_text_log_lines_carry_the_request_id(client):
    stream = _capture_app_log()
    client.get("/healthz", headers={"X-Request-ID": "plain-1"})
    assert "[plain-1] GET /healthz 200" in stream.getvalue()


# --- gunicorn's access line ---------------------------------------------------------------------

def _gunicorn_access_line(app, path: str, *, query: str = "", referer: str | None = None) -> tuple[str, dict]:
    """The line gunicorn.conf.py's logger writes for a request the app has served.

    The environ is built as gunicorn builds it (``RAW_URI`` included) and goes through the app;
    only gunicorn's response and request objects are stand-ins, holding what its access log reads.
    """
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    environ = EnvironBuilder(path=path, query_string=query,
                             headers={"Referer": referer} if referer else None).get_environ()
    environ["RAW_URI"] = path + (f"?{query}" if query else "")
    started = {}
    # Called as gunicorn calls it, on the very environ its logger then reads.
    body = b"".join(app(environ, lambda status, headers: started.update(status=status, headers=headers)))
    response = SimpleNamespace(status=started["status"], sent=len(body), headers=started["headers"])
    request = SimpleNamespace(headers=[("HOST", "localhost")])
    config = GunicornConfig()
    config.set("logger_class", settings["logger_class"])
    logger = config.logger_class(config)
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    return settings["access_log_format"] % logger.atoms_wrapper_class(atoms), atoms


@pytest.mark.parametrize("path, redacted", [
    ("/password/reset/very-secret-reset-token", "/password/reset/[redacted]"),
    ("/calendar/very-secret-feed-token.ics", "/calendar/[redacted].ics"),
    ("/walk-in/1/very-secret-poster-token", "/walk-in/1/[redacted]"),
])
def test_gunicorn_access_line_redacts_secret_tokens_as_the_app_does(app, path, redacted):
    line, atoms = _gunicorn_access_line(app, path, query="lang=en",
                                        referer=f"https://scivisit.example.gov.cn{path}")
    assert f"GET {redacted} HTTP/1.1" in line
    assert "very-secret" not in line
    assert not [key for key, value in atoms.items() if "very-secret" in str(value)]


def test_gunicorn_access_line_masks_contact_data_in_the_request(app):
    line, atoms = _gunicorn_access_line(app, "/no-such-page/wang@example.com", query="phone=13912345678")
    assert "GET /no-such-page/[email] HTTP/1.1" in line
    assert "wang@example.com" not in atoms["r"] and "13912345678" not in atoms["r"]


def test_gunicorn_access_line_leaves_ordinary_paths_alone(app):
    line, _ = _gunicorn_access_line(app, "/venues/1")
    assert '"GET /venues/1 HTTP/1.1"' in line


def test_gunicorn_s_master_sets_up_its_logger_without_importing_the_app():
    """Workers forked by the master inherit its modules: were the app's package among them, a reload
    (`kill -HUP`) would start workers with the old code."""
    script = ("import runpy, sys; from gunicorn.config import Config; "
              "settings = runpy.run_path('gunicorn.conf.py'); config = Config(); "
              "config.set('logger_class', settings['logger_class']); config.logger_class(config); "
              "print(sorted(name for name in sys.modules if name == 'app' or name.startswith('app.')))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _nginx_logged_uri(uri: str) -> str:
    """What the sample nginx configuration (docs/deploy/nginx.conf) writes to its access log for
    ``uri``: its ``map $uri $scivisit_logged_uri``, regexes tried in order as nginx does."""
    text = (ROOT / "docs/deploy/nginx.conf").read_text()
    block = re.search(r"map \$uri \$scivisit_logged_uri \{(.*?)\n\}", text, re.S).group(1)
    for pattern, value in re.findall(r'^\s*"~(.+?)"\s+"(.*?)";', block, re.M):
        found = re.search(pattern.replace("(?<", "(?P<").replace("\\\\", "\\"), uri)
        if found:
            return re.sub(r"\$\{(\w+)\}", lambda name: found.group(name.group(1)), value)
    assert re.search(r"^\s*default\s+\$uri;", block, re.M)
    return uri


def test_nginx_logs_every_secret_token_path_as_the_app_does(app):
    # Every route with a text argument named like "token" (what the app redacts; a numeric token_id is
    # no secret): nginx's sample configuration must hide the same token, or its log holds what ours do not.
    adapter = app.url_map.bind("scivisit.example.gov.cn")
    checked = 0
    for rule in app.url_map.iter_rules():
        secrets = set(re.findall(r"<(?:string:)?(\w*token\w*)>", rule.rule))
        if secrets:
            path = adapter.build(rule.endpoint, {name: "very-secret" if name in secrets else 7 for name in rule.arguments})
            assert _nginx_logged_uri(path) == path.replace("very-secret", "[redacted]"), rule.rule
            checked += 1
    assert checked >= 3
    assert _nginx_logged_uri("/venues/7") == "/venues/7"
    assert _nginx_logged_uri("/walk-in/7") == "/walk-in/7"


# --- the development server's request line (`make run`) ---------------------------------------------

def _dev_server_log(app, paths: list[str]) -> str:
    """What werkzeug's development server (``flask run``) writes for requests to ``paths``: a real
    server on a free port, asked over HTTP."""
    import threading
    import urllib.error
    import urllib.request

    from werkzeug.serving import make_server

    stream = _capture_app_log()
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in paths:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=10).read()
            except urllib.error.HTTPError:
                pass  # a refused token is answered 400 or 404; the line is written all the same
    finally:
        server.shutdown()
        thread.join(timeout=10)
    return re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())  # werkzeug colours a line by its status


@pytest.mark.parametrize("path, redacted", [
    ("/password/reset/very-secret-reset-token", "/password/reset/[redacted]"),
    ("/calendar/very-secret-feed-token.ics", "/calendar/[redacted].ics"),
    ("/walk-in/1/very-secret-poster-token?lang=en", "/walk-in/1/[redacted]?lang=en"),
])
def test_the_development_server_s_request_line_redacts_secret_tokens_as_the_app_does(app, path, redacted):
    log = _dev_server_log(app, [path])
    assert f'"GET {redacted} HTTP/1.1"' in log
    assert "very-secret" not in log


def test_the_development_server_s_request_line_leaves_ordinary_paths_alone(app):
    log = _dev_server_log(app, ["/healthz", "/no-such-page/very-plain-segment"])
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert "/no-such-page/very-plain-segment" in log
