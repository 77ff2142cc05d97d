from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """`?limit=` (1 to 200, default 50) and `?offset=` (from 0); answers carry count, next and
    previous. A bad value answers 400 rather than being quietly replaced."""

    default_limit = 50
    max_limit = 200

    def _read(self, request: Request, name: str, low: int, high: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationError(
                {
                    name: [
                        _("Give a whole number from %(low)d to %(high)d.")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return int(raw)

    def get_limit(self, request: Request) -> int:
        limit = self._read(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        return self._read(request, self.offset_query_param, 0, MAX_OFFSET) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
