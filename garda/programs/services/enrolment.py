"""Writes about who is in a programme (kepesertaan): enrol (one or many), suspend, resume, end.

Every change is an EnrolmentEvent (actor, from, to, note) and an audited write. Enrolling
checks the programme's rules and the quotas of the participant's desa and kecamatan, and warns
about conflicting programmes the participant is already in: the warning is answered with a
note, as the registry does with doubtful NIKs. Enrolling is idempotent: an active participant
is left as they are; an ended enrolment is re-activated (one row per participant and programme).

Who may: a holder of ENROL whose area covers the participant's desa.
"""

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.services import audited_create, audited_update
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.registry.models import Individu, Keluarga
from garda.wilayah.models import Wilayah

from ..models import Enrolment, EnrolmentEvent, EnrolmentStatus, Program, Quota, TargetUnit
from ..selectors import ENROLLED, conflicting_enrolments, eligibility_problems

Subject = Keluarga | Individu


@dataclass(frozen=True)
class Enrolled:
    enrolment: Enrolment
    outcome: Literal["enrolled", "reactivated", "unchanged"]


def subject_label(subject: Subject) -> str:
    """How a participant is named in messages: a person by name, a household by its masked KK."""
    return subject.name if isinstance(subject, Individu) else str(subject)


def _check_enrols(actor: User, code: str) -> None:
    if not actor.can_in(Perm.ENROL, code):
        raise NotAllowed(_("You may only enrol participants who live inside your own area."))


def _lock(program: Program) -> None:
    """One enrolment of a programme at a time, so two clerks cannot both take the last place."""
    Program.objects.select_for_update().filter(pk=program.pk).first()


def _lock_row(enrolment: Enrolment) -> None:
    """Lock the enrolment and read its current state into the caller's object."""
    Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
    enrolment.refresh_from_db()


def _event(
    enrolment: Enrolment, *, actor: User, from_status: str, to_status: str, note: str
) -> EnrolmentEvent:
    return EnrolmentEvent.objects.create(
        enrolment=enrolment, actor=actor, from_status=from_status, to_status=to_status, note=note
    )


def _require_note(warnings: list[str], note: str) -> None:
    if warnings and not note.strip():
        raise GardaError(
            " ".join(warnings)
            + " "
            + _("If the enrolment is right all the same, say why in the note."),
            field="note",
        )


def conflict_warnings(program: Program, subject: Subject) -> list[str]:
    return [
        _("%(who)s is already in %(program)s, which conflicts with %(this)s.")
        % {
            "who": subject_label(enrolment.individu or subject),
            "program": enrolment.program.name,
            "this": program.name,
        }
        for enrolment in conflicting_enrolments(program, subject)
    ]


def _enrol_one(
    *, actor: User, program: Program, subject: Subject, note: str, day: datetime.date
) -> Enrolled:
    _check_enrols(actor, subject.wilayah_id)
    is_household = isinstance(subject, Keluarga)
    existing = (
        Enrolment.objects.select_for_update()
        .filter(program=program, **{"keluarga" if is_household else "individu": subject})
        .first()
    )
    if existing is not None and existing.status == EnrolmentStatus.ACTIVE:
        return Enrolled(existing, "unchanged")
    if existing is not None and existing.status == EnrolmentStatus.SUSPENDED:
        raise InvalidState(
            _("%(who)s is enrolled in %(program)s but suspended: resume the enrolment instead.")
            % {"who": subject_label(subject), "program": program.name}
        )
    problems = eligibility_problems(program, subject)
    if problems:
        raise GardaError(
            _("%(who)s does not meet the rules of %(program)s:")
            % {"who": subject_label(subject), "program": program.name}
            + " "
            + " ".join(problems)
        )
    _require_note(conflict_warnings(program, subject), note)
    note = note.strip()
    if existing is None:
        try:
            with transaction.atomic():
                enrolment = audited_create(
                    Enrolment,
                    actor=actor,
                    reason=note,
                    program=program,
                    keluarga=subject if is_household else None,
                    individu=None if is_household else subject,
                    wilayah_id=subject.wilayah_id,
                    enrolled_on=day,
                )
        except IntegrityError as error:  # enrolled concurrently by someone else
            raise GardaError(
                _("%(who)s was enrolled by someone else just now. Reload the page.")
                % {"who": subject_label(subject)}
            ) from error
        _event(enrolment, actor=actor, from_status="", to_status=enrolment.status, note=note)
        return Enrolled(enrolment, "enrolled")
    audited_update(
        existing,
        actor=actor,
        reason=note,
        data={
            "status": EnrolmentStatus.ACTIVE,
            "enrolled_on": day,
            "ended_on": None,
            "reason": note,
            "wilayah_id": subject.wilayah_id,
        },
    )
    _event(
        existing,
        actor=actor,
        from_status=EnrolmentStatus.ENDED,
        to_status=EnrolmentStatus.ACTIVE,
        note=note,
    )
    return Enrolled(existing, "reactivated")


def _check_program(program: Program) -> None:
    if not program.is_active:
        raise InvalidState(
            _("%(program)s is not active; nobody can be enrolled.") % {"program": program.name}
        )


@transaction.atomic
def enrolment_enrol(
    *,
    actor: User,
    program: Program,
    subject: Subject,
    note: str = "",
    enrolled_on: datetime.date | None = None,
) -> Enrolled:
    """Enrol a household or a person (by the programme's target unit)."""
    return enrolment_enrol_many(
        actor=actor, program=program, subjects=[subject], note=note, enrolled_on=enrolled_on
    )[0]


