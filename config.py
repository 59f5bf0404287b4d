"""Configuration classes, chosen by name in ``create_app`` (``SCIVISIT_CONFIG`` or the argument).

Every setting is read from the environment once, when this module is imported, through ``ENV``'s
typed readers. A value that does not parse is noted with what its variable takes, and ``chosen``
(called by ``create_app``) then refuses to start with one line per such variable, not a traceback.
"""
import math
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class CannotStart(RuntimeError):
    """Why the app will not start, one line per cause, for the operator: a setting it cannot use, or
    a database it cannot serve. ``wsgi.py`` prints it as it is, without a traceback."""


class Environment:
    """Typed reads of environment variables; a blank value counts as unset. A value that does not
    parse gives the default meanwhile, and is noted in ``problems`` with what the variable takes."""

    TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

    def __init__(self, environ=os.environ):
        self.environ = environ
        self.problems: dict[str, str] = {}

    def text(self, name: str, default: str | None = None) -> str | None:
        return self.environ.get(name) or default

    def names(self, name: str) -> list[str]:
        """A comma-separated list."""
        return [part.strip() for part in self.environ.get(name, "").split(",") if part.strip()]

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() in self.TRUE + self.FALSE:
            return raw.lower() in self.TRUE
        return self._refuse(name, raw, "true or false (or 1/0, yes/no, on/off)", default)

    def whole(self, name: str, default: int, low: int = 0, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        digits = raw[1:] if raw.startswith("-") else raw
        value = int(raw) if digits.isascii() and digits.isdigit() else None
        if value is None or value < low or (high is not None and value > high):
            takes = f"a whole number from {low} to {high}" if high is not None else f"a whole number, {low} or more"
            return self._refuse(name, raw, takes, default)
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return float(default)
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            return self._refuse(name, raw, "a number of seconds, 0 or more (such as 5 or 0.5)", float(default))
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """One of ``choices``, in any case; given back as spelled in ``choices``."""
        raw = self._raw(name)
        if raw is None:
            return default
        for choice in choices:
            if raw.lower() == choice.lower():
                return choice
        return self._refuse(name, raw, "one of " + ", ".join(choices), default)

    def _raw(self, name: str) -> str | None:
        return self.environ.get(name, "").strip() or None

    def _refuse(self, name: str, raw: str, takes: str, default):
        self.problems[name] = f"{name} is {raw!r}; it takes {takes}."
        return default


ENV = Environment()


class Config:
    SECRET_KEY = ENV.text("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = ENV.text("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'scivisit.db'}")
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

    REDIS_URL = ENV.text("REDIS_URL")
    # Every key this app writes in Redis carries it (the statistics' copies and, through
    # create_app, the rate-limit counts): deployments sharing one Redis keep apart.
    REDIS_KEY_PREFIX = ENV.text("REDIS_KEY_PREFIX", "scivisit")
    RATELIMIT_ENABLED = ENV.flag("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # A moving window: "10 a minute" means any 60 seconds, not a count that resets on the minute.
    RATELIMIT_STRATEGY = "moving-window"
    # The walk-in poster's form (app/checkin/views.py): a phone or account counts once a day, a
    # venue's entrance and a shared address (its Wi-Fi, a carrier's NAT) send many parties.
    WALK_IN_LIMIT_PER_WALKER = "10 per minute"
    WALK_IN_LIMIT_PER_VENUE = "300 per minute"
    WALK_IN_LIMIT_PER_ADDRESS = "120 per minute; 2000 per hour"

    MAIL_SERVER = ENV.text("MAIL_SERVER")
    MAIL_PORT = ENV.whole("MAIL_PORT", 25, low=1, high=65535)
    MAIL_USERNAME = ENV.text("MAIL_USERNAME")
    MAIL_PASSWORD = ENV.text("MAIL_PASSWORD")
    MAIL_USE_TLS = ENV.flag("MAIL_USE_TLS", False)
    MAIL_SENDER = ENV.text("MAIL_SENDER", "SciVisit <noreply@scivisit.local>")
    # Development sends (prints) mail right after the request's commit; production leaves it to
    # the delivery job and never writes bodies (they hold reset links) to the log.
    MAIL_DELIVER_IN_REQUEST = ENV.flag("MAIL_DELIVER_IN_REQUEST", True)
    MAIL_LOG_BODY = True
    # The site's own address (https://scivisit.example.gov.cn). Every link that leaves the request
    # (e-mails, staff invitations, calendar feeds) is built from it, never from the Host header,
    # which the client chooses: a forged Host would otherwise put a reset token on another site.
    # Required in production; development without it links to the address it was reached at.
    PUBLIC_BASE_URL = ENV.text("PUBLIC_BASE_URL")
    # With RESTRICT_HOSTS (production) the app answers only PUBLIC_BASE_URL's host and the loopback
    # names (400 for any other Host). EXTRA_TRUSTED_HOSTS (comma-separated) adds the names a machine
    # is also reached by, such as its own address for the load balancer's health checks.
    RESTRICT_HOSTS = False
    EXTRA_TRUSTED_HOSTS = ENV.names("EXTRA_TRUSTED_HOSTS")

    # Ticket signing keys: files in this folder (shared by every app machine) or the seeds in
    # TICKET_SIGNING_KEYS; the database holds only the public halves and their status.
    TICKET_KEY_DIR = ENV.text("TICKET_KEY_DIR")
    TICKET_SIGNING_KEYS = ENV.text("TICKET_SIGNING_KEYS")

    # How long a worker believes a bearer token it has looked up (app/accounts/tokens.py): revoking
    # a gate device reaches every worker within this time; 0 reads the token on every request.
    API_TOKEN_CACHE_SECONDS = ENV.seconds("API_TOKEN_CACHE_SECONDS", 5)
    # How long dashboard and stats-API figures are reused (app/stats/figures.py); 0 computes them for
    # every request.
    STATS_CACHE_SECONDS = ENV.seconds("STATS_CACHE_SECONDS", 30)

    PASSWORD_RESET_MAX_AGE = 3600
    LOGIN_LOCKOUT_THRESHOLD = 5
    LOGIN_LOCKOUT_MINUTES = 15
    DIRECTORY_PAGE_SIZE = 20
    ACCREDITATION_EXPIRY_WARNING_DAYS = 90

    SEED_DEMO = True
    REQUIRE_MIGRATED_SCHEMA = False

    # Deployment and security (app/core/security.py, app/core/logging.py, gunicorn.conf.py).
    # Hops of our own reverse proxies whose X-Forwarded-For/-Proto are believed; 0 = no proxy.
    TRUSTED_PROXY_COUNT = ENV.whole("TRUSTED_PROXY_COUNT", 0)
    HSTS_ENABLED = False
    LOG_FORMAT = ENV.choice("LOG_FORMAT", "text", ("json", "text"))  # "json": one JSON object per line
    LOG_LEVEL = ENV.choice("LOG_LEVEL", "INFO", LOG_LEVELS)
    ACCESS_LOG = ENV.flag("ACCESS_LOG", True)
    # If Redis goes away, count in each worker's memory meanwhile instead of failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = ENV.text("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = ENV.flag("TEST_RATELIMIT_ENABLED", False)
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    STATS_CACHE_SECONDS = 0  # each test sees the figures its own rows make
    SERVER_NAME = None


class ProductionConfig(Config):
    MAIL_DELIVER_IN_REQUEST = ENV.flag("MAIL_DELIVER_IN_REQUEST", False)
    MAIL_LOG_BODY = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SEED_DEMO = False
    HSTS_ENABLED = ENV.flag("HSTS_ENABLED", True)
    HSTS_MAX_AGE = ENV.whole("HSTS_MAX_AGE", 365 * 24 * 3600)
    LOG_FORMAT = ENV.choice("LOG_FORMAT", "json", ("json", "text"))

    RESTRICT_HOSTS = True  # Flask's TRUSTED_HOSTS, from PUBLIC_BASE_URL (app/core/security.py)
    # A worker will not serve a database that lacks this release's migrations (app/core/schema.py).
    REQUIRE_MIGRATED_SCHEMA = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start production without its secrets and its address: a default key or
        database is a bug, and without its address the site would build links from the Host header."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL") if not os.environ.get(name)]
        if missing:
            raise CannotStart("Production configuration requires environment variables: " + ", ".join(missing))
        address = urlsplit(os.environ["PUBLIC_BASE_URL"])
        if address.scheme not in ("http", "https") or not address.hostname:
            raise CannotStart("PUBLIC_BASE_URL must be the site's address, such as https://scivisit.example.gov.cn")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def chosen(config: "str | type | None" = None) -> type:
    """The configuration class to build the app with: ``config`` (a name or a class), else the one
    ``SCIVISIT_CONFIG`` names. Raises ``CannotStart``, one line per variable, when the environment
    holds a value the app cannot use, or production lacks its secrets."""
    env = Environment()
    name = config if config is not None else env.choice("SCIVISIT_CONFIG", "development", tuple(CONFIGS))
    problems = {**ENV.problems, **env.problems}
    if problems:
        raise CannotStart("\n".join(problems.values()))
    config_cls = CONFIGS[name] if isinstance(name, str) else name
    if issubclass(config_cls, ProductionConfig):
        config_cls.check()
    return config_cls
