"""Making, using and revoking API tokens."""

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.errors import InvalidState, NotAllowed

from .models import ApiToken

KEY_PREFIX = "garda_"
# Writing "last used" on every request would turn each read into a write: once a minute is enough.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 10
SERVER = "manage.py api_token_create"  # the audit trail's actor for tokens made on the server


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key, which is not stored and not shown again.
    Users make their own tokens (the page checks the second factor); `actor=None` is the
    management command, run by a technical administrator on the server."""
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise NotAllowed(_("You may only create API tokens for yourself."))
    if not user.is_active:
        raise NotAllowed(_("This account is not active."))
    name = " ".join(name.split())[:100]
    if not name:
        raise InvalidState(_("Give the token a name, for example the system that will use it."))
    User.objects.select_for_update().filter(pk=user.pk).first()  # one creation at a time per user
    if ApiToken.objects.usable().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        raise InvalidState(
            _("You have %(n)d active tokens already. Revoke one you no longer use.")
            % {"n": MAX_ACTIVE_TOKENS}
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], key_hash=hash_key(key))
    audit_record(actor=actor or SERVER, action=Action.CREATE, obj=token)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing."""
    if actor.pk != token.user_id and not actor.is_superuser:
        raise NotAllowed(_("You may only revoke your own API tokens."))
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=Action.DELETE, obj=locked, reason="revoked")
    return locked


def api_token_authenticate(key: str) -> ApiToken | None:
    """The usable token with this key, its "last used" time brought up to date; None if unknown,
    revoked or its user deactivated."""
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
