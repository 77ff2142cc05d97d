from django.db.models import Prefetch, Q, QuerySet

from garda.audit.models import AuditEvent

from .models import RoleAssignment, User
from .roles import Perm


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
