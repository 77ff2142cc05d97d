"""Test runs: fast hashing, no real mail, the database from DATABASE_URL (SQLite by default)."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if "DATABASE_URL" not in os.environ:
    DATABASES["default"] = dj_database_url.parse("sqlite:///:memory:")
DATABASES["default"]["TEST"] = {"NAME": None}
# Tests run tasks at once, in the request that enqueues them; the worker has its own tests.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
GARDA_ENV = "test"
