"""Demo aid programmes in Kabupaten Bangka: two periods (tahap) of PKH, Sembako and BLT Dana
Desa with their distributions, PBI-JK members, quotas per desa; proposals at every step and
objections are added by `build_demo_proposals`.

Deterministic: a seeded generator picks the participants among the demo households (eligible
by the programmes' own rules: desil, PPKS) and decides what happened to each distribution; the
dates are fixed around the registry demo's reference date. Idempotent: a second run finds the
periods and enrolments and writes nothing. Written with `bulk_create` (and the event rows that
a service would write) in one transaction, with one audit event for the load.
"""

import datetime
import random
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.pilar.models import PSM, Pilar
from garda.pilar.models import Status as PilarStatus
from garda.registry.models import Individu, Keluarga, PpksStatus

from .models import (
    Channel,
    Distribution,
    DistributionEvent,
    DistributionStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Period,
    Program,
    Quota,
)

SEED = 2025
DISTRICT = "19.01"
ACTOR = "admin"
ENROLLED_ON = datetime.date(2025, 1, 15)
PERIODS = [
    ("Tahap 3 2025", datetime.date(2025, 7, 1), datetime.date(2025, 9, 30)),
    ("Tahap 4 2025", datetime.date(2025, 10, 1), datetime.date(2025, 12, 31)),
]
# Share of the eligible households (or people) each programme takes in.
SHARE = {"pkh": 0.35, "sembako": 0.55, "blt-dd": 0.25, "pbi-jk": 0.30}
CHANNELS = {"pkh": Channel.BANK, "sembako": Channel.BANK, "blt-dd": Channel.CASH}
FAILED_REASONS = [
    "KKS terblokir, menunggu penggantian kartu",
    "Penerima tidak di tempat saat penyaluran",
    "Data tidak padan dengan Dukcapil",
]
RETURNED_REASONS = ["Penerima meninggal dunia", "Penerima pindah domisili ke luar daerah"]
# (delivered, failed, returned) shares per period; the rest of the last period is scheduled.
OUTCOMES = [(0.93, 0.05, 0.02), (0.55, 0.03, 0.02)]


@dataclass
class DemoPrograms:
    enrolments: int
    distributions: int
    created: int  # enrolments written by this run


def build_demo_programs() -> DemoPrograms:
    """Periods, quotas, enrolments and distributions; nothing when they exist already."""
    programs = {p.code: p for p in Program.objects.filter(code__in=[*SHARE])}
    created = 0
    if not Enrolment.objects.within(DISTRICT).filter(program__in=programs.values()).exists():
        created = _build(programs)
    return DemoPrograms(
        enrolments=Enrolment.objects.within(DISTRICT).count(),
        distributions=Distribution.objects.within(DISTRICT).count(),
        created=created,
    )


