"""The production settings pass Django's deployment checklist with no warning, and refuse
keys that would break or weaken the encryption of personal data."""

import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

PRODUCTION_ENV = {
    "GARDA_SECRET_KEY": "k7Qz-Hc2vR9pX4mWb8Ly1Nf6Tg3Jd5Se0Ua_Ko2Ri7Mv9Pw4Xq",
    "GARDA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "GARDA_BLIND_INDEX_KEY": "b" * 16 + "Ix9-Rt4_Wq7Zm2Lp",
    "GARDA_ALLOWED_HOSTS": "garda.example.go.id",
    "GARDA_SITE_URL": "https://garda.example.go.id",
}


@pytest.fixture
def production(monkeypatch):
    """config.settings.production as a server reads it (its defaults, test values for the
    variables it requires), imported again so this environment is the one it reads."""
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("GARDA_EMAIL_BACKEND", "GARDA_SSL_REDIRECT", "GARDA_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    # The browser journeys' Playwright needs this in the test process; a server never has it.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    return importlib.reload(importlib.import_module("config.settings.production"))


def test_check_deploy_reports_nothing(production, db):
    # In this process (a subprocess would cost seconds of CI): every production setting that
    # differs from the test run's, except the database and the logging set up at start.
    overrides = {
        name: value
        for name, value in vars(production).items()
        if name.isupper()
        and name not in {"DATABASES", "LOGGING"}
        and getattr(settings, name, object()) != value
    }
    assert overrides["SECURE_HSTS_SECONDS"] and overrides["GARDA_ENV"] == "production"
    output = io.StringIO()
    with override_settings(**overrides):
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=output)
    assert "System check identified no issues (0 silenced)." in output.getvalue()


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


@pytest.mark.parametrize("name", ["GARDA_ALLOWED_HOSTS", "GARDA_SITE_URL"])
def test_the_public_name_and_address_have_no_default(production, monkeypatch, name):
    monkeypatch.delenv(name)
    with pytest.raises(RuntimeError, match=f"{name} must be set"):
        importlib.reload(production)


def test_the_public_address_is_https(production):
    for wrong in ("http://garda.example.go.id", "garda.example.go.id", "https://"):
        with pytest.raises(ImproperlyConfigured, match="public https:// address"):
            production.public_address(wrong)
    assert production.public_address("https://garda.example.go.id/") == (
        "https://garda.example.go.id/"
    )
