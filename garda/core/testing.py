"""Test helpers shared by every app: users with roles, and the scoping contract for views.

A view's test class only declares data; `ScopedViewContract` checks the four answers every
scoped page must give: anonymous -> login, wrong role -> 403, other area -> 404, own area -> OK.
"""

import datetime
import itertools
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from garda.accounts.models import RoleAssignment, User
from garda.accounts.twofactor import SESSION_VERIFIED
from garda.wilayah.models import Kind, Level, Wilayah

TEST_PASSWORD = "test-password-123"
LUMUT = "19.01.02.2007"
BINTET = "19.01.02.2008"
BELINYU = "19.01.02"
SUNGAILIAT = "19.01.01"
BANGKA = "19.01"
# "Another district": the `bangka` fixture holds only its kabupaten row; `other_district()`
# gives it a kecamatan and a desa, so out-of-area records can be made like any other.
OTHER_DISTRICT = "19.02"
OTHER_KECAMATAN = "19.02.01"
OTHER_DESA = "19.02.01.2001"

_serial = itertools.count()


def make_user(
    role: str | None = None, code: str = BANGKA, *, username: str | None = None, **fields: Any
) -> User:
    """A user whose home region is `code`, holding `role` there (if given) since 2020."""
    user = User.objects.create_user(
        username=username or f"user{next(_serial)}",
        password=TEST_PASSWORD,
        name=fields.pop("name", "Pengguna Uji"),
        wilayah=Wilayah.objects.get(code=code),
        **fields,
    )
    if role:
        RoleAssignment.objects.create(
            user=user,
            role=role,
            wilayah_id=code,
            valid_from=datetime.date(2020, 1, 1),
        )
    return user


def other_district() -> None:
    Wilayah.objects.get_or_create(
        code=OTHER_KECAMATAN,
        defaults={
            "name": "Uji",
            "level": Level.KECAMATAN,
            "kind": Kind.KECAMATAN,
            "parent_id": OTHER_DISTRICT,
        },
    )
    Wilayah.objects.get_or_create(
        code=OTHER_DESA,
        defaults={
            "name": "Uji Jaya",
            "level": Level.DESA,
            "kind": Kind.DESA,
            "parent_id": OTHER_KECAMATAN,
        },
    )


def client_for(user: User, *, second_factor: bool = True) -> Client:
    """A client logged in as `user`; with `second_factor`, past the 2FA step too."""
    client = Client()
    client.force_login(user)
    if second_factor:
        session = client.session
        session[SESSION_VERIFIED] = True
        session.save()
    return client


class ScopedViewContract:
    """Mix into a test class. Declare the roles and how to make an object and its URL."""

    method: ClassVar[str] = "get"
    allowed: ClassVar[tuple[str, str]]  # (role, region) that may use the view on own objects
    wrong_role: ClassVar[tuple[str | None, str]]  # (role, region) that may not use the view at all
    own_area: ClassVar[str]  # region of the object the allowed user may reach
    other_area: ClassVar[str]  # region outside the allowed user's area
    ok_status: ClassVar[int] = 200

    def make_object(self, code: str) -> Any:
        raise NotImplementedError

    def url_for(self, obj: Any) -> str:
        raise NotImplementedError

    def request(self, client: Client, url: str):
        return getattr(client, self.method)(url)

    @pytest.fixture
    def allowed_user(self, bangka) -> User:
        return make_user(*self.allowed)

    def test_anonymous_is_sent_to_login(self, bangka) -> None:
        response = self.request(Client(), self.url_for(self.make_object(self.own_area)))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))

    def test_wrong_role_is_refused_with_403(self, bangka) -> None:
        obj = self.make_object(self.own_area)
        response = self.request(client_for(make_user(*self.wrong_role)), self.url_for(obj))
        assert response.status_code == 403

    def test_other_area_answers_404(self, allowed_user) -> None:
        obj = self.make_object(self.other_area)
        response = self.request(client_for(allowed_user), self.url_for(obj))
        assert response.status_code == 404

    def test_own_area_is_served(self, allowed_user) -> None:
        obj = self.make_object(self.own_area)
        response = self.request(client_for(allowed_user), self.url_for(obj))
        assert response.status_code == self.ok_status


def menu_urls(user: User) -> list[str]:
    """Every address in the menu `user` sees, whatever its group."""
    groups = client_for(user).get("/").context["nav_groups"]
    return [item.url for group in groups for item in group.items]
