"""`{% unread_notifications as count %}`: how many unread notifications the user has (one
query), for the menu or a page head."""

from typing import Any

from django import template

from garda.notifications.services import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)
