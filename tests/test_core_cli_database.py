"""Every command, on a database that lacks the migrations or cannot be reached, answers one line
saying so (in the operator's language) and exits non-zero: no traceback."""
from __future__ import annotations


import pytest
import sqlalchemy as sa

from app import create_app
from app.core import schema
from app.extensions import db
from tests.conftest import make_config

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"

COMMANDS = [
    ("users", "create", "--email", "new@example.com", "--password", "long-password", "--role", "citizen"),
    ("bookings", "close-day", "--date", "2026-01-05"),
    ("stats", "rebuild"),
    ("notifications", "deliver"),
    ("seed-demo", "--if-empty"),
]


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")


def _run(database_url: str, *args: str):
    app = create_app(make_config(database_url))
    try:
        return app.test_cli_runner().invoke(args=list(args))
    finally:
        with app.app_context():
            db.engine.dispose()


def _one_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, sa.exc.SQLAlchemyError), result.exception
    assert "Traceback" not in result.output
    return result.output.strip().splitlines()[-1]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
def test_a_command_on_a_database_without_the_migrations_says_to_run_them_first(empty_database, command):
    line = _one_line(_run(empty_database, *command))
    assert line == "错误：数据库尚未执行当前版本的迁移：请先运行 `flask --app wsgi db upgrade`。"


@pytest.mark.parametrize("command", COMMANDS[:3], ids=lambda command: " ".join(command[:2]))
def test_a_command_on_a_database_it_cannot_reach_says_so_with_the_reason(command):
    line = _one_line(_run(DEAD_DATABASE, *command))
    assert line.startswith("错误：无法连接数据库 postgresql+psycopg://postgres@127.0.0.1:1/none：")


def test_the_refusal_is_in_english_under_an_english_locale(empty_database, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    line = _one_line(_run(empty_database, "stats", "rebuild"))
    assert line == ("Error: The database lacks this release's migrations: run `flask --app wsgi db upgrade` "
                    "first.")


def test_a_command_on_a_migrated_database_still_runs(database_url, _migrated):
    result = _run(database_url, "bookings", "close-day", "--date", "2026-01-05")
    assert result.exit_code == 0, result.output


# --- Flask-Migrate's `db` commands ----------------------------------------------------------------

UNREACHABLE = "postgresql+psycopg://postgres:secret-word@127.0.0.1:5999/none?connect_timeout=1"


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "current"), ("db", "check"),
                                     ("db", "downgrade", "base")], ids=" ".join)
def test_a_migration_command_on_a_database_it_cannot_reach_names_it_in_one_line(command):
    result = _run(UNREACHABLE, *command)

    line = _one_line(result)
    assert line.startswith("错误：无法连接数据库 postgresql+psycopg://postgres@127.0.0.1:5999/none：")
    assert "Connection refused" in line or "connection" in line.lower()
    assert "secret-word" not in result.output and "***" not in result.output


def test_the_migration_commands_refusal_is_in_english_under_an_english_locale(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    line = _one_line(_run(UNREACHABLE, "db", "current"))
    assert line.startswith("Error: Database unreachable at postgresql+psycopg://postgres@127.0.0.1:5999/none: ")


def test_migration_commands_that_need_no_database_still_answer_without_one():
    result = _run(UNREACHABLE, "db", "heads")  # Alembic prints the heads on its own stdout
    assert result.exit_code == 0, result.output


def test_the_migration_commands_work_on_a_database_they_reach(empty_database):
    assert _run(empty_database, "db", "upgrade").exit_code == 0
    assert _run(empty_database, "db", "current").exit_code == 0
    engine = sa.create_engine(empty_database)
    try:
        assert schema.missing_migrations(engine) == []
    finally:
        engine.dispose()
