"""Figures of monitoring as people read them: Indonesian numbers with their unit."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def figure(value: Decimal | int | None, indicator: Any) -> str:
    """'12', '66,7 %', '27,0 jam', '10,0 hari'; an em dash when there is no value."""
    if value is None:
        return "—"
    unit = getattr(indicator, "unit", "count")
    if unit == "count":
        return formats.number_format(
            Decimal(value).normalize(), 0, use_l10n=True, force_grouping=True
        )
    text = formats.number_format(value, 1, use_l10n=True)
    if unit == "percent":
        return f"{text} %"
    if unit == "hours":
        return _("%(n)s h") % {"n": text}
    return _("%(n)s days") % {"n": text}


@register.filter
def score(value: Decimal | None) -> str:
    return "—" if value is None else formats.number_format(value, 1, use_l10n=True)


@register.filter
def score_class(value: Decimal | None) -> str:
    if value is None:
        return "off"
    if value >= 80:
        return "ok"
    if value >= 60:
        return "warn"
    return "bad"


@register.filter
def get(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None
