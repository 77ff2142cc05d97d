"""Writes to the programme catalogue: programmes with their rules and conflicts, periods (tahap)
and quotas. Every write is audited and atomic; a programme is edited with optimistic locking.

Who may write: a holder of MANAGE_PROGRAMS. A programme run by a region (`wilayah`) only by a
manager whose area covers that region; a national programme (no region) by any manager.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audited_create, audited_delete, audited_update
from garda.core.errors import GardaError, NotAllowed
from garda.core.scoping import is_within
from garda.registry.models import PpksType
from garda.wilayah.models import Level, Wilayah

from ..models import Period, Program, Quota
from ..selectors import can_manage

# What a form may set on a programme, in the order people read them.
PROGRAM_FIELDS = (
    "code",
    "name",
    "description",
    "wilayah",
    "fund_source",
    "kind",
    "target_unit",
    "benefit_amount",
    "benefit_description",
    "max_desil",
    "min_age",
    "max_age",
    "is_active",
)
# The rules and conflicts, set as lists of rows.
PROGRAM_RELATIONS = ("ppks_types", "areas", "conflicts")


def _check_manages(actor: User, program: Program) -> None:
    if not can_manage(actor, program):
        raise NotAllowed(_("You may only manage programmes run inside your own area."))


def _check_region(actor: User, wilayah: Wilayah | None) -> None:
    if wilayah is None:
        if not actor.has_garda_perm(Perm.MANAGE_PROGRAMS):
            raise NotAllowed(_("Your role does not allow managing programmes."))
        return
    if not actor.can_in(Perm.MANAGE_PROGRAMS, wilayah.code):
        raise NotAllowed(_("You may only manage programmes run inside your own area."))
    if wilayah.level > Level.KABUPATEN:
        raise GardaError(
            _("A programme is run by a province or a district (kabupaten/kota)."), field="wilayah"
        )


def _check_rules(fields: dict[str, Any]) -> None:
    desil = fields.get("max_desil")
    if desil is not None and not 1 <= desil <= 10:
        raise GardaError(_("The desil is a number from 1 to 10."), field="max_desil")
    low, high = fields.get("min_age"), fields.get("max_age")
    if low is not None and high is not None and low > high:
        raise GardaError(
            _("The minimum age (%(min)s) is above the maximum age (%(max)s).")
            % {"min": low, "max": high},
            field="max_age",
        )


def _check_relations(program: Program, relations: dict[str, Any]) -> None:
    region = program.wilayah_id
    for area in relations.get("areas") or ():
        if region and not is_within(area.code, region):
            raise GardaError(
                _("%(area)s lies outside the region that runs the programme.") % {"area": area},
                field="areas",
            )
    for other in relations.get("conflicts") or ():
        if other.pk == program.pk:
            raise GardaError(_("A programme cannot conflict with itself."), field="conflicts")


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {k: v for k, v in data.items() if k in PROGRAM_FIELDS}
    relations = {k: list(v) for k, v in data.items() if k in PROGRAM_RELATIONS and v is not None}
    return fields, relations


def _set_relations(program: Program, relations: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Set the many-to-many rules; the changes as the audit trail records them."""
    changes: dict[str, list[Any]] = {}
    for name, rows in relations.items():
        manager = getattr(program, name)
        before = sorted(str(r) for r in manager.all())
        after = sorted(str(r) for r in rows)
        if before != after:
            manager.set(rows)
            changes[name] = [before, after]
    return changes


@transaction.atomic
def program_create(*, actor: User, data: dict[str, Any]) -> Program:
    """A new programme with its rules (`ppks_types`, `areas`, `conflicts` as lists of rows)."""
    fields, relations = _split(data)
    _check_region(actor, fields.get("wilayah"))
    _check_rules(fields)
    if Program.objects.filter(code=fields.get("code", "")).exists():
        raise GardaError(_("Another programme already has this code."), field="code")
    try:
        with transaction.atomic():
            program = audited_create(Program, actor=actor, **fields)
    except IntegrityError as error:  # the same code saved concurrently
        raise GardaError(_("Another programme already has this code."), field="code") from error
    _check_relations(program, relations)
    changes = _set_relations(program, relations)
    if changes:
        audit_record(actor=actor, action=Action.UPDATE, obj=program, changes=changes)
    return program


