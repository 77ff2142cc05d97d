"""The case pages: the scoping contract on every view, then what the pages do."""

import datetime
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.registry.tests.factories import register_individu

from .. import services
from ..models import Case, CaseDocument, Status
from .factories import (
    case_in,
    coordinator,
    dinas_staff,
    institution,
    open_case,
    psm,
    upload,
)

pytestmark = pytest.mark.usefixtures("bangka")

SUNGAILIAT_DESA = "19.01.01.1001"


# --- The scoping contract -------------------------------------------------------------------


class PsmContract(ScopedViewContract):
    """A PSM of Lumut reaches nothing of Bintet; a viewer (aggregates only) no case at all."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET
    status: ClassVar[str] = Status.OPEN

    def make_object(self, code: str) -> Any:
        return case_in(self.status, code=code)


class CoordinatorContract(PsmContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    own_area = BINTET
    other_area = SUNGAILIAT_DESA
    status = Status.CLOSING


class ApproverContract(CoordinatorContract):
    """Approving a closing is the coordinator's: the PSM of the desa gets 403."""

    wrong_role = (Role.PSM, BINTET)


class DinasContract(PsmContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA


class PostContract:
    """A POST with valid data: the own-area answer is the redirect back to the case."""

    method: ClassVar[str] = "post"
    ok_status: ClassVar[int] = 302
    current: Any = None

    def payload(self, obj: Any) -> dict[str, Any]:
        return {}

    def url_for(self, obj: Any) -> str:
        self.current = obj
        return self.path_for(obj)

    def path_for(self, obj: Any) -> str:
        raise NotImplementedError

    def request(self, client: Client, url: str):
        return client.post(url, self.payload(self.current))


def case_url(name: str):
    def url_for(self, case: Case) -> str:
        return reverse(f"cases:{name}", args=[case.pk])

    return url_for


class TestDetailForPsm(PsmContract):
    url_for = case_url("detail")


class TestDetailForCoordinator(CoordinatorContract):
    url_for = case_url("detail")


class TestDetailForDinas(DinasContract):
    url_for = case_url("detail")


class TestDetailForTheHeadOfOffice(DinasContract):
    """The head of office reads cases (VIEW_CASES) but does not handle them."""

    allowed = (Role.PIMPINAN, BANGKA)
    url_for = case_url("detail")


class TestTheHeadOfOfficeCannotAct(DinasContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PIMPINAN, BANGKA)
    url_for = case_url("assess")


class TestUpdatePage(PsmContract):
    url_for = case_url("update")


class TestUpdatePost(PostContract, PsmContract):
    path_for = case_url("update")

    def payload(self, case: Case) -> dict[str, Any]:
        return {
            "title": "Judul baru",
            "source": case.source,
            "urgency": case.urgency,
            "narrative": case.narrative,
            "unidentified_description": case.unidentified_description,
            "consent": case.consent,
            "consent_note": "",
            "version": case.version,
        }


class TestSubjectsPage(PsmContract):
    url_for = case_url("subjects")


class TestSubjectsPost(PostContract, PsmContract):
    path_for = case_url("subjects")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"add_niks": register_individu(code=case.wilayah_id).nik}


class TestAssessPage(PsmContract):
    url_for = case_url("assess")


class TestAssessPost(PostContract, PsmContract):
    path_for = case_url("assess")

    def payload(self, case: Case) -> dict[str, Any]:
        return {
            "assessed_on": timezone.localdate().isoformat(),
            "needs": ["health", "care"],
            "risk": "high",
            "notes": "Tinggal sendiri, sakit.",
        }


class TestPlanPage(PsmContract):
    status = Status.ASSESSED
    url_for = case_url("action_add")


class TestPlanPost(PostContract, PsmContract):
    status = Status.ASSESSED
    path_for = case_url("action_add")

    def payload(self, case: Case) -> dict[str, Any]:
        due = timezone.localdate() + datetime.timedelta(days=3)
        return {"description": "Antar ke Puskesmas", "owner": "PSM", "due_on": due.isoformat()}


