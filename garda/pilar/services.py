"""Writes about social pillar members: registering, editing, status, place of service, decrees,
trainings, IPSM officers and their accounts. Every write is audited and atomic."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts import services as account_services
from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Perm, Role
from garda.audit.services import audited_create, audited_update
from garda.core.crypto import blind_index
from garda.core.errors import Duplicate, GardaError, NotAllowed
from garda.core.nik import check_nik, normalise_digits
from garda.core.scoping import is_within
from garda.wilayah.models import Level, Wilayah

from .models import (
    PSM,
    TKSK,
    Decree,
    IpsmOfficer,
    Pilar,
    PilarType,
    Placement,
    Position,
    Status,
    StatusEvent,
    Training,
)

# What a member may change on their own profile; status, decrees and placement stay with Dinas.
SELF_EDITABLE = frozenset(
    {
        "phone",
        "email",
        "religion",
        "education",
        "occupation",
        "home_wilayah",
        "dusun",
        "rt",
        "rw",
        "address",
        "photo",
    }
)
PROFILE_FIELDS = SELF_EDITABLE | {
    "name",
    "nik",
    "nik_note",
    "sex",
    "birth_place",
    "birth_date",
    "contact_person",
    "ipsm_number",
    "joined_on",
}


# Fields the NIK is checked against: changing one of them re-checks the identity.
IDENTITY_FIELDS = frozenset({"name", "nik", "nik_note", "birth_date", "sex"})


def nik_hash(nik: str) -> str | None:
    return blind_index(nik, purpose="nik") if nik else None


@dataclass
class Problems:
    """What is wrong with a member's data: errors stop the write, warnings need a note."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def raise_first(self) -> None:
        if self.errors:
            name, message = self.errors[0]
            raise GardaError(message, field=name)


def pilar_check(
    *, jenis: PilarType, wilayah: Wilayah, data: dict[str, Any], existing: Pilar | None = None
) -> Problems:
    """Check a member's data the same way for the form and for the import."""
    problems = Problems()
    if not (data.get("name") or "").strip():
        problems.errors.append(("name", _("The name is empty.")))
    if wilayah.level < jenis.area_level:
        problems.errors.append(
            (
                "wilayah",
                _("A %(type)s serves in a %(level)s, not in %(region)s.")
                % {
                    "type": jenis.name,
                    "level": Level(jenis.area_level).label,
                    "region": wilayah,
                },
            )
        )
    nik = data.get("nik") or ""
    if jenis.is_organisation and not nik:
        return problems
    if not nik:
        problems.errors.append(("nik", _("The NIK is required for a person.")))
        return problems
    check = check_nik(nik, birth_date=data.get("birth_date"), sex=data.get("sex") or None)
    problems.errors += [("nik", message) for message in check.errors]
    problems.warnings += [("nik", message) for message in check.warnings]
    if not check.errors:
        duplicate = Pilar.objects.filter(nik_hash=nik_hash(nik))
        if existing is not None:
            duplicate = duplicate.exclude(pk=existing.pk)
        if duplicate.exists():
            problems.errors.append(("nik", _("A profile with this NIK already exists.")))
    return problems


def _check_identity(
    *,
    actor: User,
    jenis: PilarType,
    wilayah: Wilayah,
    data: dict[str, Any],
    existing: Pilar | None = None,
) -> None:
    problems = pilar_check(jenis=jenis, wilayah=wilayah, data=data, existing=existing)
    duplicate_message = _("A profile with this NIK already exists.")
    if ("nik", duplicate_message) in problems.errors:
        # Name the existing profile only to someone allowed to see it.
        other = (
            Pilar.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .filter(nik_hash=nik_hash(data["nik"]))
            .first()
        )
        message = (
            _("A profile with this NIK already exists: %(name)s, %(region)s.")
            % {"name": other.name, "region": other.wilayah}
            if other
            else _("A profile with this NIK already exists, outside your area.")
        )
        raise Duplicate(message, field="nik", existing=other)
    problems.raise_first()
    if problems.warnings and not (data.get("nik_note") or "").strip():
        messages = " ".join(message for _name, message in problems.warnings)
        raise GardaError(
            messages + " " + _("If the NIK is right, say why in the note on the NIK."),
            field="nik_note",
        )


def _check_manages(actor: User, code: str) -> None:
    if not actor.can_in(Perm.MANAGE_PILAR, code):
        raise NotAllowed(_("You may only manage social workers inside your own area."))


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    if "nik" in cleaned:
        cleaned["nik"] = normalise_digits(cleaned["nik"])
    if "name" in cleaned:
        cleaned["name"] = " ".join(str(cleaned["name"]).split())
    return cleaned


