from typing import Any

from django.db.models import QuerySet

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Perm

from .models import Wilayah


def top_areas(*, user: User, permission: str) -> QuerySet[Wilayah]:
    return Wilayah.objects.filter(code__in=user.areas_for(permission)).select_related("parent")


def region_overview(*, region: Wilayah, user: User) -> dict[str, Any]:
    """Children and, for those allowed to see people, who holds a role in the region."""
    ancestors: list[Wilayah] = []
    parent = region.parent
    while parent is not None and user.can_in(Perm.VIEW_REGIONS, parent.code):
        ancestors.insert(0, parent)
        parent = parent.parent
    context: dict[str, Any] = {
        "ancestors": ancestors,
        "children": region.children.active().order_by("code"),
        "can_view_people": user.can_in(Perm.VIEW_PEOPLE, region.code),
    }
    if context["can_view_people"]:
        context["workers"] = (
            RoleAssignment.objects.visible_to(user, Perm.VIEW_PEOPLE)
            .active()
            .filter(wilayah=region)
            .select_related("user")
            .order_by("role", "user__name")
        )
    return context
