"""Start-up refuses, in a line naming the cause and no traceback, a setting it cannot use and (in
production) a database whose schema lacks this release's migrations; `flask --app wsgi db upgrade`
itself still runs, and a schema a later release migrated is served."""
from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from config import CannotStart, Environment, ProductionConfig
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"
PUBLIC_BASE_URL = "https://scivisit.example.gov.cn"
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"

# Each bad value, and words of what the variable takes that its refusal must say.
BAD_SETTINGS = {
    "MAIL_PORT": ("smtp", "whole number"),
    "TRUSTED_PROXY_COUNT": ("one", "whole number"),
    "API_TOKEN_CACHE_SECONDS": ("5s", "seconds"),
    "STATS_CACHE_SECONDS": ("30s", "seconds"),
    "LOG_LEVEL": ("verbose", "WARNING"),
    "LOG_FORMAT": ("yaml", "json"),
    "SCIVISIT_CONFIG": ("prod", "production"),
}


def _clean_env(**values) -> dict:
    """The test run's environment without any SciVisit setting, plus ``values``."""
    names = set(BAD_SETTINGS) | {"SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "REDIS_URL", "FLASK_RUN_FROM_CLI"}
    env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith(("RATELIMIT_", "TEST_"))}
    env.update(values)
    return env


