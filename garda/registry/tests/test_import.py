"""Import of households and residents from DTKS-layout files (issue 4, item 7): what Excel does
to files, every bad row reported and nothing written until they are fixed, idempotency,
all-or-nothing when writing fails midway, area scoping, the job page and its progress."""

import csv
import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core import crypto
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.registry import importer
from garda.registry.models import ImportJob, ImportState, Individu, Keluarga, Relation

from .factories import register_family, register_individu

IMPORT = reverse("registry:import")
# Header cells as DTKS exports and people write them: case, spaces and underscores vary.
HEADER = [
    "ID DTKS",
    "PROVINSI",
    "Kabupaten",
    "kecamatan",
    "DESA",
    "Alamat",
    "Dusun",
    "RT",
    "RW",
    "No_KK",
    "NIK",
    "Nama",
    "Tempat Lahir",
    "TANGGAL_LAHIR",
    "Jenis Kelamin",
    "Nama Ibu Kandung",
    "Hubungan Keluarga",
    "Desil",
]
BASE_BIRTH = datetime.date(1960, 1, 1)


# --- making files ------------------------------------------------------------------------------


def nik_for(i: int, *, sex: str, kecamatan: str = "190102") -> tuple[str, datetime.date]:
    """A valid NIK for person `i` (unique per i) and the birth date it encodes."""
    birth = BASE_BIRTH + datetime.timedelta(days=(i // 9999) * 53 + (i % 7) * 400)
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 9999 + 1:04d}", birth


def kk_for(k: int) -> str:
    return f"190102{k:010d}"


def family(
    k: int, *, desa: str = "Lumut", kecamatan: str = "Belinyu", members: int = 3
) -> list[dict[str, Any]]:
    """Household `k`: a head of family, a wife and children, each with their own NIK."""
    rows = []
    for m in range(members):
        i = k * 10 + m
        sex = "L" if m == 0 else "P" if m == 1 else ("L" if m % 2 else "P")
        nik, birth = nik_for(i, sex=sex)
        rows.append(
            {
                "ID DTKS": f"DTKS{k:07d}",
                "PROVINSI": "Kepulauan Bangka Belitung",
                "Kabupaten": "Kabupaten Bangka",
                "kecamatan": kecamatan,
                "DESA": desa,
                "Alamat": f"Jl. Uji No. {k}",
                "Dusun": "Dusun I",
                "RT": "001",
                "RW": "002",
                "No_KK": kk_for(k),
                "NIK": nik,
                "Nama": f"Warga Uji {i}",
                "Tempat Lahir": "Belinyu",
                "TANGGAL_LAHIR": birth.strftime("%d/%m/%Y"),
                "Jenis Kelamin": sex,
                "Nama Ibu Kandung": f"Ibu Uji {i}",
                "Hubungan Keluarga": ["Kepala Keluarga", "Istri", "Anak"][min(m, 2)],
                "Desil": 2,
            }
        )
    return rows


def dmy(text: str) -> datetime.date:
    day, month, year = (int(part) for part in text.split("/"))
    return datetime.date(year, month, day)


def families(count: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [row for k in range(1, count + 1) for row in family(k, **kwargs)]


def csv_file(
    rows: list[dict[str, Any]],
    *,
    delimiter: str = ";",
    bom: bool = True,
    encoding: str = "utf-8",
    header: list[str] = HEADER,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in header])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[dict[str, Any]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client: Client, content: bytes, name: str, capture) -> ImportJob:
    """Upload a file; the ImmediateBackend runs its check when the upload commits."""
    with capture(execute=True):
        response = client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def apply(client: Client, job: ImportJob, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post(reverse("registry:import_apply", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def errors_of(job: ImportJob) -> dict[int | None, list[dict[str, Any]]]:
    found: dict[int | None, list[dict[str, Any]]] = {}
    for problem in job.problems:
        if problem["level"] == "error":
            found.setdefault(problem["row"], []).append(problem)
    return found


def counts(job: ImportJob) -> tuple[int, int, int, int]:
    return (job.new_count, job.updated_count, job.unchanged_count, job.bad_count)


@pytest.fixture
def admin(bangka):
    return make_user(Role.ADMIN_DINAS, BANGKA)


def english(client: Client) -> Client:
    """Messages are checked in English (the msgids); the default language is Indonesian."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def admin_client(admin) -> Client:
    return english(client_for(admin))


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# --- the acceptance test: a messy file -------------------------------------------------


def messy_rows(kind: str) -> tuple[list[dict[str, Any]], dict[int, tuple[str, str]]]:
    """Ten households written the way real exports and Excel write them, and the bad rows
    (spreadsheet row number -> (column, part of the reason))."""
    rows = families(10)
    # What Excel and people do, and the import must survive:
    rows[0] |= {"Jenis Kelamin": " laki-laki ", "Hubungan Keluarga": "KEPALA KELUARGA"}
    rows[1] |= {"Jenis Kelamin": "Perempuan", "Hubungan Keluarga": " istri"}
    rows[2] |= {
        "Nama": "  Warga   Uji   2 ",
        "Kabupaten": "Kab. Bangka",
        "kecamatan": "KEC. BELINYU",
    }
    date3 = rows[3]["TANGGAL_LAHIR"].replace("/", "-")  # dd-mm-yyyy
    rows[3] |= {"TANGGAL_LAHIR": date3, "RT": 1, "RW": "2"}  # Excel dropped RT 001's zeros
    birth4 = dmy(rows[4]["TANGGAL_LAHIR"])
    rows[4] |= {"TANGGAL_LAHIR": birth4.isoformat()}  # yyyy-mm-dd
    birth5 = dmy(rows[5]["TANGGAL_LAHIR"])
    rows[5] |= {"TANGGAL_LAHIR": (birth5 - datetime.date(1899, 12, 30)).days}  # Excel serial
    rows[6] |= {"DESA": "lumut", "Alamat": "  Jl.  Uji  ", "Kabupaten": "KABUPATEN BANGKA"}
    rows[7] |= {"PROVINSI": "KEP. BANGKA BELITUNG"}
    birth8 = dmy(rows[8]["TANGGAL_LAHIR"])
    rows[8] |= {"TANGGAL_LAHIR": (birth8 + datetime.timedelta(days=1)).strftime("%d/%m/%Y")}
    if kind == "xlsx":
        rows[9] |= {"NIK": int(rows[9]["NIK"]), "No_KK": float(rows[9]["No_KK"])}  # numbers
        rows[10] |= {"TANGGAL_LAHIR": dmy(rows[10]["TANGGAL_LAHIR"])}  # a date cell
    # What is wrong and must be reported, row by row (spreadsheet numbering: header = 1).
    # Heads of family (every third row) stay valid, so the fixed file has ten households.
    bad: dict[int, tuple[str, str]] = {}

    def spoil(index: int, column: str, reason: str, **values: Any) -> None:
        rows[index] |= values
        bad[index + 2] = (column, reason)

    lost_zero = rows[13]["NIK"][1:]
    spoil(11, "NIK", "scientific notation", NIK="1.90102E+15")
    spoil(13, "NIK", "fewer than 16 digits", NIK=int(lost_zero) if kind == "xlsx" else lost_zero)
    spoil(14, "DESA", "no desa Atlantis", DESA="Atlantis")
    spoil(16, "NIK", "also on row 12", NIK=rows[10]["NIK"])
    spoil(17, "Hubungan Keluarga", "already has a head", **{"Hubungan Keluarga": "Kepala"})
    spoil(19, "TANGGAL_LAHIR", "no such date", TANGGAL_LAHIR="31/02/1990")
    spoil(20, "Jenis Kelamin", "not a sex", **{"Jenis Kelamin": "X"})
    spoil(22, "Hubungan Keluarga", "not a relation", **{"Hubungan Keluarga": "Tetangga"})
    spoil(23, "No_KK", "fewer than 16 digits", No_KK=rows[23]["No_KK"][1:])
    spoil(25, "kecamatan", "no kecamatan", kecamatan="Belinyu Raya")
    spoil(26, "RT", "at most 3 digits", RT="12345")
    spoil(28, "Desil", "from 1 to 10", Desil="11")
    return rows, bad


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_messy_file_reports_each_bad_row_and_imports_nothing_until_fixed(
    kind, admin_client, capture
):
    rows, bad = messy_rows(kind)
    content = xlsx_file(rows) if kind == "xlsx" else csv_file(rows)
    job = upload(admin_client, content, f"dtks.{kind}", capture)

    assert job.status == ImportState.INVALID
    found = errors_of(job)
    assert set(found) == set(bad), found
    for number, (column, reason) in bad.items():
        assert any(p["column"] == column and reason in p["message"] for p in found[number]), (
            number,
            found[number],
        )
    assert "Excel" in found[13][0]["message"]  # the scientific-notation NIK says what happened
    assert job.bad_count == len(bad)
    warnings = [p for p in job.problems if p["level"] == "warning"]
    assert any(p["row"] == 10 and p["column"] == "NIK" for p in warnings)  # date disagrees
    assert not Keluarga.objects.exists()
    assert not Individu.objects.exists()
    page = admin_client.get(reverse("registry:import_detail", args=[job.pk]))
    assert "Atlantis" in page.content.decode()
    assert reverse("registry:import_apply", args=[job.pk]) not in page.content.decode()

    fixed = [row for index, row in enumerate(rows) if index + 2 not in bad]
    job = upload(
        admin_client, xlsx_file(fixed) if kind == "xlsx" else csv_file(fixed), "b", capture
    )
    assert job.status == ImportState.READY, job.problems[:5]
    assert counts(job) == (len(fixed), 0, 0, 0)
    assert not Individu.objects.exists()  # checked, not yet written

    job = apply(admin_client, job, capture)
    assert job.status == ImportState.DONE, job.error
    assert Individu.objects.count() == len(fixed)
    assert Keluarga.objects.count() == job.household_new_count == 10
    numeric = Individu.objects.get(nik_hash=importer.nik_hash(str(fixed[9]["NIK"])))
    assert numeric.nik == str(fixed[9]["NIK"])
    assert numeric.keluarga.no_kk == kk_for(4)
    trimmed = Individu.objects.get(nik_hash=importer.nik_hash(fixed[2]["NIK"]))
    assert trimmed.name == "Warga Uji 2"
    household2 = Keluarga.objects.get(no_kk_hash=importer.no_kk_hash(kk_for(2)))
    assert (household2.rt, household2.rw) == ("001", "002")
    assert Individu.objects.filter(relation=Relation.KEPALA).count() == 10
    warned = Individu.objects.get(nik_hash=importer.nik_hash(fixed[8]["NIK"]))
    assert "DTKS" in warned.nik_note
    household = Keluarga.objects.get(no_kk_hash=importer.no_kk_hash(kk_for(1)))
    assert (household.wilayah_id, household.desil, household.dtks_id) == (LUMUT, 2, "DTKS0000001")
    trail = AuditEvent.objects.filter(object_type="registry.importjob", object_id=str(job.pk))
    summary = [
        e for e in trail if e.changes.get("status") == [ImportState.WRITING, ImportState.DONE]
    ]
    assert [event.changes["new_count"] for event in summary] == [[0, len(fixed)]]
    assert not AuditEvent.objects.filter(object_type="registry.individu").exists()


def test_the_same_file_twice_creates_no_duplicates_and_changes_are_updated(admin_client, capture):
    rows = families(5)
    first = apply(admin_client, upload(admin_client, csv_file(rows), "a.csv", capture), capture)
    assert first.status == ImportState.DONE
    people, households = Individu.objects.count(), Keluarga.objects.count()
    events = AuditEvent.objects.count()

    again = upload(admin_client, csv_file(rows), "a.csv", capture)
    assert again.status == ImportState.READY
    assert counts(again) == (0, 0, len(rows), 0)
    page = admin_client.get(reverse("registry:import_detail", args=[again.pk])).content.decode()
    assert reverse("registry:import_apply", args=[again.pk]) not in page
    with capture(execute=True):
        refused = admin_client.post(reverse("registry:import_apply", args=[again.pk]))
    assert refused.status_code == 302
    again.refresh_from_db()
    assert again.status == ImportState.READY
    assert (Individu.objects.count(), Keluarga.objects.count()) == (people, households)

    rows[0] = rows[0] | {"Alamat": "Jl. Baru 1"}
    rows[1] = rows[1] | {"Nama": "Warga Uji Berganti"}
    rows.append(family(6)[0] | {"No_KK": kk_for(1), "Hubungan Keluarga": "Anak"})
    changed = apply(admin_client, upload(admin_client, csv_file(rows), "b.csv", capture), capture)
    assert changed.status == ImportState.DONE, changed.problems
    assert counts(changed) == (1, 1, len(rows) - 2, 0)
    assert changed.household_updated_count == 1
    assert Keluarga.objects.get(no_kk_hash=importer.no_kk_hash(kk_for(1))).address == "Jl. Baru 1"
    assert Individu.objects.count() == people + 1
    assert Keluarga.objects.count() == households
    person = Individu.objects.get(nik_hash=importer.nik_hash(rows[1]["NIK"]))
    assert (person.name, person.version) == ("Warga Uji Berganti", 2)
    assert person.name_key == importer.name_key("Warga Uji Berganti")
    event = AuditEvent.objects.get(object_id=str(person.pk), action=Action.UPDATE)
    assert event.changes["name"] == ["Warga Uji 11", "Warga Uji Berganti"]
    assert AuditEvent.objects.count() > events


def test_a_second_head_beside_the_one_in_garda_is_an_error(admin_client, capture):
    apply(admin_client, upload(admin_client, csv_file(family(1)), "a.csv", capture), capture)
    newcomer = family(2)[0] | {"No_KK": kk_for(1)}  # another Kepala Keluarga for the same KK
    job = upload(admin_client, csv_file([newcomer]), "b.csv", capture)
    assert job.status == ImportState.INVALID
    assert "already has a head of family in Garda" in errors_of(job)[2][0]["message"]

    household_without_head = family(3)[1:]
    job = upload(admin_client, csv_file(household_without_head), "c.csv", capture)
    assert "no head of family" in errors_of(job)[2][0]["message"]


def test_desa_names_repeat_across_kecamatan(admin_client, capture):
    """Riding Panjang is a desa of Belinyu and of Merawang: resolved within the kecamatan."""
    rows = family(1, desa="RIDING PANJANG", kecamatan="Merawang") + family(
        2, desa="Riding Panjang", kecamatan="Belinyu"
    )
    job = apply(admin_client, upload(admin_client, xlsx_file(rows), "a.xlsx", capture), capture)
    assert job.status == ImportState.DONE
    assert set(Keluarga.objects.values_list("wilayah_id", flat=True)) == {
        "19.01.03.2003",
        "19.01.02.2006",
    }


def test_files_that_cannot_be_read_are_refused_whole(admin_client, capture):
    rows = family(1)
    rows[0]["Nama"] = "Siti Ñurhayati"
    job = upload(admin_client, csv_file(rows, encoding="cp1252", bom=False), "a.csv", capture)
    assert job.status == ImportState.INVALID
    assert "UTF-8" in job.problems[0]["message"]

    utf16 = "\ufeffNIK;Nama\r\n".encode("utf-16")
    job = upload(admin_client, utf16, "b.csv", capture)
    assert "UTF-8" in job.problems[0]["message"]

    missing = upload(admin_client, csv_file(rows, header=HEADER[:10]), "c.csv", capture)
    assert "NIK, Nama, Jenis Kelamin, Hubungan Keluarga" in missing.problems[0]["message"]

    response = admin_client.post(
        IMPORT, {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0rest")}
    )
    assert response.status_code == 200
    assert ".xls" in response.content.decode()
    assert not ImportJob.objects.filter(file_name="old.xls").exists()


def test_comma_csv_without_bom(admin_client, capture):
    job = upload(admin_client, csv_file(family(1), delimiter=",", bom=False), "a.csv", capture)
    assert job.status == ImportState.READY, job.problems
    assert job.new_count == 3


# --- area scoping ----------------------------------------------------------------------------


def test_a_psm_of_lumut_importing_a_bintet_row_gets_a_row_error(bangka, capture):
    psm = english(client_for(make_user(Role.PSM, LUMUT)))
    rows = family(1) + family(2, desa="Bintet")
    job = upload(psm, csv_file(rows), "a.csv", capture)
    assert job.status == ImportState.INVALID
    assert job.wilayah_id == LUMUT
    found = errors_of(job)
    assert set(found) == {5, 6, 7}
    assert "outside your area" in found[5][0]["message"]
    assert not Individu.objects.exists()


def test_a_resident_registered_outside_the_area_is_not_touched(bangka, capture):
    admin = english(client_for(make_user(Role.ADMIN_DINAS, BANGKA)))
    apply(admin, upload(admin, csv_file(family(1, desa="Bintet")), "a.csv", capture), capture)
    psm = english(client_for(make_user(Role.PSM, LUMUT)))
    moved = [row | {"DESA": "Lumut"} for row in family(1)]
    job = upload(psm, csv_file(moved), "b.csv", capture)
    assert job.status == ImportState.INVALID
    assert all("outside your area" in errors_of(job)[n][0]["message"] for n in (2, 3, 4))


def test_a_viewer_may_not_import_and_anonymous_visitors_log_in(bangka):
    assert Client().get(IMPORT)["Location"].startswith(reverse("accounts:login"))
    viewer = client_for(make_user(Role.VIEWER, BANGKA))
    assert viewer.get(IMPORT).status_code == 403
    response = viewer.post(IMPORT, {"file": SimpleUploadedFile("a.csv", csv_file(family(1)))})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def make_job(code: str, **fields: Any) -> ImportJob:
    return ImportJob.objects.create(
        wilayah_id=code,
        file=ContentFile(csv_file(family(1)), name="x.csv"),
        file_name="x.csv",
        sha256="0" * 64,
        **fields,
    )


class TestJobPageScoping(ScopedViewContract):
    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> ImportJob:
        return make_job(code, status=ImportState.INVALID)

    def url_for(self, obj: ImportJob) -> str:
        return reverse("registry:import_detail", args=[obj.pk])


class TestProblemsDownloadScoping(ScopedViewContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    wrong_role = (Role.PIMPINAN, BANGKA)
    own_area = LUMUT
    other_area = "19.01.01.1001"

    def make_object(self, code: str) -> ImportJob:
        job = make_job(code, status=ImportState.INVALID, problem_count=1)
        job.problems_file.save("p.csv", ContentFile(b"row;column\r\n2;NIK\r\n"))
        return job

    def url_for(self, obj: ImportJob) -> str:
        return reverse("registry:import_problems", args=[obj.pk])


# --- all-or-nothing, progress, stalled jobs, many problems -------------------------------------


def test_a_failure_while_writing_a_late_row_leaves_nothing(admin_client, capture, monkeypatch):
    rows = families(1500)  # 4,500 rows: more than two chunks, so earlier chunks were written
    job = upload(admin_client, csv_file(rows), "a.csv", capture)
    assert job.status == ImportState.READY
    last_nik = rows[-1]["NIK"]
    encrypt = crypto.encrypt

    def failing(text: str) -> str:
        if text == last_nik:
            raise RuntimeError("disk full")
        return encrypt(text)

    monkeypatch.setattr(crypto, "encrypt", failing)
    job = apply(admin_client, job, capture)
    assert job.status == ImportState.FAILED
    assert "Nothing" in job.error
    assert not Individu.objects.exists()
    assert not Keluarga.objects.exists()
    assert not AuditEvent.objects.filter(object_type="registry.individu").exists()

    monkeypatch.setattr(crypto, "encrypt", encrypt)
    with capture(execute=True):
        admin_client.post(reverse("registry:import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportState.READY
    assert apply(admin_client, job, capture).status == ImportState.DONE
    assert Individu.objects.count() == len(rows)


def test_the_job_page_polls_while_running_and_stops_when_finished(admin_client, admin):
    job = make_job(
        BANGKA,
        status=ImportState.VALIDATING,
        uploaded_by=admin,
        total_rows=200,
        processed_rows=50,
        heartbeat_at=timezone.now(),
    )
    url = reverse("registry:import_detail", args=[job.pk])
    page = admin_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert '<progress max="100" value="25">' in page
    partial = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="job"')
    assert "<html" not in partial

    job.status = ImportState.READY
    job.save()
    finished = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished
    assert "<progress" not in finished


def test_a_stalled_job_is_offered_a_new_start(admin_client, admin, capture):
    job = make_job(
        BANGKA,
        status=ImportState.WRITING,
        uploaded_by=admin,
        applied_by=admin,
        heartbeat_at=timezone.now() - datetime.timedelta(hours=2),
        run_id="old",
    )
    page = admin_client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert "hx-trigger" not in page
    assert reverse("registry:import_retry", args=[job.pk]) in page
    assert importer.import_job_is_stale(job)

    # The old worker's task, still queued somewhere, no longer does anything.
    with capture(execute=True):
        admin_client.post(reverse("registry:import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.run_id != "old"
    assert job.status == ImportState.READY  # checked again from the first row
    assert importer.import_job_process(job_id=str(job.pk), run_id="old") == "superseded"


def test_problems_beyond_the_cap_are_in_the_download(admin_client, capture, monkeypatch):
    monkeypatch.setattr(ImportJob, "PROBLEM_CAP", 5)
    rows = [row | {"Jenis Kelamin": "?"} for row in families(4)]
    job = upload(admin_client, csv_file(rows), "a.csv", capture)
    assert job.bad_count == 12
    assert len(job.problems) == 5
    assert job.problem_count >= 12
    page = admin_client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert "only in the download" in page
    download = admin_client.get(reverse("registry:import_problems", args=[job.pk]))
    assert download["Cache-Control"] == "no-store"
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == job.problem_count + 1


def test_ten_thousand_rows(admin, capture, django_assert_max_num_queries):
    """A 10,000-row file imports through the importer functions (time is not asserted)."""
    rows = families(3334)[:10_000]
    content = csv_file(rows)
    run = importer.run_file(io.BytesIO(content), actor=admin)
    assert (run.counts.rows, run.counts.new, run.problems.bad_rows) == (10_000, 10_000, 0)
    from django.db import transaction

    with transaction.atomic(), django_assert_max_num_queries(200):
        written = importer.run_file(
            io.BytesIO(content),
            actor=admin,
            writer=importer._writer(timezone.now(), timezone.localdate()),
        )
    assert written.counts.new == 10_000
    assert Individu.objects.count() == 10_000
    assert Keluarga.objects.count() == 3334
    again = importer.run_file(io.BytesIO(content), actor=admin)
    assert (again.counts.new, again.counts.unchanged) == (0, 10_000)


# --- the write's lookups, left out when the registry cannot have changed (PostgreSQL) ---------

# Transactional: the check and the write must be separate transactions, as under the worker.
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="revision tracking (migration 0008): PostgreSQL"
)
COMMITS = pytest.mark.django_db(transaction=True)


def checked(admin, rows: list[dict[str, Any]]) -> ImportJob:
    """Upload and check a file (the ImmediateBackend runs the check when the upload commits)."""
    job = importer.import_job_create(
        actor=admin, upload=SimpleUploadedFile("dtks.csv", csv_file(rows))
    )
    job.refresh_from_db()
    return job


def written(admin, job: ImportJob) -> tuple[ImportJob, list[str]]:
    """Apply a checked job (its write runs when the apply commits), with the write's SQL."""
    with CaptureQueriesContext(connection) as queries:
        importer.import_job_apply(actor=admin, job=job)
    job.refresh_from_db()
    return job, [query["sql"] for query in queries.captured_queries]


def lookups(sql: list[str]) -> list[str]:
    return [q for q in sql if "string_to_array" in q]  # the lookups by blind index (_select)


@POSTGRES_ONLY
@COMMITS
def test_nothing_changed_since_the_check_means_no_second_lookups(admin):
    rows = families(3)
    job = checked(admin, rows)
    assert job.status == ImportState.READY, job.problems[:3]
    job, sql = written(admin, job)
    assert job.status == ImportState.DONE, job.error
    assert counts(job) == (len(rows), 0, 0, 0)
    assert lookups(sql) == []
    assert Individu.objects.count() == len(rows)
    assert Keluarga.objects.count() == 3

    # A file that the registry partly holds is looked up in the write, even if unchanged.
    more = [*rows, *family(4)]
    again = checked(admin, more)
    assert (again.status, counts(again)) == (ImportState.READY, (3, 0, len(rows), 0))
    again, sql = written(admin, again)
    assert again.status == ImportState.DONE, again.error
    assert lookups(sql)
    assert Individu.objects.count() == len(more)


@POSTGRES_ONLY
@COMMITS
def test_a_nik_registered_between_check_and_write_is_caught_by_the_full_recheck(admin):
    rows = families(3)
    job = checked(admin, rows)
    assert (job.status, counts(job)) == (ImportState.READY, (len(rows), 0, 0, 0))
    wife = rows[4]  # household 2's second row
    born = dmy(wife["TANGGAL_LAHIR"])
    # Meanwhile a PSM registers her by hand, in a household of her own.
    by_hand = register_individu(
        code=LUMUT, nik=wife["NIK"], name=wife["Nama"], sex="P", birth_date=born
    )
    job, sql = written(admin, job)
    assert lookups(sql)  # the registry changed since the check: everything looked up again
    assert job.status == ImportState.DONE, (job.error, job.problems[:3])
    assert counts(job) == (len(rows) - 1, 1, 0, 0)
    assert Individu.objects.filter(nik_hash=importer.nik_hash(wife["NIK"])).count() == 1
    by_hand.refresh_from_db()
    assert by_hand.keluarga.no_kk == kk_for(2)  # the file's household, one record: no duplicate
    assert Individu.objects.count() == len(rows)


@POSTGRES_ONLY
@COMMITS
def test_any_registry_write_after_the_check_started_means_a_full_recheck(admin):
    """Conservative: a write anywhere in the registry (here another desa's household, which
    has nothing to do with the file) after the check's snapshot re-runs the lookups."""
    job = checked(admin, families(2))
    register_family(code=BINTET, name="Zulkarnain Hamid", sex="L")
    job, sql = written(admin, job)
    assert job.status == ImportState.DONE, job.error
    assert lookups(sql)


@POSTGRES_ONLY
@COMMITS
def test_a_nik_saved_behind_the_revisions_back_still_stops_the_whole_write(admin):
    """The unique blind index is the last guard (as for a NIK saved while the write runs): if a
    change escaped the revision table, the write fails whole and says to start again."""
    rows = families(3)
    job = checked(admin, rows)
    husband = rows[3]
    register_individu(
        code=BINTET,
        nik=husband["NIK"],
        name=husband["Nama"],
        sex="L",
        birth_date=dmy(husband["TANGGAL_LAHIR"]),
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_revision")  # as if it were not known yet
    job, sql = written(admin, job)
    assert lookups(sql) == []
    assert job.status == ImportState.FAILED
    with translation.override(job.language):
        assert job.error == gettext(
            "Someone saved some of these residents while the file was being written. "
            "Nothing was written: start the import again."
        )
    assert Individu.objects.count() == 1
    assert Keluarga.objects.count() == 1
