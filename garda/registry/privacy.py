"""Personal data protection for residents (UU 27/2022): a person's access history, and the
export of everything held about them when they ask for it (data-subject access request).

The history of a person is every audit event about the rows that hold their data: their own
record and the records merged into it, their household, their and their household's PPKS
statuses, and the duplicate reviews that involved them. It is read whole, whatever region an
event was recorded in (a person who moved keeps the trail of their old desa): whoever may see
the person sees their whole trail.

Reads are the selectors below; the one write is `subject_export`, which records the export in
the trail before collecting the data, so the export a person receives lists itself.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_record
from garda.core.errors import NotAllowed
from garda.core.pdf import JAKARTA
from garda.wilayah.models import Wilayah

from .models import DuplicateCandidate, Individu, Keluarga, Move, PpksStatus, Relation
from .services import INDIVIDU_FIELDS, KELUARGA_FIELDS

# Why and on what basis the Dinas holds residents' data (UU 27/2022 art. 20: processing to
# fulfil a legal obligation and to carry out a public service; consent is not the basis).
LEGAL_BASIS = gettext_lazy("legal obligation and public service (UU 27/2022 art. 20)")
PURPOSE = gettext_lazy("social welfare services")

EXPORT_FORMAT = "garda.subject-export/1"
CANDIDATE = DuplicateCandidate._meta.label_lower

# Who may read a person's access history: Dinas staff who may see identifiers, and the head of
# office, who reads audit trails. PSMs, coordinators and village operators may not.
HISTORY_PERMISSIONS = (Perm.REVEAL_IDENTIFIERS, Perm.VIEW_AUDIT)
# The export holds the full NIK and No KK: only those who may reveal them produce it.
EXPORT_PERMISSION = Perm.REVEAL_IDENTIFIERS

PERSON_FIELDS = (*INDIVIDU_FIELDS, "wilayah")
HOUSEHOLD_FIELDS = ("no_kk", "wilayah", *KELUARGA_FIELDS)


# --- who may see whom ------------------------------------------------------------------------


def subjects_visible_to(user: User, permissions: Iterable[str]) -> QuerySet[Individu]:
    """Residents inside the areas where `user` holds any of `permissions`."""
    rows: QuerySet[Individu] = Individu.objects.none()
    for permission in permissions:
        rows = rows | Individu.objects.visible_to(user, permission)
    return rows


def surviving_record(individu: Individu) -> Individu:
    """The record a merged record lives on in (itself when it was never merged). Unscoped:
    the caller checks that the user may see the result (the views look it up again through
    `subjects_visible_to`)."""
    seen = {individu.pk}
    while individu.merged_into_id is not None and individu.merged_into_id not in seen:
        seen.add(individu.merged_into_id)
        individu = Individu.objects.select_related("wilayah").get(pk=individu.merged_into_id)
    return individu


# --- the rows that hold one person's data ----------------------------------------------------


@dataclass(frozen=True)
class SubjectRecords:
    individu_ids: list[Any]  # the person's record first, then the records merged into it
    keluarga_id: Any
    ppks_ids: list[Any]
    candidate_ids: list[Any]


def subject_records(individu: Individu) -> SubjectRecords:
    ids, frontier = [individu.pk], [individu.pk]
    while frontier:  # records merged into this one, and those merged into them
        frontier = list(
            Individu.objects.filter(merged_into__in=frontier)
            .exclude(pk__in=ids)
            .order_by("created_at")
            .values_list("pk", flat=True)
        )
        ids += frontier
    ppks = PpksStatus.objects.filter(Q(individu__in=ids) | Q(keluarga_id=individu.keluarga_id))
    candidates = DuplicateCandidate.objects.filter(Q(first__in=ids) | Q(second__in=ids))
    return SubjectRecords(
        individu_ids=ids,
        keluarga_id=individu.keluarga_id,
        ppks_ids=list(ppks.values_list("pk", flat=True)),
        candidate_ids=list(candidates.values_list("pk", flat=True)),
    )


def access_history(records: SubjectRecords) -> QuerySet[AuditEvent]:
    """Every audit event about the person's rows, newest first."""

    def about(model: type[models.Model], ids: Sequence[Any]) -> Q:
        return Q(object_type=model._meta.label_lower, object_id__in=[str(pk) for pk in ids])

    condition = (
        about(Individu, records.individu_ids)
        | about(Keluarga, [records.keluarga_id])
        | about(PpksStatus, records.ppks_ids)
        | about(DuplicateCandidate, records.candidate_ids)
    )
    return AuditEvent.objects.filter(condition).order_by("-at", "-id")


# --- showing the trail -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TrailRow:
    """One event of a person's access history, labelled for people."""

    at: datetime.datetime
    actor: str
    action: str
    action_label: str
    record_type: str
    record_label: str
    record: str
    reason: str
    changes: dict[str, Any]
    shown_changes: list[Change] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "action_label": self.action_label,
            "record_type": self.record_type,
            "record_label": self.record_label,
            "record": self.record,
            "reason": self.reason,
            "changes": self.changes,
        }