class TestActionDonePost(PostContract, PsmContract):
    status = Status.PLAN_ACTIVE

    def path_for(self, case: Case) -> str:
        return reverse("cases:action_done", args=[case.pk, case.actions.get().pk])

    def payload(self, case: Case) -> dict[str, Any]:
        return {"done_on": timezone.localdate().isoformat(), "note": "Sudah"}


class TestServicePost(PostContract, PsmContract):
    path_for = case_url("service_add")

    def payload(self, case: Case) -> dict[str, Any]:
        return {
            "provided_on": timezone.localdate().isoformat(),
            "kind": "visit",
            "description": "Kunjungan",
        }


class TestTransferPage(PsmContract):
    url_for = case_url("transfer")


class TestTransferPost(PostContract, CoordinatorContract):
    status = Status.ASSESSED
    path_for = case_url("transfer")

    def payload(self, case: Case) -> dict[str, Any]:
        other = make_user(Role.PSM, case.wilayah_id)
        return {"handler": other.pk, "note": "Cuti"}


class TestReferPage(PsmContract):
    status = Status.PLAN_ACTIVE
    url_for = case_url("referral_add")


class TestReferPost(PostContract, PsmContract):
    status = Status.PLAN_ACTIVE
    path_for = case_url("referral_add")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"target": "dinas", "reason": "Butuh panti"}


class TestReferralAnswerPost(PostContract, PsmContract):
    status = Status.REFERRED

    def path_for(self, case: Case) -> str:
        return reverse("cases:referral_answer", args=[case.pk, case.referrals.get().pk])

    def payload(self, case: Case) -> dict[str, Any]:
        return {"accepted": "1", "note": ""}


class TestReferralCompletePage(PsmContract):
    status = Status.REFERRED

    def url_for(self, case: Case) -> str:
        return reverse("cases:referral_complete", args=[case.pk, case.referrals.get().pk])


class TestReferralLetter(CoordinatorContract):
    status = Status.REFERRED

    def url_for(self, case: Case) -> str:
        return reverse("cases:referral_letter", args=[case.pk, case.referrals.get().pk])


class TestResolvePost(PostContract, PsmContract):
    status = Status.PLAN_ACTIVE
    path_for = case_url("resolve")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"note": "Sudah ditangani"}


class TestRequestClosingPost(PostContract, PsmContract):
    status = Status.RESOLVED
    path_for = case_url("request_closing")


class TestDecideClosingPage(ApproverContract):
    url_for = case_url("decide_closing")


class TestDecideClosingPost(PostContract, ApproverContract):
    path_for = case_url("decide_closing")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"approve": "1", "note": ""}


class TestReopenPost(PostContract, DinasContract):
    status = Status.CLOSED
    path_for = case_url("reopen")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"note": "Kambuh"}


class TestDocumentPost(PostContract, PsmContract):
    path_for = case_url("document_add")

    def payload(self, case: Case) -> dict[str, Any]:
        return {"title": "Laporan kunjungan", "file": upload()}


class TestDocumentDownload(PsmContract):
    def make_object(self, code: str) -> Any:
        case = case_in(Status.OPEN, code=code)
        return services.document_add(actor=case.handler, case=case, title="Surat", file=upload())

    def url_for(self, document: CaseDocument) -> str:
        return reverse("cases:document", args=[document.case_id, document.pk])


class InstitutionContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BELINYU
    other_area = "19.02"

    def make_object(self, code: str) -> Any:
        return institution(code=code)


class TestInstitutionPage(InstitutionContract):
    def url_for(self, obj: Any) -> str:
        return reverse("cases:institution_update", args=[obj.pk])


# --- Lists ----------------------------------------------------------------------------------


