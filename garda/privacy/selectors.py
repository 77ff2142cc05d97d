"""Reads about personal-data incidents: the list (open first, nearest deadline first), one
incident's page, and whom it concerns (counts by desa, the residents for the notices).

A resident found by two searches (two accounts, two periods) is one person: the counts and
the list merge their rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.registry.models import Individu
from garda.wilayah.models import Wilayah

from .models import AffectedPerson, AffectedSearch, Incident, IncidentEvent, Status


def incident_list(*, fetched_by: User) -> QuerySet[Incident]:
    """Incidents of the reader's areas: open ones first, the nearest deadline (the oldest
    discovery) first; then closed ones, the latest first."""
    return (
        Incident.objects.visible_to(fetched_by, Perm.VIEW_PRIVACY)
        .select_related("wilayah")
        .annotate(
            closed=Case(
                When(status=Status.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            affected_count=Count("affected", distinct=True),
        )
        .order_by(
            "closed",
            Case(When(~Q(status=Status.CLOSED), then=F("discovered_at"))).asc(nulls_last=True),
            "-discovered_at",
        )
    )


@dataclass(frozen=True)
class DesaCount:
    desa: Wilayah
    people: int


@dataclass
class Affected:
    """Whom an incident concerns, in numbers."""

    residents: int
    read: int
    revealed: int
    exported: int
    others: int
    by_desa: list[DesaCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.residents + self.others


def affected_summary(incident: Incident) -> Affected:
    """Distinct residents on the list, how many were read, revealed, exported, and per desa
    (the desa they lived in when found). Three queries."""
    rows = AffectedPerson.objects.filter(incident=incident)
    totals = rows.aggregate(
        residents=Count("individu", distinct=True),
        read=Count("individu", distinct=True, filter=Q(read=True)),
        revealed=Count("individu", distinct=True, filter=Q(revealed=True)),
        exported=Count("individu", distinct=True, filter=Q(exported=True)),
    )
    per_desa = dict(
        rows.values("wilayah_id")
        .annotate(people=Count("individu", distinct=True))
        .values_list("wilayah_id", "people")
    )
    villages = Wilayah.objects.filter(code__in=per_desa).select_related("parent").order_by("code")
    return Affected(
        **totals,
        others=incident.other_subjects,
        by_desa=[DesaCount(desa, per_desa[desa.code]) for desa in villages],
    )


def incident_timeline(incident: Incident) -> QuerySet[IncidentEvent]:
    return incident.events.select_related("actor").order_by("at", "created_at")


def incident_searches(incident: Incident) -> QuerySet[AffectedSearch]:
    return incident.searches.select_related("account", "run_by").order_by("created_at")


@dataclass
class AffectedResident:
    """One resident for the notice to data subjects: who, where they live now, and how their
    records were touched (all searches together)."""

    individu: Individu
    desa_then: Wilayah
    read: bool = False
    revealed: bool = False
    exported: bool = False
    first_at: Any = None
    last_at: Any = None

    def merge(self, row: AffectedPerson) -> None:
        self.read |= row.read
        self.revealed |= row.revealed
        self.exported |= row.exported
        self.first_at = min(self.first_at or row.first_at, row.first_at)
        self.last_at = max(self.last_at or row.last_at, row.last_at)


def affected_residents(incident: Incident) -> list[AffectedResident]:
    """The residents on the incident's list, each once, by desa and name. One query."""
    rows: Iterable[AffectedPerson] = (
        AffectedPerson.objects.filter(incident=incident)
        .select_related("individu__keluarga", "individu__wilayah__parent", "wilayah__parent")
        .order_by("wilayah_id", "individu__name", "individu_id")
    )
    people: dict[Any, AffectedResident] = {}
    for row in rows:
        person = people.setdefault(row.individu_id, AffectedResident(row.individu, row.wilayah))
        person.merge(row)
    return list(people.values())
