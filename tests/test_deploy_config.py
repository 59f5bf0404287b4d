"""Production refuses to start without its secrets; gunicorn's settings come from the environment."""
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from config import ProductionConfig

ROOT = Path(__file__).resolve().parent.parent


REQUIRED = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL")


@pytest.mark.parametrize("missing", [("SECRET_KEY",), ("DATABASE_URL",), ("PUBLIC_BASE_URL",), REQUIRED])
def test_production_refuses_to_start_without_its_secrets(monkeypatch, missing):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://scivisit@db.internal/scivisit")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://scivisit.example.gov.cn")
    for name in missing:
        monkeypatch.delenv(name)
    with pytest.raises(RuntimeError) as refused:
        create_app("production")
    for name in missing:
        assert name in str(refused.value)


@pytest.mark.parametrize("address", ["scivisit.example.gov.cn", "ftp://scivisit.example.gov.cn", "https://"])
def test_production_refuses_a_public_address_that_is_not_a_web_address(monkeypatch, address):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://scivisit@db.internal/scivisit")
    monkeypatch.setenv("PUBLIC_BASE_URL", address)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production")


def test_the_wsgi_entry_point_exits_with_the_reason_when_production_lacks_its_secrets():
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    env["SCIVISIT_CONFIG"] = "production"
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert all(name in result.stderr for name in REQUIRED)


@pytest.fixture
def production(database_url, _migrated, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://scivisit.example.gov.cn")
    app = create_app(type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": "https://scivisit.example.gov.cn",
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"}))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("host", ["scivisit.attacker.example", "scivisit.example.gov.cn.attacker.example"])
def test_production_answers_a_request_for_another_host_with_400(production, host):
    browser = production.test_client()
    assert browser.get("/login", base_url=f"https://{host}").status_code == 400
    assert browser.post("/password/forgot", base_url=f"https://{host}",
                        data={"email": "teacher@scivisit.local"}).status_code == 400


@pytest.mark.parametrize("base_url", ["https://scivisit.example.gov.cn", "https://scivisit.example.gov.cn:443",
                                      "http://127.0.0.1:8000", "http://localhost:8000"])
def test_production_answers_its_own_host_and_the_machine_s_health_checks(production, base_url):
    assert production.test_client().get("/healthz", base_url=base_url).status_code == 200


def test_more_host_names_can_be_trusted_for_checks_on_the_machine_s_own_address(database_url, _migrated,
                                                                             monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "test-production-secret")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://scivisit.example.gov.cn")
    app = create_app(type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_BASE_URL": "https://scivisit.example.gov.cn",
        "EXTRA_TRUSTED_HOSTS": ["10.0.1.11"], "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"}))
    try:
        assert app.test_client().get("/healthz", base_url="http://10.0.1.11:8000").status_code == 200
        assert app.test_client().get("/healthz", base_url="http://10.0.1.12:8000").status_code == 400
    finally:
        with app.app_context():
            db.engine.dispose()


def _gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_WORKER_CONNECTIONS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_binds_the_port_and_runs_the_workers_the_environment_asks_for(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, PORT="9123", WEB_CONCURRENCY="3", FORWARDED_ALLOW_IPS="10.0.0.5")
    assert settings["bind"] == "0.0.0.0:9123"
    assert settings["workers"] == 3
    assert settings["forwarded_allow_ips"] == "10.0.0.5"


def test_gunicorn_defaults_to_threaded_workers_two_per_core_plus_one_without_preloading(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["bind"] == "0.0.0.0:8000"
    assert settings["workers"] == 2 * os.cpu_count() + 1
    assert (settings["worker_class"], settings["threads"]) == ("gthread", 2)
    assert settings["preload_app"] is False
    assert settings["timeout"] > 0 and settings["graceful_timeout"] > 0


def test_a_gunicorn_worker_holds_few_connections_so_that_the_others_get_theirs(monkeypatch):
    """gthread's default (1,000) lets one worker take most kept-alive connections while the others
    idle; bounded, a full worker stops accepting (gunicorn.conf.py has the measurements)."""
    assert _gunicorn_settings(monkeypatch)["worker_connections"] == 2 + 8
    assert _gunicorn_settings(monkeypatch, GUNICORN_THREADS="4")["worker_connections"] == 4 + 8
    assert _gunicorn_settings(monkeypatch, GUNICORN_WORKER_CONNECTIONS="50")["worker_connections"] == 50


def test_gunicorn_access_log_goes_to_stdout_with_the_request_id(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["accesslog"] == "-"
    assert "%({x-request-id}o)s" in settings["access_log_format"]


def test_every_setting_the_app_and_gunicorn_read_is_documented():
    """What config.py reads is in README.md's tables; what gunicorn.conf.py reads, in docs/deploy/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deploy = (ROOT / "docs" / "deploy" / "README.md").read_text(encoding="utf-8")
    app_settings = set(re.findall(r'\b(?:ENV|env)\.\w+\("([A-Z_]+)"', (ROOT / "config.py").read_text()))
    gunicorn_settings = set(re.findall(r'(?:_whole|os\.environ\.get)\(["\']([A-Z_]+)["\']',
                                       (ROOT / "gunicorn.conf.py").read_text()))
    assert {"SCIVISIT_CONFIG", "MAIL_PORT", "STATS_CACHE_SECONDS"} <= app_settings
    assert {"GUNICORN_LOG_LEVEL", "GUNICORN_WORKER_CLASS", "WEB_CONCURRENCY"} <= gunicorn_settings
    assert sorted(name for name in app_settings if f"`{name}`" not in readme) == []
    assert sorted(name for name in gunicorn_settings if f"`{name}`" not in deploy) == []