class TestList:
    def test_anonymous_goes_to_login_and_a_viewer_is_refused(self):
        response = Client().get(reverse("cases:list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
        viewer = client_for(make_user(Role.VIEWER, BANGKA))
        assert viewer.get(reverse("cases:list")).status_code == 403
        assert viewer.get(reverse("cases:mine")).status_code == 403
        operator = client_for(make_user(Role.OPERATOR_DESA, LUMUT))
        assert operator.get(reverse("cases:list")).status_code == 403

    def test_each_level_sees_its_own_area(self):
        lumut, bintet, sungailiat = (
            open_case(code=LUMUT),
            open_case(code=BINTET),
            open_case(code=SUNGAILIAT_DESA),
        )
        far = open_case(code=OTHER_DESA)

        def numbers(user) -> set[str]:
            page = client_for(user).get(reverse("cases:list"))
            assert page.status_code == 200
            return {c.number for c in page.context["object_list"]}

        assert numbers(psm(LUMUT)) == {lumut.number}
        assert numbers(coordinator(LUMUT)) == {lumut.number, bintet.number}
        assert numbers(dinas_staff()) == {lumut.number, bintet.number, sungailiat.number}
        assert far.number not in numbers(make_user(Role.ADMIN_DINAS, BANGKA))

    def test_my_cases_and_filters(self):
        worker = psm(LUMUT)
        mine = open_case(actor=worker, urgency="darurat")
        other = open_case(code=LUMUT, urgency="rendah")
        late = open_case(actor=worker, urgency="rendah")
        Case.objects.filter(pk=late.pk).update(
            response_due=timezone.now() - datetime.timedelta(hours=1)
        )
        client = client_for(worker)
        page = client.get(reverse("cases:mine"))
        assert {c.pk for c in page.context["object_list"]} == {mine.pk, late.pk}
        page = client.get(reverse("cases:list"), {"urgency": "rendah"})
        assert {c.pk for c in page.context["object_list"]} == {other.pk, late.pk}
        page = client.get(reverse("cases:list"), {"overdue": "on"})
        assert [c.pk for c in page.context["object_list"]] == [late.pk]
        assert "overdue" in page.content.decode() or "terlambat" in page.content.decode()

    def test_a_region_filter_outside_the_area_shows_nothing(self):
        open_case(code=LUMUT)
        page = client_for(psm(LUMUT)).get(reverse("cases:list"), {"region": SUNGAILIAT_DESA})
        assert page.status_code == 200
        assert list(page.context["object_list"]) == []

    def test_query_count_does_not_grow_with_the_rows(self, django_assert_max_num_queries):
        chair = coordinator(LUMUT)
        for code in (LUMUT, BINTET, LUMUT, BINTET, LUMUT, BINTET):
            case_in(Status.PLAN_ACTIVE, code=code)
        client = client_for(chair)
        client.get(reverse("cases:list"))  # warm the session
        with django_assert_max_num_queries(12):
            page = client.get(reverse("cases:list"))
        assert len(page.context["object_list"]) == 6


# --- Opening and reading a case -------------------------------------------------------------


class TestOpen:
    def test_a_psm_opens_a_case_for_a_resident_found_by_nik(self):
        worker = psm(LUMUT)
        person = register_individu(code=LUMUT)
        response = client_for(worker).post(
            reverse("cases:create"),
            {
                "wilayah": LUMUT,
                "source": "warga",
                "urgency": "tinggi",
                "title": "Anak terlantar",
                "narrative": "Ditinggal orang tua bekerja di luar kota.",
                "subject_niks": person.nik,
                "consent": "family",
                "consent_note": "Nenek",
                "handler": worker.pk,
            },
        )
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == case.get_absolute_url()
        assert list(case.subjects.all()) == [person]
        assert case.handler == worker

    def test_a_resident_outside_the_area_is_a_form_error_and_nothing_is_written(self):
        worker = psm(LUMUT)
        outsider = register_individu(code=BINTET)
        response = client_for(worker).post(
            reverse("cases:create"),
            {
                "wilayah": LUMUT,
                "source": "warga",
                "urgency": "tinggi",
                "title": "Anak terlantar",
                "narrative": "Ditinggal.",
                "subject_niks": outsider.nik,
                "consent": "given",
                "handler": worker.pk,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["subject_niks"]
        assert not Case.objects.exists()

    def test_a_desa_outside_the_area_is_not_offered(self):
        worker = psm(LUMUT)
        response = client_for(worker).post(
            reverse("cases:create"),
            {
                "wilayah": BINTET,
                "source": "warga",
                "urgency": "tinggi",
                "title": "x",
                "narrative": "x",
                "unidentified_description": "x",
                "consent": "given",
                "handler": worker.pk,
            },
        )
        assert response.status_code == 200
        assert "wilayah" in response.context["form"].errors
        assert not Case.objects.exists()

    def test_the_case_page_shows_the_timeline_and_logs_the_reading(self):
        case = case_in(Status.REFERRED)
        reader = coordinator(LUMUT)
        page = client_for(reader).get(case.get_absolute_url())
        body = page.content.decode()
        assert case.narrative in body
        assert case.referrals.get().number in body
        assert len(page.context["events"]) == 4
        assert AuditEvent.objects.filter(
            action=Action.VIEW, object_id=str(case.pk), actor=reader
        ).exists()

    def test_the_page_offers_only_the_steps_of_the_state(self):
        case = case_in(Status.CLOSING)
        worker_page = client_for(case.handler).get(case.get_absolute_url())
        assert not worker_page.context["can_approve"]
        assert not worker_page.context["can_refer"]
        chair_page = client_for(coordinator(LUMUT)).get(case.get_absolute_url())
        assert chair_page.context["can_approve"]
        assert reverse("cases:decide_closing", args=[case.pk]) in chair_page.content.decode()

    def test_an_illegal_step_by_url_is_a_message_not_a_500(self):
        case = case_in(Status.OPEN)
        response = client_for(case.handler).post(
            reverse("cases:resolve", args=[case.pk]), {"note": "Selesai"}
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert Case.objects.get(pk=case.pk).status == Status.OPEN

    def test_the_referral_letter_is_a_pdf(self):
        case = case_in(Status.REFERRED, with_subject=True)
        referral = case.referrals.get()
        response = client_for(case.handler).get(
            reverse("cases:referral_letter", args=[case.pk, referral.pk])
        )
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")

    def test_a_document_of_another_case_id_answers_404(self):
        case = case_in(Status.OPEN)
        document = services.document_add(
            actor=case.handler, case=case, title="Surat", file=upload()
        )
        other = open_case(actor=case.handler)
        client = client_for(case.handler)
        assert (
            client.get(reverse("cases:document", args=[other.pk, document.pk])).status_code == 404
        )
        response = client.get(reverse("cases:document", args=[case.pk, document.pk]))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert response.getvalue().startswith(b"%PDF")


# --- Two people editing one case ------------------------------------------------------------


def test_the_second_editor_sees_the_difference_and_keeps_her_input():
    case = open_case(urgency="sedang", narrative="Versi awal.")
    first, second = client_for(case.handler), client_for(coordinator(LUMUT))
    url = reverse("cases:update", args=[case.pk])
    opened = first.get(url).context["form"].initial["version"]
    assert second.get(url).context["form"].initial["version"] == opened

    def form(**changes: Any) -> dict[str, Any]:
        data = {
            "title": case.title,
            "source": case.source,
            "urgency": case.urgency,
            "narrative": case.narrative,
            "unidentified_description": case.unidentified_description,
            "consent": case.consent,
            "consent_note": "",
            "version": opened,
        }
        return {**data, **changes}

    assert first.post(url, form(narrative="Versi PSM.")).status_code == 302
    response = second.post(url, form(narrative="Versi koordinator.", urgency="tinggi"))
    assert response.status_code == 200
    conflicts = response.context["conflicts"]
    assert [(str(saved), str(yours)) for _label, saved, yours in conflicts] == [
        ("Versi PSM.", "Versi koordinator.")
    ] or ("Versi PSM.", "Versi koordinator.") in [(str(s), str(y)) for _l, s, y in conflicts]
    body = response.content.decode()
    assert "Versi PSM." in body and "Versi koordinator." in body  # nothing lost
    stored = Case.objects.get(pk=case.pk)
    assert stored.narrative == "Versi PSM."
    assert stored.urgency == "sedang"
    # The form now carries the new version: saving again is a deliberate choice, and works.
    assert response.context["form"].data["version"] == str(stored.version)
    again = second.post(url, form(narrative="Versi gabungan.", version=stored.version))
    assert again.status_code == 302
    assert Case.objects.get(pk=case.pk).narrative == "Versi gabungan."


# --- Institutions ---------------------------------------------------------------------------


def test_dinas_lists_and_adds_institutions():
    staff = client_for(dinas_staff())
    response = staff.post(
        reverse("cases:institution_create"),
        {
            "name": "UPTD PPA Kabupaten Bangka",
            "kind": "uptd_ppa",
            "wilayah": "19.01.01",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    page = staff.get(reverse("cases:institution_list"))
    assert "UPTD PPA Kabupaten Bangka" in page.content.decode()
    assert client_for(psm(LUMUT)).get(reverse("cases:institution_list")).status_code == 403


def test_case_page_and_institution_list_query_counts_do_not_grow(django_assert_max_num_queries):
    staff = dinas_staff()
    client = client_for(staff)
    case = case_in(Status.REFERRED, with_subject=True)
    for _index in range(3):
        services.service_record(
            actor=case.handler, case=case, kind="visit", description="Kunjungan"
        )
        services.document_add(actor=case.handler, case=case, title="Surat", file=upload())
        institution()
    client.get(reverse("cases:institution_list"))
    with django_assert_max_num_queries(25):
        page = client.get(case.get_absolute_url())
    assert len(page.context["services"]) == 3
    with django_assert_max_num_queries(10):
        page = client.get(reverse("cases:institution_list"))
    assert len(page.context["object_list"]) == 4


def test_an_unidentified_person_is_named_once_identified():
    case = open_case(unidentified_description="Laki-laki sekitar 40 tahun di pasar")
    found = register_individu(code=LUMUT)
    outsider = register_individu(code=BINTET)
    client = client_for(case.handler)
    url = reverse("cases:subjects", args=[case.pk])
    refused = client.post(url, {"add_niks": outsider.nik})
    assert refused.status_code == 200
    assert refused.context["form"].errors["add_niks"]
    assert client.post(url, {"add_niks": found.nik}).status_code == 302
    assert list(case.subjects.all()) == [found]
    assert client.post(url, {"keep": [], "add_niks": ""}).status_code == 302
    assert list(case.subjects.all()) == []
    assert case.events.filter(kind="edited").count() == 2


def test_dinas_changes_the_follow_up_targets_and_new_cases_use_them():
    url = reverse("cases:targets")
    assert client_for(coordinator(LUMUT)).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    staff = client_for(dinas_staff())
    form = staff.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    bad = staff.post(url, {**data, "hours_darurat": 0})
    assert bad.status_code == 200
    assert bad.context["form"].errors["hours_darurat"]
    assert staff.post(url, {**data, "hours_darurat": 6}).status_code == 302
    case = open_case(urgency="darurat")
    assert case.response_due - case.reported_at == datetime.timedelta(hours=6)
    assert AuditEvent.objects.filter(object_type="cases.slatarget").exists()


def test_a_kecamatan_level_role_cannot_set_targets_through_the_service():
    from garda.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.sla_targets_set(actor=coordinator(LUMUT), values={"darurat": (6, 2)})
