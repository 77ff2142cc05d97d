"""Export of the filtered member list to XLSX.

The rows are exactly the list page's: the same GET filters, cleaned by the same form and read
through `selectors.pilar_list`, so scoping has one path. The columns are the import template's
(plus the region's name, the kecamatan and the number of trainings), so an exported file can be
corrected and imported again. The NIK is masked unless the user may reveal identifiers in the
member's area; every export is recorded in the audit trail, with whether NIKs were in it.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.errors import GardaError
from garda.core.nik import mask_identifier
from garda.core.scoping import is_within
from garda.reports import xlsx
from garda.wilayah.models import Level

from . import selectors
from .forms import PilarFilterForm
from .importer import COLUMNS, DATA_SHEET
from .models import Pilar

EXTRA_COLUMNS = (
    xlsx.Column("nama_wilayah", width=24),
    xlsx.Column("kecamatan", width=18),
    xlsx.Column("jumlah_pelatihan", xlsx.Kind.NUMBER, width=10),
)
EXPORT_COLUMNS = (
    *(xlsx.Column(c.name, c.kind, c.width) for c in COLUMNS),
    *EXTRA_COLUMNS,
)


def pilar_export_queryset(*, actor: User, params: QueryDict) -> QuerySet[Pilar]:
    """The members the list page shows for the same GET filters, in region and name order."""
    form = PilarFilterForm(params or None, actor=actor)
    filters: dict[str, Any] = {}
    if form.is_bound:
        if not form.is_valid():
            raise GardaError(_("A filter is not valid here; nothing was exported."))
        filters = form.cleaned_data
    return (
        selectors.pilar_list(fetched_by=actor, filters=filters)
        .select_related("jenis", "wilayah__parent")
        .annotate(training_count=Count("trainings"))
        .order_by("wilayah_id", "name", "pk")
    )


def pilar_export(*, actor: User, params: QueryDict) -> bytes:
    """The workbook of the filtered list, recorded in the audit trail."""
    members = pilar_export_queryset(actor=actor, params=params)
    reveal_areas = actor.areas_for(Perm.REVEAL_IDENTIFIERS)
    counter = {"rows": 0, "revealed": 0}
    workbook = xlsx.new_workbook()
    xlsx.add_sheet(
        workbook,
        title=DATA_SHEET,
        columns=EXPORT_COLUMNS,
        rows=_rows(members, reveal_areas=reveal_areas, counter=counter),
    )
    content = xlsx.workbook_bytes(workbook)
    filters = {key: params.get(key, "") for key in ("q", "jenis", "status", "wilayah", "trained")}
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type=Pilar._meta.label_lower,
        object_repr=_("Export of social workers: %(count)s rows") % {"count": counter["rows"]},
        wilayah_code=filters["wilayah"] or (actor.areas_for(Perm.VIEW_PEOPLE) or [""])[0],
        changes={
            "rows": [None, counter["rows"]],
            "nik_revealed": [None, counter["revealed"]],
            "filters": [None, {k: v for k, v in filters.items() if v}],
        },
    )
    return content


def export_filename() -> str:
    return f"pilar-{timezone.localdate():%Y%m%d}.xlsx"


def _rows(
    members: QuerySet[Pilar], *, reveal_areas: list[str], counter: dict[str, int]
) -> Iterator[list[Any]]:
    for member in members.iterator(chunk_size=1000):
        reveal = any(is_within(member.wilayah_id, area) for area in reveal_areas)
        nik = member.nik if reveal else mask_identifier(member.nik) if member.nik else ""
        counter["rows"] += 1
        counter["revealed"] += 1 if reveal and member.nik else 0
        region = member.wilayah
        kecamatan = region.parent if region.level == Level.DESA else None
        if region.level == Level.KECAMATAN:
            kecamatan = region
        special = {
            "jenis": member.jenis.code,
            "nik": nik,
            "kode_wilayah": member.wilayah_id,
            "status": member.status,
        }
        yield [
            *(special[c.name] if c.name in special else getattr(member, c.field) for c in COLUMNS),
            region.name,
            kecamatan.name if kecamatan else "",
            member.training_count,  # type: ignore[attr-defined]
        ]
