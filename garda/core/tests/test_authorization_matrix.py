"""The authorization matrix: every URL, as every role, inside and outside its area.

Every named URL pattern of the root resolver (walked recursively, with namespaces) must have an
entry, except the few in `NOT_IN_MATRIX`. A new URL without an entry fails
``test_url[<name>-missing]``, naming it; an entry whose URL is gone fails
``test_no_entry_without_url``.

Entries live next to each app: ``garda/<app>/tests/matrix.py`` defines

    ENTRIES: dict[str, Entry] = {"<namespace>:<name>": Entry, ...}

and is found by importing ``<app>.tests.matrix`` for every installed app of Garda (so the API's
``garda/api/tests/matrix.py`` joins as soon as it exists). The vocabulary is in
`garda/core/tests/matrix.py`:

- ``scoped(perm, build, method="get", ok=200, over={...})`` for a URL about one object of an
  area. `build(ctx)` makes (once per region, through ``ctx.world.once``) the object in region
  ``ctx.code`` and returns the URL's kwargs. Each role is checked on an object of its own area
  (Lumut, inside every role's area: ``"<role>:own"``) and on one just outside it
  (``"<role>:other"``: the next desa for PSM and village operator, a desa of another kecamatan for
  the coordinator, another district for Dinas and viewer). Holding `perm` gives `ok` / 404,
  lacking it 403; ``over`` states where a URL differs.
- ``page(perm, ...)`` for a URL without an object of an area: ``"<role>"`` cases, `ok` or 403.
- ``everyone()`` (any logged-in user) and ``public()`` (anybody).
- ``"anonymous"``: LOGIN (302 to the login page) by default; 401 for JSON endpoints.
- A builder may add ``"_query"`` to the kwargs it returns: a query string for the URL (pages
  about a region named in ``?wilayah=``, a report named in ``?laporan=``).
- Objects are shared through ``ctx.world.once(key, make)``: the same key in two apps' modules
  is the same object (``("keluarga", code)`` is a household of two in ``code``).

Statuses are ints, a tuple of ints (any of them), or LOGIN. Actions are POSTed with ``data``
(empty by default): the permission outcome is what is checked, so an allowed POST answers 302
(done, or refused with a message) or 200 (the form again with its errors), as its entry says.
A known authorization bug is an entry's ``xfail={"<case>": "reason"}`` (strict: fixing the bug
makes the test fail until the mark is removed).

The users and objects are made once per module inside one transaction that is rolled back at
the end; every request runs in a savepoint of its own, so actions that succeed change nothing
for the next case.
"""

import importlib
import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, OTHER_DISTRICT, make_user, other_district
from garda.core.tests.matrix import (
    ANONYMOUS,
    LOGIN,
    OTHER,
    OTHER_AREA,
    OWN,
    ROLE_HOME,
    Ctx,
    Entry,
    World,
)
from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
from garda.wilayah.models import Kind, Level, Wilayah

# URLs that are not Garda's pages, and why they stay out of the matrix.
NOT_IN_MATRIX_NAMESPACES = {
    # Django's technical admin: staff-only by Django's own checks, tested by Django.
    "admin",
}
NOT_IN_MATRIX = {
    # Django's language switch: a public POST that only sets a cookie.
    "set_language",
}
# Unnamed patterns under these prefixes are allowed (the admin's login redirect).
UNNAMED_PREFIXES = (f"{settings.GARDA_ADMIN_PATH}/",)


def url_names() -> list[str]:
    """Every named URL of the site, as "namespace:name", minus the allowlist."""
    names: list[str] = []
    unnamed: list[str] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                if inner in NOT_IN_MATRIX_NAMESPACES:
                    continue
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not pattern.name:
                    unnamed.append(route)
                    continue
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                if name not in NOT_IN_MATRIX:
                    names.append(name)

    walk(get_resolver(), "", None)
    for route in unnamed:
        if not route.startswith(UNNAMED_PREFIXES):
            names.append(f"<unnamed {route}>")
    return sorted(set(names))


def matrix_entries() -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("garda."):
            continue
        module_name = f"{config.name}.tests.matrix"
        if importlib.util.find_spec(f"{config.name}.tests") is None:
            continue
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        for name, entry in module.ENTRIES.items():
            assert name not in entries, f"{name} has two matrix entries"
            entries[name] = entry
    return entries


NAMES = url_names()
ENTRIES = matrix_entries()


def case_params(names: list[str], entries: dict[str, Entry]) -> Iterator[Any]:
    """One case per URL name and principal (and area); one failing case per name without an
    entry."""
    for name in names:
        entry = entries.get(name)
        if entry is None:
            yield pytest.param(name, "missing", id=f"{name}-missing")
            continue
        for key in entry.expect:
            marks = []
            if key in entry.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=entry.xfail[key]))
            yield pytest.param(name, key, id=f"{name}-{key}", marks=marks)


