"""The production settings pass Django's deployment checklist with no warning, and refuse
keys that would break or weaken the encryption of personal data."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(settings.BASE_DIR)

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "GARDA_SECRET_KEY": "k7Qz-Hc2vR9pX4mWb8Ly1Nf6Tg3Jd5Se0Ua_Ko2Ri7Mv9Pw4Xq",
    "GARDA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "GARDA_BLIND_INDEX_KEY": "b" * 16 + "Ix9-Rt4_Wq7Zm2Lp",
    "GARDA_ALLOWED_HOSTS": "garda.example.go.id",
}


def test_check_deploy_reports_nothing():
    # The test run's database (SQLite in memory unless DATABASE_URL names PostgreSQL): the
    # model checks ask the connection what it supports.
    env = {**os.environ, **PRODUCTION_ENV}
    env.setdefault("DATABASE_URL", "sqlite:///:memory:")
    for name in ("GARDA_EMAIL_BACKEND", "GARDA_SSL_REDIRECT", "GARDA_REDIS_URL"):
        env.pop(name, None)  # the production defaults, not this machine's
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.fixture
def production(monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    return importlib.import_module("config.settings.production")


def test_a_malformed_encryption_key_is_refused_at_start(production):
    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        production.fernet_keys(f"{Fernet.generate_key().decode()},not-a-key")
    with pytest.raises(ImproperlyConfigured, match="at least one key"):
        production.fernet_keys(" , ")
    newest, older = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert production.fernet_keys(f"{newest}, {older}") == [newest, older]


def test_a_short_blind_index_key_is_refused_at_start(production):
    with pytest.raises(ImproperlyConfigured, match="at least 32 characters"):
        production.blind_index_key("short")
    assert production.blind_index_key("x" * 32) == "x" * 32
