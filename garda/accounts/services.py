"""Writes about accounts: creating users, granting and ending roles, login throttling."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.audit.models import Action
from garda.audit.services import MASK, audit_record, audited_create, audited_update
from garda.core.errors import GardaError, NotAllowed
from garda.wilayah.models import Wilayah

from .models import LoginAttempt, RoleAssignment, User
from .roles import ROLE_LEVELS, Perm, Role


def _check_manages(actor: User, wilayah: Wilayah | None) -> None:
    if wilayah is None or not actor.can_in(Perm.MANAGE_USERS, wilayah.code):
        raise NotAllowed(_("You may only manage accounts inside your own area."), field="wilayah")


def temporary_password() -> str:
    return secrets.token_urlsafe(9)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    name: str,
    wilayah: Wilayah,
    role: str,
    role_wilayah: Wilayah,
    email: str = "",
    phone: str = "",
) -> tuple[User, str]:
    """Create an account with its first role. Returns the user and a one-time password."""
    _check_manages(actor, wilayah)
    if User.objects.filter(username__iexact=username).exists():
        raise GardaError(_("This username is already taken."), field="username")
    password = temporary_password()
    user = audited_create(
        User,
        actor=actor,
        username=username,
        name=name,
        email=email,
        phone=phone,
        wilayah=wilayah,
        must_change_password=True,
        password=make_password(password),
    )
    role_assign(actor=actor, user=user, role=role, wilayah=role_wilayah)
    return user, password


@transaction.atomic
def user_update(
    *, actor: User, user: User, data: dict, expected_version: int | None = None
) -> list[str]:
    _check_manages(actor, user.wilayah)
    if "wilayah" in data:
        _check_manages(actor, data["wilayah"])
    return audited_update(user, actor=actor, data=data, expected_version=expected_version)


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool, reason: str) -> None:
    _check_manages(actor, user.wilayah)
    if user == actor and not active:
        raise GardaError(_("You cannot deactivate your own account."))
    audited_update(user, actor=actor, data={"is_active": active}, reason=reason)


@transaction.atomic
def user_reset_password(*, actor: User, user: User) -> str:
    """Give the user a new one-time password that must be changed at the next login.

    It also lifts a login lock-out: this is how an administrator helps a locked-out user.
    """
    _check_manages(actor, user.wilayah)
    LoginAttempt.objects.filter(username=user.username.lower()).delete()
    password = temporary_password()
    audited_update(
        user,
        actor=actor,
        data={"password": make_password(password), "must_change_password": True},
        reason=_("Password reset by an administrator"),
    )
    return password


@transaction.atomic
def user_password_changed(*, user: User) -> None:
    """The owner chose a new password (Django's form saved it): log it, lift the forced change."""
    changes: dict[str, list] = {"password": [MASK, MASK]}
    if user.must_change_password:
        changes["must_change_password"] = [True, False]
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit_record(
        actor=user,
        action=Action.UPDATE,
        obj=user,
        changes=changes,
        reason=_("Password changed by its owner"),
    )


@transaction.atomic
def role_assign(
    *,
    actor: User,
    user: User,
    role: str,
    wilayah: Wilayah,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> RoleAssignment:
    _check_manages(actor, wilayah)
    if wilayah.level not in ROLE_LEVELS[role]:
        raise GardaError(
            _("The role %(role)s cannot be given at the level of %(region)s.")
            % {"role": Role(role).label, "region": wilayah},
            field="wilayah",
        )
    start = valid_from or timezone.localdate()
    overlapping = RoleAssignment.objects.filter(user=user, role=role, wilayah=wilayah).active(start)
    if overlapping.exists():
        raise GardaError(_("This user already holds this role in this region."), field="role")
    return audited_create(
        RoleAssignment,
        actor=actor,
        user=user,
        role=role,
        wilayah=wilayah,
        valid_from=start,
        valid_to=valid_to,
    )


@transaction.atomic
def role_end(*, actor: User, assignment: RoleAssignment, reason: str = "") -> None:
    """End an assignment today; the row stays as history."""
    _check_manages(actor, assignment.wilayah)
    today = timezone.localdate()
    if assignment.valid_to is not None and assignment.valid_to <= today:
        raise GardaError(_("This assignment has already ended."))
    end = max(today, assignment.valid_from)
    audited_update(assignment, actor=actor, data={"valid_to": end}, reason=reason)


def login_is_locked(*, username: str, ip: str | None) -> bool:
    """Too many recent failures for this username (or, more generously, this address)."""
    since = timezone.now() - settings.GARDA_LOGIN_WINDOW
    limit = settings.GARDA_LOGIN_MAX_FAILURES
    recent = LoginAttempt.objects.filter(at__gte=since)
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    # An office shares one address behind NAT, so the per-address limit is higher.
    return ip is not None and recent.filter(ip=ip).count() >= limit * 4


@transaction.atomic
def login_failed(*, username: str, ip: str | None) -> None:
    """Count a failure toward the lock-out and log it where the account's admins can see it."""
    LoginAttempt.objects.create(username=username.lower(), ip=ip)
    account = User.objects.filter(username__iexact=username).first()
    audit_record(
        actor=None,
        action=Action.LOGIN_FAILED,
        obj=account,
        object_type="accounts.user",
        object_repr=username,
        # Unknown usernames belong to the deployment's home region, so its admins see them.
        wilayah_code=(account.wilayah_id if account else None) or settings.GARDA_HOME_REGION,
    )


@transaction.atomic
def login_succeeded(*, user: User) -> None:
    LoginAttempt.objects.filter(username=user.username.lower()).delete()
    audit_record(actor=user, action=Action.LOGIN, obj=user)


def logout_record(*, user: User) -> None:
    audit_record(actor=user, action=Action.LOGOUT, obj=user)
