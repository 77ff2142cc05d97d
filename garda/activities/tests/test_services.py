"""Services of field activities: reports and their status history, photos with EXIF, chunked
uploads that resume, the idempotent sync, and meetings."""

import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed, SyncConflict
from garda.core.testing import BINTET, LUMUT, SUNGAILIAT, make_user
from garda.pilar.models import Pilar
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Activity, ActivityEvent, Meeting, Photo, PhotoUpload, Status
from . import factories as f

pytestmark = pytest.mark.usefixtures("bangka")


@pytest.fixture
def worker():
    return f.psm(LUMUT)


def test_a_report_belongs_to_the_psm_of_the_account_and_starts_as_a_draft(worker):
    pilar, user = worker
    activity = f.report(user)
    assert activity.pilar == pilar
    assert activity.reported_by == user
    assert activity.status == Status.DRAFT
    assert activity.latitude == Decimal("-1.612345")
    assert list(activity.events.values_list("from_status", "to_status")) == [("", "draft")]
    assert AuditEvent.objects.filter(object_id=str(activity.pk), action="create").exists()


def test_the_same_client_uuid_makes_one_report(worker):
    _pilar, user = worker
    key = uuid.uuid4()
    first = f.report(user, client_uuid=key)
    again, created = services.activity_create(
        actor=user, client_uuid=key, data=f.data(description="Lain"), submit=True
    )
    assert again.pk == first.pk and not created
    assert Activity.objects.count() == 1
    assert again.description != "Lain"


def test_someone_elses_uuid_is_not_found(worker):
    _pilar, user = worker
    key = uuid.uuid4()
    f.report(user, client_uuid=key)
    _other, colleague = f.psm(LUMUT)
    with pytest.raises(services.NotFound):
        services.activity_create(actor=colleague, client_uuid=key, data=f.data())


def test_a_report_outside_the_area_is_refused(worker):
    _pilar, user = worker
    with pytest.raises(services.NotFound):
        f.report(user, code=BINTET)
    assert not Activity.objects.exists()


def test_an_account_without_a_psm_profile_cannot_report():
    user = make_user(Role.PSM, LUMUT)
    with translation.override("en"), pytest.raises(NotAllowed, match="not linked"):
        f.report(user)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "  "}, "description"),
        ({"latitude": None}, "latitude"),
        ({"occurred_at": timezone.now() + datetime.timedelta(days=1)}, "occurred_at"),
    ],
)
def test_bad_reports_are_refused_with_the_field(worker, overrides, field):
    _pilar, user = worker
    with pytest.raises(GardaError) as error:
        f.report(user, **overrides)
    assert error.value.field == field
    assert not Activity.objects.exists()


def test_submit_verify_and_the_history(worker):
    _pilar, user = worker
    activity = f.report(user, submit=True)
    assert activity.status == Status.SUBMITTED and activity.submitted_at
    boss = f.coordinator()
    services.activity_verify(actor=boss, activity=activity)
    activity.refresh_from_db()
    assert activity.status == Status.VERIFIED
    assert activity.verified_by == boss
    steps = list(activity.events.values_list("from_status", "to_status", "actor"))
    assert steps == [
        ("", "draft", user.pk),
        ("draft", "submitted", user.pk),
        ("submitted", "verified", boss.pk),
    ]
    with pytest.raises(InvalidState):
        services.activity_return(actor=boss, activity=activity, reason="Terlambat")


def test_return_needs_a_reason_and_the_psm_corrects_and_resubmits(worker):
    _pilar, user = worker
    activity = f.report(user, submit=True)
    boss = f.coordinator()
    with pytest.raises(GardaError) as error:
        services.activity_return(actor=boss, activity=activity, reason=" ")
    assert error.value.field == "reason"
    services.activity_return(actor=boss, activity=activity, reason="Tambahkan foto rumah.")
    activity.refresh_from_db()
    assert activity.status == Status.RETURNED
    assert activity.return_reason == "Tambahkan foto rumah."
    event = activity.events.last()
    assert event is not None and event.note == "Tambahkan foto rumah."
    services.activity_update(
        actor=user,
        activity=activity,
        data=f.data(description="Sudah dilengkapi."),
        expected_version=activity.version,
    )
    services.activity_submit(actor=user, activity=activity)
    activity.refresh_from_db()
    assert activity.status == Status.SUBMITTED and activity.return_reason == ""


