"""Reads about households and residents for the pages. Every read starts from
`visible_to(actor, permission)` (the search itself lives in `search`)."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action, AuditEvent

from .models import (
    Candidate,
    DuplicateCandidate,
    Individu,
    Keluarga,
    Move,
    PpksStatus,
    Relation,
)

# Why two records may be one person, as `services.duplicate_score` names the reasons.
DUPLICATE_REASONS = {
    "name": _("same name"),
    "name_start": _("similar name"),
    "birth_date": _("same date of birth"),
    "mother": _("same mother's name"),
    "area": _("same kecamatan"),
}


def age_on(birth_date: datetime.date | None, day: datetime.date) -> int | None:
    if birth_date is None:
        return None
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def with_ages(people: Iterable[Individu]) -> list[Individu]:
    """The people with `age` (in whole years, today) set for the templates."""
    today = timezone.localdate()
    rows = list(people)
    for person in rows:
        person.age = age_on(person.birth_date, today)  # type: ignore[attr-defined]
    return rows


def active_ppks() -> Prefetch:
    """Each person's (or household's) active PPKS statuses as `active_ppks`, with their type."""
    statuses = PpksStatus.objects.active().select_related("ppks_type").order_by("ppks_type__number")
    return Prefetch("ppks", queryset=statuses, to_attr="active_ppks")


def keluarga_profile(*, keluarga: Keluarga, fetched_by: User) -> dict[str, Any]:
    """What the household page shows besides its own fields."""
    members = with_ages(keluarga.members.prefetch_related(active_ppks()))
    members.sort(key=_member_order)
    return {
        "members": members,
        "ppks": keluarga.ppks.select_related("ppks_type", "assessor"),
        "moves": keluarga.moves.select_related("from_wilayah", "to_wilayah", "actor"),
        "history": resident_history(obj=keluarga, fetched_by=fetched_by),
    }


def _member_order(person: Individu) -> tuple[Any, ...]:
    """Current members first, the head of family first among them, then by age."""
    return (
        person.merged_into_id is not None,
        person.is_deceased or person.moved_out,
        person.relation != Relation.KEPALA,
        person.birth_date or datetime.date.max,
        person.name,
    )


def individu_profile(*, individu: Individu, fetched_by: User) -> dict[str, Any]:
    """What a person's page shows besides their own fields: PPKS statuses, moves (their own
    and their household's), the records merged into this one, and where it was merged."""
    visible = Individu.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE)
    merged_into = (
        visible.filter(pk=individu.merged_into_id).first() if individu.merged_into_id else None
    )
    moves = Move.objects.filter(
        Q(individu=individu) | Q(keluarga_id=individu.keluarga_id)
    ).select_related("from_wilayah", "to_wilayah", "actor")
    return {
        "age": age_on(individu.birth_date, timezone.localdate()),
        "ppks": individu.ppks.select_related("ppks_type", "assessor"),
        "moves": moves,
        "merged_into": merged_into,
        "merged_from": visible.filter(merged_into=individu).select_related("wilayah"),
        "history": resident_history(obj=individu, fetched_by=fetched_by),
    }


def resident_history(*, obj: Individu | Keluarga, fetched_by: User) -> list[AuditEvent] | None:
    """Changes to the record and each reveal of its identifier, for those who read the trail.
    Openings are left out: every visit to the page is one."""
    if not fetched_by.has_garda_perm(Perm.VIEW_AUDIT):
        return None
    events = (
        AuditEvent.objects.visible_to(fetched_by, Perm.VIEW_AUDIT)
        .for_object(obj)
        .exclude(action=Action.VIEW)
    )
    return list(events[:50])


def duplicate_queue(*, fetched_by: User) -> QuerySet[DuplicateCandidate]:
    """Open pairs the user may decide on, likeliest first, with both records loaded."""
    related = [f"{side}__{rel}" for side in ("first", "second") for rel in ("wilayah", "keluarga")]
    return (
        DuplicateCandidate.objects.visible_to(fetched_by, Perm.MERGE_DUPLICATES)
        .filter(status=Candidate.OPEN)
        .select_related(*related)
        .order_by("-score", "created_at", "pk")
    )


def duplicate_rows(candidates: Iterable[DuplicateCandidate]) -> list[DuplicateCandidate]:
    """The pairs with `reason_labels` and both records' ages set for the template."""
    rows = list(candidates)
    today = timezone.localdate()
    for pair in rows:
        pair.reason_labels = [  # type: ignore[attr-defined]
            DUPLICATE_REASONS.get(reason, reason) for reason in pair.reasons
        ]
        for person in (pair.first, pair.second):
            person.age = age_on(person.birth_date, today)  # type: ignore[attr-defined]
    return rows
