"""Demo aid programmes in Kabupaten Bangka: two periods (tahap) of PKH, Sembako and BLT Dana
Desa with their distributions, PBI-JK members, quotas per desa (`build_demo_programs`); and
proposals at every step with objections in Desa Lumut (`build_demo_proposals`).

Deterministic: a seeded generator picks the participants among the demo households (eligible
by the programmes' own rules: desil, PPKS) and decides what happened to each distribution.
The two periods are the quarters before and of the day the demo is loaded (`recent_periods`),
so the demo always shows a finished period and one under way. Idempotent: a second run finds the
periods and enrolments and writes nothing. Written with `bulk_create` (and the event rows that
a service would write) in one transaction, with one audit event for the load.
"""

import datetime
import io
import random
import uuid
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from garda.accounts.models import User
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.pilar.models import PSM, Pilar
from garda.pilar.models import Status as PilarStatus
from garda.registry.models import Individu, Keluarga, PpksStatus, Relation
from garda.wilayah.models import Wilayah

from .models import (
    Channel,
    Distribution,
    DistributionEvent,
    DistributionStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Objection,
    Period,
    Program,
    Proposal,
    ProposalKind,
    Quota,
    RemovalReason,
)
from .services import objections, proposals

SEED = 2025
DISTRICT = "19.01"
ACTOR = "admin"
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
    today = timezone.localdate()
    periods = {code: _periods(programs[code], today) for code in CHANNELS}
    enrolled_on = periods["pkh"][0].starts_on - datetime.timedelta(days=90)
    enrolments: list[Enrolment] = []
    taken: set[object] = set()
    for code in ["pkh", "sembako", "blt-dd"]:
        chosen = [
            k
            for k in _eligible_households(programs[code])
            if rng.random() < SHARE[code] and not (code == "blt-dd" and k.pk in taken)
        ]
        taken.update(k.pk for k in chosen)
        enrolments += [_enrolment(programs[code], enrolled_on, keluarga=k) for k in chosen]
    enrolments += [
        _enrolment(programs["pbi-jk"], enrolled_on, individu=person)
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
            distributions.append(_distribution(rng, enrolment, period, index, companions, today))
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


def recent_periods(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """The previous and the current quarter as periods (tahap): name, first and last day."""
    current = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    previous = (current - datetime.timedelta(days=1)).replace(day=1)
    previous = previous.replace(month=(previous.month - 1) // 3 * 3 + 1)
    periods = []
    for start in (previous, current):
        following = datetime.date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1)
        quarter = (start.month - 1) // 3 + 1
        periods.append(
            (f"Tahap {quarter} {start.year}", start, following - datetime.timedelta(days=1))
        )
    return periods


def _periods(program: Program, today: datetime.date) -> list[Period]:
    return [
        Period.objects.get_or_create(
            program=program, name=name, defaults={"starts_on": starts, "ends_on": ends}
        )[0]
        for name, starts, ends in recent_periods(today)
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
    program: Program,
    enrolled_on: datetime.date,
    *,
    keluarga: Keluarga | None = None,
    individu: Individu | None = None,
) -> Enrolment:
    subject = keluarga or individu
    assert subject is not None  # noqa: S101 - one of the two is always given
    return Enrolment(
        program=program,
        keluarga=keluarga,
        individu=individu,
        wilayah_id=subject.wilayah_id,
        enrolled_on=enrolled_on,
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
    today: datetime.date,
) -> Distribution:
    """What happened to one participant's benefit; nothing has happened yet on days to come."""
    delivered, failed, returned = OUTCOMES[index]
    draw = rng.random()
    days_so_far = (min(period.ends_on, today) - period.starts_on).days
    row = Distribution(
        enrolment=enrolment,
        period=period,
        wilayah_id=enrolment.wilayah_id,
        amount=enrolment.program.benefit_amount,
    )
    if days_so_far < 1:
        return row
    if draw < delivered + returned:
        offset = rng.randrange(days_so_far // 4, days_so_far) if days_so_far > 1 else 0
        row.distributed_on = period.starts_on + datetime.timedelta(days=offset)
        row.channel = CHANNELS[enrolment.program.code]
        row.accompanied_by = companions.get(enrolment.wilayah_id)
        row.status = DistributionStatus.DELIVERED
        if draw >= delivered:
            row.status, row.reason = DistributionStatus.RETURNED, rng.choice(RETURNED_REASONS)
    elif draw < delivered + returned + failed:
        row.status, row.reason = DistributionStatus.FAILED, rng.choice(FAILED_REASONS)
    return row


# ---------------------------------------------------------------------------------------------
# Proposals and objections of Desa Lumut (Belinyu), through the real services

PILOT_DESA = "19.01.02.2007"  # Desa Lumut: its PSM and desa operator have demo accounts
PSM_LOGIN, OPERATOR_LOGIN, VERIFIER_LOGIN = "psm.lumut", "operator.lumut", "staf"
NEW_PEOPLE = [  # (name, sex, birth date, mother's name, justification)
    (
        "Nurhayati",
        "P",
        datetime.date(1961, 8, 17),
        "Siti Rahmah",
        "Janda lansia tinggal sendiri, belum terdaftar DTSEN.",
    ),
    (
        "Rusli bin Ahmad",
        "L",
        datetime.date(1979, 2, 3),
        "Aminah",
        "Buruh harian, rumah berdinding papan dan berlantai tanah.",
    ),
    (
        "Tjhin Nyuk Fa",
        "P",
        datetime.date(1988, 11, 25),
        "Lie Siu Lan",
        "Ibu tunggal dengan tiga anak kecil, tanpa penghasilan tetap.",
    ),
]


@dataclass
class DemoProposals:
    proposals: int
    objections: int
    created: bool


def build_demo_proposals() -> DemoProposals:
    """Proposals of Desa Lumut at every step (draft to approved, and rejected at each stage),
    one village deliberation, and objections: open, decided and lapsed. Dates are relative to
    today, so the 14-day objection deadline means something when the demo is opened; nothing is
    written when the desa has proposals already."""
    created = False
    if not Proposal.objects.within(PILOT_DESA).exists():
        with transaction.atomic():
            _proposals_at_every_step(timezone.localdate())
            _objections(timezone.localdate())
        created = True
    return DemoProposals(
        proposals=Proposal.objects.within(PILOT_DESA).count(),
        objections=Objection.objects.within(PILOT_DESA).count(),
        created=created,
    )


def _proposals_at_every_step(today: datetime.date) -> None:
    psm, operator, verifier = (
        User.objects.get(username=name) for name in (PSM_LOGIN, OPERATOR_LOGIN, VERIFIER_LOGIN)
    )
    desa = Wilayah.objects.get(code=PILOT_DESA)
    # Households in no programme yet (an aid proposal for a participant is refused), chosen in
    # an order that does not depend on the server's keys (blind indexes would).
    enrolled = Enrolment.objects.filter(keluarga__isnull=False).values("keluarga_id")
    households = list(
        Keluarga.objects.filter(wilayah=desa).exclude(pk__in=enrolled).order_by("dtks_id", "pk")[:6]
    )
    residents = list(
        Individu.objects.alive().filter(wilayah=desa).order_by("keluarga__dtks_id", "pk")[:4]
    )
    pkh, sembako = (Program.objects.get(code=code) for code in ("pkh", "sembako"))

    def new_entry(index: int) -> Proposal:
        name, sex, born, mother, why = NEW_PEOPLE[index]
        day = born.day + (40 if sex == "P" else 0)
        data = {
            "wilayah": desa,
            "name": name,
            "sex": sex,
            "birth_date": born,
            "nik": f"190102{day:02d}{born:%m%y}{9001 + index:04d}",
            "no_kk": f"190102{datetime.date(2019, 6, 1):%d%m%y}{9101 + index:04d}",
            "birth_place": "Belinyu",
            "mother_name": mother,
            "relation": Relation.KEPALA,
            "address": "Jl. Pantai Lumut",
            "dusun": "Dusun II",
            "rt": "003",
            "rw": "001",
            "justification": why,
            "latitude": "-1.633210",
            "longitude": "105.771020",
        }
        return proposals.proposal_create(
            actor=psm, kind=ProposalKind.NEW_ENTRY, data=data, files=_evidence(index, kk=True)
        )

    def aid(household: Keluarga, program: Program, index: int) -> Proposal:
        data = {
            "keluarga": household,
            "program": program,
            "justification": "Penghasilan tidak tetap, rumah tidak layak huni.",
            "latitude": "-1.634000",
            "longitude": "105.772500",
        }
        return proposals.proposal_create(
            actor=psm, kind=ProposalKind.AID, data=data, files=_evidence(index, kk=False)
        )

    new_entry(0)  # stays a draft
    submitted = aid(households[0], pkh, 1)
    agreed = new_entry(1)
    not_agreed = new_entry(2)
    correction = proposals.proposal_create(
        actor=psm,
        kind=ProposalKind.CORRECTION,
        data={
            "individu": residents[0],
            "details": {"birth_place": "Belinyu", "mother_name": "Siti Khadijah"},
            "justification": "Tempat lahir dan nama ibu kandung berbeda dengan KK terbaru.",
        },
    )
    removal = proposals.proposal_create(
        actor=psm,
        kind=ProposalKind.REMOVAL,
        data={
            "individu": residents[1],
            "removal_reason": RemovalReason.DECEASED,
            "justification": "Meninggal dunia, surat keterangan kematian dari desa.",
        },
    )
    approved_aid = aid(households[1], sembako, 3)
    refused_aid = aid(households[2], pkh, 4)
    deliberated = [agreed, not_agreed, correction, removal, approved_aid, refused_aid]
    for proposal in [submitted, *deliberated]:
        proposals.proposal_submit(actor=psm, proposal=proposal, today=today)
    proposals.deliberation_record(
        actor=operator,
        wilayah=desa,
        held_on=today,
        attendees="Kepala Desa Lumut\nKetua BPD\nPSM Desa Lumut\nPendamping PKH\nTokoh masyarakat",
        attendee_count=34,
        minutes=_image_upload(99, "berita-acara-musdes.jpg"),
        place="Balai Desa Lumut",
        outcomes=[
            proposals.Outcome(
                p, agreed=p is not not_agreed, reason="Keluarga mampu: punya kebun lada dan toko."
            )
            for p in deliberated
        ],
    )
    for proposal in (correction, removal, approved_aid):
        proposals.proposal_verify(actor=verifier, proposal=proposal, approve=True)
    proposals.proposal_verify(
        actor=verifier,
        proposal=refused_aid,
        approve=False,
        reason="Sudah menerima PKH melalui anggota keluarga lain.",
    )
    proposals.proposal_approve(
        actor=verifier,
        proposals=[Proposal.objects.get(pk=p.pk) for p in (removal, approved_aid)],
        decree_number="400.9.3/45/DINSOS/" + str(today.year),
        approved_on=today,
    )


def _objections(today: datetime.date) -> None:
    psm, verifier = (User.objects.get(username=n) for n in (PSM_LOGIN, VERIFIER_LOGIN))
    enrolled = list(
        Enrolment.objects.within(PILOT_DESA)
        .filter(program__code="pkh", keluarga__isnull=False)
        .select_related("keluarga", "program")
        .order_by("keluarga__no_kk_hash")[:3]
    )
    filed = [3, 9, 12]  # days ago: open, decided, to lapse
    grounds = [
        "Keluarga ini memiliki mobil dan rumah permanen berlantai keramik.",
        "Kepala keluarga bekerja tetap sebagai pegawai tambang timah.",
        "Rumah sudah direnovasi dan disewakan sebagian.",
    ]
    made = [
        objections.objection_file(
            actor=psm,
            objector_name=name,
            grounds=grounds[index],
            photo=_image_upload(50 + index, "rumah.jpg"),
            latitude=f"-1.63{3000 + index * 7:04d}",
            longitude=f"105.77{1000 + index * 11:04d}",
            keluarga=enrolment.keluarga,
            program=enrolment.program,
            objector_contact=f"0812-7000-{1200 + index:04d}",
            filed_on=today - datetime.timedelta(days=filed[index]),
        )
        for index, (enrolment, name) in enumerate(
            zip(enrolled, ["Sulaiman", "Hendra Wijaya", "Rosnani"], strict=False)
        )
    ]
    if len(made) > 1:
        objections.objection_decide(
            actor=verifier,
            objection=made[1],
            upheld=False,
            outcome="Diverifikasi lapangan: penghasilan tidak tetap, tetap layak menerima PKH.",
        )
    if len(made) > 2:  # one filed a month ago and never verified: the scheduled task lapses it
        month_ago = today - datetime.timedelta(days=30)
        Objection.objects.filter(pk=made[2].pk).update(
            filed_on=month_ago, due_on=month_ago + datetime.timedelta(days=Objection.DAYS_TO_VERIFY)
        )
    objections.objection_lapse_overdue(today=today)


def _evidence(index: int, *, kk: bool) -> dict[str, UploadedFile | None]:
    files: dict[str, UploadedFile | None] = {
        "photo_front": _image_upload(index * 3, "depan.jpg"),
        "photo_inside": _image_upload(index * 3 + 1, "dalam.jpg"),
    }
    if kk:
        files["photo_kk"] = _image_upload(index * 3 + 2, "kk.jpg")
    return files


def _image_upload(seed: int, name: str) -> UploadedFile:
    """A small, plain photo standing in for a field photo (a colour from the seed)."""
    buffer = io.BytesIO()
    colour = (90 + seed * 37 % 120, 110 + seed * 53 % 100, 80 + seed * 29 % 140)
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")
