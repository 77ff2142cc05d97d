"""Distributions: planning a period, the status rules both ways, proof, the PSM who accompanied,
optimistic locking, recording many from the list and from a file (bad rows, all-or-nothing,
idempotent), and the scoping contract of every page and file."""

import datetime
import io
from typing import Any, ClassVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    OTHER_DISTRICT,
    ScopedViewContract,
    client_for,
    make_user,
    other_district,
)
from garda.pilar.tests.factories import register_psm
from garda.registry.models import Individu, Keluarga, Relation
from garda.registry.tests.factories import jpeg_upload, pdf_upload

from ..models import (
    Channel,
    Distribution,
    DistributionEvent,
    DistributionStatus,
    EnrolmentStatus,
    Period,
    Program,
    TargetUnit,
)
from ..services import distributions as services
from .factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_period,
    make_person,
    make_program,
    programme_manager,
)

S = DistributionStatus
LIST = reverse("programs:distribution_list")
UPLOAD = reverse("programs:distribution_upload")
DAY = datetime.date(2026, 3, 10)


def past(days: int = 3) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def participant(program: Program, code: str, **kwargs: Any) -> Keluarga | Individu:
    if program.target_unit == TargetUnit.INDIVIDUAL:
        subject: Keluarga | Individu = make_person(code=code)
    else:
        subject = make_keluarga_with_members(code=code, ages=[40, 12])
    make_enrolment(program, subject, **kwargs)
    return subject


def plan(period: Period, code: str = BANGKA) -> services.Planned:
    return services.distribution_plan(actor=programme_manager(code), period=period)


def make_distribution(code: str = LUMUT, *, program: Program | None = None) -> Distribution:
    """One scheduled distribution of a participant living in `code`."""
    program = program or make_program(benefit_amount=250_000)
    period = program.periods.first() or make_period(program)
    subject = participant(program, code)
    district = ".".join(code.split(".")[:2])
    services.distribution_plan(
        actor=programme_manager(district), period=period, within=subject.wilayah_id
    )
    field = "enrolment__individu" if isinstance(subject, Individu) else "enrolment__keluarga"
    return Distribution.objects.get(period=period, **{field: subject})


def psm(code: str = LUMUT):
    return make_user(Role.PSM, code)


def deliver(d: Distribution, actor=None, **kwargs: Any) -> DistributionEvent:
    kwargs.setdefault("status", S.DELIVERED)
    kwargs.setdefault("distributed_on", past())
    kwargs.setdefault("channel", Channel.BANK)
    return services.distribution_record(actor=actor or psm(d.wilayah_id), distribution=d, **kwargs)


def head_nik(keluarga: Keluarga) -> str:
    return Individu.objects.get(keluarga=keluarga, relation=Relation.KEPALA).nik


# --- planning ------------------------------------------------------------------------------


