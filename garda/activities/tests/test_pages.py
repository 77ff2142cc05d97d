"""Pages of field activities: the scoping contract for every view (anonymous -> login, wrong
role -> 403, other area -> 404, own area -> served), the list's query count, the capture
form without JavaScript, and the coordinator's verify/return."""

import datetime
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    SUNGAILIAT,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.registry.tests.factories import register_keluarga
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Activity, ActivityEvent, Photo, Status
from . import factories as f

SUNGAILIAT_DESA = "19.01.01.1001"
PSM_LUMUT = (Role.PSM, LUMUT)
KOORD_BELINYU = (Role.KOORDINATOR, BELINYU)
VIEWER = (Role.VIEWER, BANGKA)


def report_in(code: str, *, submit: bool = True, photo: bool = False) -> Activity:
    _pilar, user = f.psm(code)
    activity = f.report(user, code=code, submit=submit)
    if photo:
        services.photo_add(
            actor=user, activity=activity, upload=f.jpeg_upload(), client_uuid=uuid.uuid4()
        )
    return activity


class TestDetail(ScopedViewContract):
    allowed = PSM_LUMUT
    wrong_role = VIEWER
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return report_in(code)

    def url_for(self, obj: Any) -> str:
        return obj.get_absolute_url()


class TestPhoto(TestDetail):
    def make_object(self, code: str) -> Any:
        return report_in(code, photo=True).photos.get()


class TestSubmit(ScopedViewContract):
    method = "post"
    allowed = PSM_LUMUT
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
    own_area = LUMUT
    other_area = BINTET
    ok_status = 302

    def make_object(self, code: str) -> Activity:
        return report_in(code, submit=False)

    def url_for(self, obj: Activity) -> str:
        return reverse("activities:submit", args=[obj.pk])


class TestVerify(ScopedViewContract):
    method = "post"
    allowed = KOORD_BELINYU
    wrong_role = PSM_LUMUT
    own_area = LUMUT
    other_area = SUNGAILIAT_DESA
    ok_status = 302

    def make_object(self, code: str) -> Activity:
        return report_in(code)

    def url_for(self, obj: Activity) -> str:
        return reverse("activities:verify", args=[obj.pk])


class TestReturn(TestVerify):
    method = "get"
    ok_status = 200

    def url_for(self, obj: Activity) -> str:
        return reverse("activities:return", args=[obj.pk])


class TestCaptureWithResident(ScopedViewContract):
    allowed = PSM_LUMUT
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return register_keluarga(code=code)

    def url_for(self, obj: Any) -> str:
        return reverse("activities:capture") + f"?keluarga={obj.pk}"


class TestMonthly(ScopedViewContract):
    allowed = PSM_LUMUT
    wrong_role = VIEWER
    own_area = LUMUT
    other_area = BINTET
    view = "activities:monthly"

    def make_object(self, code: str) -> Any:
        return report_in(code).pilar

    def url_for(self, obj: Any) -> str:
        return reverse(self.view, args=[obj.pk, 2026, 3])


class TestMonthlyPdf(TestMonthly):
    view = "activities:monthly_pdf"


class TestMonthlyXlsx(TestMonthly):
    view = "activities:monthly_xlsx"


class TestSummary(ScopedViewContract):
    allowed = KOORD_BELINYU
    wrong_role = PSM_LUMUT
    own_area = BELINYU
    other_area = SUNGAILIAT
    view = "activities:summary"

    def make_object(self, code: str) -> Wilayah:
        return Wilayah.objects.get(code=code)

    def url_for(self, obj: Wilayah) -> str:
        return reverse(self.view, args=[obj.code, 2026, 3])


class TestSummaryPdf(TestSummary):
    view = "activities:summary_pdf"


class TestSummaryXlsx(TestSummary):
    view = "activities:summary_xlsx"


def meeting_in(code: str, *, sheet: bool = True) -> Any:
    _pilar, user = f.psm(code)
    meeting, _ = services.meeting_record(
        actor=user,
        client_uuid=uuid.uuid4(),
        data={
            "wilayah": Wilayah.objects.get(code=code),
            "held_at": timezone.now() - datetime.timedelta(days=2),
            "place": "Balai desa",
            "agenda": "Koordinasi penyaluran",
        },
        attendees=[],
        tasks=[],
        attendance_sheet=f.jpeg_upload() if sheet else None,
    )
    return meeting


class TestMeetingDetail(ScopedViewContract):
    allowed = PSM_LUMUT
    wrong_role = VIEWER
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return meeting_in(code)

    def url_for(self, obj: Any) -> str:
        return obj.get_absolute_url()


class TestMeetingSheet(TestMeetingDetail):
    def url_for(self, obj: Any) -> str:
        return reverse("activities:meeting_sheet", args=[obj.pk])


