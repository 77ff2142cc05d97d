"""Test data for monitoring. Source records come from the other apps' real services (reports,
cases) or their factories (programmes); their times are then set to a fixed past month, since
the services stamp everything "now"."""

import datetime
import itertools
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.activities import services as activity_services
from garda.activities.models import Activity, ActivityEvent, ActivityType
from garda.cases.models import Case, CaseEvent
from garda.core.testing import BANGKA, make_user
from garda.pilar.models import Pilar
from garda.pilar.tests.factories import psm_with_account
from garda.programs.models import Distribution, DistributionStatus, Proposal, ProposalStatus
from garda.programs.tests.factories import make_enrolment, make_period, make_program
from garda.registry.models import Keluarga
from garda.registry.tests.factories import register_keluarga
from garda.wilayah.models import Wilayah

from ..models import Indicator, Target

MONTH = datetime.date(2026, 9, 1)
_serial = itertools.count(1)


def at(day: int, hour: int = 9, month: datetime.date = MONTH) -> datetime.datetime:
    """An aware time in the office's time zone, `day` days into `month` (day 1 = the 1st)."""
    start = datetime.datetime.combine(month, datetime.time(hour))
    return timezone.make_aware(start + datetime.timedelta(days=day - 1))


def psm(code: str) -> tuple[Pilar, User]:
    pilar = psm_with_account(code=code)
    assert pilar.user is not None
    return pilar, pilar.user


def coordinator(code: str) -> User:
    return make_user(Role.KOORDINATOR, ".".join(code.split(".")[:3]))


def staff(code: str = BANGKA) -> User:
    return make_user(Role.STAF_DINAS, code)


def households(code: str, n: int) -> list[Keluarga]:
    return [register_keluarga(code=code) for _ in range(n)]


def report(
    user: User,
    code: str,
    *,
    occurred: datetime.datetime,
    jenis: str = "kunjungan_rumah",
    submitted: datetime.datetime | None = None,
    visited: list[Keluarga] | None = None,
) -> Activity:
    """A report made by the real service; submitted (at `submitted`) when that is given."""
    activity, _created = activity_services.activity_create(
        actor=user,
        client_uuid=uuid.uuid4(),
        data={
            "jenis": ActivityType.objects.get(code=jenis),
            "wilayah": Wilayah.objects.get(code=code),
            "occurred_at": occurred,
            "latitude": "-1.612345",
            "longitude": "105.771234",
            "accuracy_m": 10,
            "description": "Kunjungan rumah.",
            "participants": 1,
            "program": None,
            "households": visited or [],
        },
        submit=submitted is not None,
    )
    if submitted is not None:
        ActivityEvent.objects.filter(activity=activity, to_status="submitted").update(
            created_at=submitted
        )
        Activity.objects.filter(pk=activity.pk).update(submitted_at=submitted)
        activity.refresh_from_db()
    return activity


def set_event_times(case: Case, times: dict[str, datetime.datetime]) -> None:
    """Move the case's events of each kind to the given time."""
    for kind, when in times.items():
        CaseEvent.objects.filter(case=case, kind=kind).update(at=when)


def distribution(
    keluarga: Keluarga, *, accompanied_by: Pilar | None, on: datetime.date | None, status: str
) -> Distribution:
    program = make_program(code=f"mon-{next(_serial)}")
    period = make_period(program, starts_on=datetime.date(2026, 7, 1))
    code = keluarga.wilayah_id
    enrolment = make_enrolment(program, keluarga, enrolled_on=datetime.date(2026, 1, 5))
    return Distribution.objects.create(
        enrolment=enrolment,
        period=period,
        wilayah_id=code,
        amount=300_000,
        status=status,
        distributed_on=on,
        accompanied_by=accompanied_by,
        channel="bank" if status == DistributionStatus.DELIVERED else "",
    )


def proposal(
    user: User,
    code: str,
    *,
    status: str,
    submitted: datetime.datetime | None,
    approved: datetime.date | None = None,
) -> Proposal:
    return Proposal.objects.create(
        kind="baru",
        status=status,
        wilayah_id=code,
        name=f"Warga {next(_serial)}",
        justification="Lansia tidak mampu.",
        proposed_by=user,
        submitted_at=submitted,
        approved_on=approved if status == ProposalStatus.APPROVED else None,
    )


def indicator(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def target(
    code: str,
    value: Any,
    *,
    month: int = MONTH.month,
    wilayah: str | None = None,
    year: int = MONTH.year,
) -> Target:
    return Target.objects.create(
        indicator=indicator(code),
        year=year,
        month=month,
        wilayah_id=wilayah,
        value=Decimal(str(value)),
    )
