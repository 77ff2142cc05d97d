"""`manage.py rotate_keys`: every encrypted value moves to the newest key, resumably; the blind
indexes can be recomputed under a new index key."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from garda.accounts.models import TwoFactorDevice
from garda.accounts.roles import Role
from garda.accounts.twofactor import two_factor_begin
from garda.core import crypto
from garda.core.fields import EncryptedTextField
from garda.core.management.commands import rotate_keys
from garda.core.testing import BANGKA, LUMUT, make_user
from garda.pilar import services as pilar_services
from garda.pilar.models import PSM, Pilar, PilarType
from garda.registry import services as registry_services
from garda.registry.models import Individu, Keluarga
from garda.registry.tests.test_privacy import household, next_nik, resident
from garda.wilayah.models import Wilayah

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def use_keys(settings, *keys: str) -> None:
    settings.GARDA_ENCRYPTION_KEYS = list(keys)
    crypto.clear_key_cache()


@pytest.fixture(autouse=True)
def fresh_key_cache():
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()


@pytest.fixture
def people(bangka, settings):
    """Residents, a household, a PSM and a 2FA secret, all written under key A alone."""
    use_keys(settings, KEY_A)
    keluarga = household(LUMUT)
    residents = [resident(keluarga, name=f"Warga {index}") for index in range(5)]
    admin = make_user(Role.ADMIN_DINAS, BANGKA)
    psm = pilar_services.pilar_register(
        actor=admin,
        jenis=PilarType.objects.get(code=PSM),
        wilayah=Wilayah.objects.get(code=LUMUT),
        data={"name": "Rina", "nik": next_nik(), "sex": "P", "birth_date": residents[0].birth_date},
    )
    secret = two_factor_begin(user=admin)
    return {
        "keluarga": keluarga,
        "residents": residents,
        "psm": psm,
        "admin": admin,
        "secret": secret,
        "niks": {r.pk: r.nik for r in residents},
    }


def run(*args: str) -> str:
    """The command's output, in its English msgids whatever the catalogue says."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("rotate_keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed test names
        return [value for (value,) in cursor.fetchall() if value]


def readable_with_b_alone(settings, people) -> None:
    use_keys(settings, KEY_B)
    for pk, nik in people["niks"].items():
        assert Individu.objects.get(pk=pk).nik == nik
    assert Keluarga.objects.get(pk=people["keluarga"].pk).no_kk == people["keluarga"].no_kk
    assert Pilar.objects.get(pk=people["psm"].pk).nik == people["psm"].nik
    device = TwoFactorDevice.objects.get(user=people["admin"])
    assert crypto.decrypt(device.secret_encrypted) == people["secret"]


def test_discovers_every_encrypted_column():
    found = {(model._meta.label, name) for model, name in rotate_keys.encrypted_columns()}
    assert {
        ("registry.Individu", "nik"),
        ("registry.Keluarga", "no_kk"),
        ("pilar.Pilar", "nik"),
        ("accounts.TwoFactorDevice", "secret_encrypted"),
    } <= found
    assert rotate_keys.undeclared_blind_indexes() == []


def test_every_encrypted_field_with_a_hash_column_has_a_declared_blind_index():
    """A new model with an encrypted field and its `<field>_hash` must be added to BLIND_INDEXES
    (the command refuses to run otherwise; this test says so earlier)."""
    for model, name in rotate_keys.encrypted_columns():
        if isinstance(model._meta.get_field(name), EncryptedTextField) and any(
            f.name == f"{name}_hash" for f in model._meta.concrete_fields
        ):
            assert f"{name}_hash" in rotate_keys.BLIND_INDEXES[model._meta.label]


def test_values_under_a_are_readable_after_rotating_to_b(settings, people):
    use_keys(settings, KEY_B)
    with pytest.raises(ImproperlyConfigured):  # B alone cannot read what A wrote
        Individu.objects.get(pk=people["residents"][0].pk)
    use_keys(settings, KEY_B, KEY_A)
    before = raw("registry_individu", "nik")
    output = run()
    assert "registry.Individu.nik: 5 re-encrypted, 0 current, 0 empty" in output
    assert "registry.Keluarga.no_kk: 1 re-encrypted" in output
    assert "pilar.Pilar.nik: 1 re-encrypted" in output
    assert "accounts.TwoFactorDevice.secret_encrypted: 1 re-encrypted" in output
    assert set(raw("registry_individu", "nik")).isdisjoint(before)
    readable_with_b_alone(settings, people)


def test_running_twice_changes_nothing_more(settings, people):
    use_keys(settings, KEY_B, KEY_A)
    run()
    after_first = raw("registry_individu", "nik")
    output = run()
    assert "registry.Individu.nik: 0 re-encrypted, 5 current, 0 empty" in output
    assert raw("registry_individu", "nik") == after_first