@transaction.atomic
def program_update(
    *,
    actor: User,
    program: Program,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> list[str]:
    """Change a programme's fields and rules; returns the names of what changed. With
    `expected_version`, a programme saved by someone else since it was opened is refused."""
    _check_manages(actor, program)
    fields, relations = _split(data)
    if "wilayah" in fields:
        _check_region(actor, fields["wilayah"])
    _check_rules(
        {
            "max_desil": fields.get("max_desil", program.max_desil),
            "min_age": fields.get("min_age", program.min_age),
            "max_age": fields.get("max_age", program.max_age),
        }
    )
    code = fields.get("code")
    if code and Program.objects.filter(code=code).exclude(pk=program.pk).exists():
        raise GardaError(_("Another programme already has this code."), field="code")
    # The version is checked (and the row locked) even when only the rules change.
    changed = audited_update(program, actor=actor, data=fields, expected_version=expected_version)
    _check_relations(program, relations)
    changes = _set_relations(program, relations)
    if changes:
        if not changed:
            program.version += 1
            program.save(update_fields=["version", "updated_at"])
        audit_record(actor=actor, action=Action.UPDATE, obj=program, changes=changes)
    return [*changed, *changes]


def ppks_choices() -> Iterable[PpksType]:
    return PpksType.objects.filter(is_active=True).order_by("number")


# --- periods -------------------------------------------------------------------------------


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j F Y")


def _check_period(
    program: Program,
    *,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    exclude: Period | None = None,
) -> None:
    if not name.strip():
        raise GardaError(_("Give the period a name, e.g. Tahap 1 2026."), field="name")
    if ends_on < starts_on:
        raise GardaError(
            _("The period ends (%(end)s) before it starts (%(start)s).")
            % {"end": _day(ends_on), "start": _day(starts_on)},
            field="ends_on",
        )
    others = program.periods.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.filter(name=name.strip()).exists():
        raise GardaError(_("This programme already has a period with this name."), field="name")
    overlap = (
        others.filter(Q(starts_on__lte=ends_on) & Q(ends_on__gte=starts_on))
        .order_by("starts_on")
        .first()
    )
    if overlap is not None:
        raise GardaError(
            _(
                "The dates overlap %(period)s (%(start)s to %(end)s); the periods of a programme "
                "follow one another."
            )
            % {
                "period": overlap.name,
                "start": _day(overlap.starts_on),
                "end": _day(overlap.ends_on),
            },
            field="starts_on",
        )


def _lock(program: Program) -> None:
    """Serialise writes to one programme's periods, quotas and enrolments."""
    Program.objects.select_for_update().filter(pk=program.pk).first()


@transaction.atomic
def period_add(
    *,
    actor: User,
    program: Program,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> Period:
    _check_manages(actor, program)
    _lock(program)
    _check_period(program, name=name, starts_on=starts_on, ends_on=ends_on)
    return audited_create(
        Period,
        actor=actor,
        program=program,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )


@transaction.atomic
def period_update(*, actor: User, period: Period, data: dict[str, Any]) -> list[str]:
    program = period.program
    _check_manages(actor, program)
    _lock(program)
    fields = {k: v for k, v in data.items() if k in ("name", "starts_on", "ends_on")}
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
    merged = {
        "name": period.name,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
        **fields,
    }
    _check_period(program, exclude=period, **merged)
    return audited_update(period, actor=actor, data=fields)


# --- quotas --------------------------------------------------------------------------------


@transaction.atomic
def quota_set(
    *, actor: User, program: Program, wilayah: Wilayah, quota: int | None
) -> Quota | None:
    """Set how many participants a desa or a kecamatan may have in the programme at once;
    `quota` None removes the limit. Returns the quota row (None when removed)."""
    _check_manages(actor, program)
    if wilayah.level not in (Level.KECAMATAN, Level.DESA):
        raise GardaError(_("A quota is set for a kecamatan or a desa."), field="wilayah")
    if not actor.can_in(Perm.MANAGE_PROGRAMS, wilayah.code):
        raise NotAllowed(_("You may only set quotas inside your own area."), field="wilayah")
    if program.wilayah_id and not is_within(wilayah.code, program.wilayah_id):
        raise GardaError(
            _("%(area)s lies outside the region that runs the programme.") % {"area": wilayah},
            field="wilayah",
        )
    if quota is not None and quota < 0:
        raise GardaError(_("A quota cannot be negative."), field="quota")
    _lock(program)
    existing = Quota.objects.filter(program=program, wilayah=wilayah).first()
    if quota is None:
        if existing is not None:
            audited_delete(existing, actor=actor)
        return None
    if existing is None:
        return audited_create(Quota, actor=actor, program=program, wilayah=wilayah, quota=quota)
    audited_update(existing, actor=actor, data={"quota": quota})
    return existing
