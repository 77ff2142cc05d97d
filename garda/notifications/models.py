"""In-app notifications, one row per person and message. A notification is its recipient's
alone: `visible_to` answers only their own rows."""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from garda.core.models import BaseModel


class Kind(models.TextChoices):
    ASSIGNED = "assigned", _("assigned to you")
    REFERRAL = "referral", _("answer to a referral")
    OVERDUE = "overdue", _("overdue")
    CLOSING = "closing", _("closing")
    OTHER = "other", _("other")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user, permission: str) -> Self:
        """The user's own notifications, if their role allows `permission` at all."""
        if not user.is_authenticated or not user.has_garda_perm(permission):
            return self.none()
        return self.filter(user=user)

    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)


class Notification(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    link = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Makes a repeated notice a no-op (one overdue notice per case per day): empty for others.
    key = models.CharField(max_length=120, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="one_notification_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.text
