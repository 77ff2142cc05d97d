"""Import of members from XLSX and CSV: the issue's acceptance test, what Excel does to files,
all-or-nothing, idempotency, and who may import what."""

import csv
import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.errors import GardaError
from garda.core.testing import BANGKA, BELINYU, LUMUT, ScopedViewContract, client_for, make_user
from garda.pilar import importer, services
from garda.pilar.models import ImportBatch, ImportStatus, Pilar, Placement, Status, StatusEvent
from garda.wilayah.models import Level, Wilayah

from .factories import register_psm

HEADER = list(importer.COLUMN_NAMES)
IMPORT = reverse("pilar:import")


# --- making files ------------------------------------------------------------------------------


def nik_for(serial: int, *, birth: datetime.date, sex: str, kecamatan: int = 2) -> str:
    """A valid NIK `PP KK CC DD MM YY SSSS` issued in a Bangka kecamatan (women: day + 40)."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"1901{kecamatan:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def member(i: int, desa: list[str], **overrides: Any) -> dict[str, Any]:
    """Row `i` of a PSM file: a valid member with a NIK of their own, serving in a Bangka desa."""
    birth = datetime.date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
    sex = "P" if i % 2 else "L"
    row = {
        "jenis": "psm",
        "nik": nik_for(i + 1, birth=birth, sex=sex, kecamatan=1 + i % 8),
        "nama": f"Anggota Uji {i:04d}",
        "jenis_kelamin": sex,
        "tanggal_lahir": birth.strftime("%d/%m/%Y"),
        "telepon": f"0812{i:08d}",
        "kode_wilayah": desa[i % len(desa)],
        "status": "aktif",
    }
    return row | overrides


def bangka_desa() -> list[str]:
    return list(
        Wilayah.objects.filter(level=Level.DESA, code__startswith="19.01.").values_list(
            "code", flat=True
        )
    )


def xlsx_file(rows: list[dict[str, Any]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(
    rows: list[dict[str, Any]],
    *,
    delimiter: str = ",",
    bom: bool = False,
    encoding: str = "utf-8",
    header: list[str] = HEADER,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def upload(client: Client, content: bytes, name: str = "psm.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def upload_batch(client: Client, content: bytes, name: str = "psm.xlsx") -> ImportBatch:
    response = upload(client, content, name)
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportBatch.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def apply(client: Client, batch: ImportBatch) -> ImportBatch:
    response = client.post(reverse("pilar:import_apply", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    return batch


def errors_of(batch: ImportBatch) -> list[dict[str, Any]]:
    return [p for p in batch.problems if p["level"] == "error"]


def counts(batch: ImportBatch) -> tuple[int, int, int, int]:
    return (batch.new_count, batch.updated_count, batch.unchanged_count, batch.bad_count)


@pytest.fixture
def admin(bangka):
    return make_user(Role.ADMIN_DINAS, BANGKA)


@pytest.fixture
def admin_client(admin) -> Client:
    return client_for(admin)


# --- the acceptance test ---------------------------------------------------------------


def test_thousand_rows_fifty_bad_then_fixed_then_the_same_file_again(admin_client):
    desa = bangka_desa()
    fixed = [member(i, desa) for i in range(1000)]
    rows = [dict(row) for row in fixed]
    expected: dict[tuple[int, str], str] = {}  # (spreadsheet row, column) -> part of the reason
    for k in range(10):
        i = 5 + 100 * k
        rows[i]["nik"] = rows[i]["nik"][:15]
        expected[(i + 2, "nik")] = "16"
        i = 15 + 100 * k
        rows[i]["kode_wilayah"] = "19.01.02.2999"
        expected[(i + 2, "kode_wilayah")] = "19.01.02.2999"
        i = 25 + 100 * k
        for name in ("nik", "tanggal_lahir", "jenis_kelamin"):
            rows[i][name] = rows[i - 1][name]
        expected[(i + 2, "nik")] = f"row {i + 1}"
        i = 35 + 100 * k
        rows[i]["nama"] = ""
        expected[(i + 2, "nama")] = "name is empty"
        i = 45 + 100 * k
        rows[i]["tanggal_lahir"] = "31/02/1990"
        expected[(i + 2, "tanggal_lahir")] = "31/02/1990"
    admin_client.cookies["django_language"] = "en"

    batch = upload_batch(admin_client, xlsx_file(rows))

    found = {(p["row"], p["column"]): p["message"] for p in errors_of(batch)}
    assert set(found) == set(expected)
    for key, part in expected.items():
        assert part in found[key], (key, found[key])
    assert not [p for p in batch.problems if p["level"] == "warning"]
    assert counts(batch) == (950, 0, 0, 50)
    assert batch.row_count == 1000
    assert Pilar.objects.count() == 0
    page = admin_client.get(batch.get_absolute_url()).content.decode()
    assert page.count('<td data-label="Row" class="num">') == 50
    assert "Unknown region code 19.01.02.2999." in page
    assert "Apply the import" not in page
    apply(admin_client, batch)  # refused: the file has errors
    assert Pilar.objects.count() == 0
    assert batch.status == ImportStatus.PREVIEW

    fixed_file = xlsx_file(fixed)
    batch = upload_batch(admin_client, fixed_file)
    assert counts(batch) == (1000, 0, 0, 0)
    assert "Apply the import" in admin_client.get(batch.get_absolute_url()).content.decode()
    batch = apply(admin_client, batch)
    assert batch.status == ImportStatus.APPLIED
    assert Pilar.objects.count() == 1000
    assert Pilar.objects.filter(status=Status.AKTIF, jenis__code="psm").count() == 1000
    member_events = AuditEvent.objects.filter(object_type="pilar.pilar").count()

    again = upload_batch(admin_client, fixed_file)
    assert counts(again) == (0, 0, 1000, 0)
    assert "applied already" in admin_client.get(again.get_absolute_url()).content.decode()
    again = apply(admin_client, again)
    assert again.status == ImportStatus.APPLIED
    apply(admin_client, batch)  # applying the first batch twice does nothing either
    assert Pilar.objects.count() == 1000
    assert AuditEvent.objects.filter(object_type="pilar.pilar").count() == member_events
    assert Placement.objects.count() == 1000
    assert StatusEvent.objects.count() == 1000


# --- what Excel does ---------------------------------------------------------------------------


def test_csv_with_semicolons_bom_spaces_and_mixed_case(admin, admin_client):
    desa = bangka_desa()
    rows = [
        member(
            0, desa, jenis=" PSM ", jenis_kelamin=" l ", status="AKTIF", nama="  Budi   Santoso "
        ),
        member(1, desa, jenis_kelamin="p", status="", tanggal_lahir="02-02-1961"),
        member(2, desa, agama="Islam", pendidikan="SMK", tanggal_lahir="1962-03-03"),
    ]
    rows[2]["nik"] = f" {rows[2]['nik'][:6]} {rows[2]['nik'][6:]} "
    content = csv_file(rows, delimiter=";", bom=True)

    batch = upload_batch(admin_client, content, "psm.csv")

    assert errors_of(batch) == []
    assert counts(batch) == (3, 0, 0, 0)
    apply(admin_client, batch)
    first = Pilar.objects.get(name="Budi Santoso")
    assert (first.sex, first.status, first.jenis.code) == ("L", Status.AKTIF, "psm")
    second = Pilar.objects.get(name="Anggota Uji 0001")
    assert second.status == Status.CALON  # no status in the file: a candidate
    assert second.birth_date == datetime.date(1961, 2, 2)
    third = Pilar.objects.get(name="Anggota Uji 0002")
    assert (third.religion, third.education) == ("islam", "sma")
    assert third.birth_date == datetime.date(1962, 3, 3)
    assert third.nik == rows[2]["nik"].replace(" ", "")


def test_csv_with_commas_and_no_bom(admin_client):
    batch = upload_batch(admin_client, csv_file([member(0, bangka_desa())]), "psm.csv")
    assert counts(batch) == (1, 0, 0, 0)


def test_other_encodings_are_refused_with_a_clear_message(admin_client):
    content = csv_file([member(0, bangka_desa(), nama="Sœur Müller")], encoding="cp1252")
    admin_client.cookies["django_language"] = "en"

    response = upload(admin_client, content, "psm.csv")

    assert response.status_code == 200
    assert "not in UTF-8" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_missing_columns_are_refused_before_any_row_is_checked(admin_client):
    admin_client.cookies["django_language"] = "en"
    response = upload(admin_client, csv_file([], header=["jenis", "nama"]), "psm.csv")
    assert "kode_wilayah" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_excel_number_and_date_cells(admin_client):
    """A NIK typed as a number stays exact (Bangka NIKs start with 1, 16 digits fit a double);
    a phone number loses its leading 0 in Excel and gets it back; date cells and serial numbers
    are dates; dd/mm/yyyy text too."""
    desa = bangka_desa()
    rows = [member(i, desa) for i in range(4)]
    rows[0]["nik"] = int(rows[0]["nik"])
    rows[0]["telepon"] = 81234567890
    rows[0]["tanggal_lahir"] = datetime.datetime(1960, 1, 1)  # noqa: DTZ001 - as Excel has it
    rows[1]["nik"] = float(rows[1]["nik"])
    rows[1]["tanggal_lahir"] = (datetime.date(1961, 2, 2) - datetime.date(1899, 12, 30)).days
    rows[2]["tanggal_bergabung"] = datetime.date(2019, 3, 1)
    rows[3]["rt"], rows[3]["rw"] = 1, 12

    batch = upload_batch(admin_client, xlsx_file(rows))

    assert errors_of(batch) == []
    apply(admin_client, batch)
    first = Pilar.objects.get(nik_hash=services.nik_hash(str(rows[0]["nik"])))
    assert first.phone == "081234567890"
    assert first.birth_date == datetime.date(1960, 1, 1)
    second = Pilar.objects.get(nik_hash=services.nik_hash(str(int(rows[1]["nik"]))))
    assert second.birth_date == datetime.date(1961, 2, 2)
    assert Pilar.objects.get(name=rows[2]["nama"]).joined_on == datetime.date(2019, 3, 1)
    assert Pilar.objects.values_list("rt", "rw").get(name=rows[3]["nama"]) == ("1", "12")


def test_nik_number_ending_in_zero_is_a_warning(admin_client):
    row = member(9, bangka_desa())  # serial 0010: Excel may have rounded the 16th digit
    row["nik"] = int(row["nik"])
    batch = upload_batch(admin_client, xlsx_file([row]))
    assert counts(batch) == (1, 0, 0, 0)
    assert [p["column"] for p in batch.problems if p["level"] == "warning"] == ["nik"]
    apply(admin_client, batch)
    assert Pilar.objects.get().nik_note == ""  # not a NIK disagreement: no note needed


def test_scientific_notation_is_refused_not_guessed(admin_client):
    row = member(0, bangka_desa(), nik="1.90102450790001E+15")
    admin_client.cookies["django_language"] = "en"
    batch = upload_batch(admin_client, csv_file([row]), "psm.csv")
    [problem] = errors_of(batch)
    assert (problem["row"], problem["column"]) == (2, "nik")
    assert "scientific notation" in problem["message"]
    assert "1.90102450790001E+15" in problem["message"]


def test_bad_codes_dates_and_status_name_the_column(admin_client):
    desa = bangka_desa()
    rows = [
        member(0, desa, jenis="psn"),
        member(1, desa, status="pensiun"),
        member(2, desa, jenis_kelamin="X"),
        member(3, desa, tanggal_bergabung="2019/13/45"),
        member(4, desa, tanggal_lahir="17 Agustus 1990"),
        member(5, desa, email="bukan-email"),
        member(6, desa, rt="0001"),
        member(7, desa, kode_wilayah="19.01.02"),  # a PSM serves a desa, not a kecamatan
    ]
    batch = upload_batch(admin_client, xlsx_file(rows))
    assert [(p["row"], p["column"]) for p in errors_of(batch)] == [
        (2, "jenis"),
        (3, "status"),
        (4, "jenis_kelamin"),
        (5, "tanggal_bergabung"),
        (6, "tanggal_lahir"),
        (7, "email"),
        (8, "rt"),
        (9, "kode_wilayah"),
    ]
    assert counts(batch) == (0, 0, 0, 8)


def test_a_row_outside_the_actors_area_is_refused(bangka):
    """A kecamatan-bound importer does not exist among the roles, so the actor is a Dinas
    administrator of Bangka and the row serves in Bangka Barat (a Tagana serves a kabupaten)."""
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    rows = [member(0, bangka_desa()), member(1, ["19.02"], jenis="tagana")]
    batch = upload_batch(client, xlsx_file(rows))
    [problem] = errors_of(batch)
    assert (problem["row"], problem["column"]) == (3, "kode_wilayah")
    assert counts(batch) == (1, 0, 0, 1)


# --- idempotency, updates and warnings -----------------------------------------------------------


def test_a_registered_nik_is_updated_moved_and_its_status_changed(admin, admin_client):
    existing = register_psm(
        code=LUMUT,
        actor=admin,
        phone="0811111111",
        status=Status.CALON,
        joined_on=datetime.date(2020, 1, 1),
    )
    assert existing.birth_date is not None
    row = {
        "jenis": "psm",
        "nik": existing.nik,
        "nama": existing.name,
        "jenis_kelamin": existing.sex,
        "tanggal_lahir": existing.birth_date.strftime("%d/%m/%Y"),
        "kode_wilayah": LUMUT,
    }

    unchanged = upload_batch(admin_client, xlsx_file([row]))
    assert counts(unchanged) == (0, 0, 1, 0)

    row |= {"telepon": "0822222222", "status": "aktif", "kode_wilayah": "19.01.02.2008"}
    batch = upload_batch(admin_client, xlsx_file([row]))
    assert counts(batch) == (0, 1, 0, 0)
    [update] = [p for p in batch.problems if p["level"] == "update"]
    assert update["column"] == "telepon, kode_wilayah, status"
    apply(admin_client, batch)
    existing.refresh_from_db()
    assert (existing.phone, existing.status, existing.wilayah_id) == (
        "0822222222",
        Status.AKTIF,
        "19.01.02.2008",
    )
    assert existing.placements.count() == 2
    assert existing.status_events.count() == 2
    assert Pilar.objects.count() == 1


def test_empty_cells_keep_stored_values(admin, admin_client):
    existing = register_psm(code=LUMUT, actor=admin, phone="0811111111", occupation="Petani")
    row = {"jenis": "psm", "nik": existing.nik, "nama": existing.name, "kode_wilayah": LUMUT}
    batch = upload_batch(admin_client, xlsx_file([row]))
    assert counts(batch) == (0, 0, 1, 0)


def test_a_nik_registered_for_another_type_is_refused(admin, admin_client):
    existing = register_psm(code=LUMUT, actor=admin)
    row = {"jenis": "tksk", "nik": existing.nik, "nama": existing.name, "kode_wilayah": BELINYU}
    batch = upload_batch(admin_client, xlsx_file([row]))
    assert [p["column"] for p in errors_of(batch)] == ["jenis"]


def test_nik_warnings_do_not_block_and_become_the_note(admin_client):
    desa = bangka_desa()
    admin_client.cookies["django_language"] = "en"
    rows = [
        member(0, desa, jenis_kelamin="P"),  # a man's NIK
        member(2, desa, tanggal_lahir="09/09/1962", catatan_nik="Tanggal di KTP salah cetak"),
    ]
    batch = upload_batch(admin_client, xlsx_file(rows))
    assert errors_of(batch) == []
    assert [p["row"] for p in batch.problems if p["level"] == "warning"] == [2, 3]
    apply(admin_client, batch)
    assert "woman" in Pilar.objects.get(name=rows[0]["nama"]).nik_note
    assert Pilar.objects.get(name=rows[1]["nama"]).nik_note == "Tanggal di KTP salah cetak"
    again = upload_batch(admin_client, xlsx_file(rows))
    assert counts(again) == (0, 0, 2, 0)


def test_organisations_are_recognised_by_type_region_and_name(admin_client):
    rows = [{"jenis": "karang_taruna", "nama": "Karang Taruna Lumut", "kode_wilayah": LUMUT}]
    batch = apply(admin_client, upload_batch(admin_client, xlsx_file(rows + rows)))
    assert [p["column"] for p in errors_of(batch)] == ["nama"]  # the same one twice
    batch = apply(admin_client, upload_batch(admin_client, xlsx_file(rows)))
    assert batch.status == ImportStatus.APPLIED
    again = upload_batch(admin_client, xlsx_file(rows))
    assert counts(again) == (0, 0, 1, 0)
    assert Pilar.objects.count() == 1


# --- all or nothing ----------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_nothing(admin_client, monkeypatch):
    rows = [member(i, bangka_desa()) for i in range(5)]
    batch = upload_batch(admin_client, xlsx_file(rows))
    real_register = services.pilar_register
    calls = []

    def register_until_the_fourth(**kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise GardaError("Sengaja gagal")
        return real_register(**kwargs)

    monkeypatch.setattr(services, "pilar_register", register_until_the_fourth)

    batch = apply(admin_client, batch)

    assert Pilar.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="pilar.pilar").count() == 0
    assert batch.status == ImportStatus.FAILED
    assert errors_of(batch)[-1] == {
        "row": 5,
        "column": "",
        "message": "Sengaja gagal",
        "level": "error",
    }
    monkeypatch.undo()
    assert apply(admin_client, batch).status == ImportStatus.FAILED  # a failed batch stays so
    assert Pilar.objects.count() == 0


def test_changes_since_the_preview_stop_the_apply(admin, admin_client):
    rows = [member(i, bangka_desa()) for i in range(3)]
    batch = upload_batch(admin_client, xlsx_file(rows))
    register_psm(
        code=rows[0]["kode_wilayah"],
        actor=admin,
        nik=rows[0]["nik"],
        name="Didaftarkan Lewat Formulir",
        sex=rows[0]["jenis_kelamin"],
        birth_date=datetime.date(1960, 1, 1),  # member 0
    )

    batch = apply(admin_client, batch)

    assert batch.status == ImportStatus.PREVIEW
    assert counts(batch) == (2, 1, 0, 0)
    assert Pilar.objects.count() == 1
    batch = apply(admin_client, batch)  # the user saw the new result and applies again
    assert batch.status == ImportStatus.APPLIED
    assert Pilar.objects.count() == 3


def test_apply_from_htmx_redirects_the_whole_page(admin_client):
    batch = upload_batch(admin_client, xlsx_file([member(0, bangka_desa())]))
    response = admin_client.post(
        reverse("pilar:import_apply", args=[batch.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == batch.get_absolute_url()
    assert Pilar.objects.count() == 1


def test_the_apply_button_disables_itself_and_says_it_is_working(admin_client):
    batch = upload_batch(admin_client, xlsx_file([member(0, bangka_desa())]))
    page = admin_client.get(batch.get_absolute_url()).content.decode()
    assert 'hx-disabled-elt="find button"' in page
    assert 'hx-indicator="#import-working"' in page
    assert 'id="import-working"' in page
    assert "<script" not in page.split("</head>", 1)[1]
    assert " style=" not in page


# --- the template ------------------------------------------------------------------------------


def test_template_has_the_columns_instructions_and_lists(admin_client):
    response = admin_client.get(reverse("pilar:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    data, guide = workbook.worksheets
    assert [c.value for c in data[1]] == HEADER
    assert guide.title == "Petunjuk"
    guide_text = [c.value for row in guide.iter_rows() for c in row if c.value]
    assert set(HEADER) <= set(guide_text)
    assert {"psm", "tksk", "tagana", "calon", "meninggal", "L", "P"} <= set(guide_text)
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in data.data_validations.dataValidation}
    assert set(lists) == {"A2", "D2", "G2", "H2", "S2"}  # jenis, L/P, agama, pendidikan, status
    assert data.column_dimensions["B"].number_format == "@"  # the NIK stays text


def test_the_filled_template_imports(admin_client):
    template = admin_client.get(reverse("pilar:import_template")).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    row = member(0, bangka_desa())
    workbook.worksheets[0].append([row.get(name) for name in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload_batch(admin_client, buffer.getvalue())
    assert counts(batch) == (1, 0, 0, 0)


# --- who may import ----------------------------------------------------------------------------


@pytest.mark.parametrize("role,code", [(Role.KOORDINATOR, BELINYU), (Role.PSM, LUMUT)])
def test_roles_without_manage_pilar_get_403(bangka, role, code):
    client = client_for(make_user(role, code))
    assert client.get(IMPORT).status_code == 403
    assert client.get(reverse("pilar:import_template")).status_code == 403
    response = upload(client, xlsx_file([member(0, bangka_desa())]))
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_anonymous_upload_goes_to_login(bangka):
    response = Client().get(IMPORT)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


class ImportBatchContract(ScopedViewContract):
    """Batches belong to the uploader's district: another district's admin finds nothing."""

    allowed = (Role.ADMIN_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BANGKA
    other_area = "19.02"

    def make_object(self, code):
        return ImportBatch.objects.create(
            wilayah_id=code,
            file=SimpleUploadedFile("x.csv", b"jenis,nik,nama,kode_wilayah\r\n"),
            file_name="x.csv",
            sha256="0" * 64,
        )


class TestImportPreview(ImportBatchContract):
    def url_for(self, obj):
        return reverse("pilar:import_detail", args=[obj.pk])


class TestImportApply(ImportBatchContract):
    method = "post"
    ok_status = 302

    def url_for(self, obj):
        return reverse("pilar:import_apply", args=[obj.pk])
