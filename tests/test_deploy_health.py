"""``/healthz``: 200 when the database (and Redis, when configured) answer; a quick 503 when not."""
import time

from app import create_app
from app.extensions import db
from tests.conftest import make_config

# Nothing listens on port 1: connecting is refused at once; connect_timeout bounds other failures.
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _health(config):
    app = create_app(config)
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    elapsed = time.monotonic() - started
    with app.app_context():
        db.engine.dispose()
    return response, elapsed


def test_healthz_answers_503_quickly_when_the_database_is_unreachable():
    response, elapsed = _health(make_config(DEAD_DATABASE))
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    assert elapsed < 5


def test_healthz_checks_redis_when_it_is_configured(database_url, _migrated, redis_url):
    response, _ = _health(make_config(database_url, REDIS_URL=redis_url))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_answers_503_when_redis_is_configured_but_unreachable(database_url, _migrated):
    response, elapsed = _health(make_config(database_url, REDIS_URL=DEAD_REDIS))
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "redis": "error"}
    assert elapsed < 5


def test_healthz_is_never_rate_limited(database_url, _migrated):
    app = create_app(make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    probe = app.test_client()
    assert {probe.get("/healthz").status_code for _ in range(40)} == {200}
    with app.app_context():
        db.engine.dispose()
