"""Sending notifications: a row the person sees in Garda and, if they have an email address,
an email. Both happen only when the surrounding transaction commits, so a refused or
rolled-back change notifies nobody."""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from garda.accounts.models import User

from .models import Kind, Notification

logger = logging.getLogger(__name__)


def office_language() -> Any:
    """Notices are stored text: write them in the office's language, like its letters."""
    return translation.override(settings.LANGUAGE_CODE)


def notify(
    user: User, *, kind: str = Kind.OTHER, text: str, link: str = "", key: str = ""
) -> Notification | None:
    """Tell `user` about something. With `key`, a second notice of the same key to the same
    person is not sent again (returns None). Inactive accounts are not notified."""
    if not user.is_active:
        return None
    if key and Notification.objects.filter(user=user, key=key).exists():
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, text=text[:300], link=link[:300], key=key[:120]
            )
    except IntegrityError:  # the same key written by a concurrent run
        return None
    if user.email:
        transaction.on_commit(lambda: _send_email(user, text, link))
    return notification


def _send_email(user: User, text: str, link: str) -> None:
    site = settings.GARDA_SITE_URL.rstrip("/")
    body = f"{text}\n\n{site}{link}" if link else text
    try:
        send_mail(
            subject=f"[Garda] {text[:70]}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except Exception:  # a mail server down must not undo or hide the in-app notice
        # The account's id, not its address: logs hold no personal data.
        logger.exception("Could not email a notification to user %s", user.pk)


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> None:
    if notification.user_id != user.pk or notification.read_at:
        return
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at", "updated_at"])


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