class TestPlan:
    def test_one_scheduled_row_per_active_participant_worth_the_benefit(self, bangka):
        program = make_program(benefit_amount=300_000)
        period = make_period(program)
        active = [participant(program, LUMUT), participant(program, BINTET)]
        participant(program, LUMUT, status=EnrolmentStatus.SUSPENDED)
        participant(program, LUMUT, status=EnrolmentStatus.ENDED)
        result = plan(period)
        assert (result.created, result.existing) == (2, 0)
        rows = Distribution.objects.filter(period=period)
        assert {d.enrolment.keluarga for d in rows} == set(active)
        assert {(d.amount, d.status, d.wilayah_id) for d in rows} == {
            (300_000, S.SCHEDULED, LUMUT),
            (300_000, S.SCHEDULED, BINTET),
        }
        assert (
            DistributionEvent.objects.filter(
                distribution__period=period, to_status=S.SCHEDULED, from_status=""
            ).count()
            == 2
        )
        assert AuditEvent.objects.filter(object_type="programs.distribution").exists()

    def test_planning_again_creates_nothing_twice(self, bangka):
        program = make_program()
        period = make_period(program)
        participant(program, LUMUT)
        plan(period)
        assert plan(period).created == 0
        participant(program, BINTET)  # enrolled since: only they are added
        again = plan(period)
        assert (again.created, again.existing) == (1, 1)
        assert Distribution.objects.filter(period=period).count() == 2

    def test_only_participants_inside_the_planners_area(self, bangka):
        other_district()
        program = make_program(wilayah=None)
        period = make_period(program)
        participant(program, LUMUT)
        participant(program, OTHER_DESA)
        assert plan(period, OTHER_DISTRICT).created == 1
        assert list(Distribution.objects.values_list("wilayah_id", flat=True)) == [OTHER_DESA]

    def test_within_a_region(self, bangka):
        program = make_program()
        period = make_period(program)
        participant(program, LUMUT)
        participant(program, BINTET)
        services.distribution_plan(actor=programme_manager(), period=period, within=BINTET)
        assert list(Distribution.objects.values_list("wilayah_id", flat=True)) == [BINTET]

    def test_a_psm_may_not_plan(self, bangka):
        program = make_program()
        period = make_period(program)
        participant(program, LUMUT)
        with pytest.raises(NotAllowed):
            services.distribution_plan(actor=psm(), period=period)
        assert not Distribution.objects.exists()


# --- the status rules ----------------------------------------------------------------------


