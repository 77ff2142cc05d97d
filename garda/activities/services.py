"""Writes about field activities: reports and their status, photos (whole or in chunks, from a
phone's queue), the idempotent sync of a phone's records, the chunked upload of a proposal's
evidence drafted on a phone, and coordination meetings.

Idempotency: every report, photo and meeting carries the UUID the phone (or the web form)
generated. Sending the same record again finds the row it made; sending the same content again
changes nothing; sending a change made on top of an older version than the server's is a
conflict (`SyncConflict`, with both versions), never an overwrite.
"""

import datetime
import io
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audited_create, audited_update
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed, SyncConflict
from garda.core.uploads import PHOTO, clean_upload
from garda.monitoring.tasks import refresh_desa_month_soon
from garda.pilar.models import Pilar
from garda.programs.models import Proposal
from garda.programs.services.proposals import (
    proposal_attach_evidence,
    proposal_evidence_check,
    proposal_evidence_received,
)

from .models import (
    EDITABLE,
    Activity,
    ActivityEvent,
    Meeting,
    MeetingTask,
    Photo,
    PhotoUpload,
    Status,
)

# Fields of a report that its reporter writes (the rest is status and bookkeeping).
DATA_FIELDS = (
    "jenis",
    "wilayah",
    "occurred_at",
    "latitude",
    "longitude",
    "accuracy_m",
    "description",
    "participants",
    "program",
    "case",
)
LINK_FIELDS = ("households", "individuals")
MAX_PHOTOS = 10
CHUNK_LIMIT = 512 * 1024
SIX_PLACES = Decimal("0.000001")


class NotFound(GardaError):
    """No such record in the actor's area (the view answers 404, as for a missing one)."""


# --- who reports --------------------------------------------------------------------------


def reporter_profile(actor: User) -> Pilar:
    """The social worker profile linked to the actor's account: whose report it is."""
    pilar = Pilar.objects.filter(user=actor).select_related("wilayah").first()
    if pilar is None:
        raise NotAllowed(
            _(
                "Your account is not linked to a social worker profile. "
                "Ask Dinas Sosial to link it before you report activities."
            )
        )
    return pilar


def _check_reports_in(actor: User, code: str) -> None:
    if not actor.can_in(Perm.REPORT_ACTIVITIES, code):
        raise NotFound(_("You may report activities only in your own area."), field="wilayah")


def _check_case_visible(actor: User, case: Any) -> None:
    """A report names only a case its author may see; any other reads like a missing one."""
    if case is not None and not actor.can_in(Perm.VIEW_CASES, case.wilayah_id):
        raise NotFound(_("There is no such case in your area."), field="case")


def _check_own(actor: User, activity: Activity) -> None:
    if activity.reported_by_id != actor.pk:
        raise NotAllowed(_("Only the social worker who wrote this report may change it."))


# --- snapshots (what a phone and the server compare) --------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _moment(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).replace(microsecond=0).isoformat()


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """A report's content as plain JSON values, from model objects or a stored report."""
    lat, lon = _decimal(values.get("latitude")), _decimal(values.get("longitude"))
    program, case = values.get("program"), values.get("case")
    return {
        "jenis": getattr(values["jenis"], "code", values["jenis"]),
        "wilayah": getattr(values["wilayah"], "code", values["wilayah"]),
        "occurred_at": _moment(values["occurred_at"]),
        "latitude": str(lat) if lat is not None else None,
        "longitude": str(lon) if lon is not None else None,
        "accuracy_m": values.get("accuracy_m") if lat is not None else None,
        "description": (values.get("description") or "").strip(),
        "participants": values.get("participants") or 0,
        "program": str(program.pk) if program is not None else None,
        "case": str(case.pk) if case is not None else None,
        "households": sorted(str(h.pk) for h in values.get("households") or []),
        "individuals": sorted(str(i.pk) for i in values.get("individuals") or []),
    }


