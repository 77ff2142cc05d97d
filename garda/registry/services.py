"""Writes about households and residents: registering, correcting, moving, PPKS statuses,
likely duplicates and merging. Every write is audited and atomic; NIK and No KK are checked by
the rules of garda.core.nik and stored encrypted with a blind index."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audited_create, audited_update
from garda.core.crypto import blind_index
from garda.core.errors import Duplicate, GardaError, InvalidState, NotAllowed
from garda.core.nik import check_nik, check_no_kk, normalise_digits
from garda.programs.models import (
    Distribution,
    DistributionStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
)
from garda.wilayah.models import Level, Wilayah

from .models import (
    Candidate,
    DuplicateCandidate,
    Individu,
    Keluarga,
    Move,
    PpksStatus,
    PpksType,
    Relation,
)
from .names import name_key

# What a form or an import may set, in the order people read them (the export uses it too).
KELUARGA_FIELDS = (
    "dusun",
    "rt",
    "rw",
    "address",
    "latitude",
    "longitude",
    "desil",
    "desil_source",
    "desil_date",
    "dtks_id",
    "floor",
    "wall",
    "roof",
    "water",
    "sanitation",
    "electricity",
)
INDIVIDU_FIELDS = (
    "nik",
    "nik_note",
    "relation",
    "name",
    "sex",
    "birth_place",
    "birth_date",
    "mother_name",
    "marital",
    "religion",
    "education",
    "occupation",
    "disability",
    "is_deceased",
    "died_on",
    "moved_out",
)


def nik_hash(nik: str) -> str:
    return blind_index(nik, purpose="nik")


def no_kk_hash(no_kk: str) -> str:
    return blind_index(no_kk, purpose="no_kk")


def _check_manages(actor: User, code: str) -> None:
    if not actor.can_in(Perm.MANAGE_RESIDENTS, code):
        raise NotAllowed(_("You may only record residents inside your own area."))


def _village(wilayah: Wilayah) -> None:
    if wilayah.level != Level.DESA:
        raise GardaError(_("A household lives in a desa or kelurahan."), field="wilayah")


# --- households ------------------------------------------------------------------------------


@transaction.atomic
def keluarga_register(
    *, actor: User, no_kk: str, wilayah: Wilayah, data: dict[str, Any] | None = None
) -> Keluarga:
    _check_manages(actor, wilayah.code)
    _village(wilayah)
    no_kk = normalise_digits(no_kk)
    check = check_no_kk(no_kk)
    if check.errors:
        raise GardaError(" ".join(check.errors), field="no_kk")
    existing = Keluarga.objects.filter(no_kk_hash=no_kk_hash(no_kk)).first()
    if existing is not None:
        raise Duplicate(
            _("A household with this No KK is already registered."),
            field="no_kk",
            existing=existing,
        )
    fields = {k: v for k, v in (data or {}).items() if k in KELUARGA_FIELDS}
    try:
        with transaction.atomic():
            return audited_create(
                Keluarga,
                actor=actor,
                no_kk=no_kk,
                no_kk_hash=no_kk_hash(no_kk),
                wilayah=wilayah,
                **fields,
            )
    except IntegrityError as error:  # a concurrent entry of the same No KK
        raise GardaError(
            _("A household with this No KK is already registered."), field="no_kk"
        ) from error


@transaction.atomic
def keluarga_update(
    *,
    actor: User,
    keluarga: Keluarga,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> list[str]:
    _check_manages(actor, keluarga.wilayah_id)
    fields = {k: v for k, v in data.items() if k in KELUARGA_FIELDS}
    return audited_update(keluarga, actor=actor, data=fields, expected_version=expected_version)


@transaction.atomic
def keluarga_move(
    *, actor: User, keluarga: Keluarga, wilayah: Wilayah, moved_on: datetime.date, reason: str
) -> Move:
    """The household moves to another desa with its members; where it lived stays in history."""
    _check_manages(actor, keluarga.wilayah_id)
    _check_manages(actor, wilayah.code)
    _village(wilayah)
    if wilayah.pk == keluarga.wilayah_id:
        raise GardaError(_("The household already lives there."), field="wilayah")
    move = Move.objects.create(
        keluarga=keluarga,
        from_wilayah_id=keluarga.wilayah_id,
        to_wilayah=wilayah,
        moved_on=moved_on,
        reason=reason,
        actor=actor,
    )
    audited_update(keluarga, actor=actor, data={"wilayah": wilayah}, reason=reason)
    movers = list(keluarga.members.current().filter(moved_out=False))
    for member in movers:
        audited_update(member, actor=actor, data={"wilayah": wilayah}, reason=reason)
    # Their PPKS statuses and open duplicate reviews go with them, to the new desa's workers.
    statuses = PpksStatus.objects.filter(Q(keluarga=keluarga) | Q(individu__in=movers))
    for status in statuses:
        audited_update(status, actor=actor, data={"wilayah": wilayah}, reason=reason)
    DuplicateCandidate.objects.filter(
        Q(first__in=movers) | Q(second__in=movers), status=Candidate.OPEN
    ).update(wilayah=wilayah)
    _carry_enrolments(
        actor=actor,
        enrolments=Enrolment.objects.filter(Q(keluarga=keluarga) | Q(individu__in=movers)),
        wilayah=wilayah,
        reason=reason,
    )
    return move


def _carry_enrolments(*, actor: User, enrolments: Any, wilayah: Wilayah, reason: str) -> None:
    """Programme participation follows the family to its new desa (its quota, its PSM); the
    distributions still to come are planned there, those that happened stay where they did."""
    for enrolment in enrolments:
        audited_update(enrolment, actor=actor, data={"wilayah": wilayah}, reason=reason)
    Distribution.objects.filter(
        enrolment__in=enrolments, status=DistributionStatus.SCHEDULED
    ).update(wilayah=wilayah)


# --- residents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    individu: Individu
    possible_duplicates: list[DuplicateCandidate]


def individu_check(*, data: dict[str, Any], existing: Individu | None = None) -> list[str]:
    """Errors raise; warnings (NIK vs date of birth/sex) are returned and need a note."""
    if not (data.get("name") or "").strip():
        raise GardaError(_("The name is empty."), field="name")
    if data.get("sex") not in ("L", "P"):
        raise GardaError(_("Choose the sex: L (male) or P (female)."), field="sex")
    nik = data.get("nik") or ""
    check = check_nik(nik, birth_date=data.get("birth_date"), sex=data.get("sex"))
    if check.errors:
        raise GardaError(" ".join(check.errors), field="nik")
    other = Individu.objects.filter(nik_hash=nik_hash(nik))
    if existing is not None:
        other = other.exclude(pk=existing.pk)
    found = other.first()
    if found is not None:
        # No name here: the caller names the record only to someone allowed to see it.
        raise Duplicate(_("This NIK is already registered."), field="nik", existing=found)
    return check.warnings


def _require_note(warnings: list[str], data: dict[str, Any]) -> None:
    if warnings and not (data.get("nik_note") or "").strip():
        raise GardaError(
            " ".join(warnings) + " " + _("If the NIK is right, say why in the note on the NIK."),
            field="nik_note",
        )


def _individu_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k in INDIVIDU_FIELDS}
    if "nik" in fields:
        fields["nik"] = normalise_digits(fields["nik"])
        fields["nik_hash"] = nik_hash(fields["nik"])
    if "name" in fields:
        fields["name"] = " ".join(str(fields["name"]).split())
        fields["name_key"] = name_key(fields["name"])
    if "mother_name" in fields:
        fields["mother_key"] = name_key(fields["mother_name"] or "")
    return fields


@transaction.atomic
def individu_register(*, actor: User, keluarga: Keluarga, data: dict[str, Any]) -> Registered:
    """A new resident in a household. Likely duplicates are queued for review, not refused."""
    _check_manages(actor, keluarga.wilayah_id)
    fields = _individu_fields(data)
    _require_note(individu_check(data=fields), fields)
    if fields.get("relation") == Relation.KEPALA:
        _check_one_head(keluarga)
    try:
        with transaction.atomic():
            individu = audited_create(
                Individu, actor=actor, keluarga=keluarga, wilayah_id=keluarga.wilayah_id, **fields
            )
    except IntegrityError as error:  # a concurrent entry of the same NIK
        raise GardaError(_("This NIK is already registered."), field="nik") from error
    return Registered(individu, duplicates_queue(individu=individu))


@transaction.atomic
def individu_update(
    *,
    actor: User,
    individu: Individu,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> list[str]:
    _check_manages(actor, individu.wilayah_id)
    fields = _individu_fields(data)
    merged = {f: getattr(individu, f) for f in INDIVIDU_FIELDS} | fields
    _require_note(individu_check(data=merged, existing=individu), merged)
    if fields.get("relation") == Relation.KEPALA:
        _check_one_head(individu.keluarga, exclude=individu)
    try:
        with transaction.atomic():
            return audited_update(
                individu, actor=actor, data=fields, expected_version=expected_version
            )
    except IntegrityError as error:  # a concurrent save of the same NIK
        raise GardaError(_("This NIK is already registered."), field="nik") from error


def _check_one_head(keluarga: Keluarga, *, exclude: Individu | None = None) -> None:
    heads = keluarga.members.current().filter(relation=Relation.KEPALA)
    if exclude is not None:
        heads = heads.exclude(pk=exclude.pk)
    if heads.exists():
        raise GardaError(_("This household already has a head of family."), field="relation")


# --- likely duplicates -----------------------------------------------------------------------

DUPLICATE_THRESHOLD = 60


COMMON_NAME_STARTS = ("MUHAMAD", "ABDUL", "SITI", "NUR")


def _distinctive(key: str) -> str:
    """The name key without a common first word: "Muhammad Yusuf" and "Muhammad Ridwan"
    must not look alike just because both start with Muhammad."""
    for start in COMMON_NAME_STARTS:
        if key.startswith(start) and len(key) > len(start):
            return key[len(start) :]
    return key


def duplicate_score(a: Individu, b: Individu) -> tuple[int, list[str]]:
    """How alike two records are, and why: the reasons are shown to the reviewer."""
    score, reasons = 0, list[str]()
    if a.name_key == b.name_key:
        score, reasons = score + 45, [*reasons, "name"]
    elif _distinctive(a.name_key)[:5] == _distinctive(b.name_key)[:5]:
        score, reasons = score + 25, [*reasons, "name_start"]
    if a.birth_date and a.birth_date == b.birth_date:
        score, reasons = score + 35, [*reasons, "birth_date"]
    if a.mother_key and a.mother_key == b.mother_key:
        score, reasons = score + 20, [*reasons, "mother"]
    if a.wilayah_id[:8] == b.wilayah_id[:8]:
        score, reasons = score + 10, [*reasons, "area"]
    return min(score, 100), reasons


def duplicates_queue(*, individu: Individu) -> list[DuplicateCandidate]:
    """Find records like this one (same birth date, or same name key, in the same kabupaten)
    and queue the likely ones for review."""
    others = (
        Individu.objects.current()
        .within(individu.wilayah_id[:5])
        .exclude(pk=individu.pk)
        .filter(
            Q(birth_date=individu.birth_date, birth_date__isnull=False)
            | Q(name_key=individu.name_key)
        )[:50]
    )
    queued = []
    for other in others:
        score, reasons = duplicate_score(individu, other)
        if score < DUPLICATE_THRESHOLD:
            continue
        first, second = sorted((individu, other), key=lambda r: str(r.pk))
        candidate, _created = DuplicateCandidate.objects.get_or_create(
            first=first,
            second=second,
            defaults={
                "wilayah_id": individu.wilayah_id,
                "score": score,
                "reasons": reasons,
            },
        )
        queued.append(candidate)
    return queued


@transaction.atomic
def duplicate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> None:
    _decide(actor, candidate, Candidate.DISMISSED)


@transaction.atomic
def duplicate_merge(*, actor: User, candidate: DuplicateCandidate, keep: Individu) -> Individu:
    """Merge the pair into `keep`: the other record's PPKS statuses and moves move over, and
    the other record stays, marked as merged, so both histories remain readable."""
    if keep.pk not in (candidate.first_id, candidate.second_id):
        raise GardaError(_("Keep one of the two records."))
    other = candidate.second if keep.pk == candidate.first_id else candidate.first
    _check_manages(actor, other.wilayah_id)
    _decide(actor, candidate, Candidate.MERGED)
    kept_types = set(keep.ppks.active().values_list("ppks_type_id", flat=True))
    for status in PpksStatus.objects.filter(individu=other):
        data: dict[str, Any] = {"individu": keep, "wilayah_id": keep.wilayah_id}
        if status.resolved_on is None and status.ppks_type_id in kept_types:
            data["resolved_on"] = timezone.localdate()  # the kept record already has it
        audited_update(status, actor=actor, data=data, reason=_("Merged duplicate"))
    Move.objects.filter(individu=other).update(individu=keep)
    _merge_enrolments(actor=actor, other=other, keep=keep)
    audited_update(other, actor=actor, data={"merged_into": keep}, reason=_("Merged duplicate"))
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=keep,
        changes={"merged_from": [None, str(other.pk)]},
        reason=_("Merged duplicate"),
    )
    return keep


def _merge_enrolments(*, actor: User, other: Individu, keep: Individu) -> None:
    """The merged record's programme participation passes to the kept one; where the kept one
    is in that programme already, the merged record's participation ends, so one person never
    receives a benefit twice."""
    reason = _("Merged duplicate")
    kept_programs = set(
        Enrolment.objects.filter(individu=keep).values_list("program_id", flat=True)
    )
    for enrolment in Enrolment.objects.filter(individu=other):
        if enrolment.program_id not in kept_programs:
            data = {"individu": keep, "wilayah_id": keep.wilayah_id}
            audited_update(enrolment, actor=actor, data=data, reason=reason)
        elif enrolment.status != EnrolmentStatus.ENDED:
            before = enrolment.status
            data = {"status": EnrolmentStatus.ENDED, "ended_on": timezone.localdate()}
            audited_update(enrolment, actor=actor, data=data, reason=reason)
            EnrolmentEvent.objects.create(
                enrolment=enrolment,
                actor=actor,
                from_status=before,
                to_status=EnrolmentStatus.ENDED,
                note=reason,
            )


def _decide(actor: User, candidate: DuplicateCandidate, status: str) -> None:
    if not actor.can_in(Perm.MERGE_DUPLICATES, candidate.wilayah_id):
        raise NotAllowed(_("Only Dinas staff decide on duplicates."))
    locked = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if locked.status != Candidate.OPEN:
        raise InvalidState(_("This pair has already been decided."))
    audited_update(
        candidate,
        actor=actor,
        data={"status": status, "decided_by": actor, "decided_at": timezone.now()},
    )


# --- PPKS --------------------------------------------------------------------------------------


@transaction.atomic
def ppks_assign(
    *,
    actor: User,
    ppks_type: PpksType,
    assessed_on: datetime.date,
    individu: Individu | None = None,
    keluarga: Keluarga | None = None,
    note: str = "",
    evidence: UploadedFile | None = None,
) -> PpksStatus:
    subject = individu or keluarga
    if subject is None or (individu and keluarga):
        raise GardaError(_("A PPKS status belongs to one person or one household."))
    _check_manages(actor, subject.wilayah_id)
    if assessed_on > timezone.localdate():
        raise GardaError(_("The assessment date cannot be in the future."), field="assessed_on")
    already = PpksStatus.objects.active().filter(
        ppks_type=ppks_type, individu=individu, keluarga=keluarga
    )
    if already.exists():
        raise GardaError(_("This PPKS status is already active."), field="ppks_type")
    return audited_create(
        PpksStatus,
        actor=actor,
        ppks_type=ppks_type,
        individu=individu,
        keluarga=keluarga,
        wilayah_id=subject.wilayah_id,
        assessed_on=assessed_on,
        assessor=actor,
        note=note,
        evidence=evidence or "",
    )


@transaction.atomic
def ppks_resolve(*, actor: User, status: PpksStatus, resolved_on: datetime.date, note: str) -> None:
    _check_manages(actor, status.wilayah_id)
    if status.resolved_on is not None:
        raise InvalidState(_("This PPKS status is already resolved."))
    if resolved_on < status.assessed_on:
        raise GardaError(_("It cannot be resolved before it was assessed."), field="resolved_on")
    audited_update(
        status, actor=actor, data={"resolved_on": resolved_on, "resolution_note": note}, reason=note
    )