@transaction.atomic
def enrolment_enrol_many(
    *,
    actor: User,
    program: Program,
    subjects: Sequence[Subject],
    note: str = "",
    enrolled_on: datetime.date | None = None,
) -> list[Enrolled]:
    """Enrol several candidates at once: all of them, or (on any refusal) none. The quota of
    each desa and kecamatan is checked against everyone being enrolled there together."""
    _check_program(program)
    _lock(program)
    day = enrolled_on or timezone.localdate()
    subjects = list({subject.pk: subject for subject in subjects}.values())  # each once
    is_household = program.target_unit == TargetUnit.HOUSEHOLD
    for subject in subjects:
        _check_enrols(actor, subject.wilayah_id)
        if isinstance(subject, Keluarga) != is_household:
            raise GardaError(eligibility_problems(program, subject)[0])
    # Who becomes active: everyone not already in the programme (checked one by one below).
    key = "keluarga_id" if is_household else "individu_id"
    already = set(
        Enrolment.objects.filter(
            program=program, status__in=ENROLLED, **{f"{key}__in": [s.pk for s in subjects]}
        ).values_list(key, flat=True)
    )
    newcomers: Counter[str] = Counter(
        subject.wilayah_id for subject in subjects if subject.pk not in already
    )
    regions: Counter[str] = Counter()
    for code, count in newcomers.items():
        regions[code] += count
        regions[code.rsplit(".", 1)[0]] += count
    _check_quotas(program, regions)
    return [
        _enrol_one(actor=actor, program=program, subject=subject, note=note, day=day)
        for subject in subjects
    ]


def _check_quotas(program: Program, adding: Counter[str]) -> None:
    for code in sorted(adding, key=lambda c: -c.count(".")):
        quota = Quota.objects.filter(program=program, wilayah_id=code).first()
        if quota is not None:
            _check_one_quota(program, quota, adding[code])


def _check_one_quota(program: Program, quota: Quota, adding: int) -> None:
    taken = Enrolment.objects.active().filter(program=program).within(quota.wilayah_id).count()
    if taken + adding <= quota.quota:
        return
    region = Wilayah.objects.get(code=quota.wilayah_id)
    raise GardaError(
        ngettext(
            "This would pass the quota of %(region)s for %(program)s: %(taken)s of %(quota)s "
            "places are taken, and %(adding)s more was asked for.",
            "This would pass the quota of %(region)s for %(program)s: %(taken)s of %(quota)s "
            "places are taken, and %(adding)s more were asked for.",
            adding,
        )
        % {
            "region": region,
            "program": program.name,
            "taken": taken,
            "quota": quota.quota,
            "adding": adding,
        }
    )


# --- suspend, resume, end ------------------------------------------------------------------


def _change(
    *,
    actor: User,
    enrolment: Enrolment,
    to_status: str,
    allowed_from: tuple[str, ...],
    reason: str,
    expected_version: int | None,
    extra: dict | None = None,
) -> Enrolment:
    _check_enrols(actor, enrolment.wilayah_id)
    reason = (reason or "").strip()
    if not reason:
        raise GardaError(_("Give the reason."), field="reason")
    _lock_row(enrolment)
    if enrolment.status not in allowed_from:
        raise InvalidState(
            _("This enrolment is %(status)s; that step is not possible from there.")
            % {"status": enrolment.get_status_display()}
        )
    from_status = enrolment.status
    audited_update(
        enrolment,
        actor=actor,
        reason=reason,
        data={"status": to_status, "reason": reason, **(extra or {})},
        expected_version=expected_version,
    )
    _event(enrolment, actor=actor, from_status=from_status, to_status=to_status, note=reason)
    return enrolment


@transaction.atomic
def enrolment_suspend(
    *, actor: User, enrolment: Enrolment, reason: str, expected_version: int | None = None
) -> Enrolment:
    """Stop a participant's benefits for now (e.g. not found at the address)."""
    return _change(
        actor=actor,
        enrolment=enrolment,
        to_status=EnrolmentStatus.SUSPENDED,
        allowed_from=(EnrolmentStatus.ACTIVE,),
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def enrolment_resume(
    *, actor: User, enrolment: Enrolment, reason: str, expected_version: int | None = None
) -> Enrolment:
    """A suspended participant takes their place again (if the quota still has room)."""
    _check_enrols(actor, enrolment.wilayah_id)
    _lock(enrolment.program)
    _lock_row(enrolment)
    if enrolment.status == EnrolmentStatus.SUSPENDED:
        code = enrolment.wilayah_id
        _check_quotas(enrolment.program, Counter({code: 1, code.rsplit(".", 1)[0]: 1}))
    return _change(
        actor=actor,
        enrolment=enrolment,
        to_status=EnrolmentStatus.ACTIVE,
        allowed_from=(EnrolmentStatus.SUSPENDED,),
        reason=reason,
        expected_version=expected_version,
    )


@transaction.atomic
def enrolment_end(
    *,
    actor: User,
    enrolment: Enrolment,
    reason: str,
    ended_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Enrolment:
    """End a participation (graduated, no longer eligible, deceased, moved away)."""
    day = ended_on or timezone.localdate()
    if day < enrolment.enrolled_on:
        raise GardaError(_("The end date is before the enrolment date."), field="ended_on")
    return _change(
        actor=actor,
        enrolment=enrolment,
        to_status=EnrolmentStatus.ENDED,
        allowed_from=(EnrolmentStatus.ACTIVE, EnrolmentStatus.SUSPENDED),
        reason=reason,
        expected_version=expected_version,
        extra={"ended_on": day},
    )
