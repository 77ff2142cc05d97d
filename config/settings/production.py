"""A real server: every secret from the environment, HTTPS only, mail sent, a shared cache.

`manage.py check --deploy` passes with no warning (garda/core/tests/test_deploy_check.py).
"""

from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from garda.ops.logs import logging_config

from .base import *  # noqa: F403
from .base import env, env_bool, mailers


def fernet_keys(value: str) -> list[str]:
    """The encryption keys, each checked now: a bad key would otherwise surface as a server
    error on the first page that shows a NIK."""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"GARDA_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes; make one with `python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from None
    if not keys:
        raise ImproperlyConfigured("GARDA_ENCRYPTION_KEYS must hold at least one key")
    return keys


def blind_index_key(value: str) -> str:
    # An HMAC key shorter than its hash (32 bytes) weakens every blind index (NIK lookups).
    if len(value) < 32:
        raise ImproperlyConfigured("GARDA_BLIND_INDEX_KEY must be at least 32 characters long")
    return value


def public_address(value: str) -> str:
    # Links in e-mails (password resets, case notices) must reach people, over HTTPS.
    address = urlsplit(value)
    if address.scheme != "https" or not address.netloc:
        raise ImproperlyConfigured(
            "GARDA_SITE_URL must be the site's public https:// address, e.g. "
            "https://garda.example.go.id"
        )
    return value


DEBUG = False
SECRET_KEY = env("GARDA_SECRET_KEY")
# No defaults here: the development ones (127.0.0.1) would work only on the server itself.
ALLOWED_HOSTS = [host.strip() for host in env("GARDA_ALLOWED_HOSTS").split(",") if host.strip()]
GARDA_SITE_URL = public_address(env("GARDA_SITE_URL"))
GARDA_ENCRYPTION_KEYS = fernet_keys(env("GARDA_ENCRYPTION_KEYS"))
GARDA_BLIND_INDEX_KEY = blind_index_key(env("GARDA_BLIND_INDEX_KEY"))

SECURE_SSL_REDIRECT = env_bool("GARDA_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
# The language choice is a cookie too: HTTPS only, never read by scripts, not sent cross-site.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Password-reset links and case notices must reach people: SMTP unless told otherwise.
MAILERS = mailers(env("GARDA_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"))

# The API's rate limits count in the cache, so every process and every app server must share
# it: Redis when GARDA_REDIS_URL is set, otherwise a table in the database
# (`manage.py createcachetable` once at install).
_REDIS_URL = env("GARDA_REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "garda_cache"}
    )
}

# One JSON object per log line (time, level, logger, message, request id, user id, path,
# status, duration): what journald and a log collector read. GARDA_LOG_FORMAT=text for a person.
LOGGING = logging_config(
    log_format=env("GARDA_LOG_FORMAT", "json"), level=env("GARDA_LOG_LEVEL", "INFO")
)

STORAGES = {
    "default": {"BACKEND": "garda.core.storage.GardaFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
GARDA_ENV = "production"
