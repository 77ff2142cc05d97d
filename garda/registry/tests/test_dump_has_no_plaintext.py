"""Issue 4, "done when": a database dump contains no NIK or No KK in plain text.

Residents, their households and a PSM are made through the real services and the whole
database is dumped as SQL text: SQLite's `iterdump()`, or `pg_dump` on PostgreSQL (skipped if
pg_dump is missing). No NIK or No KK digit string may appear anywhere in it: only ciphertext
and blind indexes.
"""

import datetime
import os
import shutil
import subprocess

import pytest
from django.db import connection

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BINTET, LUMUT, make_user
from garda.pilar import services as pilar_services
from garda.pilar.models import PSM, PilarType
from garda.registry.models import Relation
from garda.wilayah.models import Wilayah

from .test_privacy import household, next_nik, resident

# pg_dump reads through another connection, so on PostgreSQL the data must be committed: a
# transactional test (the tables are emptied after it). SQLite dumps the test's own connection,
# so there the test stays inside its rolled-back transaction and disturbs nothing.
pytestmark = pytest.mark.django_db(transaction=connection.vendor == "postgresql")


def dump_database() -> str:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    if connection.vendor != "postgresql":
        pytest.skip(f"no dump tool known for {connection.vendor}")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed (Debian package postgresql-client)")
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [pg_dump, "--no-owner", "--data-only", "--dbname", db["NAME"]]
    if db.get("HOST"):
        command += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        command += ["--port", str(db["PORT"])]
    if db.get("USER"):
        command += ["--username", str(db["USER"])]
    result = subprocess.run(  # noqa: S603 - pg_dump with the test database's own settings
        command, capture_output=True, check=True, text=True, env=env
    )
    return result.stdout


def test_a_database_dump_holds_no_nik_or_no_kk_in_plain_text(bangka):
    lumut = household(LUMUT)
    bintet = household(BINTET)
    people = [
        resident(lumut, name="Siti Aminah", relation=Relation.KEPALA),
        resident(lumut, name="Budi Santoso", relation=Relation.ANAK),
        resident(bintet, name="Rohana", relation=Relation.KEPALA),
    ]
    # A transactional test that ran before may have emptied the types the migrations loaded.
    psm_type, _created = PilarType.objects.get_or_create(code=PSM, defaults={"name": "PSM"})
    psm = pilar_services.pilar_register(
        actor=make_user(Role.ADMIN_DINAS, BANGKA),
        jenis=psm_type,
        wilayah=Wilayah.objects.get(code=LUMUT),
        data={
            "name": "Rina Marlina",
            "nik": next_nik(),
            "sex": "P",
            "birth_date": datetime.date(1990, 7, 5),
        },
    )
    secrets = [p.nik for p in people] + [psm.nik, lumut.no_kk, bintet.no_kk]
    assert all(len(s) == 16 and s.isdigit() for s in secrets)

    dump = dump_database()

    assert "Siti Aminah" in dump  # the dump really holds the rows
    for secret in secrets:
        assert secret not in dump, "a NIK or No KK is stored in plain text"
