"""Configuration: one class per environment, every setting read from the environment."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from argon2.profiles import RFC_9106_LOW_MEMORY

log = logging.getLogger(__name__)

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

        # Evidence files (docs/evidence-files.md): stored under INSTANCE_PATH/attachments unless
        # ATTACHMENTS_DIR names another folder, or in an S3-compatible bucket when one is set.
        self.ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR") or None
        self.ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
        self.ATTACHMENTS_MAX_BYTES_PER_OFFER = _int(
            "ATTACHMENTS_MAX_BYTES_PER_OFFER", 50 * 1024 * 1024
        )
        self.ATTACHMENT_MAX_PIXELS = _int("ATTACHMENT_MAX_PIXELS", 50_000_000)
        self.ATTACHMENTS_S3_BUCKET = os.environ.get("ATTACHMENTS_S3_BUCKET") or None
        self.ATTACHMENTS_S3_PREFIX = os.environ.get("ATTACHMENTS_S3_PREFIX", "attachments/")
        self.ATTACHMENTS_S3_ENDPOINT_URL = os.environ.get("ATTACHMENTS_S3_ENDPOINT_URL") or None
        self.ATTACHMENTS_S3_REGION = os.environ.get("ATTACHMENTS_S3_REGION") or None
        # Unset: boto3's own chain (environment, instance role, ~/.aws).
        self.ATTACHMENTS_S3_ACCESS_KEY_ID = os.environ.get("ATTACHMENTS_S3_ACCESS_KEY_ID") or None
        self.ATTACHMENTS_S3_SECRET_ACCESS_KEY = (
            os.environ.get("ATTACHMENTS_S3_SECRET_ACCESS_KEY") or None
        )

        # Large exports (docs/exports.md): up to EXPORT_DIRECT_ROWS rows a download is written in
        # the request; more are prepared by the job worker and kept EXPORT_FILE_TTL seconds, in
        # EXPORTS_DIR (default INSTANCE_PATH/exports) or the attachments' bucket under a prefix.
        self.EXPORT_DIRECT_ROWS = _int("EXPORT_DIRECT_ROWS", 1000)
        self.EXPORT_FILE_TTL = _int("EXPORT_FILE_TTL", 86400)
        self.EXPORTS_DIR = os.environ.get("EXPORTS_DIR") or None
        self.EXPORTS_S3_PREFIX = os.environ.get("EXPORTS_S3_PREFIX", "exports/")

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
        # /readyz answers 503 when the oldest unsent message due this long ago is still waiting.
        self.READY_OUTBOX_MAX_LAG_SECONDS = _int("READY_OUTBOX_MAX_LAG_SECONDS", 300)
        # `flask db ...` (Flask-Migrate and alembic); gunicorn.conf.py builds the app without.
        self.CLI_MIGRATIONS = True
        # Built by `make assets` (fingerprinted, compressed); absent: Flask serves static/ as is.
        self.STATIC_BUILD_DIR = os.environ.get("STATIC_BUILD_DIR") or str(
            PROJECT_ROOT / "donations_app" / "static_build"
        )
        # Long work started from a page (services/jobs.py): production runs `flask jobs work`.
        self.JOBS_IN_APP_WORKER = _bool("JOBS_IN_APP_WORKER", False)
        self.JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS") or 2)

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
        # Logs: JSON lines on standard error (LOG_FORMAT=text for the classic one-line form).
        self.LOG_CONFIGURE = _bool("LOG_CONFIGURE", True)
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # Unexpected errors go to Sentry when a DSN is set; nothing is sent otherwise.
        self.SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
        # /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`; without a
        # token set, only requests from this machine (a scraper beside the app).
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
        # memory:// counts in each process apart; production must name a shared store.
        self.RATELIMIT_STORAGE_URI: str | None = (
            os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
        )
        # Keys of this service in a Redis shared with others (or with parallel test runs).
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
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
        self.JOBS_IN_APP_WORKER = _bool("JOBS_IN_APP_WORKER", True)
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
        self.LOG_CONFIGURE = False  # pytest captures logs; tests that read the format set it
        # The cheapest argon2 parameters: a strong hash costs ~0.3 s, and the suite signs in often.
        self.PASSWORD_HASH_TIME_COST = 1
        self.PASSWORD_HASH_MEMORY_COST = 8
        self.PASSWORD_HASH_PARALLELISM = 1


class ProductionConfig(Config):
    """Production: refuses to start without a strong SECRET_KEY or a rate-limit store."""

    def __init__(self) -> None:
        super().__init__()
        self.ENV_NAME = "production"
        # No default: every worker and instance must count in the same store (Redis).
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None


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


# Room for the rest of an upload form (CSRF token, field names, multipart boundaries).
UPLOAD_FORM_OVERHEAD = 64 * 1024


def check_upload_limits(config: dict) -> None:
    """An evidence file as large as ATTACHMENT_MAX_BYTES must fit in a request: otherwise the
    donor would get a bare 413 instead of the form's message naming the limit."""
    largest = config["ATTACHMENT_MAX_BYTES"] + UPLOAD_FORM_OVERHEAD
    if config.get("MAX_CONTENT_LENGTH") and config["MAX_CONTENT_LENGTH"] < largest:
        raise RuntimeError(
            f"MAX_CONTENT_LENGTH ({config['MAX_CONTENT_LENGTH']}) must be at least "
            f"ATTACHMENT_MAX_BYTES + {UPLOAD_FORM_OVERHEAD} ({largest})"
        )


def check_production_rate_limits(config: dict) -> None:
    """Production names its rate-limit store: in process memory each gunicorn worker and each
    instance would count apart, so a client would get workers x instances times its limit.
    `memory://` set explicitly (one single-process instance) is accepted with a warning."""
    if not config.get("RATELIMIT_ENABLED"):
        return
    uri = config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri:
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI must be set when APP_ENV=production, to a store every worker "
            "and instance shares, e.g. redis://cache.internal:6379/0 (memory:// counts in each "
            "process apart: set it explicitly only for a single-process deployment)"
        )
    if uri.startswith("memory://"):
        log.warning(
            "RATELIMIT_STORAGE_URI=memory://: rate limits are counted in each process apart; "
            "with several workers or instances a client gets that many times its limits"
        )


def instance_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder (created once, readable by its owner only), so
    that a development server never signs sessions and links with a key others know."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
