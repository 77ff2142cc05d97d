"""Test data for the aid programmes, shared by every programmes test module.

Programmes, periods and quotas are plain rows (the catalogue's data); households and residents
come from the registry's factories, registered through the real services; enrolments go
through the enrolment service when it can take them, so a test's participants are enrolled the
way a user enrols them.

    program = make_program(code="uji-pkh", target_unit=TargetUnit.HOUSEHOLD, max_desil=4)
    keluarga = make_keluarga_with_members(code=LUMUT, desil=2, ages=[40, 12])
    enrolment = make_enrolment(program, keluarga)
"""

import datetime
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import BANGKA, make_user
from garda.registry.models import Individu, Keluarga, Relation
from garda.registry.tests.factories import (
    assign_ppks,
    dinas_admin,
    district_of,
    register_individu,
    register_keluarga,
)
from garda.wilayah.models import Wilayah

from ..models import (
    BenefitKind,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    FundSource,
    Period,
    Program,
    Quota,
    TargetUnit,
)

_serial = itertools.count(1)

TODAY = datetime.date(2026, 6, 1)


def _region(value: str | Wilayah | None) -> Wilayah | None:
    if value is None or isinstance(value, Wilayah):
        return value
    return Wilayah.objects.get(code=value)


def programme_manager(code: str = BANGKA) -> User:
    """A Dinas administrator of the district holding `code` (may manage programmes)."""
    return make_user(Role.ADMIN_DINAS, district_of(code) if code.count(".") >= 1 else code)


def make_program(
    *,
    code: str | None = None,
    target_unit: str = TargetUnit.HOUSEHOLD,
    wilayah: str | Wilayah | None = None,
    name: str | None = None,
    fund_source: str = FundSource.APBD_KABUPATEN,
    kind: str = BenefitKind.CASH,
    benefit_amount: int = 300_000,
    max_desil: int | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    ppks: Iterable[int] = (),
    areas: Iterable[str | Wilayah] = (),
    conflicts: Iterable[Program] = (),
    **extra: Any,
) -> Program:
    """A programme with the given rules. `wilayah` (a code or a region) is who runs it, None
    for a national programme; `ppks` are PPKS type numbers; `areas` region codes."""
    from garda.registry.models import PpksType

    n = next(_serial)
    program = Program.objects.create(
        code=code or f"uji-{n}",
        name=name or f"Program Uji {n}",
        wilayah=_region(wilayah),
        fund_source=fund_source,
        kind=kind,
        target_unit=target_unit,
        benefit_amount=benefit_amount,
        max_desil=max_desil,
        min_age=min_age,
        max_age=max_age,
        **extra,
    )
    ppks = list(ppks)
    if ppks:
        program.ppks_types.set(PpksType.objects.filter(number__in=ppks))
    regions = [region for area in areas if (region := _region(area)) is not None]
    if regions:
        program.areas.set(regions)
    conflicts = list(conflicts)
    if conflicts:
        program.conflicts.set(conflicts)
    return program


def make_period(
    program: Program,
    *,
    name: str | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Period:
    """A period of the programme; by default the quarter after the programme's last period."""
    if starts_on is None:
        last = program.periods.order_by("-ends_on").first()
        starts_on = last.ends_on + datetime.timedelta(days=1) if last else datetime.date(2026, 1, 1)
    if ends_on is None:
        ends_on = starts_on + datetime.timedelta(days=89)
    return Period.objects.create(
        program=program,
        name=name or f"Tahap {program.periods.count() + 1} {starts_on.year}",
        starts_on=starts_on,
        ends_on=ends_on,
    )


def make_quota(program: Program, code: str, quota: int) -> Quota:
    return Quota.objects.update_or_create(
        program=program, wilayah_id=code, defaults={"quota": quota}
    )[0]


def birth_date_for_age(age: int, *, on: datetime.date | None = None) -> datetime.date:
    """A birth date that makes a person exactly `age` years old on `on` (1 January)."""
    on = on or timezone.localdate()
    return datetime.date(on.year - age, 1, 1)


def make_keluarga_with_members(
    *,
    code: str,
    desil: int | None = None,
    ages: Sequence[int] = (40,),
    actor: User | None = None,
    **data: Any,
) -> Keluarga:
    """A household in desa `code` with the given desil and one member per age; the first is
    the head of the family."""
    actor = actor or dinas_admin(code)
    if desil is not None:
        data["desil"] = desil
    keluarga = register_keluarga(code=code, actor=actor, **data)
    for index, age in enumerate(ages):
        register_individu(
            keluarga=keluarga,
            actor=actor,
            relation=Relation.KEPALA if index == 0 else Relation.ANAK,
            birth_date=birth_date_for_age(age),
        )
    return keluarga


def make_person(
    *,
    code: str,
    age: int = 40,
    desil: int | None = None,
    ppks: Iterable[int] = (),
    actor: User | None = None,
) -> Individu:
    """A resident aged `age`, head of a new household of desil `desil`, with PPKS statuses."""
    keluarga = make_keluarga_with_members(code=code, desil=desil, ages=[age], actor=actor)
    person = Individu.objects.get(keluarga=keluarga)
    for number in ppks:
        assign_ppks(person, number=number, actor=actor)
    return person


def make_enrolment(
    program: Program,
    subject: Keluarga | Individu,
    *,
    actor: User | None = None,
    status: str = EnrolmentStatus.ACTIVE,
    enrolled_on: datetime.date | None = None,
    reason: str = "",
) -> Enrolment:
    """An enrolment of `subject` in `program`, written as a row with its first event (quota,
    rules and permissions are not checked: use the service in tests about them)."""
    enrolment = Enrolment.objects.create(
        program=program,
        keluarga=subject if isinstance(subject, Keluarga) else None,
        individu=subject if isinstance(subject, Individu) else None,
        wilayah_id=subject.wilayah_id,
        status=status,
        enrolled_on=enrolled_on or TODAY,
        ended_on=(enrolled_on or TODAY) if status == EnrolmentStatus.ENDED else None,
        reason=reason,
    )
    EnrolmentEvent.objects.create(
        enrolment=enrolment, actor=actor, from_status="", to_status=EnrolmentStatus.ACTIVE
    )
    if status != EnrolmentStatus.ACTIVE:
        EnrolmentEvent.objects.create(
            enrolment=enrolment,
            actor=actor,
            from_status=EnrolmentStatus.ACTIVE,
            to_status=status,
            note=reason,
        )
    return enrolment
