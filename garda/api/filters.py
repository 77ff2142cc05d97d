"""Query parameters shared by the list endpoints, validated: a bad value answers 400."""

import datetime
import re
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from garda.core.scoping import area_condition

REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


def region_param(name: str = "wilayah") -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        description="Kemendagri region code; rows in this region or inside it (e.g. 19.01.02).",
        pattern=REGION_CODE.pattern,
    )


def choice_param(name: str, choices: Any, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, enum=[c for c, _l in choices], description=description
    )


def id_param(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, description=description)


def date_params(prefix: str, what: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(f"{prefix}_from", OpenApiTypes.DATE, description=f"{what} on or after"),
        OpenApiParameter(f"{prefix}_to", OpenApiTypes.DATE, description=f"{what} on or before"),
    ]


class Filters:
    """Reads the query string; each method applies one filter if the parameter is present."""

    def __init__(self, params: Any) -> None:
        self.params = params

    def _get(self, name: str) -> str | None:
        """The parameter's value; None when it is absent. A present but empty value is a value
        (and fails the checks of typed parameters), so `?status=` is an error, not "any"."""
        value = self.params.get(name)
        return value.strip() if value is not None else None

    def region(self, qs: QuerySet, field: str = "wilayah_id", name: str = "wilayah") -> QuerySet:
        code = self._get(name)
        if code is None:
            return qs
        if not REGION_CODE.match(code):
            raise ValidationError({name: [_("Not a region code, e.g. 19.01.02.2007.")]})
        return qs.filter(area_condition(field, [code]))

    def choice(self, qs: QuerySet, name: str, choices: Any, field: str | None = None) -> QuerySet:
        value = self._get(name)
        if value is None:
            return qs
        if value not in {c for c, _l in choices}:
            raise ValidationError({name: [_("Not one of the allowed values.")]})
        return qs.filter(**{field or name: value})

    def integer(
        self, qs: QuerySet, name: str, field: str, low: int = 0, high: int = 2**31 - 1
    ) -> QuerySet:
        value = self._get(name)
        if value is None:
            return qs
        if not value.isdigit() or not low <= int(value) <= high:
            raise ValidationError(
                {
                    name: [
                        _("Give a whole number from %(low)d to %(high)d.")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return qs.filter(**{field: int(value)})

    def identifier(self, qs: QuerySet, name: str, field: str) -> QuerySet:
        value = self._get(name)
        if value is None:
            return qs
        try:
            key = uuid.UUID(value)
        except ValueError:
            raise ValidationError({name: [_("Not a record id.")]}) from None
        return qs.filter(**{field: key})

    def boolean(self, qs: QuerySet, name: str, field: str) -> QuerySet:
        value = self._get(name)
        if value is None:
            return qs
        if value.lower() not in {"true", "false"}:
            raise ValidationError({name: [_("Give true or false.")]})
        return qs.filter(**{field: value.lower() == "true"})

    def date(self, name: str) -> datetime.date | None:
        value = self._get(name)
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationError({name: [_("Not a date (YYYY-MM-DD).")]}) from None

    def date_range(self, qs: QuerySet, prefix: str, field: str) -> QuerySet:
        start, end = self.date(f"{prefix}_from"), self.date(f"{prefix}_to")
        if start is not None:
            qs = qs.filter(**{f"{field}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{field}__lte": end})
        return qs