def load_bangka() -> None:
    """What the `bangka` fixture loads (a function-scoped fixture cannot serve a module)."""
    if Wilayah.objects.filter(code=BANGKA).exists():
        return
    wilayah_load(source=BANGKA_SOURCE, scope=BANGKA)
    Wilayah.objects.create(
        code=OTHER_DISTRICT,
        name="Kabupaten Bangka Barat",
        level=Level.KABUPATEN,
        kind=Kind.KABUPATEN,
        parent_id="19",
    )
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)
    other_district()


# The reference data of the root conftest's `bangka` fixture.
REFERENCE_DATA = (
    ("garda.pilar.migrations.0002_pilar_types", "add_types"),
    ("garda.registry.migrations.0002_ppks_types", "add_types"),
    ("garda.programs.migrations.0002_national_programmes", "add_programmes"),
    ("garda.activities.migrations.0002_activity_types", "add_types"),
    ("garda.monitoring.migrations.0002_indicators", "add_indicators"),
)


class StubPdf:
    """The PDF engine's stand-in: the matrix checks who gets a PDF, and the template is still
    rendered with the real data; the apps' own tests make real PDFs (each takes ~0.3 s)."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def write_pdf(self) -> bytes:
        return b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> Iterator[World]:
    """Users for every role and the objects of the selected cases; rolled back at the end."""
    wanted: set[tuple[str, str]] = {
        (str(item.callspec.params["name"]), str(item.callspec.params["key"]))
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.module is request.module
        and hasattr(item, "callspec")
    }
    with (
        pytest.MonkeyPatch.context() as patch,
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        patch.setattr("garda.core.pdf.HTML", StubPdf)
        load_bangka()
        world = World()
        from garda.pilar.tests.factories import psm_with_account

        for role in Role:
            if role == Role.PSM:
                pilar = psm_with_account(code=ROLE_HOME[role])
                assert pilar.user is not None
                world.add_user(role, pilar.user)
            else:
                world.add_user(role, make_user(role, ROLE_HOME[role]))
        build_all(world, wanted)
        yield world
        transaction.set_rollback(True)


def expected_matches(expected: Any, response: Any) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(
            reverse(settings.LOGIN_URL)
        )
    if isinstance(expected, tuple):
        return response.status_code in expected
    return response.status_code == expected


def describe(response: Any) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} -> {response['Location']}"
    return str(response.status_code)


def object_region(key: str) -> str:
    """Where the object of a case lives: Lumut for "own" (and anonymous), else just outside."""
    role, _, area = key.partition(":")
    return OTHER_AREA[role] if area == OTHER else LUMUT


def build_all(world: World, wanted: set[tuple[str, str]]) -> None:
    """The URL kwargs of the cases to run, made before the tests (in the module's
    transaction)."""
    for name, entry in ENTRIES.items():
        if entry.build is None:
            continue
        for key in entry.expect:
            if (name, key) not in wanted:
                continue
            role, _, area = key.partition(":")
            ctx = Ctx(
                world=world,
                code=object_region(key),
                role=None if role == ANONYMOUS else role,
                area=area or OWN,
            )
            try:
                with transaction.atomic():  # a failed build leaves the shared data as it was
                    world.kwargs[name, key] = dict(entry.build(ctx))
            except Exception as error:
                world.kwargs[name, key] = error


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key"), list(case_params(NAMES, ENTRIES)))
def test_url(world: World, name: str, key: str) -> None:
    assert key != "missing", f"{name} has no entry in the authorization matrix"
    entry = ENTRIES[name]
    role = key.partition(":")[0]
    made = world.kwargs.get((name, key), {})
    if isinstance(made, Exception):
        raise AssertionError(f"could not make the object for {name} ({key})") from made
    kwargs = dict(made)
    query = kwargs.pop("_query", "")
    url = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
    client = world.client(None if role == ANONYMOUS else role)
    request = getattr(client, entry.method)
    if entry.method == "post":
        response = request(url, dict(entry.data or {}), headers=dict(entry.headers))
    else:
        response = request(url, headers=dict(entry.headers))
    expected = entry.expect[key]
    assert expected_matches(expected, response), (
        f"{entry.method.upper()} {url} as {key}: expected {expected}, got {describe(response)}"
    )


def test_the_walk_finds_the_apps_urls_and_leaves_out_only_the_allowlist() -> None:
    assert {"core:home", "accounts:login", "cases:detail", "monitoring:dashboard"} <= set(NAMES)
    assert not [name for name in NAMES if name.startswith("admin:") or name == "set_language"]
    assert not [name for name in NAMES if name.startswith("<unnamed")]


def test_a_url_without_an_entry_becomes_a_failing_case() -> None:
    entry = ENTRIES["core:home"]
    cases = [param.id for param in case_params(["core:home", "uji:baru"], {"core:home": entry})]
    assert cases == [f"core:home-{key}" for key in entry.expect] + ["uji:baru-missing"]


def test_no_entry_without_url() -> None:
    """An entry for a URL that no longer exists is a mistake in the matrix."""
    assert sorted(set(ENTRIES) - set(NAMES)) == []
