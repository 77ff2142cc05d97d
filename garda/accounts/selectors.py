from django.db.models import Prefetch, Q, QuerySet

from garda.audit.models import AuditEvent

from .models import RoleAssignment, User
from .roles import ROLE_PERMISSIONS, Perm


def user_list(*, fetched_by: User, filters: dict) -> QuerySet[User]:
    users = User.objects.visible_to(fetched_by, Perm.MANAGE_USERS).select_related("wilayah")
    if q := filters.get("q"):
        users = users.filter(Q(name__icontains=q) | Q(username__icontains=q) | Q(phone__contains=q))
    if role := filters.get("role"):
        users = users.filter(
            id__in=RoleAssignment.objects.active().filter(role=role).values("user_id")
        )
    if wilayah := filters.get("wilayah"):
        users = users.within(wilayah.code)
    if status := filters.get("status"):
        users = users.filter(is_active=status == "active")
    current = RoleAssignment.objects.active().select_related("wilayah")
    return users.prefetch_related(Prefetch("assignments", current, to_attr="current_assignments"))


def user_history(*, user: User, fetched_by: User) -> QuerySet[AuditEvent]:
    """The trail of an account, as far as the viewer may read the trail."""
    return AuditEvent.objects.visible_to(fetched_by, Perm.VIEW_AUDIT).for_object(user)[:50]


def permission_holders(permission: str, code: str) -> list[RoleAssignment]:
    """The active assignments of active accounts that grant `permission` for the region `code`
    (given at `code` or at a region above it), the nearest region first: whom to tell."""
    parts = code.split(".")
    regions = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]
    return list(
        RoleAssignment.objects.active()
        .filter(wilayah_id__in=regions, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("-wilayah_id", "user__name")
    )
