"""Two-factor authentication with an authenticator app (TOTP, RFC 6238) for the Dinas roles.

A Dinas user logs in with their password, then with the 6-digit code of their app. Until the
code is given, the session is "half logged in" and AccountRulesMiddleware lets it reach only
the 2FA pages and logout.
"""

import base64
import hmac
import time

import pyotp
import segno
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core import crypto
from garda.core.errors import GardaError, NotAllowed

from .models import TwoFactorDevice, User
from .roles import DINAS_ROLES, Perm

SESSION_VERIFIED = "garda_2fa_verified"
STEP_SECONDS = 30


def two_factor_required(user: User) -> bool:
    """Dinas roles and technical (Django admin) access need a second factor."""
    return settings.GARDA_2FA_REQUIRED and (user.is_staff or bool(user.roles() & DINAS_ROLES))


def two_factor_confirmed(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def session_verified(session: SessionBase) -> bool:
    return bool(session.get(SESSION_VERIFIED))


@transaction.atomic
def two_factor_begin(*, user: User) -> str:
    """The secret for a user setting up their app: the pending one, or a fresh one."""
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise GardaError(_("Two-factor authentication is already active for this account."))
    if device is not None:
        return crypto.decrypt(device.secret_encrypted)
    secret = pyotp.random_base32()
    TwoFactorDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": crypto.encrypt(secret), "confirmed_at": None}
    )
    return secret


def provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=settings.GARDA_2FA_ISSUER
    )


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI: drawn by the server, allowed by the CSP (img-src data:)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2733", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@transaction.atomic
def two_factor_confirm(*, user: User, code: str, session: SessionBase) -> None:
    """The first correct code proves the app holds the secret; then 2FA is active."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise GardaError(_("Start the set-up again: no authenticator was being set up."))
    _accept_code(device, code)
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at", "last_step", "updated_at"])
    session[SESSION_VERIFIED] = True
    audit_record(
        actor=user,
        action=Action.UPDATE,
        obj=user,
        changes={"two_factor": [False, True]},
        reason=_("Two-factor authentication activated"),
    )


@transaction.atomic
def two_factor_verify(*, user: User, code: str, session: SessionBase) -> None:
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=False)
        .first()
    )
    if device is None:
        raise GardaError(_("Two-factor authentication is not set up for this account."))
    _accept_code(device, code)
    device.save(update_fields=["last_step", "updated_at"])
    session[SESSION_VERIFIED] = True


@transaction.atomic
def two_factor_reset(*, actor: User, user: User) -> None:
    """An administrator removes a lost authenticator; the user sets up a new one at next login."""
    if user.wilayah is None or not actor.can_in(Perm.MANAGE_USERS, user.wilayah.code):
        raise NotAllowed(_("You may only manage accounts inside your own area."))
    deleted, _count = TwoFactorDevice.objects.filter(user=user).delete()
    if not deleted:
        raise GardaError(_("This account has no authenticator to reset."))
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=user,
        changes={"two_factor": [True, False]},
        reason=_("Authenticator reset by an administrator"),
    )


def _accept_code(device: TwoFactorDevice, code: str) -> None:
    """Accept the current code (or its neighbours, for phone clocks a little off), once only."""
    totp = pyotp.TOTP(crypto.decrypt(device.secret_encrypted))
    code = "".join(code.split())
    now_step = int(time.time()) // STEP_SECONDS
    for step in (now_step, now_step - 1, now_step + 1):
        expected = totp.at(step * STEP_SECONDS)
        if step > device.last_step and hmac.compare_digest(expected, code):
            device.last_step = step
            return
    raise GardaError(
        _("The code is wrong or has already been used. Wait for a new code in your app."),
        field="code",
    )