def trail_rows(events: Iterable[AuditEvent]) -> list[TrailRow]:
    """Events as rows for the page and the export: labels in the active language, and for a
    change the fields that changed, from what to what (NIK and No KK stay masked). Regions and
    users a change points to are shown by name (two queries at most, whatever the number)."""
    events = list(events)
    names = _referenced_names(events)
    actions = dict(Action.choices)
    rows = []
    for event in events:
        model = _model(event.object_type)
        shown = []
        if event.action == Action.UPDATE:
            shown = [
                Change(
                    _field_label(model, name),
                    *(_shown(model, name, value, names) for value in values),
                )
                for name, values in event.changes.items()
                if isinstance(values, list) and len(values) == 2
            ]
        rows.append(
            TrailRow(
                at=event.at,
                actor=event.actor_name or _("system"),
                action=event.action,
                action_label=str(actions.get(event.action, event.action)),
                record_type=event.object_type,
                record_label=capfirst(str(model._meta.verbose_name)) if model else "",
                # A duplicate review names both records; the other one may be someone else.
                record="" if event.object_type == CANDIDATE else event.object_repr,
                reason=event.reason,
                changes=event.changes,
                shown_changes=shown,
            )
        )
    return rows


def _referenced_names(events: Sequence[AuditEvent]) -> dict[tuple[str, str], str]:
    """(model label, pk) -> name, for the regions and users that changes point to."""
    wanted: dict[str, set[str]] = {"wilayah.wilayah": set(), "accounts.user": set()}
    for event in events:
        if event.action != Action.UPDATE:
            continue
        model = _model(event.object_type)
        for name, values in event.changes.items():
            target = getattr(_field(model, name), "related_model", None)
            label = target._meta.label_lower if target else ""
            if label in wanted and isinstance(values, list):
                wanted[label] |= {str(v) for v in values if v}
    names: dict[tuple[str, str], str] = {}
    if wanted["wilayah.wilayah"]:
        regions = Wilayah.objects.filter(code__in=wanted["wilayah.wilayah"])
        for region in regions.select_related("parent"):
            names["wilayah.wilayah", region.code] = _region_name(region)
    if wanted["accounts.user"]:
        for pk, name in User.objects.filter(pk__in=wanted["accounts.user"]).values_list(
            "pk", "name"
        ):
            names["accounts.user", str(pk)] = name
    return names


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_label(model: type[models.Model] | None, name: str) -> str:
    if name == "merged_from":
        return _("Merged from")
    return capfirst(str(getattr(_field(model, name), "verbose_name", name)))


