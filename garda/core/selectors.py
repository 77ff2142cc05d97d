"""What each role's home page shows: a PSM their desa, a coordinator their kecamatan,
Dinas the district. Every figure comes through the scoping mechanism."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import DINAS_ROLES, Perm, Role
from garda.audit.models import AuditEvent
from garda.wilayah.models import Level, Wilayah


@dataclass(frozen=True)
class AreaCoverage:
    """How many villages under an area have at least one active PSM account."""

    area: Wilayah
    villages: int
    covered: int

    @property
    def uncovered(self) -> int:
        return self.villages - self.covered


AREA_ROLES = DINAS_ROLES | {Role.KOORDINATOR, Role.VIEWER}
VILLAGE_ROLES = frozenset({Role.PSM, Role.OPERATOR_DESA})


def home_kind(user: User) -> str:
    """ "area": Dinas, coordinators, viewers; "desa": village roles; "none": no role."""
    roles = user.roles()
    if roles & AREA_ROLES:
        return "area"
    if roles & VILLAGE_ROLES:
        return "desa"
    return "none"


def home_context(user: User) -> dict[str, Any]:
    kind = home_kind(user)
    context: dict[str, Any] = {"kind": kind, "assignments": user.active_assignments()}
    if kind == "none":
        return context
    areas = Wilayah.objects.filter(code__in=user.areas_for(Perm.VIEW_REGIONS)).order_by("code")
    context["areas"] = list(areas)
    if kind == "area":
        context["coverage"] = coverage_by_child(user, context["areas"])
    if kind == "desa":
        context["colleagues"] = colleagues_in(user, context["areas"])
    if user.has_garda_perm(Perm.VIEW_AUDIT):
        context["recent_events"] = AuditEvent.objects.visible_to(user, Perm.VIEW_AUDIT)[:8]
    return context


def psm_villages(user: User, permission: str) -> set[str]:
    """Codes of the villages (inside the user's areas) that have an active PSM account."""
    return set(
        RoleAssignment.objects.visible_to(user, permission)
        .active()
        .filter(role=Role.PSM, user__is_active=True)
        .values_list("wilayah_id", flat=True)
    )


def coverage_by_child(user: User, areas: list[Wilayah]) -> list[AreaCoverage]:
    """Coverage per kecamatan (for a district) or per desa (for a kecamatan)."""
    covered_villages = psm_villages(user, Perm.VIEW_AGGREGATES)
    rows: list[AreaCoverage] = []
    for area in areas:
        child_level = Level.KECAMATAN if area.level < Level.KECAMATAN else Level.DESA
        children = list(Wilayah.objects.within(area.code).active().filter(level=child_level))
        villages = Counter(
            code.rsplit(".", 1)[0] if child_level == Level.KECAMATAN else code
            for code in Wilayah.objects.within(area.code)
            .active()
            .filter(level=Level.DESA)
            .values_list("code", flat=True)
        )
        covered = Counter(
            code.rsplit(".", 1)[0] if child_level == Level.KECAMATAN else code
            for code in covered_villages
            if code.startswith(area.code + ".")
        )
        rows += [AreaCoverage(c, villages[c.code], covered[c.code]) for c in children]
    return rows


def colleagues_in(user: User, areas: list[Wilayah]) -> list[User]:
    """The people holding a role in the user's villages, the user included."""
    return list(
        User.objects.filter(
            assignments__in=RoleAssignment.objects.visible_to(user, Perm.VIEW_PEOPLE).active()
        )
        .filter(is_active=True)
        .distinct()
        .order_by("name")
    )