@transaction.atomic
def pilar_register(
    *,
    actor: User,
    jenis: PilarType,
    wilayah: Wilayah,
    data: dict[str, Any],
    status: str = Status.CALON,
    reason: str = "",
) -> Pilar:
    _check_manages(actor, wilayah.code)
    data = _normalised(data)
    _check_identity(actor=actor, jenis=jenis, wilayah=wilayah, data=data)
    pilar = audited_create(
        Pilar,
        actor=actor,
        jenis=jenis,
        wilayah=wilayah,
        status=status,
        nik_hash=nik_hash(data.get("nik", "")),
        **data,
    )
    start = pilar.joined_on or timezone.localdate()
    Placement.objects.create(pilar=pilar, wilayah=wilayah, start=start)
    StatusEvent.objects.create(
        pilar=pilar,
        to_status=status,
        effective_on=start,
        reason=reason or _("Registered"),
        actor=actor,
    )
    return pilar


def can_edit_profile(actor: User, pilar: Pilar) -> bool:
    return pilar.user_id == actor.pk or actor.can_in(Perm.MANAGE_PILAR, pilar.wilayah_id)


@transaction.atomic
def pilar_update(
    *, actor: User, pilar: Pilar, data: dict[str, Any], expected_version: int | None = None
) -> list[str]:
    """Dinas edits the whole profile; the member themself only their contact and background."""
    data = _normalised(data)
    if not actor.can_in(Perm.MANAGE_PILAR, pilar.wilayah_id):
        if pilar.user_id != actor.pk:
            raise NotAllowed(_("You may only manage social workers inside your own area."))
        data = {k: v for k, v in data.items() if k in SELF_EDITABLE}
    identity_changes = {
        name for name in IDENTITY_FIELDS & data.keys() if data[name] != getattr(pilar, name)
    }
    if identity_changes:
        merged = {f: getattr(pilar, f) for f in PROFILE_FIELDS} | data
        _check_identity(
            actor=actor, jenis=pilar.jenis, wilayah=pilar.wilayah, data=merged, existing=pilar
        )
    if "nik" in data:
        data["nik_hash"] = nik_hash(data["nik"])
    return audited_update(pilar, actor=actor, data=data, expected_version=expected_version)


@transaction.atomic
def pilar_set_status(
    *,
    actor: User,
    pilar: Pilar,
    status: str,
    reason: str,
    effective_on: datetime.date | None = None,
) -> StatusEvent:
    _check_manages(actor, pilar.wilayah_id)
    if status == pilar.status:
        raise GardaError(
            _("The status is already %(status)s.") % {"status": pilar.get_status_display()}
        )
    if not reason.strip():
        raise GardaError(_("Give the reason for the change of status."), field="reason")
    if pilar.status == Status.MENINGGAL:
        raise GardaError(_("The status of a deceased member cannot change."))
    event = StatusEvent.objects.create(
        pilar=pilar,
        from_status=pilar.status,
        to_status=status,
        effective_on=effective_on or timezone.localdate(),
        reason=reason.strip(),
        actor=actor,
    )
    audited_update(pilar, actor=actor, data={"status": status}, reason=reason)
    return event


@transaction.atomic
def pilar_move(
    *, actor: User, pilar: Pilar, wilayah: Wilayah, start: datetime.date, reason: str
) -> Placement:
    """Serve somewhere else from `start`; the old place stays in the history."""
    _check_manages(actor, pilar.wilayah_id)
    _check_manages(actor, wilayah.code)
    if wilayah.pk == pilar.wilayah_id:
        raise GardaError(_("The member already serves there."), field="wilayah")
    if wilayah.level < pilar.jenis.area_level:
        raise GardaError(
            _("A %(type)s serves in a %(level)s.")
            % {"type": pilar.jenis.name, "level": Level(pilar.jenis.area_level).label},
            field="wilayah",
        )
    current = Placement.objects.select_for_update().filter(pilar=pilar, end__isnull=True).first()
    if current is not None:
        if start <= current.start:
            raise GardaError(
                _("The new placement must start after %(date)s.") % {"date": current.start},
                field="start",
            )
        current.end = start - datetime.timedelta(days=1)
        current.save(update_fields=["end", "updated_at"])
    placement = Placement.objects.create(pilar=pilar, wilayah=wilayah, start=start, reason=reason)
    _move_account_role(actor=actor, pilar=pilar, wilayah=wilayah, reason=reason)
    audited_update(pilar, actor=actor, data={"wilayah": wilayah}, reason=reason)
    return placement


ACCOUNT_ROLES = {PSM: Role.PSM, TKSK: Role.KOORDINATOR}


def _move_account_role(*, actor: User, pilar: Pilar, wilayah: Wilayah, reason: str) -> None:
    """A member's account follows them: the role at the old place ends, the same role starts
    at the new one. The move itself is the authority (Dinas manages both places)."""
    role = ACCOUNT_ROLES.get(pilar.jenis.code)
    if pilar.user is None or role is None:
        return
    today = timezone.localdate()
    for assignment in RoleAssignment.objects.active().filter(
        user=pilar.user, role=role, wilayah_id=pilar.wilayah_id
    ):
        audited_update(assignment, actor=actor, data={"valid_to": today}, reason=reason)
    audited_create(
        RoleAssignment, actor=actor, user=pilar.user, role=role, wilayah=wilayah, valid_from=today
    )


