"""The user's notifications: the list (newest first, unread marked), opening one (marks it
read and follows its link) and marking all read. A notification is its recipient's alone:
someone else's answers 404."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from garda.accounts.roles import Perm
from garda.core.views import ScopedMixin

from . import services
from .models import Notification

# Every role may see its own notifications.
PERMISSION = Perm.VIEW_REGIONS


class NotificationListView(ScopedMixin, ListView):
    model = Notification
    permission = PERMISSION
    template_name = "notifications/notification_list.html"
    paginate_by = 30

    def get_queryset(self) -> QuerySet[Notification]:
        return super().get_queryset().order_by("-created_at")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "unread": services.unread_count(self.actor),
        }


class NotificationOpenView(ScopedMixin, View):
    """POST: mark one notification read, then go where it points."""

    model = Notification
    permission = PERMISSION
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        services.notification_mark_read(user=self.actor, notification=notification)
        link = notification.link
        if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
            return redirect(link)
        return redirect("notifications:list")


class NotificationReadAllView(ScopedMixin, View):
    model = Notification
    permission = PERMISSION
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        count = services.notifications_mark_all_read(user=self.actor)
        messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
        return redirect("notifications:list")


urlpatterns = [
    path("", NotificationListView.as_view(), name="list"),
    path("<uuid:pk>/buka/", NotificationOpenView.as_view(), name="open"),
    path("baca-semua/", NotificationReadAllView.as_view(), name="read_all"),
]
