from typing import Any

from django.db import models


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