def _build(programs: dict[str, Program]) -> int:
    actor = User.objects.filter(username=ACTOR).first()
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    periods = {code: _periods(programs[code]) for code in CHANNELS}
    enrolments: list[Enrolment] = []
    taken: set[object] = set()
    for code in ["pkh", "sembako", "blt-dd"]:
        chosen = [
            k
            for k in _eligible_households(programs[code])
            if rng.random() < SHARE[code] and not (code == "blt-dd" and k.pk in taken)
        ]
        taken.update(k.pk for k in chosen)
        enrolments += [_enrolment(programs[code], keluarga=k) for k in chosen]
    enrolments += [
        _enrolment(programs["pbi-jk"], individu=person)
        for person in _eligible_people(programs["pbi-jk"])
        if rng.random() < SHARE["pbi-jk"]
    ]
    Enrolment.objects.bulk_create(enrolments, batch_size=1000)
    EnrolmentEvent.objects.bulk_create(
        [
            EnrolmentEvent(
                enrolment=e, actor=actor, to_status=EnrolmentStatus.ACTIVE, note=_("Demo data")
            )
            for e in enrolments
        ],
        batch_size=1000,
    )
    _set_quotas(enrolments)
    companions = _companions()
    distributions: list[Distribution] = []
    for enrolment in enrolments:
        for index, period in enumerate(periods.get(enrolment.program.code, [])):
            distributions.append(_distribution(rng, enrolment, period, index, companions))
    Distribution.objects.bulk_create(distributions, batch_size=1000)
    DistributionEvent.objects.bulk_create(
        [
            DistributionEvent(
                distribution=d,
                actor=actor,
                from_status=DistributionStatus.SCHEDULED,
                to_status=d.status,
                note=d.reason,
            )
            for d in distributions
            if d.status != DistributionStatus.SCHEDULED
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor or ACTOR,
        action=Action.CREATE,
        object_type="programs.enrolment",
        object_repr=_("Demo programme participants of Kabupaten Bangka"),
        wilayah_code=DISTRICT,
        changes={
            "enrolments": [None, len(enrolments)],
            "distributions": [None, len(distributions)],
        },
    )
    return len(enrolments)


def _periods(program: Program) -> list[Period]:
    return [
        Period.objects.get_or_create(
            program=program, name=name, defaults={"starts_on": starts, "ends_on": ends}
        )[0]
        for name, starts, ends in PERIODS
    ]


def _eligible_households(program: Program) -> list[Keluarga]:
    households = Keluarga.objects.within(DISTRICT).order_by("wilayah_id", "no_kk_hash")
    if program.max_desil:
        households = households.filter(desil__lte=program.max_desil)
    return list(households.only("id", "wilayah_id"))


def _eligible_people(program: Program) -> list[Individu]:
    poor = Keluarga.objects.filter(pk=OuterRef("keluarga_id"), desil__lte=program.max_desil)
    sick_or_disabled = PpksStatus.objects.active().filter(individu=OuterRef("pk"))
    people = (
        Individu.objects.within(DISTRICT)
        .alive()
        .filter(Exists(poor) | Exists(sick_or_disabled))
        .order_by("wilayah_id", "nik_hash")
    )
    return list(people.only("id", "wilayah_id"))


def _enrolment(
    program: Program, *, keluarga: Keluarga | None = None, individu: Individu | None = None
) -> Enrolment:
    subject = keluarga or individu
    assert subject is not None  # noqa: S101 - one of the two is always given
    return Enrolment(
        program=program,
        keluarga=keluarga,
        individu=individu,
        wilayah_id=subject.wilayah_id,
        enrolled_on=ENROLLED_ON,
        reason=_("Demo data"),
    )


def _set_quotas(enrolments: list[Enrolment]) -> None:
    """A quota per desa a little above what is enrolled, as a district would set it."""
    counts: dict[tuple[uuid.UUID, str], int] = {}
    for e in enrolments:
        key = (e.program_id, e.wilayah_id)
        counts[key] = counts.get(key, 0) + 1
    Quota.objects.bulk_create(
        [
            Quota(program_id=program, wilayah_id=desa, quota=count + max(2, count // 10))
            for (program, desa), count in counts.items()
        ]
    )


def _companions() -> dict[str, Pilar]:
    """The active PSM of each desa, who accompanies its distributions."""
    psms = Pilar.objects.within(DISTRICT).of_type(PSM).filter(status=PilarStatus.AKTIF)
    return {p.wilayah_id: p for p in psms.order_by("wilayah_id", "name")}


def _distribution(
    rng: random.Random,
    enrolment: Enrolment,
    period: Period,
    index: int,
    companions: dict[str, Pilar],
) -> Distribution:
    delivered, failed, returned = OUTCOMES[index]
    draw = rng.random()
    row = Distribution(
        enrolment=enrolment,
        period=period,
        wilayah_id=enrolment.wilayah_id,
        amount=enrolment.program.benefit_amount,
    )
    if draw < delivered + returned:
        row.distributed_on = period.starts_on + datetime.timedelta(days=rng.randrange(20, 60))
        row.channel = CHANNELS[enrolment.program.code]
        row.accompanied_by = companions.get(enrolment.wilayah_id)
        row.status = DistributionStatus.DELIVERED
        if draw >= delivered:
            row.status, row.reason = DistributionStatus.RETURNED, rng.choice(RETURNED_REASONS)
    elif draw < delivered + returned + failed:
        row.status, row.reason = DistributionStatus.FAILED, rng.choice(FAILED_REASONS)
    return row