# Pages without an object: their rows come from the scoped querysets (tested below by what
# they show); the contract's other three answers hold for each.
PAGES = [
    ("activities:list", PSM_LUMUT, VIEWER, 200),
    ("activities:review", KOORD_BELINYU, PSM_LUMUT, 200),
    ("activities:capture", PSM_LUMUT, (Role.OPERATOR_DESA, LUMUT), 200),
    ("activities:meeting_list", PSM_LUMUT, VIEWER, 200),
    ("activities:meeting_create", PSM_LUMUT, (Role.OPERATOR_DESA, LUMUT), 200),
    ("activities:summary_mine", KOORD_BELINYU, PSM_LUMUT, 302),
]


@pytest.mark.parametrize(("name", "allowed", "wrong", "ok"), PAGES)
def test_pages_without_an_object(bangka, name, allowed, wrong, ok):
    url = reverse(name)
    response = Client().get(url)
    assert response.status_code == 302 and "/akun/masuk/" in response["Location"]
    assert client_for(make_user(*wrong)).get(url).status_code == 403
    assert client_for(make_user(*allowed)).get(url).status_code == ok


def test_my_monthly_report_is_the_current_month_of_my_profile(bangka):
    pilar, user = f.psm(LUMUT)
    today = timezone.localdate()
    response = client_for(user).get(reverse("activities:monthly_mine"))
    assert response["Location"] == reverse(
        "activities:monthly", args=[pilar.pk, today.year, today.month]
    )
    no_profile = client_for(make_user(Role.PSM, LUMUT))
    assert no_profile.get(reverse("activities:monthly_mine")).status_code == 404


