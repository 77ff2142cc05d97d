"""What each role's home page shows: a PSM their desa, a coordinator their kecamatan,
Dinas the district. Every figure comes through the scoping mechanism."""

from typing import Any

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import DINAS_ROLES, Perm, Role
from garda.audit.models import AuditEvent
from garda.cases.selectors import cases_home
from garda.notifications.services import unread_count
from garda.pilar.coverage import CoverageRow, coverage_rows
from garda.wilayah.models import Wilayah

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
    context["cases"] = cases_home(user)
    context["unread_notifications"] = unread_count(user)
    if user.has_garda_perm(Perm.VIEW_AUDIT):
        context["recent_events"] = AuditEvent.objects.visible_to(user, Perm.VIEW_AUDIT)[:8]
    return context


def coverage_by_child(user: User, areas: list[Wilayah]) -> list[CoverageRow]:
    """Coverage per kecamatan (for a district) or per desa (for a kecamatan): villages with an
    active PSM in the pillar registry, the same figures as the coverage page."""
    return coverage_rows(user=user, areas=areas)


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