@transaction.atomic
def decree_add(
    *,
    actor: User,
    pilar: Pilar,
    number: str,
    issued_on: datetime.date,
    signed_by: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    scan: UploadedFile | None = None,
) -> Decree:
    _check_manages(actor, pilar.wilayah_id)
    if valid_until is not None and valid_until < valid_from:
        raise GardaError(_("The decree cannot end before it starts."), field="valid_until")
    return audited_create(
        Decree,
        actor=actor,
        pilar=pilar,
        number=number.strip(),
        issued_on=issued_on,
        signed_by=signed_by.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        scan=scan or "",
    )


@transaction.atomic
def training_add(
    *,
    actor: User,
    pilar: Pilar,
    kind: str,
    organiser: str,
    start: datetime.date,
    end: datetime.date,
    title: str = "",
    certificate: UploadedFile | None = None,
) -> Training:
    """Dinas records trainings; a member may add their own, with the certificate."""
    if not can_edit_profile(actor, pilar):
        raise NotAllowed(_("You may only manage social workers inside your own area."))
    if end < start:
        raise GardaError(_("The training cannot end before it starts."), field="end")
    return audited_create(
        Training,
        actor=actor,
        pilar=pilar,
        kind=kind,
        title=title.strip(),
        organiser=organiser.strip(),
        start=start,
        end=end,
        certificate=certificate or "",
    )


@transaction.atomic
def officer_appoint(
    *,
    actor: User,
    pilar: Pilar,
    wilayah: Wilayah,
    position: str,
    term_start: datetime.date,
    term_end: datetime.date | None = None,
) -> IpsmOfficer:
    """An IPSM officer at desa, kecamatan or kabupaten level. One chair, secretary and
    treasurer per region and term; members without limit."""
    _check_manages(actor, wilayah.code)
    if pilar.jenis.code != PSM:
        raise GardaError(_("Only a PSM can be an IPSM officer."), field="pilar")
    if pilar.status != Status.AKTIF:
        raise GardaError(_("Only an active PSM can be an IPSM officer."), field="pilar")
    if not is_within(pilar.wilayah_id, wilayah.code):
        raise GardaError(
            _("An IPSM officer of %(region)s must serve inside it.") % {"region": wilayah},
            field="wilayah",
        )
    if wilayah.level not in (Level.KABUPATEN, Level.KECAMATAN, Level.DESA):
        raise GardaError(_("IPSM officers serve a desa, kecamatan or kabupaten."), field="wilayah")
    if term_end is not None and term_end < term_start:
        raise GardaError(_("The term cannot end before it starts."), field="term_end")
    if position != Position.ANGGOTA:
        holder = IpsmOfficer.objects.filter(wilayah=wilayah, position=position).filter(
            term_start__lte=term_end or datetime.date.max
        )
        holder = holder.exclude(term_end__lt=term_start)
        if holder.exists():
            raise GardaError(
                _("%(region)s already has a %(position)s of IPSM for this term.")
                % {"region": wilayah, "position": Position(position).label},
                field="position",
            )
    return audited_create(
        IpsmOfficer,
        actor=actor,
        pilar=pilar,
        wilayah=wilayah,
        position=position,
        term_start=term_start,
        term_end=term_end,
    )


def officer_grant_coordinator(*, actor: User, officer: IpsmOfficer) -> None:
    """The chair of a kecamatan IPSM is offered the coordinator role for that kecamatan."""
    if officer.position != Position.KETUA or officer.wilayah.level != Level.KECAMATAN:
        raise GardaError(_("Only the chair of a kecamatan IPSM becomes its coordinator."))
    if not IpsmOfficer.objects.current().filter(pk=officer.pk).exists():
        raise GardaError(_("This chair's term is over."))
    if officer.pilar.user is None:
        raise GardaError(_("Create an account for this PSM first."))
    account_services.role_assign(
        actor=actor, user=officer.pilar.user, role=Role.KOORDINATOR, wilayah=officer.wilayah
    )


@transaction.atomic
def pilar_account_create(*, actor: User, pilar: Pilar, username: str) -> tuple[User, str]:
    """An account for a member to log in as themself: PSM in their desa, TKSK as coordinator
    of their kecamatan. Returns the user and the one-time password."""
    if pilar.user_id is not None:
        raise GardaError(_("This member already has an account."))
    if pilar.jenis.code not in ACCOUNT_ROLES:
        raise GardaError(_("Only PSM and TKSK get accounts for now."))
    user, password = account_services.user_create(
        actor=actor,
        username=username,
        name=pilar.name,
        email=pilar.email,
        phone=pilar.phone,
        wilayah=pilar.wilayah,
        role=ACCOUNT_ROLES[pilar.jenis.code],
        role_wilayah=pilar.wilayah,
    )
    audited_update(pilar, actor=actor, data={"user": user})
    return user, password
