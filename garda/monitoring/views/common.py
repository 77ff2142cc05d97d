"""What every monitoring page shares: the area in `?wilayah=` (inside the reader's areas,
else 404) and the month in `?bulan=YYYY-MM` (the current month by default)."""

import datetime
from typing import Any

from django.http import Http404
from django.utils import timezone

from garda.core.views import ScopedMixin
from garda.wilayah.models import Level, Wilayah

from ..rollups import first_of_month, next_month, previous_month
from ..selectors import month_label, parse_month


class AreaMixin(ScopedMixin):
    """`area`: the region asked for in ?wilayah= if the reader may see it for `permission`,
    else the reader's own (widest, still in use) area. `month`: from ?bulan=."""

    model = Wilayah
    lowest_level = Level.DESA

    def get_area(self) -> Wilayah:
        code = self.request.GET.get("wilayah", "").strip()
        if not code:
            areas = self.reader_areas()
            if not areas:
                raise Http404
            return min(areas, key=lambda a: (len(a.code), a.code))
        area = (
            Wilayah.objects.visible_to(self.actor, self.permission)
            .filter(code=code, is_active=True, level__lte=self.lowest_level)
            .select_related("parent")
            .first()
        )
        if area is None:
            raise Http404
        return area

    def get_month(self) -> datetime.date:
        return parse_month(self.request.GET.get("bulan"))

    def get_year(self) -> int | None:
        """?tahun=YYYY asks for a whole year instead of a month."""
        text = self.request.GET.get("tahun", "").strip()
        if text.isdigit() and 2000 <= int(text) <= timezone.localdate().year:
            return int(text)
        return None

    def reader_areas(self) -> list[Wilayah]:
        """The reader's own areas for `permission` (the widest of each branch)."""
        codes = self.actor.areas_for(self.permission)
        areas = Wilayah.objects.filter(code__in=codes, is_active=True, level__lte=self.lowest_level)
        return list(areas.select_related("parent").order_by("code"))

    def ancestors(self, area: Wilayah) -> list[Wilayah]:
        chain: list[Wilayah] = []
        parent = area.parent
        while parent is not None and self.actor.can_in(self.permission, parent.code):
            chain.insert(0, parent)
            parent = parent.parent
        return chain

    def period_context(self, month: datetime.date) -> dict[str, Any]:
        return {
            "month": month,
            "month_label": month_label(month),
            "month_value": f"{month:%Y-%m}",
            "previous_month": f"{previous_month(month):%Y-%m}",
            "next_month": f"{next_month(month):%Y-%m}"
            if next_month(month) <= first_of_month(timezone.localdate())
            else "",
        }