def test_coordinators_verify_only_in_their_kecamatan_and_never_their_own(worker):
    _pilar, user = worker
    activity = f.report(user, submit=True)
    with pytest.raises(NotAllowed):
        services.activity_verify(actor=f.coordinator(SUNGAILIAT), activity=activity)
    with pytest.raises(NotAllowed):
        services.activity_verify(actor=user, activity=activity)  # a PSM cannot verify
    assert Activity.objects.get().status == Status.SUBMITTED


def test_a_verified_report_cannot_be_edited(worker):
    _pilar, user = worker
    activity = f.report(user, submit=True)
    services.activity_verify(actor=f.coordinator(), activity=activity)
    with pytest.raises(InvalidState):
        services.activity_update(
            actor=user, activity=activity, data=f.data(), expected_version=activity.version
        )


def test_an_edit_on_an_old_version_is_refused(worker):
    _pilar, user = worker
    activity = f.report(user)
    with pytest.raises(ConcurrentEdit):
        services.activity_update(
            actor=user, activity=activity, data=f.data(description="x"), expected_version=0
        )


# --- photos ---------------------------------------------------------------------------------


def test_photo_time_and_position_come_from_exif_and_the_stored_file_has_none(worker):
    _pilar, user = worker
    activity = f.report(user)
    photo, created = services.photo_add(
        actor=user, activity=activity, upload=f.jpeg_upload(exif=True), client_uuid=uuid.uuid4()
    )
    assert created
    assert photo.taken_at == datetime.datetime(
        2026, 3, 5, 9, 30, tzinfo=timezone.get_current_timezone()
    )
    assert photo.latitude == Decimal("-1.600000")
    assert photo.longitude == Decimal("105.770000")
    with photo.file.open("rb") as stored:
        assert services.photo_facts(stored.read()) == services.PhotoFacts()


def test_a_photo_without_exif_has_no_time_or_position(worker):
    _pilar, user = worker
    photo, _ = services.photo_add(
        actor=user, activity=f.report(user), upload=f.jpeg_upload(), client_uuid=uuid.uuid4()
    )
    assert photo.taken_at is None and photo.latitude is None


def test_heic_is_stored_as_jpeg_with_its_time(worker):
    _pilar, user = worker
    photo, _ = services.photo_add(
        actor=user, activity=f.report(user), upload=f.heic_upload(), client_uuid=uuid.uuid4()
    )
    assert str(photo.file.name).endswith(".jpg")
    with photo.file.open("rb") as stored:
        assert stored.read(3) == b"\xff\xd8\xff"
    assert photo.taken_at is not None and photo.taken_at.day == 5


def test_a_file_that_is_not_a_photo_is_refused(worker):
    _pilar, user = worker
    with pytest.raises(GardaError):
        services.photo_add(
            actor=user,
            activity=f.report(user),
            upload=SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg"),
            client_uuid=uuid.uuid4(),
        )
    assert not Photo.objects.exists()


def test_the_same_photo_uuid_is_stored_once(worker):
    _pilar, user = worker
    activity, key = f.report(user), uuid.uuid4()
    first, _ = services.photo_add(
        actor=user, activity=activity, upload=f.jpeg_upload(), client_uuid=key
    )
    again, created = services.photo_add(
        actor=user, activity=activity, upload=f.jpeg_upload(), client_uuid=key
    )
    assert again.pk == first.pk and not created
    assert Photo.objects.count() == 1


