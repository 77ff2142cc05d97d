"""Proposals (usulan) from the village to the national registry, in the order of SIKS-NG:

    draft -> submitted (PSM, inside the monthly window) -> agreed in the village deliberation
    (musdes/muskel, recorded by the desa operator) -> verified by Dinas -> approved by the
    bupati (recorded by Dinas with the decree number). Rejected at deliberation or verification.

Every step checks the step before it and refuses anything else with InvalidState naming the
current step and the one expected; every step is a ProposalEvent (actor, time, from, to, note)
and an audited update guarded by the proposal's version. Approved proposals of a month leave
as a by-name-by-address (BNBA) workbook in the DTKS column layout (`proposal_export_bnba`).
"""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audited_create, audited_delete, audited_update
from garda.core.errors import Duplicate, GardaError, InvalidState, NotAllowed, SyncConflict
from garda.core.nik import check_nik, check_no_kk, mask_identifier, normalise_digits
from garda.core.periods import month_dates
from garda.core.uploads import DOCUMENT, PHOTO, Accept, clean_upload
from garda.registry.models import Individu, Keluarga, Relation
from garda.registry.services import nik_hash
from garda.reports import xlsx
from garda.wilayah.models import Kind, Level, Wilayah

from ..models import (
    Deliberation,
    Enrolment,
    EnrolmentStatus,
    Program,
    Proposal,
    ProposalEvent,
    ProposalKind,
    ProposalQuerySet,
    ProposalStatus,
    RemovalReason,
    SubmissionWindow,
    TargetUnit,
)

# The person's details a new registry entry carries (the NIK and No KK go to encrypted fields).
PERSON_DETAILS = (
    "sex",
    "birth_place",
    "birth_date",
    "mother_name",
    "relation",
    "address",
    "dusun",
    "rt",
    "rw",
    "nik_note",
)
# What a correction may change: the field of the resident or the household -> proposed value.
INDIVIDU_CORRECTIONS = ("name", "sex", "birth_place", "birth_date", "mother_name", "relation")
KELUARGA_CORRECTIONS = ("address", "dusun", "rt", "rw")
EVIDENCE_FIELDS: dict[str, Accept] = {
    "photo_front": PHOTO,
    "photo_inside": PHOTO,
    "photo_kk": DOCUMENT,
}
SUBJECT_KINDS = (ProposalKind.AID, ProposalKind.CORRECTION, ProposalKind.REMOVAL)


# --- shared ----------------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(ProposalStatus(status).label)


def _expect(proposal: Proposal, expected: str, action: str) -> None:
    """Refuse a step taken out of order, naming where the proposal is and what the step needs."""
    if proposal.status == expected:
        return
    raise InvalidState(
        _(
            "The proposal is at the step “%(current)s”. %(action)s is possible only at the "
            "step “%(expected)s”."
        )
        % {
            "current": _status_label(proposal.status),
            "action": action,
            "expected": _status_label(expected),
        }
    )