def test_the_list_shows_only_the_area_and_pins_its_queries(bangka, django_assert_max_num_queries):
    for _ in range(3):
        report_in(LUMUT, photo=True)
    outside = report_in(BINTET)
    client = client_for(make_user(Role.PSM, LUMUT))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("activities:list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 3
    assert outside.get_absolute_url() not in response.content.decode()


def test_the_review_queue_lists_submitted_reports_of_the_kecamatan_only(bangka):
    waiting = report_in(LUMUT)
    draft = report_in(LUMUT, submit=False)
    elsewhere = report_in(SUNGAILIAT_DESA)
    response = client_for(make_user(*KOORD_BELINYU)).get(reverse("activities:review"))
    listed = list(response.context["object_list"])
    assert listed == [waiting]
    assert draft not in listed and elsewhere not in listed


def test_capture_without_javascript_files_a_submitted_report_with_photos(bangka):
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    key = uuid.uuid4()
    fields = {
        **{k: v for k, v in f.json_data().items() if v not in (None, [])},
        "client_uuid": str(key),
        "action": "submit",
    }
    response = client.post(
        reverse("activities:capture"),
        {**fields, "photos": [f.jpeg_upload(exif=True), f.jpeg_upload()]},
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()
    assert activity.status == Status.SUBMITTED and activity.participants == 25
    assert activity.photos.count() == 2
    # The same form sent again (a double tap): nothing new.
    client.post(reverse("activities:capture"), {**fields, "photos": [f.jpeg_upload()]})
    assert Activity.objects.count() == 1 and Photo.objects.count() == 2


def test_capture_refuses_a_desa_outside_the_area_as_a_form_error(bangka):
    _pilar, user = f.psm(LUMUT)
    fields = {k: v for k, v in f.json_data(BINTET).items() if v not in (None, [])}
    response = client_for(user).post(reverse("activities:capture"), fields)
    assert response.status_code == 200
    assert "wilayah" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_capture_page_without_a_profile_says_so(bangka):
    response = client_for(make_user(Role.PSM, LUMUT)).get(reverse("activities:capture"))
    assert response.status_code == 200
    assert "capture-form" not in response.content.decode()


def test_capture_page_links_the_manifest_and_the_script_with_a_nonce(bangka):
    _pilar, user = f.psm(LUMUT)
    html = client_for(user).get(reverse("activities:capture")).content.decode()
    assert reverse("activities:manifest") in html
    assert 'src="/static/activities/capture.js" nonce=' in html
    assert "<script>" not in html


def test_coordinator_verifies_and_returns_from_the_pages(bangka):
    first, second = report_in(LUMUT), report_in(LUMUT)
    client = client_for(make_user(*KOORD_BELINYU))
    page = client.get(first.get_absolute_url()).content.decode()
    assert reverse("activities:verify", args=[first.pk]) in page
    client.post(reverse("activities:verify", args=[first.pk]))
    empty = client.post(reverse("activities:return", args=[second.pk]), {"reason": ""})
    assert empty.status_code == 200 and empty.context["form"].errors
    client.post(reverse("activities:return", args=[second.pk]), {"reason": "Foto kurang"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.VERIFIED
    assert (second.status, second.return_reason) == (Status.RETURNED, "Foto kurang")
    assert ActivityEvent.objects.filter(to_status="returned", note="Foto kurang").count() == 1


def test_a_coordinator_cannot_open_the_return_form_of_their_own_report(bangka):
    _pilar, user = f.psm(LUMUT)
    from garda.accounts.models import RoleAssignment

    RoleAssignment.objects.create(
        user=user, role=Role.KOORDINATOR, wilayah_id=BELINYU, valid_from=datetime.date(2020, 1, 1)
    )
    activity = f.report(user, submit=True)
    client = client_for(user)
    assert client.get(reverse("activities:return", args=[activity.pk])).status_code == 403
    client.post(reverse("activities:verify", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.status == Status.SUBMITTED


def test_psm_detail_page_offers_submit_for_a_draft_only_to_its_author(bangka):
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user)
    url = reverse("activities:submit", args=[activity.pk])
    assert url in client_for(user).get(activity.get_absolute_url()).content.decode()
    colleague = client_for(make_user(Role.PSM, LUMUT))
    assert url not in colleague.get(activity.get_absolute_url()).content.decode()
    colleague.post(url)
    activity.refresh_from_db()
    assert activity.status == Status.DRAFT


def test_meeting_form_records_a_meeting(bangka):
    pilar, user = f.psm(LUMUT)
    response = client_for(user).post(
        reverse("activities:meeting_create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "held_at": "2026-03-02T09:00",
            "wilayah": LUMUT,
            "place": "Balai Desa Lumut",
            "agenda": "Data lansia",
            "attendees": [str(pilar.pk)],
            "tasks": "Kunjungi Pak Ahmad; Siti; 10/03/2026",
            "attendance_sheet": f.jpeg_upload(),
        },
    )
    assert response.status_code == 302
    detail = client_for(user).get(response["Location"]).content.decode()
    assert "Kunjungi Pak Ahmad" in detail and pilar.name in detail


def test_service_worker_and_manifest_are_served_for_the_activity_pages(bangka):
    client = Client()
    sw = client.get(reverse("activities:service_worker"))
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == reverse("activities:list")
    body = sw.content.decode()
    assert '"/static/activities/capture.js"' in body and '"/kegiatan/catat/"' in body
    manifest = client.get(reverse("activities:manifest")).json()
    assert manifest["start_url"] == reverse("activities:capture")
    assert manifest["scope"] == reverse("activities:list")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


def test_review_and_meeting_lists_pin_their_queries(bangka, django_assert_max_num_queries):
    for _ in range(4):
        report_in(LUMUT, photo=True)
        meeting_in(LUMUT, sheet=False)
    client = client_for(make_user(*KOORD_BELINYU))
    with django_assert_max_num_queries(12):
        review = client.get(reverse("activities:review"))
    assert len(review.context["object_list"]) == 4
    with django_assert_max_num_queries(12):
        meetings = client.get(reverse("activities:meeting_list"))
    assert len(meetings.context["object_list"]) == 4


class TestUpdate(ScopedViewContract):
    allowed = PSM_LUMUT
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
    own_area = LUMUT
    other_area = BINTET

    @pytest.fixture
    def allowed_user(self, bangka):
        _pilar, self.author = f.psm(LUMUT)
        return self.author

    def make_object(self, code: str) -> Activity:
        author = getattr(self, "author", None) if code == self.own_area else None
        if author is None:
            _pilar, author = f.psm(code)
        return f.report(author, code=code)

    def url_for(self, obj: Activity) -> str:
        return reverse("activities:update", args=[obj.pk])


def _edit_fields(activity: Activity, **changes: Any) -> dict[str, Any]:
    fields = {
        **{k: v for k, v in f.json_data().items() if v not in (None, [])},
        "client_uuid": str(activity.client_uuid),
        "version": str(activity.version),
        "action": "submit",
    }
    return {**fields, **changes}


def test_a_returned_report_is_corrected_with_a_photo_and_resubmitted(bangka):
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user, submit=True)
    services.activity_return(actor=f.coordinator(), activity=activity, reason="Tambah foto")
    activity.refresh_from_db()
    client = client_for(user)
    page = client.get(activity.get_absolute_url()).content.decode()
    assert reverse("activities:update", args=[activity.pk]) in page
    response = client.post(
        reverse("activities:update", args=[activity.pk]),
        {**_edit_fields(activity, description="Dengan foto rumah."), "photos": f.jpeg_upload()},
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.description == "Dengan foto rumah."
    assert activity.status == Status.SUBMITTED and activity.photos.count() == 1


def test_an_edit_from_an_old_page_is_refused_and_nothing_changes(bangka):
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user)
    stale = _edit_fields(activity, description="Versi lama", action="save")
    client = client_for(user)
    client.post(
        reverse("activities:update", args=[activity.pk]),
        _edit_fields(activity, description="Versi baru", action="save"),
    )
    response = client.post(reverse("activities:update", args=[activity.pk]), stale)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    activity.refresh_from_db()
    assert activity.description == "Versi baru"


def test_a_colleague_cannot_edit_my_report(bangka):
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user)
    colleague = client_for(make_user(Role.PSM, LUMUT))
    assert colleague.get(reverse("activities:update", args=[activity.pk])).status_code == 403
