"""Encryption at rest and blind indexes for sensitive values (NIK, No KK, 2FA secrets...).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). `GARDA_ENCRYPTION_KEYS` lists
keys newest first: new values use the first, old values still decrypt with the others, and
`reencrypt` moves a value to the newest key (key rotation). Exact lookups and uniqueness use a
blind index: an HMAC of the normalised value under `GARDA_BLIND_INDEX_KEY`, which reveals
nothing without the key.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.GARDA_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("GARDA_ENCRYPTION_KEYS must hold at least one key")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted with GARDA_ENCRYPTION_KEYS: a key is missing"
        ) from error


def reencrypt(token: str) -> str:
    """The same value under the newest key."""
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for exact lookup; `purpose` keeps indexes of different fields apart."""
    key = settings.GARDA_BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def development_key(secret: str, purpose: str) -> str:
    """A stable key derived from SECRET_KEY, for laptops and tests only (never production)."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def clear_key_cache() -> None:
    _fernet.cache_clear()