def _locked(proposal: Proposal) -> Proposal:
    """The stored row, locked for the step (two clicks never take the same step twice)."""
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def _transition(
    proposal: Proposal,
    *,
    actor: User | None,
    to: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Proposal:
    before = proposal.status
    audited_update(
        proposal,
        actor=actor,
        data={"status": to, **(data or {})},
        reason=note,
        expected_version=expected_version,
    )
    ProposalEvent.objects.create(
        proposal=proposal, actor=actor, from_status=before, to_status=to, note=note
    )
    return proposal


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _check_can(actor: User, permission: str, code: str, message: str) -> None:
    if not actor.can_in(permission, code):
        raise NotAllowed(message)


def _clean_files(files: dict[str, UploadedFile | None] | None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, upload in (files or {}).items():
        if name not in EVIDENCE_FIELDS or not upload:
            continue
        try:
            cleaned[name] = clean_upload(upload, EVIDENCE_FIELDS[name])
        except ValidationError as error:
            raise GardaError(" ".join(error.messages), field=name) from error
    return cleaned


def _coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation as error:
        raise GardaError(_("This is not a coordinate."), field=field) from error
    if not -limit <= number <= limit:
        raise GardaError(
            _("A coordinate lies between -%(limit)s and %(limit)s.") % {"limit": limit},
            field=field,
        )
    return number


def _date_text(value: Any, *, field: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise GardaError(_("This is not a date."), field=field) from error


# --- what a proposal holds ---------------------------------------------------------------------


def _subject_of(data: dict[str, Any]) -> Individu | Keluarga | None:
    individu, keluarga = data.get("individu"), data.get("keluarga")
    if individu and keluarga:
        raise GardaError(_("A proposal is about one resident or one household, not both."))
    return individu or keluarga


def _new_entry_fields(data: dict[str, Any], *, existing: Proposal | None) -> dict[str, Any]:
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise GardaError(_("The name is empty."), field="name")
    details = {key: data.get(key) or "" for key in PERSON_DETAILS}
    details["birth_date"] = _date_text(details["birth_date"], field="birth_date")
    if details["sex"] not in ("L", "P"):
        raise GardaError(_("Choose the sex: L (male) or P (female)."), field="sex")
    if details["relation"] and details["relation"] not in Relation.values:
        raise GardaError(_("Choose the relation to the head of family."), field="relation")
    nik = normalise_digits(data.get("nik"))
    if not nik and existing is not None:
        nik = existing.nik  # an edit form leaves the NIK empty to keep the stored one
    birth = datetime.date.fromisoformat(details["birth_date"]) if details["birth_date"] else None
    check = check_nik(nik, birth_date=birth, sex=details["sex"])
    if check.errors:
        raise GardaError(" ".join(check.errors), field="nik")
    if check.warnings and not str(details["nik_note"]).strip():
        raise GardaError(
            " ".join(check.warnings)
            + " "
            + _("If the NIK is right, say why in the note on the NIK."),
            field="nik_note",
        )
    hashed = nik_hash(nik)
    registered = Individu.objects.filter(nik_hash=hashed).first()
    if registered is not None:
        raise Duplicate(
            _("This NIK is already registered: propose aid or a correction for that resident."),
            field="nik",
            existing=registered,
        )
    pending = Proposal.objects.open().filter(nik_hash=hashed)
    if existing is not None:
        pending = pending.exclude(pk=existing.pk)
    other = pending.first()
    if other is not None:
        raise Duplicate(_("This NIK is already in an open proposal."), field="nik", existing=other)
    no_kk = normalise_digits(data.get("no_kk"))
    if not no_kk and existing is not None:
        no_kk = existing.no_kk
    if no_kk:
        kk_check = check_no_kk(no_kk)
        if kk_check.errors:
            raise GardaError(" ".join(kk_check.errors), field="no_kk")
    return {
        "name": name,
        "nik": nik,
        "nik_hash": hashed,
        "no_kk": no_kk,
        "details": details,
        "individu": None,
        "keluarga": None,
    }


def _correction_details(subject: Individu | Keluarga, data: dict[str, Any]) -> dict[str, str]:
    allowed = INDIVIDU_CORRECTIONS if isinstance(subject, Individu) else KELUARGA_CORRECTIONS
    proposed = data.get("details") or {}
    unknown = sorted(set(proposed) - set(allowed))
    if unknown:
        raise GardaError(
            _("These details cannot be corrected here: %(fields)s.")
            % {"fields": ", ".join(unknown)}
        )
    details: dict[str, str] = {}
    for key, value in proposed.items():
        if value in (None, ""):
            continue
        if key == "birth_date":
            value = _date_text(value, field="birth_date")
        elif key == "sex" and value not in ("L", "P"):
            raise GardaError(_("Choose the sex: L (male) or P (female)."), field="sex")
        elif key == "relation" and value not in Relation.values:
            raise GardaError(_("Choose the relation to the head of family."), field="relation")
        details[key] = " ".join(str(value).split())
    if not details:
        raise GardaError(_("Say what should be corrected: fill in at least one new value."))
    return details


def _subject_fields(
    kind: str, data: dict[str, Any], *, existing: Proposal | None
) -> dict[str, Any]:
    subject = _subject_of(data)
    if subject is None:
        raise GardaError(
            _("Choose the resident or household the proposal is about."), field="subject"
        )
    if isinstance(subject, Individu) and subject.merged_into_id:
        raise GardaError(
            _("This record was merged into another; choose that one."), field="subject"
        )
    fields: dict[str, Any] = {
        "individu": subject if isinstance(subject, Individu) else None,
        "keluarga": subject if isinstance(subject, Keluarga) else None,
        "name": "",
        "nik": "",
        "nik_hash": "",
        "no_kk": "",
        "details": {},
        "removal_reason": "",
    }
    program: Program | None = data.get("program")
    if kind == ProposalKind.AID:
        if program is None:
            raise GardaError(_("Choose the programme."), field="program")
        wanted = Keluarga if program.target_unit == TargetUnit.HOUSEHOLD else Individu
        if not isinstance(subject, wanted):
            message = (
                _("%(program)s is given to a household: propose the household.")
                if wanted is Keluarga
                else _("%(program)s is given to a person: propose the resident.")
            )
            raise GardaError(message % {"program": program.name}, field="subject")
        enrolled = Enrolment.objects.filter(
            program=program, status=EnrolmentStatus.ACTIVE, **{wanted.__name__.lower(): subject}
        )
        if enrolled.exists():
            raise GardaError(
                _("This participant already receives %(program)s.") % {"program": program.name},
                field="subject",
            )
    elif kind == ProposalKind.CORRECTION:
        fields["details"] = _correction_details(subject, data)
    elif kind == ProposalKind.REMOVAL:
        reason = data.get("removal_reason") or ""
        if reason not in RemovalReason.values:
            raise GardaError(
                _("Choose why the resident should be removed."), field="removal_reason"
            )
        fields["removal_reason"] = reason
    pending = Proposal.objects.open().filter(
        kind=kind,
        individu=fields["individu"],
        keluarga=fields["keluarga"],
        program=program if kind == ProposalKind.AID else None,
    )
    if existing is not None:
        pending = pending.exclude(pk=existing.pk)
    other = pending.first()
    if other is not None:
        raise Duplicate(
            _("An open proposal of this kind already exists for this resident."),
            field="subject",
            existing=other,
        )
    fields["wilayah_id"] = subject.wilayah_id
    return fields


def _proposal_fields(
    *, actor: User, kind: str, data: dict[str, Any], existing: Proposal | None
) -> dict[str, Any]:
    if kind not in ProposalKind.values:
        raise GardaError(_("Choose the kind of proposal."), field="kind")
    if kind == ProposalKind.NEW_ENTRY:
        wilayah: Wilayah | None = data.get("wilayah")
        if wilayah is None or wilayah.level != Level.DESA:
            raise GardaError(_("Choose the desa or kelurahan."), field="wilayah")
        fields = _new_entry_fields(data, existing=existing)
        fields["wilayah_id"] = wilayah.code
        fields["removal_reason"] = ""
    else:
        fields = _subject_fields(kind, data, existing=existing)
    _check_can(
        actor,
        Perm.PROPOSE,
        fields["wilayah_id"],
        _("You may only make proposals for residents of your own area."),
    )
    justification = str(data.get("justification") or "").strip()
    if not justification:
        raise GardaError(_("Say why you propose this."), field="justification")
    latitude = _coordinate(data.get("latitude"), field="latitude", limit=90)
    longitude = _coordinate(data.get("longitude"), field="longitude", limit=180)
    if (latitude is None) != (longitude is None):
        raise GardaError(_("Give both latitude and longitude, or neither."), field="latitude")
    program = data.get("program")
    if program is not None and not program.is_active:
        raise GardaError(_("This programme is no longer active."), field="program")
    return {
        **fields,
        "program": program,
        "justification": justification,
        "latitude": latitude,
        "longitude": longitude,
    }


# --- drafts ----------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    actor: User,
    kind: str,
    data: dict[str, Any],
    files: dict[str, UploadedFile | None] | None = None,
    client_uuid: uuid.UUID | None = None,
) -> Proposal:
    """A draft proposal. `data`: for a new entry `wilayah`, `name`, `nik`, `no_kk` and the
    person's details; otherwise `individu` or `keluarga`, and `program` (aid), `details`
    (correction: field -> proposed value) or `removal_reason` (removal); always
    `justification`, optionally `latitude`/`longitude`. `files`: photo_front, photo_inside,
    photo_kk. A malformed NIK is refused; a NIK that disagrees with the birth date or sex needs
    a note; a NIK already registered or already proposed is a Duplicate naming the record.
    `client_uuid`: the id a phone gave a proposal drafted offline (see `proposal_sync`)."""
    fields = _proposal_fields(actor=actor, kind=kind, data=data, existing=None)
    proposal = audited_create(
        Proposal,
        actor=actor,
        client_uuid=client_uuid,
        kind=kind,
        status=ProposalStatus.DRAFT,
        proposed_by=actor,
        **fields,
        **_clean_files(files),
    )
    ProposalEvent.objects.create(
        proposal=proposal, actor=actor, from_status="", to_status=ProposalStatus.DRAFT
    )
    return proposal


@transaction.atomic
def proposal_update(
    *,
    actor: User,
    proposal: Proposal,
    data: dict[str, Any],
    files: dict[str, UploadedFile | None] | None = None,
    expected_version: int | None = None,
) -> list[str]:
    """Change a draft (only a draft: a submitted proposal is what the village decided on)."""
    _check_can(
        actor, Perm.PROPOSE, proposal.wilayah_id, _("You may only change proposals of your area.")
    )
    stored = _locked(proposal)
    _expect(stored, ProposalStatus.DRAFT, _("Changing the proposal"))
    fields = _proposal_fields(actor=actor, kind=stored.kind, data=data, existing=stored)
    return audited_update(
        stored,
        actor=actor,
        data={**fields, **_clean_files(files)},
        expected_version=expected_version,
    )


# --- drafted offline, on a phone ------------------------------------------------------------


def _differing(stored: Proposal, fields: dict[str, Any]) -> list[str]:
    """The names of `fields` whose value differs from the stored proposal's."""
    return [name for name, value in fields.items() if getattr(stored, name) != value]


@transaction.atomic
def proposal_sync(
    *,
    actor: User,
    client_uuid: uuid.UUID,
    kind: str,
    data: dict[str, Any],
    base_version: int | None = None,
) -> tuple[Proposal, str]:
    """A proposal from a phone's queue, idempotent by the UUID the phone gave it.

    New UUID: a draft ("created"), checked like the web form's. Known UUID, same content:
    "unchanged" (a retry whose first answer was lost), whatever happened to the proposal
    since. Other content: the draft is changed ("updated") if the server still holds the
    version the phone started from (`base_version`; none means the one it created);
    otherwise ConcurrentEdit, and InvalidState once the proposal is past its draft.
    """
    existing = Proposal.objects.select_for_update().filter(client_uuid=client_uuid).first()
    if existing is None:
        try:
            with transaction.atomic():
                proposal = proposal_create(
                    actor=actor, kind=kind, data=data, client_uuid=client_uuid
                )
        except IntegrityError:
            # The same UUID committed by a parallel request (a double tap): that one wins.
            won = Proposal.objects.filter(client_uuid=client_uuid, proposed_by=actor).first()
            if won is None:
                raise
            return won, "unchanged"
        return proposal, "created"
    if existing.proposed_by_id != actor.pk:
        raise NotAllowed(_("Only who drafted this proposal may change it from their phone."))
    _check_can(
        actor, Perm.PROPOSE, existing.wilayah_id, _("You may only change proposals of your area.")
    )
    if existing.kind != kind:
        raise GardaError(_("The kind of a proposal cannot change."), field="kind")
    fields = _proposal_fields(actor=actor, kind=kind, data=data, existing=existing)
    if not _differing(existing, fields):
        return existing, "unchanged"
    _expect(existing, ProposalStatus.DRAFT, _("Changing the proposal"))
    if existing.version != (base_version or 1):
        stored = {name: getattr(existing, name) for name in SHOWN_ON_PHONE}
        raise SyncConflict(
            _(
                "This proposal was changed on the server after your phone last saw it. "
                "Nothing was overwritten: choose which version to keep."
            ),
            server={**_as_shown(stored), "status": existing.status, "version": existing.version},
            yours=_as_shown(fields),
        )
    proposal_update(actor=actor, proposal=existing, data=data, expected_version=base_version or 1)
    return existing, "updated"


SHOWN_ON_PHONE = ("name", "individu", "keluarga", "program", "justification", "details")


def _as_shown(values: dict[str, Any]) -> dict[str, Any]:
    """A proposal's content as the phone shows it beside its own copy: who (a name, or a
    household's masked No KK), the programme, the reasons; never a full NIK."""
    person, household, program = values["individu"], values["keluarga"], values["program"]
    subject = (
        values["name"]
        or (person.name if person else "")
        or (household.no_kk_masked if household else "")
    )
    return {
        "subject": subject,
        "program": program.name if program else "",
        "justification": values["justification"],
        "details": values["details"] or {},
    }


def proposal_evidence_check(*, actor: User, proposal: Proposal, field: str) -> None:
    """Whether `actor` may add the evidence `field` to the proposal now: their area, a draft."""
    if field not in EVIDENCE_FIELDS:
        raise GardaError(_("This proposal has no such evidence."), field=field)
    _check_can(
        actor, Perm.PROPOSE, proposal.wilayah_id, _("You may only change proposals of your area.")
    )
    _expect(proposal, ProposalStatus.DRAFT, _("Changing the proposal"))


def evidence_name(file_uuid: uuid.UUID) -> str:
    """The stored name of evidence sent from a phone: its UUID, so a retry can see it arrived."""
    return file_uuid.hex


def proposal_evidence_received(*, proposal: Proposal, field: str, file_uuid: uuid.UUID) -> bool:
    if field not in EVIDENCE_FIELDS:
        return False
    return Path(getattr(proposal, field).name or "").stem == evidence_name(file_uuid)


@transaction.atomic
def proposal_attach_evidence(
    *, actor: User, proposal: Proposal, field: str, upload: UploadedFile, file_uuid: uuid.UUID
) -> Proposal:
    """Store one piece of evidence (a house photo, the family card) of a draft sent from a
    phone, checked like the web form's upload; named by the phone's UUID for the file."""
    stored = _locked(proposal)
    proposal_evidence_check(actor=actor, proposal=stored, field=field)
    cleaned = _clean_files({field: upload})[field]
    cleaned.name = evidence_name(file_uuid) + Path(cleaned.name or "").suffix
    audited_update(stored, actor=actor, data={field: cleaned})
    return stored


# --- submission window ---------------------------------------------------------------------


def enclosing_codes(code: str) -> list[str]:
    """19.01.02.2007 -> [19.01.02.2007, 19.01.02, 19.01, 19]: nearest first."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def submission_window_for(code: str) -> SubmissionWindow | None:
    """The window of the nearest region around `code` that has one; None: any day."""
    codes = enclosing_codes(code)
    windows = {w.wilayah_id: w for w in SubmissionWindow.objects.filter(wilayah_id__in=codes)}
    return next((windows[c] for c in codes if c in windows), None)


def check_submission_window(code: str, *, today: datetime.date) -> None:
    window = submission_window_for(code)
    if window is None or window.first_day <= today.day <= window.last_day:
        return
    raise GardaError(
        _(
            "Proposals are submitted only on days %(first)s to %(last)s of each month here. "
            "Today is day %(day)s: keep it as a draft and submit it between day %(first)s and "
            "day %(last)s."
        )
        % {"first": window.first_day, "last": window.last_day, "day": today.day}
    )


@transaction.atomic
def window_set(*, actor: User, wilayah: Wilayah, first_day: int, last_day: int) -> SubmissionWindow:
    """Set (or change) the monthly submission window of a region."""
    _check_can(
        actor,
        Perm.MANAGE_PROGRAMS,
        wilayah.code,
        _("You may only set submission windows inside your own area."),
    )
    if not 1 <= first_day <= last_day <= 31:
        raise GardaError(
            _("The window runs from a first day to a last day between 1 and 31."), field="last_day"
        )
    window = SubmissionWindow.objects.select_for_update().filter(wilayah=wilayah).first()
    if window is None:
        return audited_create(
            SubmissionWindow, actor=actor, wilayah=wilayah, first_day=first_day, last_day=last_day
        )
    audited_update(window, actor=actor, data={"first_day": first_day, "last_day": last_day})
    return window


@transaction.atomic
def window_delete(*, actor: User, window: SubmissionWindow) -> None:
    _check_can(
        actor,
        Perm.MANAGE_PROGRAMS,
        window.wilayah_id,
        _("You may only set submission windows inside your own area."),
    )
    audited_delete(window, actor=actor)


# --- the steps -------------------------------------------------------------------------------


def _missing_evidence(proposal: Proposal) -> list[str]:
    needed: list[tuple[str, str]] = []
    if proposal.kind in (ProposalKind.NEW_ENTRY, ProposalKind.AID):
        needed += [
            ("photo_front", _("a photo of the house from the front")),
            ("photo_inside", _("a photo inside the house")),
        ]
    if proposal.kind == ProposalKind.NEW_ENTRY:
        needed.append(("photo_kk", _("a photo of the family card (KK)")))
    missing = [label for name, label in needed if not getattr(proposal, name)]
    if proposal.kind in (ProposalKind.NEW_ENTRY, ProposalKind.AID) and proposal.latitude is None:
        missing.append(_("the GPS position of the house"))
    return missing


@transaction.atomic
def proposal_submit(
    *,
    actor: User,
    proposal: Proposal,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Proposal:
    """The PSM submits the draft for the village deliberation, inside the monthly window."""
    _check_can(
        actor, Perm.PROPOSE, proposal.wilayah_id, _("You may only submit proposals of your area.")
    )
    stored = _locked(proposal)
    _expect(stored, ProposalStatus.DRAFT, _("Submitting"))
    missing = _missing_evidence(stored)
    if missing:
        raise GardaError(
            _("Before submitting, add: %(missing)s.") % {"missing": ", ".join(missing)}
        )
    check_submission_window(stored.wilayah_id, today=_today(today))
    return _transition(
        stored,
        actor=actor,
        to=ProposalStatus.SUBMITTED,
        data={"submitted_at": timezone.now()},
        expected_version=expected_version,
    )


@dataclass(frozen=True)
class Outcome:
    """What the village deliberation decided on one proposal."""

    proposal: Proposal
    agreed: bool
    reason: str = ""


def deliberation_kind(wilayah: Wilayah) -> str:
    """A kelurahan holds a muskel, a desa a musdes."""
    return Deliberation.Kind.MUSKEL if wilayah.kind == Kind.KELURAHAN else Deliberation.Kind.MUSDES


@transaction.atomic
def deliberation_record(
    *,
    actor: User,
    wilayah: Wilayah,
    held_on: datetime.date,
    attendees: str,
    attendee_count: int,
    minutes: UploadedFile,
    outcomes: Sequence[Outcome],
    place: str = "",
) -> Deliberation:
    """The desa operator records the musdes/muskel with its minutes (berita acara) and what it
    decided on each submitted proposal of the desa: agreed -> deliberated, not -> rejected
    (with the reason). All or nothing: one proposal out of order refuses the whole record."""
    _check_can(
        actor,
        Perm.RECORD_DELIBERATION,
        wilayah.code,
        _("Only the operator of this desa records its deliberation."),
    )
    if wilayah.level != Level.DESA:
        raise GardaError(_("A village deliberation is held in a desa or kelurahan."))
    if held_on > timezone.localdate():
        raise GardaError(_("The deliberation date cannot be in the future."), field="held_on")
    if not attendees.strip():
        raise GardaError(_("List who attended."), field="attendees")
    if attendee_count < 1:
        raise GardaError(_("Give the number of attendees."), field="attendee_count")
    if not outcomes:
        raise GardaError(_("Choose the proposals the deliberation decided on."), field="outcomes")
    if not minutes:
        raise GardaError(_("Upload the minutes (berita acara)."), field="minutes")
    try:
        minutes = clean_upload(minutes, DOCUMENT)
    except ValidationError as error:
        raise GardaError(" ".join(error.messages), field="minutes") from error
    deliberation = audited_create(
        Deliberation,
        actor=actor,
        wilayah=wilayah,
        kind=deliberation_kind(wilayah),
        held_on=held_on,
        place=place.strip(),
        attendees=attendees.strip(),
        attendee_count=attendee_count,
        minutes=minutes,
        recorded_by=actor,
    )
    seen: set[Any] = set()
    label = deliberation.get_kind_display()
    for outcome in outcomes:
        if outcome.proposal.pk in seen:
            continue
        seen.add(outcome.proposal.pk)
        stored = _locked(outcome.proposal)
        if stored.wilayah_id != wilayah.code:
            raise NotAllowed(_("A deliberation decides only on proposals of its own desa."))
        _expect(stored, ProposalStatus.SUBMITTED, _("The village deliberation"))
        if stored.submitted_at and timezone.localdate(stored.submitted_at) > held_on:
            raise GardaError(
                _("A proposal submitted after the deliberation cannot have been decided there."),
                field="held_on",
            )
        if outcome.agreed:
            _transition(
                stored,
                actor=actor,
                to=ProposalStatus.DELIBERATED,
                note=f"{label} {held_on:%d-%m-%Y}",
                data={"deliberation": deliberation},
            )
        else:
            reason = outcome.reason.strip()
            if not reason:
                raise GardaError(
                    _("Give the reason for every proposal the deliberation did not agree to."),
                    field="outcomes",
                )
            _transition(
                stored,
                actor=actor,
                to=ProposalStatus.REJECTED,
                note=reason,
                data={"deliberation": deliberation, "rejection_reason": reason},
            )
    return deliberation


@transaction.atomic
def proposal_verify(
    *,
    actor: User,
    proposal: Proposal,
    approve: bool,
    reason: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """Dinas verification of a proposal the village agreed to: verified, or rejected with a
    reason."""
    _check_can(
        actor,
        Perm.VERIFY_PROPOSALS,
        proposal.wilayah_id,
        _("Only Dinas verifiers may verify proposals."),
    )
    stored = _locked(proposal)
    _expect(stored, ProposalStatus.DELIBERATED, _("Verification by Dinas"))
    reason = reason.strip()
    if approve:
        return _transition(
            stored,
            actor=actor,
            to=ProposalStatus.VERIFIED,
            note=reason,
            data={"verified_at": timezone.now()},
            expected_version=expected_version,
        )
    if not reason:
        raise GardaError(_("Give the reason for the rejection."), field="reason")
    return _transition(
        stored,
        actor=actor,
        to=ProposalStatus.REJECTED,
        note=reason,
        data={"rejection_reason": reason},
        expected_version=expected_version,
    )


@transaction.atomic
def proposal_approve(
    *,
    actor: User,
    proposals: Iterable[Proposal],
    decree_number: str,
    approved_on: datetime.date,
    expected_versions: dict[Any, int] | None = None,
) -> list[Proposal]:
    """Record the bupati's approval (pengesahan) of verified proposals, one or a batch under
    one decree. All or nothing: one proposal out of order refuses the batch."""
    decree_number = decree_number.strip()
    if not decree_number:
        raise GardaError(_("Give the decree number."), field="decree_number")
    if approved_on > timezone.localdate():
        raise GardaError(_("The approval date cannot be in the future."), field="approved_on")
    approved = []
    for proposal in proposals:
        _check_can(
            actor,
            Perm.VERIFY_PROPOSALS,
            proposal.wilayah_id,
            _("Only Dinas verifiers may record approvals."),
        )
        stored = _locked(proposal)
        _expect(stored, ProposalStatus.VERIFIED, _("Recording the bupati's approval"))
        if stored.verified_at and timezone.localdate(stored.verified_at) > approved_on:
            raise GardaError(
                _("The approval date is before the verification by Dinas."), field="approved_on"
            )
        approved.append(
            _transition(
                stored,
                actor=actor,
                to=ProposalStatus.APPROVED,
                note=decree_number,
                data={"decree_number": decree_number, "approved_on": approved_on},
                expected_version=(expected_versions or {}).get(stored.pk),
            )
        )
    if not approved:
        raise GardaError(_("Choose at least one verified proposal."), field="proposals")
    return approved


# --- the approved list (BNBA) ----------------------------------------------------------------

BNBA_COLUMNS = (
    xlsx.Column("ID DTKS", width=18),
    xlsx.Column("PROVINSI", width=18),
    xlsx.Column("KABUPATEN", width=18),
    xlsx.Column("KECAMATAN", width=18),
    xlsx.Column("DESA", width=18),
    xlsx.Column("ALAMAT", width=28),
    xlsx.Column("DUSUN", width=14),
    xlsx.Column("RT", width=6),
    xlsx.Column("RW", width=6),
    xlsx.Column("NO KK", width=20),
    xlsx.Column("NIK", width=20),
    xlsx.Column("NAMA", width=26),
    xlsx.Column("TEMPAT LAHIR", width=16),
    xlsx.Column("TANGGAL LAHIR", xlsx.Kind.DATE, width=14),
    xlsx.Column("JENIS KELAMIN", width=8),
    xlsx.Column("NAMA IBU KANDUNG", width=24),
    xlsx.Column("HUBUNGAN KELUARGA", width=16),
    xlsx.Column("JENIS USULAN", width=22),
    xlsx.Column("PROGRAM", width=20),
    xlsx.Column("NOMOR SK", width=24),
    xlsx.Column("TANGGAL PENGESAHAN", xlsx.Kind.DATE, width=14),
)
BNBA_SHEET = "BNBA"


def approved_in_month(
    *, fetched_by: User, month: datetime.date, wilayah: str = ""
) -> QuerySet[Proposal]:
    """Approved proposals of a month the user may see, with what the BNBA row needs."""
    first, following = month_dates(month)
    rows = Proposal.objects.visible_to(fetched_by, Perm.VERIFY_PROPOSALS).filter(
        status=ProposalStatus.APPROVED, approved_on__gte=first, approved_on__lt=following
    )
    if wilayah:
        rows = rows.within(wilayah)
    heads = Individu.objects.current().filter(relation=Relation.KEPALA)
    return rows.select_related(
        "program", "individu__keluarga", "keluarga", "wilayah__parent__parent__parent"
    ).prefetch_related(Prefetch("keluarga__members", queryset=heads, to_attr="heads"))


def _person_row(proposal: Proposal) -> dict[str, Any]:
    """Who the proposal is about, with the corrections applied (the BNBA shows the result)."""
    if proposal.kind == ProposalKind.NEW_ENTRY:
        details = proposal.details or {}
        born = details.get("birth_date") or ""
        return {
            "dtks_id": "",
            "address": details.get("address", ""),
            "dusun": details.get("dusun", ""),
            "rt": details.get("rt", ""),
            "rw": details.get("rw", ""),
            "no_kk": proposal.no_kk,
            "nik": proposal.nik,
            "name": proposal.name,
            "birth_place": details.get("birth_place", ""),
            "birth_date": datetime.date.fromisoformat(born) if born else None,
            "sex": details.get("sex", ""),
            "mother_name": details.get("mother_name", ""),
            "relation": details.get("relation", ""),
        }
    person: Individu | None = proposal.individu
    keluarga: Keluarga | None = proposal.keluarga
    if person is not None:
        keluarga = person.keluarga
    elif keluarga is not None:
        heads = getattr(keluarga, "heads", None)
        person = heads[0] if heads else None
    row: dict[str, Any] = {
        "dtks_id": keluarga.dtks_id if keluarga else "",
        "address": keluarga.address if keluarga else "",
        "dusun": keluarga.dusun if keluarga else "",
        "rt": keluarga.rt if keluarga else "",
        "rw": keluarga.rw if keluarga else "",
        "no_kk": keluarga.no_kk if keluarga else "",
        "nik": person.nik if person else "",
        "name": person.name if person else "",
        "birth_place": person.birth_place if person else "",
        "birth_date": person.birth_date if person else None,
        "sex": person.sex if person else "",
        "mother_name": person.mother_name if person else "",
        "relation": person.relation if person else "",
    }
    if proposal.kind == ProposalKind.CORRECTION:
        for key, value in (proposal.details or {}).items():
            row[key] = datetime.date.fromisoformat(value) if key == "birth_date" else value
    return row


def _kind_text(proposal: Proposal) -> str:
    text = proposal.get_kind_display()
    if proposal.removal_reason:
        text += f" ({proposal.get_removal_reason_display()})"
    return text


def bnba_rows(
    proposals: Iterable[Proposal], *, reveal_areas: list[str], counter: dict[str, int]
) -> Iterable[list[Any]]:
    relations = dict(Relation.choices)
    for proposal in proposals:
        row = _person_row(proposal)
        reveal = any(
            proposal.wilayah_id == a or proposal.wilayah_id.startswith(a + ".")
            for a in reveal_areas
        )
        nik, no_kk = row["nik"], row["no_kk"]
        if not reveal:
            nik, no_kk = mask_identifier(nik), mask_identifier(no_kk)
        desa = proposal.wilayah
        kecamatan = desa.parent
        kabupaten = kecamatan.parent if kecamatan else None
        provinsi = kabupaten.parent if kabupaten else None
        counter["rows"] += 1
        counter["revealed"] += int(reveal)
        yield [
            row["dtks_id"],
            provinsi.name if provinsi else "",
            kabupaten.name if kabupaten else "",
            kecamatan.name if kecamatan else "",
            desa.name,
            row["address"],
            row["dusun"],
            row["rt"],
            row["rw"],
            no_kk,
            nik,
            row["name"],
            row["birth_place"],
            row["birth_date"],
            row["sex"],
            row["mother_name"],
            str(relations.get(row["relation"], row["relation"])),
            _kind_text(proposal),
            proposal.program.name if proposal.program else "",
            proposal.decree_number,
            proposal.approved_on,
        ]


def proposal_export_bnba(*, actor: User, month: datetime.date, wilayah: str = "") -> bytes:
    """The approved proposals of `month` as a BNBA workbook in the DTKS column layout. Full NIK
    and No KK only where the user may reveal identifiers; the export is in the audit trail."""
    proposals = approved_in_month(fetched_by=actor, month=month, wilayah=wilayah).order_by(
        "wilayah_id", "approved_on", "name", "pk"
    )
    counter = {"rows": 0, "revealed": 0}
    workbook = xlsx.new_workbook()
    xlsx.add_sheet(
        workbook,
        title=BNBA_SHEET,
        columns=BNBA_COLUMNS,
        rows=bnba_rows(
            proposals, reveal_areas=actor.areas_for(Perm.REVEAL_IDENTIFIERS), counter=counter
        ),
    )
    content = xlsx.workbook_bytes(workbook)
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type=Proposal._meta.label_lower,
        object_repr=_("BNBA of approved proposals %(month)s: %(count)s rows")
        % {"month": f"{month:%m/%Y}", "count": counter["rows"]},
        wilayah_code=wilayah or (actor.areas_for(Perm.VERIFY_PROPOSALS) or [""])[0],
        changes={
            "month": [None, f"{month:%Y-%m}"],
            "rows": [None, counter["rows"]],
            "identifiers_revealed": [None, counter["revealed"]],
        },
    )
    return content


def proposal_month_summary(proposals: QuerySet[Proposal]) -> list[dict[str, Any]]:
    """Counts per desa, per kind and per status, of the given (already scoped) proposals: two
    grouped queries and one for the desa names, whatever the number of rows."""
    by_kind = proposals.order_by().values("wilayah_id", "kind").annotate(n=Count("pk"))
    by_status = proposals.order_by().values("wilayah_id", "status").annotate(n=Count("pk"))
    table: dict[str, dict[str, Any]] = {}

    def entry(code: str) -> dict[str, Any]:
        return table.setdefault(
            code,
            {
                "code": code,
                "kinds": dict.fromkeys(ProposalKind.values, 0),
                "statuses": dict.fromkeys(ProposalStatus.values, 0),
                "total": 0,
            },
        )

    for kind_count in by_kind:
        entry(kind_count["wilayah_id"])["kinds"][kind_count["kind"]] = kind_count["n"]
        entry(kind_count["wilayah_id"])["total"] += kind_count["n"]
    for status_count in by_status:
        entry(status_count["wilayah_id"])["statuses"][status_count["status"]] = status_count["n"]
    names = dict(Wilayah.objects.filter(code__in=table).values_list("code", "name"))
    rows = []
    for code in sorted(table):
        row = table[code]
        row["name"] = names.get(code, code)
        row["kind_counts"] = [row["kinds"][k] for k in ProposalKind.values]
        row["status_counts"] = [row["statuses"][s] for s in ProposalStatus.values]
        rows.append(row)
    return rows


def proposal_filter(
    proposals: ProposalQuerySet,
    *,
    status: str = "",
    kind: str = "",
    wilayah: str = "",
    month: datetime.date | None = None,
) -> ProposalQuerySet:
    """The list's filters. `month` is the month the proposal was submitted (drafts: created)."""
    if status:
        proposals = proposals.filter(status=status)
    if kind:
        proposals = proposals.filter(kind=kind)
    if wilayah:
        proposals = proposals.within(wilayah)
    if month is not None:
        first, following = month_dates(month)
        start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
        end = timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))
        proposals = proposals.filter(
            Q(submitted_at__gte=start, submitted_at__lt=end)
            | Q(submitted_at__isnull=True, created_at__gte=start, created_at__lt=end)
        )
    return proposals
