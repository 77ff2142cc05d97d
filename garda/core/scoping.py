"""The one path from a user to the rows they may see.

Every area-bound model keeps the Kemendagri code of its region. "Inside 19.01.02" is the range
``code >= '19.01.02' and code < '19.01.02/'`` ('/' sorts right after '.'), which a plain index
serves on SQLite and PostgreSQL alike. A user's areas for a permission come from their active
role assignments; a row outside them, or with no region at all, is invisible and answers 404.
"""

from collections.abc import Iterable
from typing import Protocol, Self

from django.db import models
from django.db.models import Q


class AreaHolder(Protocol):
    """What the scoping needs of a user: the region codes where they hold a permission."""

    @property
    def is_authenticated(self) -> bool: ...

    def areas_for(self, permission: str) -> list[str]: ...


def covering_codes(codes: Iterable[str]) -> list[str]:
    """Drop codes that lie inside another code of the list: ["19.01", "19.01.02"] -> ["19.01"]."""
    kept: list[str] = []
    for code in sorted(set(codes)):
        if not kept or not is_within(code, kept[-1]):
            kept.append(code)
    return kept


def is_within(code: str, area: str) -> bool:
    return code == area or code.startswith(area + ".")


def area_condition(field: str, codes: Iterable[str]) -> Q:
    """A condition true for rows whose region code `field` lies in one of `codes`."""
    condition = Q(pk__in=[])
    for code in covering_codes(codes):
        condition |= Q(**{f"{field}__gte": code, f"{field}__lt": code + "/"})
    return condition


class ScopedQuerySet(models.QuerySet):
    """Querysets of area-bound models. `region_field` names the column holding the region code."""

    region_field = "wilayah_id"

    def visible_to(self, user: AreaHolder, permission: str) -> Self:
        if not user.is_authenticated:
            return self.none()
        areas = user.areas_for(permission)
        if not areas:
            return self.none()
        return self.filter(area_condition(self.region_field, areas))

    def within(self, code: str) -> Self:
        return self.filter(area_condition(self.region_field, [code]))