def activity_snapshot(activity: Activity) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(activity, name) for name in DATA_FIELDS}
    values["households"] = list(activity.households.all())
    values["individuals"] = list(activity.individuals.all())
    return {
        **snapshot(values),
        "status": activity.status,
        "version": activity.version,
        "return_reason": activity.return_reason,
        "photos": sorted(str(p.client_uuid) for p in activity.photos.all()),
    }


# --- reports ------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: data.get(name) for name in DATA_FIELDS}
    cleaned["description"] = (cleaned["description"] or "").strip()
    cleaned["participants"] = cleaned["participants"] or 0
    cleaned["latitude"] = _decimal(cleaned["latitude"])
    cleaned["longitude"] = _decimal(cleaned["longitude"])
    if (cleaned["latitude"] is None) != (cleaned["longitude"] is None):
        raise GardaError(_("Give both latitude and longitude, or neither."), field="latitude")
    if cleaned["latitude"] is None:
        cleaned["accuracy_m"] = None
    if not cleaned["description"]:
        raise GardaError(_("Describe what you did."), field="description")
    occurred = cleaned["occurred_at"]
    if occurred and occurred > timezone.now() + datetime.timedelta(minutes=10):
        raise GardaError(_("The activity cannot be in the future."), field="occurred_at")
    return cleaned


def _set_links(activity: Activity, data: dict[str, Any]) -> None:
    for name in LINK_FIELDS:
        if name in data:
            getattr(activity, name).set(data[name] or [])


def _event(activity: Activity, actor: User, before: str, after: str, note: str = "") -> None:
    ActivityEvent.objects.create(
        activity=activity, actor=actor, from_status=before, to_status=after, note=note
    )
    # The desa's monitoring figures follow the report's status without waiting for the schedule.
    refresh_desa_month_soon(activity.wilayah_id, activity.occurred_at)