def _start(env: dict, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command or [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _production(database_url: str, monkeypatch):
    """``create_app`` in production configuration on ``database_url``, as a worker starts it."""
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    app = create_app(type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"}))
    with app.app_context():
        db.engine.dispose()
    return app


# --- settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(BAD_SETTINGS))
def test_a_bad_setting_stops_the_start_with_one_line_naming_it_and_what_it_takes(tmp_path, name):
    value, takes = BAD_SETTINGS[name]
    result = _start(_clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", **{name: value}))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and repr(value) in lines[0] and takes in lines[0]


def test_every_bad_setting_is_named_at_once(tmp_path):
    result = _start(_clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
                               **{name: value for name, (value, _) in BAD_SETTINGS.items()}))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split()[3] for line in lines) == sorted(BAD_SETTINGS), result.stderr


def test_a_command_with_a_bad_setting_exits_with_the_same_line(tmp_path):
    result = _start(_clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", MAIL_PORT="smtp"),
                    str(FLASK), "--app", "wsgi", "db", "current")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "MAIL_PORT is 'smtp'" in result.stderr


def test_gunicorn_stops_instead_of_restarting_workers_when_a_setting_is_bad(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", LOG_FORMAT="yaml", PORT=str(port),
                     WEB_CONCURRENCY="1")
    process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"gunicorn kept running with LOG_FORMAT=yaml:\n{output[-3000:]}")
    assert process.returncode != 0
    assert "LOG_FORMAT is 'yaml'" in output
    assert "Traceback" not in output


def test_an_unknown_configuration_name_is_refused_in_process(monkeypatch):
    monkeypatch.setenv("SCIVISIT_CONFIG", "prod")
    with pytest.raises(CannotStart, match="SCIVISIT_CONFIG is 'prod'; it takes one of development, test, production"):
        create_app()


@pytest.mark.parametrize("environ, expected", [
    ({}, (25, 5.0, True, "INFO", "text")),
    ({"MAIL_PORT": " 587 ", "API_TOKEN_CACHE_SECONDS": "0.5", "RATELIMIT_ENABLED": "off", "LOG_LEVEL": "warning",
      "LOG_FORMAT": "JSON"}, (587, 0.5, False, "WARNING", "json")),
    ({"MAIL_PORT": "", "API_TOKEN_CACHE_SECONDS": "", "RATELIMIT_ENABLED": "", "LOG_LEVEL": "", "LOG_FORMAT": ""},
     (25, 5.0, True, "INFO", "text")),
])
def test_good_values_are_read_with_their_type_and_blank_means_the_default(environ, expected):
    env = Environment(environ)
    read = (env.whole("MAIL_PORT", 25, low=1, high=65535), env.seconds("API_TOKEN_CACHE_SECONDS", 5),
            env.flag("RATELIMIT_ENABLED", True), env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING")),
            env.choice("LOG_FORMAT", "text", ("json", "text")))
    assert read == expected
    assert env.problems == {}


@pytest.mark.parametrize("name, value", [("MAIL_PORT", "70000"), ("TRUSTED_PROXY_COUNT", "-1"),
                                         ("STATS_CACHE_SECONDS", "-5"), ("STATS_CACHE_SECONDS", "nan"),
                                         ("RATELIMIT_ENABLED", "maybe")])
def test_values_of_the_right_kind_but_out_of_range_are_refused_too(name, value):
    env = Environment({name: value})
    {"MAIL_PORT": lambda: env.whole(name, 25, low=1, high=65535),
     "TRUSTED_PROXY_COUNT": lambda: env.whole(name, 0),
     "STATS_CACHE_SECONDS": lambda: env.seconds(name, 30),
     "RATELIMIT_ENABLED": lambda: env.flag(name, True)}[name]()
    assert list(env.problems) == [name]
    assert env.problems[name].startswith(f"{name} is {value!r}; it takes ")


def test_a_bad_gunicorn_setting_stops_gunicorn_with_one_line(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "two")
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert str(stopped.value) == "gunicorn.conf.py: GUNICORN_THREADS is 'two'; it takes a whole number, 1 or more."


# --- the database's schema -------------------------------------------------------------------------

def test_production_refuses_to_start_on_a_database_without_the_migrations(empty_database, monkeypatch):
    with pytest.raises(CannotStart, match=r"run `flask --app wsgi db upgrade` first"):
        _production(empty_database, monkeypatch)


def test_production_refuses_to_start_on_a_schema_one_migration_behind(empty_database, monkeypatch):
    script = ScriptDirectory(str(ROOT / "migrations"))
    behind = script.get_revision(script.get_current_head()).down_revision
    app = create_app(make_config(empty_database))
    with app.app_context():
        upgrade(revision=behind)
        db.engine.dispose()

    with pytest.raises(CannotStart, match=r"run `flask --app wsgi db upgrade` first") as refused:
        _production(empty_database, monkeypatch)
    assert script.get_current_head() in str(refused.value)


def test_production_serves_a_schema_a_later_release_has_migrated(empty_database, monkeypatch):
    # During a rolling release old workers keep serving after the migration: a revision this code
    # does not know is a later release's, not a reason to stop.
    engine = sa.create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('f00dfeedbeef')"))
    engine.dispose()
    assert _production(empty_database, monkeypatch).test_client().get(
        "/healthz", base_url=PUBLIC_BASE_URL).status_code == 200


def test_production_starts_at_the_migration_head(database_url, _migrated, monkeypatch):
    assert _production(database_url, monkeypatch).test_client().get(
        "/healthz", base_url=PUBLIC_BASE_URL).status_code == 200


def test_production_starts_while_the_database_is_away_and_healthz_says_so(monkeypatch):
    # It may be back in a moment: a worker that refused would stay down after it is.
    app = _production(DEAD_DATABASE, monkeypatch)
    assert app.test_client().get("/healthz", base_url=PUBLIC_BASE_URL).status_code == 503


def test_the_first_release_migrates_with_the_flask_command_and_then_starts(empty_database, tmp_path):
    env = _clean_env(SCIVISIT_CONFIG="production", SECRET_KEY="a-real-secret", DATABASE_URL=empty_database,
                     PUBLIC_BASE_URL=PUBLIC_BASE_URL, TICKET_KEY_DIR=str(tmp_path / "ticket_keys"))
    refused = _start(env)
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert "run `flask --app wsgi db upgrade` first" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr

    migrated = _start(env, str(FLASK), "--app", "wsgi", "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr

    assert _start(env).returncode == 0
