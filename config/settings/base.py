"""Settings shared by every environment. Values that differ per server come from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from garda.core.crypto import development_key
from garda.ops.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"Environment variable {name} must be set")
    return value


def env_bool(name: str, default: bool) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("GARDA_SECRET_KEY", "insecure-development-key-only")
DEBUG = False
ALLOWED_HOSTS = [h for h in env("GARDA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "garda.core",
    "garda.wilayah",
    "garda.accounts",
    "garda.audit",
    "garda.pilar",
    "garda.registry",
    "garda.programs",
    "garda.cases",
    "garda.notifications",
    "garda.activities",
    "garda.monitoring",
    "garda.privacy",
    "garda.ops",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "garda.api",
]

MIDDLEWARE = [
    # First, so it counts, times and logs the answer of every middleware below too.
    "garda.ops.middleware.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "garda.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "garda.core.middleware.RequestContextMiddleware",
    "garda.accounts.middleware.AccountRulesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "garda.core.context_processors.navigation",
            ],
            "builtins": ["garda.core.templatetags.money"],
        },
    },
]

# Background work (imports, big exports) runs through Django's tasks API, queued in the
# database: no broker for the embedded default; many workers on PostgreSQL (`manage.py db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

FORM_RENDERER = "garda.core.forms.GardaFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'garda.sqlite3'}"),
        conn_max_age=int(env("GARDA_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# The password policy (ADR 0019): Django's rules plus Indonesian common words, the person's own
# data and region, variety, and "not the current one". Garda's User has `name`, not
# first_name/last_name, so the similarity check is told which attributes to compare.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "name", "email", "phone")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "garda.accounts.password_validation.IndonesianCommonPasswordValidator"},
    {"NAME": "garda.accounts.password_validation.PersonalInformationValidator"},
    {"NAME": "garda.accounts.password_validation.CharacterVarietyValidator"},
    {"NAME": "garda.accounts.password_validation.NotCurrentPasswordValidator"},
]

# Sessions end after 30 idle minutes (each request renews them) and at most after 12 hours.
SESSION_COOKIE_AGE = int(env("GARDA_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
GARDA_SESSION_MAX_AGE = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "garda.core.views.csrf_failure"

# Login throttling: this many failures for one username or one address within the window locks it.
GARDA_LOGIN_MAX_FAILURES = int(env("GARDA_LOGIN_MAX_FAILURES", "5"))
GARDA_LOGIN_WINDOW = timedelta(minutes=int(env("GARDA_LOGIN_WINDOW_MINUTES", "15")))

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("GARDA_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from npm (package.json + lock), never vendored into the repository.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Uploaded documents (decrees, certificates, photos). Never served directly: only through views
# that check the user's area, so there is no MEDIA_URL route.
MEDIA_ROOT = Path(env("GARDA_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "garda.core.storage.GardaFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
GARDA_MAX_UPLOAD_MB = int(env("GARDA_MAX_UPLOAD_MB", "8"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Resident imports (DTKS layout) may be large: a million rows is about 150 MB of CSV. A job
# whose worker has been silent this long is offered a restart.
GARDA_MAX_IMPORT_MB = int(env("GARDA_MAX_IMPORT_MB", "300"))
GARDA_IMPORT_STALE_MINUTES = int(env("GARDA_IMPORT_STALE_MINUTES", "15"))
# Retention of personal data, in days per kind (None keeps that kind for ever); applied by
# `manage.py apply_retention` (daily). See garda/core/retention.py for what each kind covers.
GARDA_RETENTION: dict[str, int | None] = {
    "import_files": 30,  # uploaded DTKS / member import files, after the import finished
    "audit_reads": 2 * 365,  # audit events of reads (view, reveal, export); writes are kept
    "notifications_read": 365,  # notifications already read
    "login_attempts": 90,  # failed logins
    "photo_uploads": 7,  # unfinished chunked photo uploads (row + partial file)
    "task_results": 30,  # finished background-task rows
}

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


def mailers(backend: str) -> dict[str, dict[str, object]]:
    """The MAILERS setting for `backend`; SMTP reads its server from GARDA_EMAIL_*."""
    default: dict[str, object] = {"BACKEND": backend}
    if backend.endswith("smtp.EmailBackend"):
        default["OPTIONS"] = {
            "host": env("GARDA_EMAIL_HOST", "localhost"),
            "port": int(env("GARDA_EMAIL_PORT", "587")),
            "username": env("GARDA_EMAIL_USER", ""),
            "password": env("GARDA_EMAIL_PASSWORD", ""),
            "use_tls": env_bool("GARDA_EMAIL_TLS", True),
            "timeout": 20,
        }
    return {"default": default}


MAILERS = mailers(env("GARDA_EMAIL_BACKEND", CONSOLE_EMAIL))
DEFAULT_FROM_EMAIL = env("GARDA_FROM_EMAIL", "garda@localhost")

IMAGE_SOURCES: list[str] = [CSP.SELF, "data:"]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": IMAGE_SOURCES,
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Keys for personal data at rest (garda.core.crypto), newest encryption key first; see
# docs/deploy.md for rotation. Laptops and tests derive keys from SECRET_KEY; production sets them.
_DEV_ENCRYPTION_KEY = development_key(SECRET_KEY, "encryption")
GARDA_ENCRYPTION_KEYS = env("GARDA_ENCRYPTION_KEYS", _DEV_ENCRYPTION_KEY).split(",")
GARDA_BLIND_INDEX_KEY = env("GARDA_BLIND_INDEX_KEY", development_key(SECRET_KEY, "blind-index"))

# Two-factor authentication (TOTP) for the Dinas roles.
GARDA_2FA_REQUIRED = env_bool("GARDA_2FA_REQUIRED", True)
GARDA_2FA_ISSUER = env("GARDA_2FA_ISSUER", "Garda")

# How many reverse proxies (nginx...) stand in front of Garda: the client address is then taken
# from X-Forwarded-For, for login throttling and the audit trail. 0 = clients connect directly.
GARDA_TRUSTED_PROXIES = int(env("GARDA_TRUSTED_PROXIES", "0"))

# The office whose name heads pages and reports; a deployment sets its own.
GARDA_OFFICE_NAME = env("GARDA_OFFICE_NAME", "Dinas Sosial Kabupaten Bangka")
# The letterhead of official documents (PDF): the address line and the city before the date.
GARDA_OFFICE_ADDRESS = env("GARDA_OFFICE_ADDRESS", "")
GARDA_OFFICE_CITY = env("GARDA_OFFICE_CITY", "Sungailiat")
GARDA_HOME_REGION = env("GARDA_HOME_REGION", "19.01")
# Garda's public address, for links in emails (notifications), e.g. https://garda.bangka.go.id
GARDA_SITE_URL = env("GARDA_SITE_URL", "http://127.0.0.1:8000")
# The head of office who signs official reports (name, NIP, title on the signature block).
GARDA_HEAD_NAME = env("GARDA_HEAD_NAME", "")
GARDA_HEAD_NIP = env("GARDA_HEAD_NIP", "")
GARDA_HEAD_TITLE = env("GARDA_HEAD_TITLE", "Kepala Dinas Sosial")
# Map tiles for activity maps: a URL template such as https://tiles.example/{z}/{x}/{y}.png
# served by the office's own tile server; empty means no map (pages show tables instead).
GARDA_MAP_TILES = env("GARDA_MAP_TILES", "")
GARDA_MAP_ATTRIBUTION = env("GARDA_MAP_ATTRIBUTION", "")  # e.g. "© OpenStreetMap contributors"
if GARDA_MAP_TILES:  # the pages draw the tiles as <image> elements: the browser must load them
    IMAGE_SOURCES.append(urlsplit(GARDA_MAP_TILES)._replace(path="", query="").geturl())

# Logs go to standard error: JSON lines on a server (GARDA_LOG_FORMAT=json; see garda/ops/logs.py
# for the fields), readable text on a laptop.
LOGGING = logging_config(
    log_format=env("GARDA_LOG_FORMAT", "text"), level=env("GARDA_LOG_LEVEL", "INFO")
)
# Operations (garda.ops): /health/ fails when a background task has waited longer than this or
# when the media or backup folder's disk has less free space; /metrics needs this bearer token.
GARDA_HEALTH_MAX_TASK_WAIT_MINUTES = int(env("GARDA_HEALTH_MAX_TASK_WAIT_MINUTES", "30"))
GARDA_HEALTH_MIN_FREE_MB = int(env("GARDA_HEALTH_MIN_FREE_MB", "1024"))
GARDA_BACKUP_DIR = Path(env("GARDA_BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
GARDA_METRICS_TOKEN = env("GARDA_METRICS_TOKEN", "")
GARDA_ADMIN_PATH = env("GARDA_ADMIN_PATH", "django-admin")
GARDA_ENV = "base"

# REST API v1 (garda.api): token (Authorization: Token <key>) or session auth; the same
# scoping as the pages. Rates per minute per user / per client address for anonymous callers.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "garda.api.authentication.ApiTokenAuthentication",
        "garda.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "garda.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "garda.api.throttling.AnonThrottle",
        "garda.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("GARDA_API_RATE_ANON", "30/min"),
        "user": env("GARDA_API_RATE_USER", "300/min"),
    },
    "EXCEPTION_HANDLER": "garda.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Garda API",
    "DESCRIPTION": "REST API v1 of Garda (Dinas Sosial). Same areas and permissions as the pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
