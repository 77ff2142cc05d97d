from django.db.models import QuerySet

from garda.accounts.models import User
from garda.accounts.roles import Perm

from .models import AuditEvent


def audit_list(*, fetched_by: User, filters: dict) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.visible_to(fetched_by, Perm.VIEW_AUDIT)
    if actor := filters.get("actor"):
        events = events.filter(actor_name__icontains=actor)
    if action := filters.get("action"):
        events = events.filter(action=action)
    if object_type := filters.get("object_type"):
        events = events.filter(object_type__icontains=object_type)
    if code := filters.get("wilayah"):
        events = events.within(code.strip())
    if date_from := filters.get("date_from"):
        events = events.filter(at__date__gte=date_from)
    if date_to := filters.get("date_to"):
        events = events.filter(at__date__lte=date_to)
    return events