@transaction.atomic
def activity_create(
    *,
    actor: User,
    client_uuid: uuid.UUID,
    data: dict[str, Any],
    submit: bool = False,
) -> tuple[Activity, bool]:
    """Record a report (and submit it, if asked). Returns (report, created): the same
    `client_uuid` sent again returns the report it made the first time, unchanged."""
    existing = Activity.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.reported_by_id != actor.pk:
            raise NotFound(_("This report does not exist in your area."))
        return existing, False
    pilar = reporter_profile(actor)
    cleaned = _clean(data)
    _check_reports_in(actor, cleaned["wilayah"].code)
    _check_case_visible(actor, cleaned["case"])
    try:
        with transaction.atomic():
            activity = audited_create(
                Activity,
                actor=actor,
                client_uuid=client_uuid,
                pilar=pilar,
                reported_by=actor,
                status=Status.DRAFT,
                **cleaned,
            )
    except IntegrityError:
        # The same UUID committed by a parallel request (a double tap): that one wins.
        existing = Activity.objects.filter(client_uuid=client_uuid, reported_by=actor).first()
        if existing is None:
            raise
        return existing, False
    _set_links(activity, data)
    _event(activity, actor, "", Status.DRAFT)
    if submit:
        activity_submit(actor=actor, activity=activity)
    return activity, True


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    data: dict[str, Any],
    expected_version: int,
) -> list[str]:
    """Change a draft or returned report. A version other than `expected_version` means
    someone (the coordinator) changed it meanwhile: ConcurrentEdit, nothing overwritten."""
    _check_own(actor, activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.version != expected_version:
        raise ConcurrentEdit(
            _(
                "This report was changed after you opened it (now version %(version)s). "
                "Nothing was overwritten: check it and save again."
            )
            % {"version": activity.version}
        )
    if activity.status not in EDITABLE:
        raise InvalidState(
            _("A report that is %(status)s cannot be changed.")
            % {"status": activity.get_status_display()}
        )
    cleaned = _clean(data)
    _check_reports_in(actor, cleaned["wilayah"].code)
    _check_case_visible(actor, cleaned["case"])
    links_before = {n: sorted(o.pk for o in getattr(activity, n).all()) for n in LINK_FIELDS}
    changed = audited_update(activity, actor=actor, data=cleaned)
    links_after = {n: sorted(o.pk for o in data.get(n) or []) for n in LINK_FIELDS if n in data}
    moved = [n for n, pks in links_after.items() if pks != links_before[n]]
    if moved:
        _set_links(activity, data)
        if not changed:
            Activity.objects.filter(pk=activity.pk).update(version=activity.version + 1)
            activity.version += 1
        changed += moved
    return changed


def _transition(
    *, actor: User, activity: Activity, allowed_from: set[str], to: str, note: str = ""
) -> Activity:
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    if locked.status not in allowed_from:
        raise InvalidState(
            _("This report is already %(status)s.") % {"status": locked.get_status_display()}
        )
    before = locked.status
    data: dict[str, Any] = {"status": to}
    now = timezone.now()
    if to == Status.SUBMITTED:
        data |= {"submitted_at": now, "return_reason": ""}
    elif to == Status.VERIFIED:
        data |= {"verified_at": now, "verified_by": actor}
    elif to == Status.RETURNED:
        data |= {"return_reason": note}
    audited_update(locked, actor=actor, data=data, reason=note)
    _event(locked, actor, before, to, note)
    activity.refresh_from_db()
    return activity


@transaction.atomic
def activity_submit(*, actor: User, activity: Activity) -> Activity:
    _check_own(actor, activity)
    return _transition(
        actor=actor, activity=activity, allowed_from=set(EDITABLE), to=Status.SUBMITTED
    )


def _check_verifies(actor: User, activity: Activity) -> None:
    if not actor.can_in(Perm.VERIFY_ACTIVITIES, activity.wilayah_id):
        raise NotAllowed(_("You may verify reports only in your own area."))
    if activity.reported_by_id == actor.pk:
        raise NotAllowed(_("You cannot verify your own report; another coordinator must."))


@transaction.atomic
def activity_verify(*, actor: User, activity: Activity, note: str = "") -> Activity:
    _check_verifies(actor, activity)
    return _transition(
        actor=actor,
        activity=activity,
        allowed_from={Status.SUBMITTED},
        to=Status.VERIFIED,
        note=note.strip(),
    )


@transaction.atomic
def activity_return(*, actor: User, activity: Activity, reason: str) -> Activity:
    _check_verifies(actor, activity)
    reason = (reason or "").strip()
    if not reason:
        raise GardaError(_("Say what the social worker must correct or add."), field="reason")
    return _transition(
        actor=actor,
        activity=activity,
        allowed_from={Status.SUBMITTED},
        to=Status.RETURNED,
        note=reason,
    )


# --- sync from a phone --------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    activity: Activity
    outcome: str  # "created", "updated" or "unchanged"


@transaction.atomic
def activity_sync(
    *,
    actor: User,
    client_uuid: uuid.UUID,
    base_version: int | None,
    data: dict[str, Any],
    submit: bool,
) -> SyncResult:
    """Apply one record of a phone's queue, idempotently.

    New UUID: created (and submitted if asked). Known UUID with the same content: unchanged
    (a retry). Known UUID with other content: applied if the server still has the version the
    phone started from (`base_version`; none means "the one I created", version 1), else
    SyncConflict with both versions.
    """
    existing = Activity.objects.select_for_update().filter(client_uuid=client_uuid).first()
    if existing is None:
        activity, _created = activity_create(
            actor=actor, client_uuid=client_uuid, data=data, submit=submit
        )
        return SyncResult(activity, "created")
    if existing.reported_by_id != actor.pk or not actor.can_in(
        Perm.REPORT_ACTIVITIES, existing.wilayah_id
    ):
        raise NotFound(_("This report does not exist in your area."))
    server = activity_snapshot(existing)
    yours = {**snapshot(data), "status": Status.SUBMITTED if submit else Status.DRAFT}
    same_content = all(server[key] == value for key, value in yours.items() if key != "status")
    wants_submit = submit and existing.status in EDITABLE
    if same_content and not wants_submit:
        return SyncResult(existing, "unchanged")
    if existing.version != (base_version or 1):
        raise SyncConflict(
            _(
                "This report was changed on the server after your phone last saw it. "
                "Nothing was overwritten: choose which version to keep."
            ),
            server=server,
            yours=yours,
        )
    if not same_content:
        activity_update(
            actor=actor, activity=existing, data=data, expected_version=existing.version
        )
    if wants_submit:
        activity_submit(actor=actor, activity=existing)
    return SyncResult(existing, "updated")


# --- photos -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoFacts:
    taken_at: datetime.datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132


def _degrees(value: Any, ref: Any) -> Decimal | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if str(ref).upper().startswith(("S", "W")):
        degrees = -degrees
    return _decimal(round(degrees, 6))


def photo_facts(content: bytes) -> PhotoFacts:
    """The time and position a camera wrote into a photo's EXIF data, where there are any."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            exif = image.getexif()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return PhotoFacts()
    taken_at = None
    stamp = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if isinstance(stamp, str):
        try:
            # Phone cameras write local time without a zone: the phone's (Indonesia's) time.
            taken_at = datetime.datetime.strptime(
                stamp.strip("\x00 "), "%Y:%m:%d %H:%M:%S"
            ).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(GPS_IFD)
    latitude = _degrees(gps.get(2), gps.get(1)) if gps.get(2) else None
    longitude = _degrees(gps.get(4), gps.get(3)) if gps.get(4) else None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90):
        latitude = longitude = None
    return PhotoFacts(taken_at=taken_at, latitude=latitude, longitude=longitude)


def _check_adds_photo(actor: User, activity: Activity) -> None:
    _check_own(actor, activity)
    if activity.status not in EDITABLE and activity.status != Status.SUBMITTED:
        raise InvalidState(_("Photos cannot be added to a verified report."))


@transaction.atomic
def photo_add(
    *, actor: User, activity: Activity, upload: UploadedFile, client_uuid: uuid.UUID
) -> tuple[Photo, bool]:
    """Store a photo of the report (EXIF time and position read first, then the image is
    re-encoded). The same `client_uuid` again returns the photo stored the first time."""
    existing = Photo.objects.filter(client_uuid=client_uuid).select_related("activity").first()
    if existing is not None:
        if existing.activity_id != activity.pk:
            raise NotFound(_("This photo does not exist in your area."))
        return existing, False
    _check_adds_photo(actor, activity)
    if activity.photos.count() >= MAX_PHOTOS:
        raise GardaError(
            _("A report holds at most %(count)s photos.") % {"count": MAX_PHOTOS}, field="photos"
        )
    content = upload.read()
    upload.seek(0)
    facts = photo_facts(content)
    try:
        cleaned = clean_upload(upload, PHOTO)
    except ValidationError as error:
        raise GardaError(" ".join(error.messages), field="photos") from error
    photo = audited_create(
        Photo,
        actor=actor,
        activity=activity,
        client_uuid=client_uuid,
        file=cleaned,
        size=cleaned.size or 0,
        taken_at=facts.taken_at,
        latitude=facts.latitude,
        longitude=facts.longitude,
    )
    return photo, True


@dataclass(frozen=True)
class ChunkState:
    received: int
    total: int
    done: bool = False
    photo: Photo | None = None


def _part_path(client_uuid: uuid.UUID) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "kegiatan" / "sebagian"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{client_uuid.hex}.part"


def _staged_state(client_uuid: uuid.UUID, record: dict[str, Any]) -> ChunkState:
    upload = PhotoUpload.objects.filter(client_uuid=client_uuid, **record).first()
    if upload is None:
        return ChunkState(received=0, total=0)
    return ChunkState(received=upload.received, total=upload.total)


def _receive_chunk(
    *, record: dict[str, Any], client_uuid: uuid.UUID, offset: int, total: int, chunk: bytes
) -> tuple[ChunkState, bytes | None]:
    """Store bytes `offset`..`offset+len(chunk)` of a file of `total` bytes for `record`
    (`{"activity": ...}` or `{"proposal": ...}`); with the last chunk, the whole content.

    A chunk that starts elsewhere than where the stored part ends is not written; the answer
    says where to resume. The part file is cut back to the recorded length before writing, so
    bytes written by a request that died before its commit are never counted twice. Once
    complete the staging row goes, and the part file after the commit: the caller stores the
    content in the same transaction, so a refusal keeps both.
    """
    limit = settings.GARDA_MAX_UPLOAD_MB * 1024 * 1024
    if total <= 0 or total > limit:
        raise GardaError(
            _("The file is larger than %(mb)s MB. Send a smaller photo or scan.")
            % {"mb": settings.GARDA_MAX_UPLOAD_MB}
        )
    if len(chunk) > CHUNK_LIMIT:
        raise GardaError(_("A piece of the photo is too large."))
    upload, _created = PhotoUpload.objects.get_or_create(
        client_uuid=client_uuid,
        defaults={**record, "total": total, "part": _part_path(client_uuid).name},
    )
    upload = PhotoUpload.objects.select_for_update().get(pk=upload.pk)
    if any(getattr(upload, f"{name}_id") != owner.pk for name, owner in record.items()):
        raise NotFound(_("This photo does not exist in your area."))
    if upload.total != total:
        raise GardaError(_("The photo changed while it was being sent. Send it again."))
    if offset != upload.received or offset + len(chunk) > total:
        return ChunkState(received=upload.received, total=upload.total), None
    path = _part_path(client_uuid)
    with open(path, "a+b") as part:
        part.truncate(upload.received)
        part.seek(upload.received)
        part.write(chunk)
        part.flush()
    upload.received = offset + len(chunk)
    upload.save(update_fields=["received", "updated_at"])
    if upload.received < total:
        return ChunkState(received=upload.received, total=total), None
    content = path.read_bytes()[:total]
    upload.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return ChunkState(received=total, total=total, done=True), content


def photo_upload_state(*, activity: Activity, client_uuid: uuid.UUID) -> ChunkState:
    """How much of a photo the server holds: where the phone resumes."""
    photo = Photo.objects.filter(client_uuid=client_uuid, activity=activity).first()
    if photo is not None:
        return ChunkState(received=photo.size, total=photo.size, done=True, photo=photo)
    return _staged_state(client_uuid, {"activity": activity})


@transaction.atomic
def photo_chunk(
    *,
    actor: User,
    activity: Activity,
    client_uuid: uuid.UUID,
    offset: int,
    total: int,
    chunk: bytes,
) -> ChunkState:
    """One chunk of a photo of a report (see `_receive_chunk`); the last one turns the part
    into a `Photo` (through `photo_add`). A photo already stored answers "done"."""
    done = Photo.objects.filter(client_uuid=client_uuid).first()
    if done is not None:
        if done.activity_id != activity.pk:
            raise NotFound(_("This photo does not exist in your area."))
        return ChunkState(received=done.size, total=done.size, done=True, photo=done)
    _check_adds_photo(actor, activity)
    state, content = _receive_chunk(
        record={"activity": activity},
        client_uuid=client_uuid,
        offset=offset,
        total=total,
        chunk=chunk,
    )
    if content is None:
        return state
    photo, _new = photo_add(
        actor=actor,
        activity=activity,
        upload=SimpleUploadedFile("foto", content, "application/octet-stream"),
        client_uuid=client_uuid,
    )
    return ChunkState(received=total, total=total, done=True, photo=photo)


def evidence_upload_state(*, proposal: Proposal, field: str, client_uuid: uuid.UUID) -> ChunkState:
    """How much of a proposal's evidence file the server holds: where the phone resumes."""
    if proposal_evidence_received(proposal=proposal, field=field, file_uuid=client_uuid):
        size = getattr(proposal, field).size
        return ChunkState(received=size, total=size, done=True)
    return _staged_state(client_uuid, {"proposal": proposal})


@transaction.atomic
def evidence_chunk(
    *,
    actor: User,
    proposal: Proposal,
    field: str,
    client_uuid: uuid.UUID,
    offset: int,
    total: int,
    chunk: bytes,
) -> ChunkState:
    """One chunk of a proposal's evidence (a house photo, the family card) drafted on a
    phone; the last one stores it on the proposal (`proposal_attach_evidence`)."""
    if proposal_evidence_received(proposal=proposal, field=field, file_uuid=client_uuid):
        return evidence_upload_state(proposal=proposal, field=field, client_uuid=client_uuid)
    proposal_evidence_check(actor=actor, proposal=proposal, field=field)
    state, content = _receive_chunk(
        record={"proposal": proposal},
        client_uuid=client_uuid,
        offset=offset,
        total=total,
        chunk=chunk,
    )
    if content is not None:
        proposal_attach_evidence(
            actor=actor,
            proposal=proposal,
            field=field,
            upload=SimpleUploadedFile(field, content, "application/octet-stream"),
            file_uuid=client_uuid,
        )
    return state


# --- coordination meetings ----------------------------------------------------------------


def parse_tasks(text: str) -> list[dict[str, Any]]:
    """Follow-up tasks written one per line as "task; responsible; due date (dd/mm/yyyy)"."""
    tasks = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        due = None
        if len(parts) > 2 and parts[2]:
            try:
                due = (
                    datetime.datetime.strptime(parts[2], "%d/%m/%Y")
                    .replace(tzinfo=datetime.UTC)
                    .date()
                )
            except ValueError as error:
                raise GardaError(
                    _("Line %(line)s: the due date must look like 31/12/2026.") % {"line": number},
                    field="tasks",
                ) from error
        tasks.append(
            {
                "task": parts[0][:300],
                "responsible": parts[1][:150] if len(parts) > 1 else "",
                "due_on": due,
            }
        )
    return tasks


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    client_uuid: uuid.UUID,
    data: dict[str, Any],
    attendees: list[Pilar],
    tasks: list[dict[str, Any]],
    attendance_sheet: UploadedFile | None = None,
) -> tuple[Meeting, bool]:
    """Record a coordination meeting with its attendees and follow-up tasks (idempotent)."""
    existing = Meeting.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.recorded_by_id != actor.pk:
            raise NotFound(_("This meeting does not exist in your area."))
        return existing, False
    wilayah = data["wilayah"]
    _check_reports_in(actor, wilayah.code)
    outside = [p for p in attendees if not actor.can_in(Perm.VIEW_PEOPLE, p.wilayah_id)]
    if outside:
        raise NotAllowed(_("Some attendees are outside your area."), field="attendees")
    sheet = None
    if attendance_sheet is not None:
        try:
            sheet = clean_upload(attendance_sheet, PHOTO)
        except ValidationError as error:
            raise GardaError(" ".join(error.messages), field="attendance_sheet") from error
    fields = {
        k: (data.get(k) or "").strip() if isinstance(data.get(k), str) else data.get(k)
        for k in ("held_at", "place", "agenda", "other_attendees", "minutes", "decisions")
    }
    meeting = audited_create(
        Meeting,
        actor=actor,
        client_uuid=client_uuid,
        wilayah=wilayah,
        recorded_by=actor,
        attendance_sheet=sheet or "",
        **{k: v if v is not None else "" for k, v in fields.items()},
    )
    meeting.attendees.set(attendees)
    MeetingTask.objects.bulk_create(MeetingTask(meeting=meeting, **task) for task in tasks)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=meeting,
        changes={"tasks": [None, len(tasks)], "attendees": [None, len(attendees)]},
    )
    return meeting, True
