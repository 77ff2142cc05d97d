import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from garda.core import crypto


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GARDA_ENCRYPTION_KEYS = [old]
    crypto.clear_key_cache()
    yield old, new
    crypto.clear_key_cache()


def test_encrypt_round_trip_and_no_plain_text(keys):
    token = crypto.encrypt("1901024507900001")
    assert "1901024507900001" not in token
    assert crypto.decrypt(token) == "1901024507900001"
    assert crypto.encrypt("x") != crypto.encrypt("x")  # a fresh IV each time


def test_key_rotation(keys, settings):
    old, new = keys
    token = crypto.encrypt("rahasia")
    settings.GARDA_ENCRYPTION_KEYS = [new, old]
    crypto.clear_key_cache()
    rotated = crypto.reencrypt(token)
    settings.GARDA_ENCRYPTION_KEYS = [new]
    crypto.clear_key_cache()
    assert crypto.decrypt(rotated) == "rahasia"
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(token)  # the old key is gone: a clear configuration error, not garbage


def test_blind_index_is_keyed_and_separates_purposes(settings):
    a = crypto.blind_index("1901024507900001", purpose="nik")
    assert a == crypto.blind_index("1901024507900001", purpose="nik")
    assert a != crypto.blind_index("1901024507900001", purpose="no_kk")
    settings.GARDA_BLIND_INDEX_KEY = "another key"
    assert a != crypto.blind_index("1901024507900001", purpose="nik")


def test_totp_secret_is_stored_encrypted(bangka):
    from garda.accounts.roles import Role
    from garda.accounts.twofactor import two_factor_begin
    from garda.core.testing import BANGKA, make_user

    secret = two_factor_begin(user=make_user(Role.ADMIN_DINAS, BANGKA))
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM accounts_twofactordevice")
        (stored,) = cursor.fetchone()
    assert secret not in stored
