"""Configuration: one class per environment, every setting read from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from argon2.profiles import RFC_9106_LOW_MEMORY

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets shorter than this, or well-known placeholders, are refused in production.
MIN_SECRET_KEY_LENGTH = 32
WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "development", "test", "insecure"}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Settings shared by every environment."""

    def __init__(self) -> None:
        self.ENV_NAME = "base"
        # None: development makes a random key of its own (see instance_secret_key).
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None
        # None -> an SQLite file in the instance folder (see create_app)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.RULES_DIR = os.environ.get("RULES_DIR") or str(PROJECT_ROOT / "rules")
        # How often each process checks which rule set is active; development also publishes
        # every saved edit of RULES_DIR (RULES_WATCH).
        self.RULES_REFRESH_SECONDS = float(os.environ.get("RULES_REFRESH_SECONDS") or 5)
        self.RULES_WATCH = _bool("RULES_WATCH", False)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
        self.MAX_FORM_PARTS = _int("MAX_FORM_PARTS", 20000)

        self.SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
        self.SMTP_PORT = _int("SMTP_PORT", 1025)
        self.SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
        self.SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)
        self.MAIL_FROM = os.environ.get(
            "MAIL_FROM", "INL Donations <donations-noreply@state.example.gov>"
        )
        # make run drains the outbox in a thread; production workers run `flask outbox send`.
        self.OUTBOX_IN_APP_SENDER = _bool("OUTBOX_IN_APP_SENDER", False)
        self.OUTBOX_POLL_SECONDS = _int("OUTBOX_POLL_SECONDS", 5)
        self.OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)

        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
        # Host names the app answers to; any other Host header is a 400 (None: any, outside
        # production). Production defaults to the host of PUBLIC_BASE_URL.
        self.TRUSTED_HOSTS = _list("TRUSTED_HOSTS") or None
        self.DRAFT_LIFETIME_DAYS = _int("DRAFT_LIFETIME_DAYS", 30)
        self.PERSONAL_DATA_RETENTION_DAYS = _int("PERSONAL_DATA_RETENTION_DAYS", 3 * 365)
        # The offer list counts matches up to this many; more show as "more than 1,000".
        self.OFFER_LIST_COUNT_CAP = _int("OFFER_LIST_COUNT_CAP", 1000)
        self.STATUS_LINK_DAYS_AFTER_DECISION = _int("STATUS_LINK_DAYS_AFTER_DECISION", 365)
        self.STATUS_LINK_EMAIL_RATE_LIMIT = os.environ.get(
            "STATUS_LINK_EMAIL_RATE_LIMIT", "10 per hour"
        )
        self.SUBMISSION_RATE_LIMIT = os.environ.get("SUBMISSION_RATE_LIMIT", "30 per hour")
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.CHECK_RATE_LIMIT = os.environ.get("CHECK_RATE_LIMIT", "120 per hour")
        self.CSV_IMPORT_RATE_LIMIT = os.environ.get("CSV_IMPORT_RATE_LIMIT", "30 per hour")
        self.DRAFT_SAVE_RATE_LIMIT = os.environ.get("DRAFT_SAVE_RATE_LIMIT", "120 per hour")
        self.DRAFT_EMAIL_RATE_LIMIT = os.environ.get("DRAFT_EMAIL_RATE_LIMIT", "10 per hour")
        self.DRAFT_EMAIL_PER_ADDRESS_LIMIT = os.environ.get(
            "DRAFT_EMAIL_PER_ADDRESS_LIMIT", "5 per hour"
        )
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        # Reverse proxies in front of the app; 0 ignores X-Forwarded-* (a client could forge it).
        self.TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
        # Caps checked before the whole input is parsed; MAX_CONTENT_LENGTH stays the outer one.
        self.API_MAX_BODY_BYTES = _int("API_MAX_BODY_BYTES", 1024 * 1024)
        self.CSV_IMPORT_MAX_BYTES = _int("CSV_IMPORT_MAX_BYTES", 1024 * 1024)
        self.DRAFT_MAX_BYTES = _int("DRAFT_MAX_BYTES", 2 * 1024 * 1024)

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_SECONDS", 8 * 3600)
        # CSRF tokens live as long as the session, so a long form is never lost to a timer.
        self.WTF_CSRF_TIME_LIMIT = None
        self.CREATE_ADMIN_ON_EMPTY_DB = False
        # argon2id at the strength RFC 9106 recommends where memory is limited (64 MiB, 3 passes).
        self.PASSWORD_HASH_TIME_COST = RFC_9106_LOW_MEMORY.time_cost
        self.PASSWORD_HASH_MEMORY_COST = RFC_9106_LOW_MEMORY.memory_cost
        self.PASSWORD_HASH_PARALLELISM = RFC_9106_LOW_MEMORY.parallelism


class DevelopmentConfig(Config):
    """`make run` on a workstation: plain HTTP on localhost, so cookies are not Secure-only."""

    def __init__(self) -> None:
        super().__init__()
        self.ENV_NAME = "development"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.OUTBOX_IN_APP_SENDER = _bool("OUTBOX_IN_APP_SENDER", True)
        self.CREATE_ADMIN_ON_EMPTY_DB = True
        self.RULES_WATCH = _bool("RULES_WATCH", True)


class TestingConfig(Config):
    """The test suite: a database per test run, rate limits on only where a test asks for them."""

    def __init__(self) -> None:
        super().__init__()
        self.ENV_NAME = "testing"
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"  # noqa: S105
        self.RATELIMIT_ENABLED = False
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        self.SMTP_PORT = 0  # tests start a real SMTP server and set the port
        # The cheapest argon2 parameters: a strong hash costs ~0.3 s, and the suite signs in often.
        self.PASSWORD_HASH_TIME_COST = 1
        self.PASSWORD_HASH_MEMORY_COST = 8
        self.PASSWORD_HASH_PARALLELISM = 1


class ProductionConfig(Config):
    """Production: refuses to start without a strong SECRET_KEY."""

    def __init__(self) -> None:
        super().__init__()
        self.ENV_NAME = "production"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str | None = None) -> type[Config]:
    """Return the config class for APP_ENV (default: development)."""
    name = (env_name or os.environ.get("APP_ENV") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}; got {name!r}")
    return CONFIGS[name]


def check_production_secret(secret_key: str | None) -> None:
    """Refuse a missing or weak SECRET_KEY (production only)."""
    if not secret_key or not os.environ.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment when APP_ENV=production")
    if len(secret_key) < MIN_SECRET_KEY_LENGTH or secret_key.lower() in WEAK_SECRET_KEYS:
        raise RuntimeError(
            f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_KEY_LENGTH} random "
            'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )


def check_production_links(config: dict) -> None:
    """Production builds every absolute link on PUBLIC_BASE_URL (an https address) and answers
    only to trusted host names, so no client can point a link in an e-mail at another site."""
    base = config.get("PUBLIC_BASE_URL") or ""
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname:
        raise RuntimeError(
            "PUBLIC_BASE_URL must be set when APP_ENV=production, to the https address the "
            "service is reached at, e.g. https://donations.state.gov"
        )
    if not config.get("TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [parts.hostname]


def instance_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder (created once, readable by its owner only), so
    that a development server never signs sessions and links with a key others know."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