class TestStatusRules:
    @pytest.mark.parametrize(
        ("status", "extra"),
        [
            (S.DELIVERED, {"distributed_on": DAY, "channel": Channel.CASH}),
            (S.FAILED, {"reason": "Penerima tidak di rumah"}),
            (S.RETURNED, {"reason": "Penerima meninggal"}),
        ],
    )
    def test_scheduled_may_go_to_each_outcome(self, bangka, status, extra):
        d = make_distribution()
        actor = psm()
        event = services.distribution_record(actor=actor, distribution=d, status=status, **extra)
        d.refresh_from_db()
        assert d.status == status
        assert d.version == 2
        assert (event.from_status, event.to_status, event.actor) == (S.SCHEDULED, status, actor)
        assert event.note == extra.get("reason", "")
        audit = AuditEvent.objects.for_object(d).filter(action=Action.UPDATE).get()
        assert audit.changes["status"] == [S.SCHEDULED, status]

    def test_delivered_may_still_be_returned(self, bangka):
        d = make_distribution()
        deliver(d)
        services.distribution_record(
            actor=psm(), distribution=d, status=S.RETURNED, reason="Salah penerima"
        )
        d.refresh_from_db()
        assert d.status == S.RETURNED
        assert [(e.from_status, e.to_status) for e in d.events.all()] == [
            ("", S.SCHEDULED),
            (S.SCHEDULED, S.DELIVERED),
            (S.DELIVERED, S.RETURNED),
        ]

    @pytest.mark.parametrize(
        ("first", "then"),
        [
            (S.DELIVERED, S.FAILED),
            (S.DELIVERED, S.SCHEDULED),
            (S.FAILED, S.DELIVERED),
            (S.FAILED, S.RETURNED),
            (S.RETURNED, S.DELIVERED),
            (S.RETURNED, S.SCHEDULED),
        ],
    )
    @pytest.mark.usefixtures("english")
    def test_refused_backwards_and_from_final_statuses(self, bangka, first, then):
        d = make_distribution()
        if first == S.DELIVERED:
            deliver(d)
        else:
            services.distribution_record(actor=psm(), distribution=d, status=first, reason="alasan")
        d.refresh_from_db()
        with pytest.raises(InvalidState) as refused:
            services.distribution_record(
                actor=psm(),
                distribution=d,
                status=then,
                distributed_on=past(),
                channel=Channel.CASH,
                reason="alasan",
            )
        assert "cannot become" in refused.value.message
        d.refresh_from_db()
        assert d.status == first

    def test_the_same_status_again_is_refused(self, bangka):
        d = make_distribution()
        deliver(d)
        d.refresh_from_db()
        with translation.override("en"), pytest.raises(InvalidState, match="already recorded"):
            deliver(d)

    @pytest.mark.parametrize("status", [S.FAILED, S.RETURNED])
    def test_a_reason_is_required_for_failed_and_returned(self, bangka, status):
        d = make_distribution()
        with pytest.raises(GardaError) as refused:
            services.distribution_record(actor=psm(), distribution=d, status=status, reason="  ")
        assert refused.value.field == "reason"
        d.refresh_from_db()
        assert (d.status, d.version) == (S.SCHEDULED, 1)

    def test_delivered_needs_a_date_not_in_the_future_and_a_channel(self, bangka):
        d = make_distribution()
        with pytest.raises(GardaError) as no_date:
            deliver(d, distributed_on=None)
        assert no_date.value.field == "distributed_on"
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with translation.override("en"), pytest.raises(GardaError, match="future") as future:
            deliver(d, distributed_on=tomorrow)
        assert future.value.field == "distributed_on"
        with pytest.raises(GardaError) as no_channel:
            deliver(d, channel="")
        assert no_channel.value.field == "channel"
        deliver(d, distributed_on=timezone.localdate())  # today is fine
        d.refresh_from_db()
        assert d.distributed_on == timezone.localdate()

    def test_only_inside_the_recorders_desa(self, bangka):
        d = make_distribution(BINTET)
        with pytest.raises(NotAllowed):
            deliver(d, actor=psm(LUMUT))
        for role in (Role.OPERATOR_DESA, Role.VIEWER):  # they see, but do not record
            with pytest.raises(NotAllowed):
                deliver(d, actor=make_user(role, BINTET))
        deliver(d, actor=make_user(Role.KOORDINATOR, BELINYU))
        d.refresh_from_db()
        assert d.status == S.DELIVERED

    def test_someone_elses_save_in_between_is_not_overwritten(self, bangka):
        d = make_distribution()
        stale = Distribution.objects.get(pk=d.pk)
        deliver(d, expected_version=1)
        with pytest.raises(ConcurrentEdit):
            services.distribution_record(
                actor=psm(), distribution=stale, status=S.FAILED, reason="x", expected_version=1
            )
        d.refresh_from_db()
        assert (d.status, d.version) == (S.DELIVERED, 2)
        assert d.events.count() == 2

    def test_the_accompanying_psm_is_an_active_psm_of_the_desa(self, bangka):
        d = make_distribution()
        own = register_psm(code=LUMUT)
        for wrong in (register_psm(code=BINTET), register_psm(code=LUMUT, status="nonaktif")):
            with pytest.raises(GardaError) as refused:
                deliver(d, accompanied_by=wrong)
            assert refused.value.field == "accompanied_by"
        deliver(d, accompanied_by=own)
        d.refresh_from_db()
        assert d.accompanied_by == own

    def test_proof_images_are_re_encoded_and_other_files_refused(self, bangka):
        d = make_distribution()
        with pytest.raises(GardaError) as refused:
            deliver(d, proof_photo=pdf_upload())
        assert refused.value.field == "proof_photo"
        deliver(d, proof_photo=jpeg_upload("IMG_0001.png"), signature=jpeg_upload("ttd.jpg"))
        d.refresh_from_db()
        photo, signature = d.proof_photo.name or "", d.signature.name or ""
        assert photo.startswith("programs/bukti/")
        assert photo.endswith(".jpg") and "IMG_0001" not in photo
        assert signature.startswith("programs/ttd/")


# --- recording many from the list -----------------------------------------------------------


