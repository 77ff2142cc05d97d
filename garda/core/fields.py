from typing import Any

from django.db import models

from garda.core import crypto


class RegionCodeField(models.CharField):
    """A Kemendagri region code. Scoping compares codes as ranges ('19.01.02' <= code <
    '19.01.02/'), which needs byte order ('.' before '/'). PostgreSQL's language collations
    ignore punctuation, so the column uses the "C" collation there; SQLite compares bytes anyway.
    Foreign keys to a region inherit the collation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 13)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class EncryptedTextField(models.TextField):
    """Stored as Fernet ciphertext (garda.core.crypto), seen in Python as plain text.

    The ciphertext differs on every save, so it cannot be searched: pair it with a blind-index
    column for exact lookup and uniqueness.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value