def _shown(
    model: type[models.Model] | None,
    name: str,
    value: Any,
    names: dict[tuple[str, str], str] | None = None,
) -> str:
    """A value as people read it: choice labels, yes/no, dates in the active language, and
    regions and users by name."""
    found = _field(model, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if found is not None and getattr(found, "choices", None):
        return capfirst(str(dict(found.flatchoices).get(value, value)))
    target = getattr(found, "related_model", None)
    if names and target is not None:
        return names.get((target._meta.label_lower, str(value)), str(value))
    if isinstance(value, str) and isinstance(found, models.DateField):
        try:
            value = (
                datetime.datetime.fromisoformat(value)
                if isinstance(found, models.DateTimeField)
                else datetime.date.fromisoformat(value)
            )
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, "j F Y H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "j F Y")
    return str(value)


# --- the data-subject export -----------------------------------------------------------------


@dataclass
class Section:
    """One part of the export: `values` for the JSON file, `rows` (label, shown) for the PDF."""

    values: dict[str, Any]
    rows: list[tuple[str, str]]


def _section(obj: models.Model, names: Sequence[str], **extra: Any) -> Section:
    values: dict[str, Any] = {"id": str(obj.pk)}
    rows: list[tuple[str, str]] = []
    model = type(obj)
    for name in names:
        found = model._meta.get_field(name)
        value = getattr(obj, name)
        label = capfirst(str(getattr(found, "verbose_name", name)))
        if isinstance(value, models.Model):  # a region: its code, and its name for people
            values[name] = {"code": str(value.pk), "name": _region_name(value)}
            rows.append((label, _region_name(value)))
            continue
        values[name] = value
        if isinstance(found, models.Field) and found.choices:
            values[f"{name}_label"] = str(dict(found.flatchoices).get(value, "")) if value else ""
        rows.append((label, _shown(model, name, value)))
    values.update(extra)
    return Section(values, rows)


def _region_name(wilayah: Any) -> str:
    parent = getattr(wilayah, "parent", None)
    return f"{wilayah}, {parent}" if parent is not None and wilayah.is_village else str(wilayah)


@dataclass
class SubjectReport:
    """Everything held about one person, for them: the JSON file and the PDF letter."""

    individu: Individu
    generated_at: datetime.datetime
    request: dict[str, str]
    person: Section
    household: Section
    members: list[dict[str, str]]
    ppks: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    merged: list[Section]
    trail: list[TrailRow]
    legal_basis: str = ""
    purpose: str = ""

    def as_json(self) -> dict[str, Any]:
        """JSON-ready (with DjangoJSONEncoder for dates and decimals); times in WIB."""
        return _in_jakarta(
            {
                "format": EXPORT_FORMAT,
                "generated_at": self.generated_at,
                "controller": {
                    "name": settings.GARDA_OFFICE_NAME,
                    "address": settings.GARDA_OFFICE_ADDRESS,
                },
                "legal_basis": self.legal_basis,
                "purpose": self.purpose,
                "request": self.request,
                "person": self.person.values,
                "household": {**self.household.values, "other_members": self.members},
                "ppks_statuses": self.ppks,
                "moves": self.moves,
                "merged_records": [section.values for section in self.merged],
                "processing_trail": [row.as_json() for row in self.trail],
            }
        )


def _in_jakarta(value: Any) -> Any:
    """Aware times anywhere inside `value` as Asia/Jakarta times (what the person reads)."""
    if isinstance(value, dict):
        return {key: _in_jakarta(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_jakarta(item) for item in value]
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value, JAKARTA)
    return value


def subject_report(*, individu: Individu, request: dict[str, str]) -> SubjectReport:
    """Collect everything held about `individu` (a current, not merged, record), labelled in
    the office's language. Reads only; `subject_export` records the export first."""
    with translation.override(settings.LANGUAGE_CODE):
        return _subject_report(individu, request)


def _subject_report(individu: Individu, request: dict[str, str]) -> SubjectReport:
    records = subject_records(individu)
    keluarga = Keluarga.objects.select_related("wilayah__parent").get(pk=individu.keluarga_id)
    relations = dict(Relation.choices)
    members = [
        {"name": m.name, "relation": m.relation, "relation_label": str(relations[m.relation])}
        for m in keluarga.members.current()
        .exclude(pk=individu.pk)
        .order_by("relation", "name")
        .only("name", "relation")
    ]
    merged = [
        _section(
            record, ("nik", "name", "sex", "birth_place", "birth_date", "mother_name", "wilayah")
        )
        for record in Individu.objects.filter(pk__in=records.individu_ids[1:])
        .select_related("wilayah__parent")
        .order_by("created_at")
    ]
    statuses = (
        PpksStatus.objects.filter(pk__in=records.ppks_ids)
        .select_related("ppks_type", "assessor")
        .order_by("-assessed_on", "ppks_type__number")
    )
    ppks = [
        {
            "type": str(status.ppks_type),
            "of": "person" if status.individu_id else "household",
            "of_label": _("person") if status.individu_id else _("household"),
            "assessed_on": status.assessed_on,
            "assessed_on_shown": _shown(None, "", status.assessed_on),
            "assessor": str(status.assessor) if status.assessor else "",
            "note": status.note,
            "evidence_on_file": bool(status.evidence),
            "resolved_on": status.resolved_on,
            "resolved_on_shown": _shown(None, "", status.resolved_on),
        }
        for status in statuses
    ]
    move_rows = (
        Move.objects.filter(Q(individu__in=records.individu_ids) | Q(keluarga=keluarga))
        .select_related("from_wilayah__parent", "to_wilayah__parent")
        .order_by("-moved_on", "-created_at")
    )
    moves = [
        {
            "of": "person" if move.individu_id else "household",
            "of_label": _("person") if move.individu_id else _("household"),
            "moved_on": move.moved_on,
            "moved_on_shown": _shown(None, "", move.moved_on),
            "from": {"code": move.from_wilayah_id, "name": _region_name(move.from_wilayah)},
            "to": {"code": move.to_wilayah_id, "name": _region_name(move.to_wilayah)},
            "reason": move.reason,
        }
        for move in move_rows
    ]
    return SubjectReport(
        individu=individu,
        generated_at=timezone.now(),
        request=request,
        person=_section(
            individu,
            PERSON_FIELDS,
            created_at=individu.created_at,
            updated_at=individu.updated_at,
        ),
        household=_section(
            keluarga,
            HOUSEHOLD_FIELDS,
            created_at=keluarga.created_at,
            updated_at=keluarga.updated_at,
        ),
        members=members,
        ppks=ppks,
        moves=moves,
        merged=merged,
        trail=trail_rows(access_history(records).iterator(chunk_size=2000)),
        legal_basis=str(LEGAL_BASIS),
        purpose=str(PURPOSE),
    )


def subject_export(
    *, actor: User, individu: Individu, requester: str, reference: str, file_format: str
) -> SubjectReport:
    """Record that `actor` exports everything held about `individu` for a data-subject request
    (who asked, their reference), then collect it. The export is part of the trail it lists."""
    if not actor.can_in(EXPORT_PERMISSION, individu.wilayah_id):
        raise NotAllowed(_("Only Dinas staff who may see identifiers export a person's data."))
    if individu.merged_into_id is not None:
        raise NotAllowed(_("This record was merged into another: export that one."))
    requester, reference = " ".join(requester.split()), " ".join(reference.split())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=individu,
            reason=_("Data-subject request by %(requester)s (ref. %(reference)s), %(format)s")
            % {"requester": requester, "reference": reference, "format": file_format.upper()},
        )
        return subject_report(
            individu=individu,
            request={
                "requester": requester,
                "reference": reference,
                "exported_by": str(actor),
                "format": file_format,
            },
        )
