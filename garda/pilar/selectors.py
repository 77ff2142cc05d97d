"""Reads about social pillar members. Every read starts from `visible_to(actor, permission)`."""

import re
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from garda.accounts.models import User
from garda.accounts.roles import Perm, Role
from garda.audit.models import Action, AuditEvent
from garda.core.nik import normalise_digits

from .models import IpsmOfficer, Pilar, Position, Training
from .services import nik_hash

NIK_QUERY = re.compile(r"^\d{16}$")


def pilar_list(*, fetched_by: User, filters: dict[str, Any]) -> QuerySet[Pilar]:
    """Members the user may see, filtered. `filters` holds the cleaned PilarFilterForm:
    q (name or phone contains, or an exact NIK), jenis (a PilarType), status, wilayah
    (a region: the members serving inside it), trained ("yes"/"no")."""
    members = Pilar.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE).select_related(
        "jenis", "wilayah__parent"
    )
    if q := (filters.get("q") or "").strip():
        digits = normalise_digits(q)
        condition = Q(name__icontains=q) | Q(phone__contains=q)
        if digits.isdigit() and digits != q:
            condition |= Q(phone__contains=digits)
        if NIK_QUERY.match(digits):
            # The NIK is encrypted: only the blind index finds it, and only the whole of it.
            condition |= Q(nik_hash=nik_hash(digits))
        members = members.filter(condition)
    if jenis := filters.get("jenis"):
        members = members.filter(jenis=jenis)
    if status := filters.get("status"):
        members = members.filter(status=status)
    if wilayah := filters.get("wilayah"):
        members = members.within(wilayah.code)
    if trained := filters.get("trained"):
        has_training = Exists(Training.objects.filter(pilar=OuterRef("pk")))
        members = members.filter(has_training if trained == "yes" else ~has_training)
    return members


def pilar_own_profile(*, user: User) -> Pilar | None:
    """The profile linked to the user's account, if they may still see it."""
    return Pilar.objects.visible_to(user, Perm.VIEW_PEOPLE).filter(user=user).first()


def pilar_profile(*, pilar: Pilar, fetched_by: User) -> dict[str, Any]:
    """What the profile page shows besides the member's own fields: the histories, the
    documents and, for those who may read the trail, the audit history."""
    decrees = list(pilar.decrees.all())
    trainings = list(pilar.trainings.all())
    positions = list(pilar.ipsm_positions.select_related("wilayah"))
    context: dict[str, Any] = {
        "status_events": pilar.status_events.select_related("actor"),
        "placements": pilar.placements.select_related("wilayah"),
        "decrees": decrees,
        "trainings": trainings,
        "positions": positions,
        "history": None,
    }
    if fetched_by.has_garda_perm(Perm.VIEW_AUDIT):
        context["history"] = pilar_history(
            pilar=pilar,
            fetched_by=fetched_by,
            children={
                "pilar.decree": [d.pk for d in decrees],
                "pilar.training": [t.pk for t in trainings],
                "pilar.ipsmofficer": [p.pk for p in positions],
            },
        )
    return context


def pilar_history(
    *, pilar: Pilar, fetched_by: User, children: dict[str, list[Any]] | None = None
) -> list[AuditEvent]:
    """Changes to the member and their documents, and each reveal of the NIK, as far as the
    viewer may read the trail. Views are left out: every opening of the page is one."""
    condition = Q(object_type=pilar._meta.label_lower, object_id=str(pilar.pk))
    for object_type, ids in (children or {}).items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    events = (
        AuditEvent.objects.visible_to(fetched_by, Perm.VIEW_AUDIT)
        .filter(condition)
        .exclude(action=Action.VIEW)
    )
    return list(events[:50])


def coordinator_areas(*, user: User | None) -> set[str]:
    """Where an account already holds the coordinator role."""
    if user is None:
        return set()
    return {a.wilayah_id for a in user.active_assignments() if a.role == Role.KOORDINATOR}


def officer_list(*, fetched_by: User, filters: dict[str, Any]) -> QuerySet[IpsmOfficer]:
    """IPSM officers whose level region the user may see; current terms unless asked."""
    officers = IpsmOfficer.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE).select_related(
        "wilayah", "pilar"
    )
    if wilayah := filters.get("wilayah"):
        officers = officers.within(wilayah.code)
    if filters.get("period") != "all":
        officers = officers.current()
    rank = Case(
        *(When(position=p, then=Value(i)) for i, p in enumerate(Position.values)),
        output_field=IntegerField(),
    )
    return officers.order_by("wilayah_id", rank, "-term_start", "pilar__name")
