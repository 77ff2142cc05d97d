from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class HoldsPermission(BasePermission):
    """The caller must hold the view's Garda permission somewhere (`view.permission`, or
    `view.write_permission` for writes); the rows then come from `visible_to`, so an object
    outside the caller's areas answers 404."""

    message = _("Your role does not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return user.has_garda_perm(view.required_permission())