class TestBulkFromList:
    @pytest.mark.usefixtures("english")
    def test_all_or_nothing(self, bangka):
        program = make_program()
        rows = [make_distribution(LUMUT, program=program) for _ in range(3)]
        deliver(rows[0])
        rows = list(Distribution.objects.filter(pk__in=[r.pk for r in rows]))
        with pytest.raises(services.BulkRefused) as refused:
            services.distribution_bulk_record(
                actor=psm(), distributions=rows, status=S.FAILED, reason="Kartu KKS hilang"
            )
        assert len(refused.value.problems) == 1  # the delivered one cannot fail any more
        assert "cannot become" in refused.value.problems[0].message
        assert Distribution.objects.filter(status=S.FAILED).count() == 0

    def test_every_ticked_one_recorded_and_again_is_unchanged(self, bangka):
        program = make_program()
        rows = [make_distribution(LUMUT, program=program) for _ in range(3)]
        result = services.distribution_bulk_record(
            actor=psm(), distributions=rows, status=S.DELIVERED, distributed_on=DAY,
            channel=Channel.POST,
        )  # fmt: skip
        assert (result.changed, result.unchanged) == (3, 0)
        assert Distribution.objects.filter(status=S.DELIVERED, channel=Channel.POST).count() == 3
        fresh = list(Distribution.objects.filter(pk__in=[r.pk for r in rows]))
        again = services.distribution_bulk_record(
            actor=psm(), distributions=fresh, status=S.DELIVERED, distributed_on=DAY
        )
        assert (again.changed, again.unchanged) == (0, 3)
        assert DistributionEvent.objects.filter(to_status=S.DELIVERED).count() == 3

    def test_a_distribution_outside_the_area_refuses_all(self, bangka):
        program = make_program()
        rows = [
            make_distribution(LUMUT, program=program),
            make_distribution(BINTET, program=program),
        ]
        with pytest.raises(services.BulkRefused):
            services.distribution_bulk_record(
                actor=psm(LUMUT), distributions=rows, status=S.FAILED, reason="x"
            )
        assert not Distribution.objects.filter(status=S.FAILED).exists()


# --- recording many from a file -------------------------------------------------------------


def csv_file(
    *rows: tuple[Any, ...], header: str = "nik;no_kk;periode;status;tanggal;saluran;alasan"
) -> bytes:
    lines = [header] + [";".join("" if v is None else str(v) for v in row) for row in rows]
    return "\r\n".join(lines).encode("utf-8")