def test_a_colleague_cannot_add_photos_to_my_report(worker):
    _pilar, user = worker
    _other, colleague = f.psm(LUMUT)
    with pytest.raises(NotAllowed):
        services.photo_add(
            actor=colleague,
            activity=f.report(user),
            upload=f.jpeg_upload(),
            client_uuid=uuid.uuid4(),
        )


def test_chunks_resume_where_the_server_stopped(worker, media_root):
    _pilar, user = worker
    activity, key = f.report(user), uuid.uuid4()
    content = f.jpeg_bytes(exif=True, size=(400, 300))
    total, half = len(content), len(content) // 2

    state = services.photo_chunk(
        actor=user,
        activity=activity,
        client_uuid=key,
        offset=0,
        total=total,
        chunk=content[:half],
    )
    assert (state.received, state.photo) == (half, None)
    # The connection broke; the phone asks where to resume, and a stray chunk from an old
    # offset is not written again.
    assert services.photo_upload_state(activity=activity, client_uuid=key).received == half
    stale = services.photo_chunk(
        actor=user,
        activity=activity,
        client_uuid=key,
        offset=0,
        total=total,
        chunk=content[:half],
    )
    assert stale.received == half
    # A request that wrote bytes but died before its commit left the part too long: the next
    # chunk cuts it back to what was recorded.
    part = Path(media_root) / "kegiatan" / "sebagian" / f"{key.hex}.part"
    with open(part, "ab") as extra:
        extra.write(b"garbage")
    done = services.photo_chunk(
        actor=user,
        activity=activity,
        client_uuid=key,
        offset=half,
        total=total,
        chunk=content[half:],
    )
    assert done.photo is not None and done.received == total
    assert done.photo.latitude == Decimal("-1.600000")
    assert not PhotoUpload.objects.exists()
    # Sent once more (the answer was lost): the same photo, no second one.
    again = services.photo_chunk(
        actor=user,
        activity=activity,
        client_uuid=key,
        offset=half,
        total=total,
        chunk=content[half:],
    )
    assert again.photo == done.photo
    assert Photo.objects.count() == 1


def test_a_chunk_larger_than_the_photo_or_the_limit_is_refused(worker):
    _pilar, user = worker
    activity = f.report(user)
    with pytest.raises(GardaError):
        services.photo_chunk(
            actor=user,
            activity=activity,
            client_uuid=uuid.uuid4(),
            offset=0,
            total=100 * 1024 * 1024,
            chunk=b"x",
        )
    state = services.photo_chunk(
        actor=user,
        activity=activity,
        client_uuid=uuid.uuid4(),
        offset=0,
        total=3,
        chunk=b"xxxx",
    )
    assert state.received == 0 and state.photo is None


def test_a_broken_image_in_chunks_is_refused_and_nothing_is_stored(worker):
    _pilar, user = worker
    with pytest.raises(GardaError):
        services.photo_chunk(
            actor=user,
            activity=f.report(user),
            client_uuid=uuid.uuid4(),
            offset=0,
            total=10,
            chunk=b"\xff\xd8\xff" + b"\x00" * 7,
        )
    assert not Photo.objects.exists()


# --- sync -----------------------------------------------------------------------------------


def test_sync_twice_is_one_report_and_then_unchanged(worker):
    _pilar, user = worker
    key, data = uuid.uuid4(), f.data()
    first = services.activity_sync(
        actor=user, client_uuid=key, base_version=None, data=data, submit=True
    )
    assert first.outcome == "created" and first.activity.status == Status.SUBMITTED
    second = services.activity_sync(
        actor=user, client_uuid=key, base_version=None, data=data, submit=True
    )
    assert second.outcome == "unchanged"
    assert Activity.objects.count() == 1
    assert ActivityEvent.objects.filter(to_status="submitted").count() == 1


