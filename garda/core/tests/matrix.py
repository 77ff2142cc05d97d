"""The authorization matrix's vocabulary, and the entries of the core app's URLs.

Every app lists its URLs in `garda/<app>/tests/matrix.py` as ``ENTRIES = {"ns:name": Entry}``;
`garda/core/tests/test_authorization_matrix.py` reads them all (see its docstring for the
format). The helpers below make the common cases one line: `scoped` for a page about one
object of an area, `page` for a page without an object, `everyone` and `public` for pages any
logged-in user or anybody may open.
"""

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from garda.accounts.models import User
from garda.accounts.roles import ROLE_PERMISSIONS, Role
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    client_for,
    make_user,
)

ANONYMOUS = "anonymous"
OWN = "own"
OTHER = "other"
# "Logged out": a 302 whose Location is the login page.
LOGIN = "login"
# Where each role holds its role in the matrix, and the object region "outside its area"
# nearest to it: the next desa for desa roles, the next kecamatan's desa for the coordinator,
# another district for Dinas. "Own area" objects all live in Lumut (inside every role's area).
SUNGAILIAT_DESA = "19.01.01.1001"
ROLE_HOME: dict[str, str] = {
    Role.ADMIN_DINAS: BANGKA,
    Role.STAF_DINAS: BANGKA,
    Role.PIMPINAN: BANGKA,
    Role.VIEWER: BANGKA,
    Role.KOORDINATOR: BELINYU,
    Role.PSM: LUMUT,
    Role.OPERATOR_DESA: LUMUT,
}
OTHER_AREA: dict[str, str] = {
    Role.ADMIN_DINAS: OTHER_DESA,
    Role.STAF_DINAS: OTHER_DESA,
    Role.PIMPINAN: OTHER_DESA,
    Role.VIEWER: OTHER_DESA,
    Role.KOORDINATOR: SUNGAILIAT_DESA,
    Role.PSM: BINTET,
    Role.OPERATOR_DESA: BINTET,
}
ROLES: tuple[str, ...] = tuple(Role)

Expect = int | str | tuple[int, ...]


class World:
    """The matrix's shared data: one user per role, and objects made once per region.

    Builders call `once(key, make)` so an object (a case in Lumut, say) is made the first time a
    URL needs it and reused by every other URL and role of the module.
    """

    def __init__(self) -> None:
        self._made: dict[Any, Any] = {}
        self.users: dict[str, User] = {}
        self.cookies: dict[str, Any] = {}
        self.kwargs: dict[tuple[str, str], dict[str, Any] | Exception] = {}
        self._serial = itertools.count(1)

    def once(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def serial(self) -> int:
        return next(self._serial)

    def add_user(self, role: str, user: User) -> None:
        self.users[role] = user
        self.cookies[role] = client_for(user).cookies

    def client(self, role: str | None) -> Client:
        client = Client()
        if role is not None:
            for key, morsel in self.cookies[role].items():
                client.cookies[key] = morsel.value
        return client

    @property
    def psm(self) -> User:
        """The matrix's PSM (of Lumut): reports, cases and visits in Lumut are theirs."""
        return self.users[Role.PSM]

    def user_in(self, role: str, code: str) -> User:
        """Someone else holding `role` in `code` (made once)."""
        return self.once(("user", role, code), lambda: make_user(role, code))


@dataclass(frozen=True)
class Ctx:
    """What a builder gets: the world, the region of the object to make, who will visit."""

    world: World
    code: str
    role: str | None
    area: str

    @property
    def user(self) -> User | None:
        return self.world.users.get(self.role) if self.role else None


Builder = Callable[[Ctx], Mapping[str, Any]]


@dataclass(frozen=True)
class Entry:
    """How to visit one URL name and what every principal gets.

    `expect` maps a case key to the status: ``"anonymous"``; ``"<role>"`` for a URL without an
    object; ``"<role>:own"`` / ``"<role>:other"`` for a URL about an object of an area. A status
    is an int, a tuple of ints (any of them), or LOGIN (302 to the login page).
    """

    expect: Mapping[str, Expect]
    build: Builder | None = None
    method: str = "get"
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    xfail: Mapping[str, str] = field(default_factory=dict)

    def cases(self) -> list[str]:
        return list(self.expect)


def has(role: str, perm: str | tuple[str, ...]) -> bool:
    """Whether `role` holds `perm` (any of them, for a tuple)."""
    perms = perm if isinstance(perm, tuple) else (perm,)
    return any(p in ROLE_PERMISSIONS[role] for p in perms)


def _finish(
    expect: dict[str, Expect],
    over: Mapping[str, Expect] | None,
    xfail: Mapping[str, str] | None,
    **kwargs: Any,
) -> Entry:
    for key, value in (over or {}).items():
        assert key in expect, f"override of an unknown case {key}"
        expect[key] = value
    for key in xfail or {}:
        assert key in expect, f"xfail of an unknown case {key}"
    return Entry(expect=expect, xfail=dict(xfail or {}), **kwargs)


def scoped(
    perm: str | tuple[str, ...],
    build: Builder,
    *,
    method: str = "get",
    ok: Expect = 200,
    other: Expect = 404,
    anonymous: Expect = LOGIN,
    denied: Expect = 403,
    over: Mapping[str, Expect] | None = None,
    xfail: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Entry:
    """A URL about one object of an area, guarded by `perm`: a role holding it gets `ok` on an
    object of its own area and `other` (404) outside it; a role without it gets 403 anywhere."""
    expect: dict[str, Expect] = {ANONYMOUS: anonymous}
    for role in ROLES:
        expect[f"{role}:{OWN}"] = ok if has(role, perm) else denied
        expect[f"{role}:{OTHER}"] = other if has(role, perm) else denied
    return _finish(
        expect, over, xfail, build=build, method=method, data=data, headers=dict(headers or {})
    )


def page(
    perm: str | tuple[str, ...] | None,
    *,
    method: str = "get",
    ok: Expect = 200,
    anonymous: Expect = LOGIN,
    denied: Expect = 403,
    over: Mapping[str, Expect] | None = None,
    xfail: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    build: Builder | None = None,
) -> Entry:
    """A URL without an object of an area (a list, a form to create, a dashboard): a role
    holding `perm` (any logged-in user when None) gets `ok`, others 403. A `build` may still
    give URL arguments that are not about an area (a year and month, a kind)."""
    expect: dict[str, Expect] = {ANONYMOUS: anonymous}
    for role in ROLES:
        expect[role] = ok if perm is None or has(role, perm) else denied
    return _finish(
        expect, over, xfail, build=build, method=method, data=data, headers=dict(headers or {})
    )


def everyone(**kwargs: Any) -> Entry:
    """Any logged-in user gets `ok`; anonymous visitors are sent to log in."""
    return page(None, **kwargs)


def public(ok: Expect = 200, **kwargs: Any) -> Entry:
    """Anybody, logged in or not, gets `ok`."""
    return page(None, ok=ok, anonymous=ok, **kwargs)


def roles_with(perm: str) -> Iterable[str]:
    return [role for role in ROLES if has(role, perm)]


ENTRIES: dict[str, Entry] = {
    # The home page: a different board per role, for every logged-in user.
    "core:home": everyone(),
}