def xlsx_file(*rows: tuple[Any, ...]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["NIK", "No KK", "Periode", "Status", "Tanggal", "Saluran", "Alasan"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def households(bangka) -> dict[str, Any]:
    """A programme for households with one period and three planned households of Lumut, one
    of Bintet, and a programme for people with one planned person in Lumut."""
    program = make_program(code="uji-bantuan", benefit_amount=200_000)
    period = make_period(program, name="Tahap 1 2026")
    lumut = [participant(program, LUMUT) for _ in range(3)]
    bintet = participant(program, BINTET)
    plan(period)
    return {"program": program, "period": period, "lumut": lumut, "bintet": bintet}


class TestUpload:
    def good_rows(self, households) -> list[tuple[Any, ...]]:
        a, b, c = households["lumut"]
        return [
            (head_nik(a), "", "Tahap 1 2026", "tersalurkan", "05/03/2026", "bank", ""),
            ("", b.no_kk, "tahap 1 2026", "Gagal", "", "", "Penerima pindah"),
            (head_nik(c), "", "Tahap 1 2026", "dikembalikan", "", "", "Dana dikembalikan"),
        ]

    def test_records_by_nik_or_no_kk_and_again_changes_nothing(self, households):
        content = csv_file(*self.good_rows(households))
        result = services.distribution_upload(
            actor=psm(), program=households["program"], content=content
        )
        assert (result.changed, result.unchanged) == (3, 0)
        a, b, c = households["lumut"]
        status = {
            d.enrolment.keluarga: d.status
            for d in Distribution.objects.select_related("enrolment__keluarga")
        }
        assert status[a] == S.DELIVERED
        assert status[b] == S.FAILED
        assert status[c] == S.RETURNED
        delivered = Distribution.objects.get(enrolment__keluarga=a)
        assert (delivered.distributed_on, delivered.channel) == (datetime.date(2026, 3, 5), "bank")
        events = DistributionEvent.objects.count()
        again = services.distribution_upload(
            actor=psm(), program=households["program"], content=content
        )
        assert (again.changed, again.unchanged) == (0, 3)
        assert DistributionEvent.objects.count() == events

    def test_an_xlsx_with_excel_numbers_and_dates(self, households):
        a = households["lumut"][0]
        content = xlsx_file(
            (
                int(head_nik(a)),
                None,
                "Tahap 1 2026",
                "tersalurkan",
                datetime.datetime(2026, 3, 5),  # noqa: DTZ001 - Excel cells have no time zone
                "tunai",
                None,
            )
        )
        result = services.distribution_upload(
            actor=psm(), program=households["program"], content=content
        )
        assert result.changed == 1
        assert Distribution.objects.get(enrolment__keluarga=a).channel == Channel.CASH

    def test_every_bad_row_is_reported_and_nothing_is_written(self, households):
        a, b, c = households["lumut"]
        bintet = households["bintet"]
        content = csv_file(
            (head_nik(a), "", "Tahap 1 2026", "tersalurkan", "05/03/2026", "bank", ""),  # 2 good
            ("1901024507909999", "", "Tahap 1 2026", "tersalurkan", "05/03/2026", "bank", ""),  # 3
            (head_nik(b), "", "Tahap 9 2030", "gagal", "", "", "x"),  # 4 no such period
            (head_nik(c), "", "Tahap 1 2026", "selesai", "", "", ""),  # 5 no such status
            (head_nik(c), "", "Tahap 1 2026", "tersalurkan", "", "bank", ""),  # 6 no date
            ("", b.no_kk, "Tahap 1 2026", "gagal", "", "", ""),  # 7 no reason
            ("1.90102E+15", "", "Tahap 1 2026", "gagal", "", "", "x"),  # 8 Excel ate the digits
            (head_nik(bintet), "", "Tahap 1 2026", "gagal", "", "", "x"),  # 9 not the PSM's desa
            ("", "", "Tahap 1 2026", "gagal", "", "", "x"),  # 10 nobody named
            (head_nik(a), "", "Tahap 1 2026", "tersalurkan", "31/02/2026", "kapal", ""),  # 11
        )
        with pytest.raises(services.BulkRefused) as refused:
            services.distribution_upload(
                actor=psm(), program=households["program"], content=content
            )
        problems = {(p.row, p.column) for p in refused.value.problems}
        assert problems >= {
            (3, "nik"),
            (4, "periode"),
            (5, "status"),
            (6, "distributed_on"),
            (7, "reason"),
            (8, "nik"),
            (9, "nik"),
            (10, "nik"),
            (11, "tanggal"),
            (11, "saluran"),
        }
        assert 2 not in {p.row for p in refused.value.problems}
        assert all(p.message for p in refused.value.problems)
        assert not Distribution.objects.exclude(status=S.SCHEDULED).exists()
        assert DistributionEvent.objects.exclude(to_status=S.SCHEDULED).count() == 0

    def test_two_rows_about_one_distribution(self, households):
        a = households["lumut"][0]
        content = csv_file(
            (head_nik(a), "", "Tahap 1 2026", "gagal", "", "", "x"),
            ("", a.no_kk, "Tahap 1 2026", "gagal", "", "", "x"),
        )
        with pytest.raises(services.BulkRefused) as refused:
            services.distribution_upload(
                actor=psm(), program=households["program"], content=content
            )
        assert [p.row for p in refused.value.problems] == [3]

    def test_no_kk_in_a_programme_for_people(self, bangka):
        program = make_program(target_unit=TargetUnit.INDIVIDUAL)
        period = make_period(program, name="Tahap 1 2026")
        person = participant(program, LUMUT)
        plan(period)
        assert isinstance(person, Individu)
        content = csv_file(("", person.keluarga.no_kk, "Tahap 1 2026", "gagal", "", "", "x"))
        assert (
            services.distribution_upload(actor=psm(), program=program, content=content).changed == 1
        )
        assert Distribution.objects.get().status == S.FAILED

    def test_a_file_without_the_columns(self, households):
        with (
            translation.override("en"),
            pytest.raises(GardaError, match="lacks the columns") as refused,
        ):
            services.distribution_upload(
                actor=psm(), program=households["program"], content=csv_file(header="nama;status")
            )
        assert not isinstance(refused.value, services.BulkRefused)

    def test_the_page_shows_the_row_problems(self, households):
        content = csv_file(("1901024507909999", "", "Tahap 1 2026", "gagal", "", "", "x"))
        response = client_for(psm()).post(
            UPLOAD,
            {
                "program": households["program"].pk,
                "file": SimpleUploadedFile("penyaluran.csv", content, "text/csv"),
            },
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "No distribution of this programme" in body or "Tidak ada penyaluran" in body
        assert response.context["problems"][0]["row"] == 2

    def test_the_page_records_a_good_file(self, households):
        a = households["lumut"][0]
        content = csv_file((head_nik(a), "", "Tahap 1 2026", "gagal", "", "", "Tidak hadir"))
        response = client_for(psm()).post(
            UPLOAD,
            {
                "program": households["program"].pk,
                "file": SimpleUploadedFile("penyaluran.csv", content, "text/csv"),
            },
        )
        assert response.status_code == 302
        assert Distribution.objects.get(enrolment__keluarga=a).status == S.FAILED

    def test_a_file_too_large_is_refused_before_reading(self, households, monkeypatch):
        from ..views import distributions as views

        monkeypatch.setattr(views, "MAX_UPLOAD_MB", 0)
        a = households["lumut"][0]
        content = csv_file((head_nik(a), "", "Tahap 1 2026", "gagal", "", "", "x"))
        response = client_for(psm()).post(
            UPLOAD,
            {
                "program": households["program"].pk,
                "file": SimpleUploadedFile("penyaluran.csv", content, "text/csv"),
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["file"]
        assert Distribution.objects.get(enrolment__keluarga=a).status == S.SCHEDULED

    def test_the_template_download(self, households):
        response = client_for(psm()).get(reverse("programs:distribution_upload_template"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# --- pages ---------------------------------------------------------------------------------


class PsmContract(ScopedViewContract):
    """A PSM of Lumut reaches Lumut's distributions, not Bintet's; a viewer no person at all."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return make_distribution(code)


class RecorderContract(PsmContract):
    """The village operator sees the distributions of the desa but does not record them."""

    wrong_role = (Role.OPERATOR_DESA, LUMUT)


class TestListContract(PsmContract):
    def url_for(self, obj: Distribution) -> str:
        return f"{LIST}?period={obj.period_id}&wilayah={obj.wilayah_id}"


class TestDetailContract(PsmContract):
    def url_for(self, obj: Distribution) -> str:
        return reverse("programs:distribution_detail", args=[obj.pk])


class TestDetailForDinasContract(PsmContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    other_area = OTHER_DESA

    def url_for(self, obj: Distribution) -> str:
        return reverse("programs:distribution_detail", args=[obj.pk])


class TestRecordPageContract(RecorderContract):
    def url_for(self, obj: Distribution) -> str:
        return reverse("programs:distribution_record", args=[obj.pk])


class TestRecordPostContract(RecorderContract):
    method = "post"
    ok_status = 302

    def url_for(self, obj: Distribution) -> str:
        return reverse("programs:distribution_record", args=[obj.pk])

    def request(self, client: Client, url: str):
        return client.post(url, {"status": S.FAILED, "reason": "Tidak hadir", "version": 1})


class TestBulkContract(RecorderContract):
    method = "post"
    ok_status = 302

    def url_for(self, obj: Distribution) -> str:
        self.current = obj
        return reverse("programs:distribution_bulk")

    def request(self, client: Client, url: str):
        return client.post(url, {"selected": [self.current.pk], "status": S.FAILED, "reason": "x"})


class FileContract(PsmContract):
    kind: ClassVar[str] = "foto"

    def make_object(self, code: str) -> Any:
        d = make_distribution(code)
        deliver(d, proof_photo=jpeg_upload(), signature=jpeg_upload())
        return d

    def url_for(self, obj: Distribution) -> str:
        return reverse("programs:distribution_file", args=[obj.pk, self.kind])


class TestPhotoFileContract(FileContract):
    pass


class TestSignatureFileContract(FileContract):
    kind = "ttd"


class TestUploadPageContract(RecorderContract):
    """The upload page has no object of its own: its "other area" is a file about a
    participant outside the user's area, which is refused and writes nothing."""

    def url_for(self, obj: Distribution) -> str:
        return UPLOAD

    def test_other_area_answers_404(self, allowed_user) -> None:
        d = make_distribution(self.other_area)
        keluarga = d.enrolment.keluarga
        assert keluarga is not None
        content = csv_file((head_nik(keluarga), "", d.period.name, "gagal", "", "", "x"))
        response = client_for(allowed_user).post(
            UPLOAD,
            {
                "program": d.period.program_id,
                "file": SimpleUploadedFile("f.csv", content, "text/csv"),
            },
        )
        assert response.status_code == 200
        assert response.context["problems"]
        d.refresh_from_db()
        assert d.status == S.SCHEDULED


class TestPlanContract(ScopedViewContract):
    """Planning is for Dinas; the period belongs to the catalogue, so "other area" means the
    participants of another district, who are not planned."""

    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA
    method = "post"
    ok_status = 302

    def make_object(self, code: str) -> Any:
        program = make_program(wilayah=None)
        period = make_period(program)
        participant(program, code)
        return period

    def url_for(self, obj: Period) -> str:
        return reverse("programs:distribution_plan", args=[obj.pk])

    def test_other_area_answers_404(self, allowed_user) -> None:
        period = self.make_object(self.other_area)
        response = client_for(allowed_user).post(self.url_for(period))
        assert response.status_code == 302
        assert not Distribution.objects.filter(period=period).exists()

    def test_own_area_is_served(self, allowed_user) -> None:
        super().test_own_area_is_served(allowed_user)
        assert Distribution.objects.filter(wilayah_id=LUMUT).count() == 1


class TestPages:
    def test_the_list_shows_the_period_with_ticks_for_recorders(self, bangka):
        d = make_distribution(LUMUT)
        make_distribution(BINTET, program=d.period.program)
        response = client_for(psm()).get(LIST, {"period": str(d.period_id)})
        assert list(response.context["object_list"]) == [d]
        body = response.content.decode()
        assert 'name="selected"' in body
        assert "Rp 250.000" in body
        head = client_for(make_user(Role.PIMPINAN, BANGKA))
        viewer = head.get(LIST, {"period": str(d.period_id)})
        assert len(viewer.context["object_list"]) == 2
        assert 'name="selected"' not in viewer.content.decode()

    def test_the_list_filters_by_status(self, bangka):
        d = make_distribution(LUMUT)
        other = make_distribution(LUMUT, program=d.period.program)
        deliver(other)
        response = client_for(psm()).get(LIST, {"period": str(d.period_id), "status": S.DELIVERED})
        assert list(response.context["object_list"]) == [other]

    def test_without_a_period_the_latest_one(self, bangka):
        d = make_distribution(LUMUT)
        response = client_for(psm()).get(LIST)
        assert response.context["period"] == d.period
        assert list(response.context["object_list"]) == [d]

    def test_list_query_count_is_pinned(self, bangka, django_assert_num_queries):
        d = make_distribution(LUMUT)
        client = client_for(make_user(Role.STAF_DINAS, BANGKA))
        url = f"{LIST}?period={d.period_id}"
        client.get(url)
        # session, user, roles, the chosen period, count, page rows (all joined), the two
        # filter choice lists, and the session save (3): the same for 12 rows as for 1
        with django_assert_num_queries(11):
            client.get(url)
        for index in range(11):
            make_distribution(BINTET if index % 2 else LUMUT, program=d.period.program)
        with django_assert_num_queries(11):
            response = client.get(url)
        assert len(response.context["object_list"]) == 12

    def test_bulk_from_the_list(self, bangka):
        program = make_program()
        rows = [make_distribution(LUMUT, program=program) for _ in range(2)]
        response = client_for(psm()).post(
            reverse("programs:distribution_bulk"),
            {
                "selected": [r.pk for r in rows],
                "status": S.DELIVERED,
                "distributed_on": past().isoformat(),
                "channel": Channel.CASH,
                "back": f"period={rows[0].period_id}",
            },
        )
        assert response.status_code == 302
        assert response["Location"].endswith(f"?period={rows[0].period_id}")
        assert Distribution.objects.filter(status=S.DELIVERED).count() == 2

    def test_bulk_with_a_distribution_of_another_desa_answers_404(self, bangka):
        program = make_program()
        rows = [
            make_distribution(LUMUT, program=program),
            make_distribution(BINTET, program=program),
        ]
        response = client_for(psm()).post(
            reverse("programs:distribution_bulk"),
            {"selected": [r.pk for r in rows], "status": S.FAILED, "reason": "x"},
        )
        assert response.status_code == 404
        assert not Distribution.objects.filter(status=S.FAILED).exists()

    def test_the_record_form(self, bangka):
        d = make_distribution(LUMUT)
        companion = register_psm(code=LUMUT)
        client = client_for(psm())
        page = client.get(reverse("programs:distribution_record", args=[d.pk]))
        assert [v for v, _l in page.context["form"].fields["status"].choices] == [
            S.DELIVERED,
            S.FAILED,
            S.RETURNED,
        ]
        assert list(page.context["form"].fields["accompanied_by"].queryset) == [companion]
        response = client.post(
            reverse("programs:distribution_record", args=[d.pk]),
            {
                "status": S.DELIVERED,
                "distributed_on": past().isoformat(),
                "channel": Channel.GOODS,
                "accompanied_by": companion.pk,
                "proof_photo": jpeg_upload(),
                "version": 1,
            },
        )
        assert response.status_code == 302
        d.refresh_from_db()
        assert (d.status, d.accompanied_by, bool(d.proof_photo)) == (S.DELIVERED, companion, True)
        detail = client.get(reverse("programs:distribution_detail", args=[d.pk]))
        body = detail.content.decode()
        assert reverse("programs:distribution_file", args=[d.pk, "foto"]) in body
        assert "/media/" not in body and "programs/bukti" not in body

    def test_the_record_form_shows_the_rule_it_broke(self, bangka):
        d = make_distribution(LUMUT)
        response = client_for(psm()).post(
            reverse("programs:distribution_record", args=[d.pk]),
            {"status": S.FAILED, "reason": "", "version": 1},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
        d.refresh_from_db()
        assert d.status == S.SCHEDULED

    def test_a_stale_form_is_refused(self, bangka):
        d = make_distribution(LUMUT)
        deliver(d)
        response = client_for(psm()).post(
            reverse("programs:distribution_record", args=[d.pk]),
            {"status": S.RETURNED, "reason": "x", "version": 1},
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        d.refresh_from_db()
        assert d.status == S.DELIVERED

    def test_the_detail_is_logged_and_shows_the_history(self, bangka):
        d = make_distribution(LUMUT)
        deliver(d)
        user = psm()
        response = client_for(user).get(reverse("programs:distribution_detail", args=[d.pk]))
        assert response.status_code == 200
        assert len(response.context["events"]) == 2
        assert AuditEvent.objects.filter(
            actor=user, action=Action.VIEW, object_id=str(d.pk)
        ).exists()

    def test_a_missing_file_answers_404(self, bangka):
        d = make_distribution(LUMUT)
        client = client_for(psm())
        assert (
            client.get(reverse("programs:distribution_file", args=[d.pk, "foto"])).status_code
            == 404
        )
        assert (
            client.get(reverse("programs:distribution_file", args=[d.pk, "other"])).status_code
            == 404
        )

    def test_the_file_is_served_privately(self, bangka):
        d = make_distribution(LUMUT)
        deliver(d, proof_photo=jpeg_upload())
        response = client_for(psm()).get(reverse("programs:distribution_file", args=[d.pk, "foto"]))
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert content[:3] == b"\xff\xd8\xff"