def test_an_interrupted_run_is_finished_by_the_next(settings, people, monkeypatch):
    use_keys(settings, KEY_B, KEY_A)
    real, calls = crypto.reencrypt, []

    def failing(token: str) -> str:
        calls.append(token)
        if len(calls) == 5:  # 2FA secret, PSM, residents 1-2 (committed), resident 3
            raise RuntimeError("power cut")
        return real(token)

    monkeypatch.setattr(crypto, "reencrypt", failing)
    with pytest.raises(RuntimeError):
        run("--batch-size", "2")
    monkeypatch.setattr(crypto, "reencrypt", real)
    # The first batch of two was committed; the batch that failed was rolled back.
    output = run("--batch-size", "2")
    assert "registry.Individu.nik: 3 re-encrypted, 2 current, 0 empty" in output
    readable_with_b_alone(settings, people)


def test_check_changes_nothing_and_fails_while_values_wait(settings, people):
    use_keys(settings, KEY_B, KEY_A)
    before = raw("registry_individu", "nik")
    with pytest.raises(CommandError, match="still need rotating"):
        run("--check")
    assert raw("registry_individu", "nik") == before
    run()
    assert "0 to re-encrypt" in run("--check")


def test_a_value_no_key_can_read_stops_with_a_clear_error(settings, people):
    use_keys(settings, KEY_B)  # key A is gone before the values were moved
    with pytest.raises(CommandError, match="cannot be decrypted"):
        run()


def test_empty_values_are_left_alone(settings, bangka):
    use_keys(settings, KEY_A)
    admin = make_user(Role.ADMIN_DINAS, BANGKA)
    pilar_services.pilar_register(
        actor=admin,
        jenis=PilarType.objects.get(code="lks"),  # an organisation: no NIK
        wilayah=Wilayah.objects.get(code=LUMUT),
        data={"name": "LKS Harapan"},
    )
    use_keys(settings, KEY_B, KEY_A)
    assert "pilar.Pilar.nik: 0 re-encrypted, 0 current, 1 empty" in run()


# --- blind indexes ------------------------------------------------------------------------------


def test_blind_index_recompute_makes_exact_search_work_under_the_new_index_key(settings, people):
    old_key = settings.GARDA_BLIND_INDEX_KEY
    first = people["residents"][0]
    settings.GARDA_BLIND_INDEX_KEY = "a new blind index key, long and random"
    # The new key alone: the stored indexes no longer find anyone.
    assert not Individu.objects.filter(nik_hash=registry_services.nik_hash(first.nik)).exists()

    output = run("--blind-index-from", old_key)
    assert "registry.Individu.nik_hash: 5 recomputed, 0 current, 0 empty" in output
    assert "registry.Keluarga.no_kk_hash: 1 recomputed" in output
    assert "pilar.Pilar.nik_hash: 1 recomputed" in output

    assert Individu.objects.get(nik_hash=registry_services.nik_hash(first.nik)) == first
    keluarga = people["keluarga"]
    assert Keluarga.objects.get(no_kk_hash=registry_services.no_kk_hash(keluarga.no_kk)) == (
        keluarga
    )
    psm = people["psm"]
    assert Pilar.objects.get(nik_hash=pilar_services.nik_hash(psm.nik)) == psm
    # Uniqueness holds under the new key: the same NIK is refused again.
    from garda.core.errors import GardaError

    with pytest.raises(GardaError):
        registry_services.individu_check(data={"nik": first.nik, "name": "X", "sex": "P"})
    assert "0 recomputed, 5 current" in run("--blind-index-from", old_key)


def test_blind_index_key_from_standard_input(settings, people, monkeypatch):
    old_key = settings.GARDA_BLIND_INDEX_KEY
    settings.GARDA_BLIND_INDEX_KEY = "another new key"
    monkeypatch.setattr("sys.stdin", io.StringIO(old_key + "\n"))
    assert "registry.Individu.nik_hash: 5 recomputed" in run("--blind-index-from", "-")


def test_blind_index_check_counts_without_writing(settings, people):
    old_key = settings.GARDA_BLIND_INDEX_KEY
    settings.GARDA_BLIND_INDEX_KEY = "another new key"
    before = raw("registry_individu", "nik_hash")
    with pytest.raises(CommandError):
        run("--check", "--blind-index-from", old_key)
    assert raw("registry_individu", "nik_hash") == before


def test_refuses_an_unchanged_blind_index_key(settings, people):
    with pytest.raises(CommandError, match="equals GARDA_BLIND_INDEX_KEY"):
        run("--blind-index-from", settings.GARDA_BLIND_INDEX_KEY)


def test_the_command_index_formula_is_cryptos(settings):
    value = "1901024507900001"
    settings.GARDA_BLIND_INDEX_KEY = "some key"
    assert rotate_keys.index_under("some key", value, purpose="nik") == crypto.blind_index(
        value, purpose="nik"
    )
    assert rotate_keys.index_under("other key", value, purpose="nik") != crypto.blind_index(
        value, purpose="nik"
    )