def test_sync_applies_a_change_made_on_the_current_version(worker):
    _pilar, user = worker
    key = uuid.uuid4()
    created = services.activity_sync(
        actor=user, client_uuid=key, base_version=None, data=f.data(), submit=False
    ).activity
    result = services.activity_sync(
        actor=user,
        client_uuid=key,
        base_version=created.version,
        data=f.data(description="Diperbaiki"),
        submit=False,
    )
    assert result.outcome == "updated"
    assert Activity.objects.get().description == "Diperbaiki"


def test_sync_on_a_record_changed_on_the_server_is_a_conflict_with_both_versions(worker):
    _pilar, user = worker
    key = uuid.uuid4()
    activity = services.activity_sync(
        actor=user, client_uuid=key, base_version=None, data=f.data(), submit=True
    ).activity
    services.activity_return(actor=f.coordinator(), activity=activity, reason="Kurang jelas")
    with pytest.raises(SyncConflict) as conflict:
        services.activity_sync(
            actor=user,
            client_uuid=key,
            base_version=1,
            data=f.data(description="Versi HP"),
            submit=True,
        )
    assert conflict.value.server["status"] == "returned"
    assert conflict.value.server["return_reason"] == "Kurang jelas"
    assert conflict.value.yours["description"] == "Versi HP"
    assert Activity.objects.get().description != "Versi HP"  # nothing overwritten


def test_sync_of_another_users_record_is_not_found(worker):
    _pilar, user = worker
    key = uuid.uuid4()
    services.activity_sync(
        actor=user, client_uuid=key, base_version=None, data=f.data(), submit=False
    )
    _other, colleague = f.psm(LUMUT)
    with pytest.raises(services.NotFound):
        services.activity_sync(
            actor=colleague, client_uuid=key, base_version=None, data=f.data(), submit=False
        )


# --- meetings -------------------------------------------------------------------------------


def test_a_meeting_with_attendees_and_tasks_is_recorded_once(worker):
    pilar, user = worker
    key = uuid.uuid4()
    tasks = services.parse_tasks("Data lansia; Siti; 31/03/2026\n\nUndang kades")
    data = {
        "wilayah": Wilayah.objects.get(code=LUMUT),
        "held_at": timezone.now() - datetime.timedelta(days=1),
        "place": "Balai Desa Lumut",
        "agenda": "Persiapan penyaluran",
        "other_attendees": "Pak Kades, kepala desa",
        "minutes": "",
        "decisions": "Penyaluran tanggal 5",
    }
    meeting, created = services.meeting_record(
        actor=user,
        client_uuid=key,
        data=data,
        attendees=[pilar],
        tasks=tasks,
        attendance_sheet=f.jpeg_upload(),
    )
    assert created and list(meeting.attendees.all()) == [pilar]
    assert [(t.task, t.responsible, t.due_on) for t in meeting.tasks.all()] == [
        ("Data lansia", "Siti", datetime.date(2026, 3, 31)),
        ("Undang kades", "", None),
    ]
    assert str(meeting.attendance_sheet.name).endswith(".jpg")
    again, created = services.meeting_record(
        actor=user, client_uuid=key, data=data, attendees=[pilar], tasks=tasks
    )
    assert again == meeting and not created
    assert Meeting.objects.count() == 1


def test_meeting_tasks_with_a_bad_date_name_the_line():
    with pytest.raises(GardaError, match="2"):
        services.parse_tasks("A; B\nC; D; besok")


def test_meeting_attendees_outside_the_area_are_refused(worker):
    _pilar, user = worker
    stranger = Pilar.objects.get(pk=f.psm(SUNGAILIAT + ".1001")[0].pk)
    with pytest.raises(NotAllowed):
        services.meeting_record(
            actor=user,
            client_uuid=uuid.uuid4(),
            data={
                "wilayah": Wilayah.objects.get(code=LUMUT),
                "held_at": timezone.now(),
                "place": "Balai",
                "agenda": "x",
            },
            attendees=[stranger],
            tasks=[],
        )
    assert not Meeting.objects.exists()
