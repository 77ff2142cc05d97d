"""A real server: every secret from the environment, HTTPS only."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = False
SECRET_KEY = env("GARDA_SECRET_KEY")
GARDA_ENCRYPTION_KEYS = env("GARDA_ENCRYPTION_KEYS").split(",")
GARDA_BLIND_INDEX_KEY = env("GARDA_BLIND_INDEX_KEY")
SECURE_SSL_REDIRECT = env_bool("GARDA_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
STORAGES = {
    "default": {"BACKEND": "garda.core.storage.GardaFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
GARDA_ENV = "production"
