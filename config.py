"""Configuration classes, chosen by name in ``create_app`` (``SCIVISIT_CONFIG`` or the argument)."""
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'scivisit.db'}"
    )
    # No pre-ping: it costs a round trip on every checkout, one of /healthz's four and of a
    # check-in's seven. A connection that died while idle (database restart, failover) fails its
    # first statement instead: SQLAlchemy then invalidates the whole pool, and the request is
    # answered 503 "try again" (app/core/errors.py), with nothing half-written: one such answer per
    # worker after a restart. Recycling connections after 30 minutes retires those that a
    # firewall or proxy may have dropped silently.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 1800}
    SQLALCHEMY_RECORD_QUERIES = False

    # Interface: Chinese first, English available on every page.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    VENUE_TIMEZONE = "Asia/Shanghai"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None  # no time pressure in forms (elder-friendly)
    # The largest honest body is an offline gate's batch of 500 scans, about 250 KB; anything larger
    # is refused (413) before it is read into memory.
    MAX_CONTENT_LENGTH = 1024 * 1024

    REDIS_URL = os.environ.get("REDIS_URL")
    # Keys this app writes in Redis start with it: deployments sharing one Redis keep apart.
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "scivisit")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # A moving window: "10 a minute" means any 60 seconds, not a count that resets on the minute.
    RATELIMIT_STRATEGY = "moving-window"

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "SciVisit <noreply@scivisit.local>")
    # Development sends (prints) mail right after the request's commit; production leaves it to
    # the delivery job and never writes bodies (they hold reset links) to the log.
    MAIL_DELIVER_IN_REQUEST = _bool("MAIL_DELIVER_IN_REQUEST", True)
    MAIL_LOG_BODY = True
    # The site's own address (https://scivisit.example.gov.cn). Every link that leaves the request
    # (e-mails, staff invitations, calendar feeds) is built from it, never from the Host header,
    # which the client chooses: a forged Host would otherwise put a reset token on another site.
    # Required in production; development without it links to the address it was reached at.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # With RESTRICT_HOSTS (production) the app answers only PUBLIC_BASE_URL's host and the loopback
    # names (400 for any other Host). EXTRA_TRUSTED_HOSTS (comma-separated) adds the names a machine
    # is also reached by, such as its own address for the load balancer's health checks.
    RESTRICT_HOSTS = False
    EXTRA_TRUSTED_HOSTS = [name.strip() for name in os.environ.get("EXTRA_TRUSTED_HOSTS", "").split(",")
                           if name.strip()]

    # Ticket signing keys: files in this folder (shared by every app machine) or the seeds in
    # TICKET_SIGNING_KEYS; the database holds only the public halves and their status.
    TICKET_KEY_DIR = os.environ.get("TICKET_KEY_DIR")
    TICKET_SIGNING_KEYS = os.environ.get("TICKET_SIGNING_KEYS")

    # How long a worker believes a bearer token it has looked up (app/accounts/tokens.py): revoking
    # a gate device reaches every worker within this time; 0 reads the token on every request.
    API_TOKEN_CACHE_SECONDS = float(os.environ.get("API_TOKEN_CACHE_SECONDS", "5"))

    PASSWORD_RESET_MAX_AGE = 3600
    LOGIN_LOCKOUT_THRESHOLD = 5
    LOGIN_LOCKOUT_MINUTES = 15
    DIRECTORY_PAGE_SIZE = 20
    ACCREDITATION_EXPIRY_WARNING_DAYS = 90

    SEED_DEMO = True

    # Deployment and security (app/core/security.py, app/core/logging.py, gunicorn.conf.py).
    # Hops of our own reverse proxies whose X-Forwarded-For/-Proto are believed; 0 = no proxy.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    HSTS_ENABLED = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per line
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    ACCESS_LOG = _bool("ACCESS_LOG", True)
    # If Redis goes away, count in each worker's memory meanwhile instead of failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = _bool("TEST_RATELIMIT_ENABLED", False)
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    SERVER_NAME = None


class ProductionConfig(Config):
    MAIL_DELIVER_IN_REQUEST = _bool("MAIL_DELIVER_IN_REQUEST", False)
    MAIL_LOG_BODY = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SEED_DEMO = False
    HSTS_ENABLED = _bool("HSTS_ENABLED", True)
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    RESTRICT_HOSTS = True  # Flask's TRUSTED_HOSTS, from PUBLIC_BASE_URL (app/core/security.py)

    @classmethod
    def check(cls) -> None:
        """Refuse to start production without its secrets and its address: a default key or
        database is a bug, and without its address the site would build links from the Host header."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration requires environment variables: " + ", ".join(missing)
            )
        address = urlsplit(os.environ["PUBLIC_BASE_URL"])
        if address.scheme not in ("http", "https") or not address.hostname:
            raise RuntimeError("PUBLIC_BASE_URL must be the site's address, such as "
                               "https://scivisit.example.gov.cn")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
