"""Token lifecycle: made on the page after the second factor (or by the command), shown once,
stored hashed, used (last-used time), revoked."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.testing import BANGKA, LUMUT, client_for, make_user

from ..models import ApiToken
from ..services import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke, hash_key
from .factories import list_url


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_page_makes_a_token_shown_once(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA)
    page = client_for(user)
    response = page.post(reverse("api:tokens"), {"name": "SIKS-NG"})
    assert response.status_code == 200
    key = response.context["key"]
    assert key.startswith("garda_")
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == hash_key(key) != key
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert response["Cache-Control"] == "private, no-store"
    assert key not in page.get(reverse("api:tokens")).content.decode()
    assert AuditEvent.objects.filter(action=Action.CREATE, object_id=str(token.pk)).exists()


def test_no_token_without_the_second_factor(bangka) -> None:
    user = make_user(Role.PSM, LUMUT)
    page = client_for(user, second_factor=False)
    assert page.get(reverse("api:tokens")).status_code == 200
    response = page.post(reverse("api:tokens"), {"name": "HP"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_the_page_needs_a_login(bangka) -> None:
    from django.test import Client

    assert Client().get(reverse("api:tokens")).status_code == 302


def test_a_token_works_records_its_use_and_stops_when_revoked(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA)
    token, key = api_token_create(actor=user, user=user, name="x")
    assert token.last_used_at is None
    assert api(key).get(list_url("region")).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    page = client_for(user)
    response = page.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api(key).get(list_url("region")).status_code == 401


def test_bearer_works_too(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA)
    _token, key = api_token_create(actor=user, user=user, name="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(list_url("region")).status_code == 200


def test_a_deactivated_user_token_stops(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA)
    _token, key = api_token_create(actor=user, user=user, name="x")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api(key).get(list_url("region")).status_code == 401


def test_nobody_revokes_another_users_token(bangka) -> None:
    owner, other = make_user(Role.STAF_DINAS, BANGKA), make_user(Role.STAF_DINAS, BANGKA)
    token, key = api_token_create(actor=owner, user=owner, name="x")
    response = client_for(other).post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert api(key).get(list_url("region")).status_code == 200
    from garda.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        api_token_revoke(actor=other, token=token)
    with pytest.raises(NotAllowed):
        api_token_create(actor=other, user=owner, name="y")


def test_revoking_twice_changes_nothing(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA)
    token, _key = api_token_create(actor=user, user=user, name="x")
    first = api_token_revoke(actor=user, token=token).revoked_at
    assert api_token_revoke(actor=user, token=token).revoked_at == first


def test_a_name_is_required_and_tokens_are_capped(bangka) -> None:
    from garda.core.errors import InvalidState

    user = make_user(Role.STAF_DINAS, BANGKA)
    with pytest.raises(InvalidState):
        api_token_create(actor=user, user=user, name="   ")
    for n in range(MAX_ACTIVE_TOKENS):
        api_token_create(actor=user, user=user, name=f"t{n}")
    with pytest.raises(InvalidState):
        api_token_create(actor=user, user=user, name="one too many")
    response = client_for(user).post(reverse("api:tokens"), {"name": "one too many"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_the_command_prints_a_working_key(bangka) -> None:
    user = make_user(Role.STAF_DINAS, BANGKA, username="staf.api")
    out = io.StringIO()
    call_command("api_token_create", "staf.api", "--name", "sync", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert api(key).get(list_url("region")).status_code == 200
    assert ApiToken.objects.get().user == user
    with pytest.raises(CommandError):
        call_command("api_token_create", "nobody", "--name", "sync", stdout=io.StringIO())
