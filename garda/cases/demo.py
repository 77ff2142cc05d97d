"""Demo social cases across Kabupaten Bangka: every state of the workflow, in every kecamatan,
with referrals to the kinds of institutions a Dinas Sosial works with (the provincial mental
hospital in Sungailiat, the district hospital, Puskesmas, care homes, UPTD PPA, the police
women-and-children unit, an LKS).

Needs the demo accounts, pillars and residents (`build_demo_accounts`, `build_demo_pillars`,
`build_demo_residents`): cases are opened by the PSM account of a desa, closings approved by
the kecamatan coordinator, institutions listed by `admin`.

Deterministic: the plan below fixes every case, its desa, category, steps and people (the
first matching residents in a fixed order). The dates are set relative to the day the demo is
built (N days ago), so the demo always has fresh and overdue cases. Idempotent: a case is keyed
by its desa and title, an institution by its name; a second run creates nothing.

Every case goes through the real services; only the timestamps of its events are moved back
afterwards (one update per table), as if the work had happened over the past weeks.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Role
from garda.registry.models import Individu, PpksStatus, PpksType
from garda.wilayah.models import Wilayah

from . import services
from .models import (
    Case,
    CaseEvent,
    Institution,
    InstitutionKind,
    PlanAction,
    Referral,
    ReferralTarget,
    Service,
    Status,
)
from .targets import sla_for

DISTRICT = "19.01"
ACTOR = "admin"


@dataclass(frozen=True)
class InstitutionPlan:
    key: str
    name: str
    kind: str
    wilayah: str
    address: str
    phone: str
    contact: str = ""


INSTITUTIONS = [
    InstitutionPlan(
        "rsj",
        "RSJ Provinsi Kepulauan Bangka Belitung",
        InstitutionKind.MENTAL_HOSPITAL,
        "19.01.01",
        "Jl. Raya Air Anyir, Sungailiat",
        "0717-435170",
        "Instalasi Rawat Jalan",
    ),
    InstitutionPlan(
        "rsud",
        "RSUD Depati Bahrin Sungailiat",
        InstitutionKind.HOSPITAL,
        "19.01.01",
        "Jl. Jenderal Sudirman, Sungailiat",
        "0717-92016",
        "Bagian Pelayanan Sosial Medis",
    ),
    InstitutionPlan(
        "pkm_belinyu",
        "Puskesmas Belinyu",
        InstitutionKind.PUSKESMAS,
        "19.01.02",
        "Jl. Gudang Padi, Belinyu",
        "0715-321045",
    ),
    InstitutionPlan(
        "pkm_sungailiat",
        "Puskesmas Sungailiat",
        InstitutionKind.PUSKESMAS,
        "19.01.01",
        "Jl. Ahmad Yani, Sungailiat",
        "0717-92244",
    ),
    InstitutionPlan(
        "pkm_riausilip",
        "Puskesmas Riau Silip",
        InstitutionKind.PUSKESMAS,
        "19.01.07",
        "Jl. Raya Riau, Riau Silip",
        "0715-331210",
    ),
    InstitutionPlan(
        "panti_werdha",
        "Panti Werdha Kasih Bunda",
        InstitutionKind.PANTI,
        "19.01.01",
        "Jl. Pemuda, Sungailiat",
        "0812-7170-2231",
        "Ibu Yuliana",
    ),
    InstitutionPlan(
        "panti_asuhan",
        "Panti Asuhan Nurul Iman",
        InstitutionKind.PANTI,
        "19.01.02",
        "Jl. Depati Amir, Belinyu",
        "0813-6790-4412",
        "Ustaz Hamdan",
    ),
    InstitutionPlan(
        "uptd_ppa",
        "UPTD PPA Kabupaten Bangka",
        InstitutionKind.UPTD_PPA,
        "19.01",
        "Kompleks Perkantoran Pemkab Bangka, Sungailiat",
        "0717-95500",
        "Konselor UPTD PPA",
    ),
    InstitutionPlan(
        "polres_ppa",
        "Unit PPA Satreskrim Polres Bangka",
        InstitutionKind.POLICE_PPA,
        "19.01.01",
        "Jl. Jenderal Sudirman, Sungailiat",
        "110",
        "Kanit PPA",
    ),
    InstitutionPlan(
        "lks_lansia",
        "LKS Lansia Bakti Mulia",
        InstitutionKind.LKS,
        "19.01.03",
        "Desa Merawang",
        "0852-6711-0923",
        "Bapak Syarifuddin",
    ),
    InstitutionPlan(
        "dukcapil",
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Bangka",
        InstitutionKind.GOVERNMENT,
        "19.01",
        "Kompleks Perkantoran Pemkab Bangka, Sungailiat",
        "0717-92600",
    ),
]


@dataclass(frozen=True)
class CasePlan:
    kecamatan: str
    title: str
    ppks: int | None
    urgency: str
    source: str
    narrative: str
    status: str
    days_ago: int
    village_index: int = 0
    referral: str = ""  # an institution key, "dinas", or ""
    referral_state: str = "sent"  # sent / accepted / refused / completed
    unidentified: str = ""
    reopen: bool = False
    transfer_to_coordinator: bool = False
    late_action: bool = False
    needs: tuple[str, ...] = ("economic",)
    services_given: tuple[tuple[str, str], ...] = field(default_factory=tuple)


ORDER: list[str] = [
    Status.OPEN,
    Status.ASSESSED,
    Status.PLAN_ACTIVE,
    Status.REFERRED,
    Status.RESOLVED,
    Status.CLOSING,
    Status.CLOSED,
]

PLAN = [
    CasePlan(
        "19.01.02",
        "Lansia tinggal sendiri, sering sakit",
        8,
        "tinggi",
        "psm",
        "Nenek berusia 81 tahun tinggal sendiri di rumah panggung. Anak-anaknya merantau. "
        "Tetangga melihat beliau tidak keluar rumah sejak dua hari.",
        Status.CLOSED,
        60,
        referral="panti_werdha",
        referral_state="completed",
        needs=("care", "health"),
        services_given=(("visit", "Kunjungan rumah bersama kader posyandu lansia"),),
    ),
    CasePlan(
        "19.01.02",
        "ODGJ dipasung keluarga",
        9,
        "darurat",
        "desa",
        "Laki-laki 34 tahun dengan gangguan jiwa dipasung di belakang rumah sejak 2024. "
        "Keluarga takut ia mengamuk; belum pernah berobat.",
        Status.REFERRED,
        12,
        village_index=3,
        referral="rsj",
        referral_state="accepted",
        needs=("mental", "protection"),
    ),
    CasePlan(
        "19.01.02",
        "Anak putus sekolah membantu melimbang timah",
        2,
        "sedang",
        "psm",
        "Anak 13 tahun tidak sekolah sejak kelas 5, ikut orang tua melimbang timah di "
        "kolong bekas tambang.",
        Status.PLAN_ACTIVE,
        25,
        village_index=1,
        late_action=True,
        needs=("education", "protection"),
    ),
    CasePlan(
        "19.01.02",
        "Orang tidak dikenal di pasar Belinyu",
        9,
        "tinggi",
        "warga",
        "Pedagang pasar melaporkan seorang laki-laki yang tidur di emperan toko, bicara "
        "sendiri, tidak tahu nama dan asalnya.",
        Status.OPEN,
        4,
        village_index=6,
        unidentified="Laki-laki, sekitar 40 tahun, rambut gondrong, kaos merah lusuh, "
        "ditemukan di emperan pasar.",
    ),
    CasePlan(
        "19.01.02",
        "Keluarga korban banjir rob kehilangan rumah",
        21,
        "tinggi",
        "desa",
        "Rumah keluarga nelayan roboh diterjang banjir rob; mereka menumpang di rumah kerabat.",
        Status.CLOSING,
        35,
        village_index=4,
        referral="dinas",
        referral_state="completed",
        needs=("housing", "economic"),
        services_given=(("basic_needs", "Paket sembako dan terpal dari Tagana"),),
    ),
    CasePlan(
        "19.01.01",
        "Perempuan korban KDRT",
        19,
        "darurat",
        "warga",
        "Ibu rumah tangga melapor dipukul suami berulang kali; ada memar di lengan. "
        "Ingin perlindungan untuk diri dan dua anaknya.",
        Status.REFERRED,
        6,
        referral="uptd_ppa",
        referral_state="sent",
        needs=("protection", "mental"),
    ),
    CasePlan(
        "19.01.01",
        "Anak korban kekerasan seksual",
        6,
        "darurat",
        "rujukan",
        "Rujukan dari sekolah: siswi kelas 4 SD mengaku dicabuli tetangga.",
        Status.CLOSED,
        90,
        village_index=1,
        referral="polres_ppa",
        referral_state="completed",
        needs=("protection", "mental", "health"),
        services_given=(("counselling", "Pendampingan psikososial bersama konselor UPTD PPA"),),
    ),
    CasePlan(
        "19.01.01",
        "Penyandang disabilitas butuh kursi roda",
        9,
        "sedang",
        "psm",
        "Bapak 52 tahun lumpuh setelah stroke, tidak bisa keluar rumah.",
        Status.RESOLVED,
        40,
        village_index=2,
        referral="rsud",
        referral_state="completed",
        needs=("health", "care"),
    ),
    CasePlan(
        "19.01.03",
        "Lansia terlantar tanpa KTP",
        8,
        "sedang",
        "psm",
        "Kakek 76 tahun hidup sendiri tanpa KTP dan KK, sehingga tidak terdaftar bansos.",
        Status.CLOSED,
        75,
        referral="dukcapil",
        referral_state="completed",
        needs=("documents", "economic"),
        services_given=(("documents", "Antar perekaman KTP-el ke Disdukcapil"),),
    ),
    CasePlan(
        "19.01.03",
        "Lansia tinggal di gubuk kebun",
        8,
        "tinggi",
        "desa",
        "Nenek tinggal sendiri di pondok kebun lada, jauh dari permukiman.",
        Status.ASSESSED,
        20,
        village_index=1,
        needs=("housing", "care"),
    ),
    CasePlan(
        "19.01.04",
        "Balita gizi buruk keluarga miskin",
        1,
        "darurat",
        "rujukan",
        "Rujukan bidan desa: balita 2 tahun berat badan sangat kurang, keluarga tidak mampu.",
        Status.CLOSING,
        30,
        referral="pkm_sungailiat",
        referral_state="completed",
        needs=("health", "economic"),
    ),
    CasePlan(
        "19.01.04",
        "Keluarga miskin tidak menerima bansos",
        24,
        "rendah",
        "warga",
        "Janda dengan tiga anak tidak pernah menerima bantuan; belum terdaftar di DTSEN.",
        Status.OPEN,
        20,
        village_index=1,
    ),
    CasePlan(
        "19.01.05",
        "Korban penyalahgunaan NAPZA",
        17,
        "tinggi",
        "rujukan",
        "Remaja 19 tahun kecanduan sabu; orang tua minta bantuan rehabilitasi.",
        Status.REFERRED,
        15,
        referral="rsud",
        referral_state="refused",
        needs=("health", "mental"),
        transfer_to_coordinator=True,
    ),
    CasePlan(
        "19.01.05",
        "Anak terlantar ditinggal orang tua",
        2,
        "tinggi",
        "desa",
        "Dua anak ditinggal ibunya bekerja ke luar daerah; diasuh nenek yang sakit-sakitan.",
        Status.CLOSED,
        80,
        village_index=1,
        referral="panti_asuhan",
        referral_state="completed",
        needs=("care", "education"),
        reopen=True,
    ),
    CasePlan(
        "19.01.06",
        "Pekerja migran pulang sakit",
        20,
        "sedang",
        "rujukan",
        "Pekerja migran dipulangkan dari Malaysia dalam keadaan sakit, tanpa penghasilan.",
        Status.RESOLVED,
        45,
        referral="pkm_sungailiat",
        referral_state="completed",
        needs=("health", "economic"),
    ),
    CasePlan(
        "19.01.06",
        "Lansia pikun sering hilang",
        8,
        "tinggi",
        "warga",
        "Kakek dengan demensia sudah tiga kali tersesat; keluarga kewalahan.",
        Status.PLAN_ACTIVE,
        10,
        village_index=1,
        needs=("care", "health"),
    ),
    CasePlan(
        "19.01.07",
        "ODGJ mengamuk di kebun",
        9,
        "darurat",
        "desa",
        "Perempuan 28 tahun dengan riwayat gangguan jiwa putus obat, mengamuk dan merusak "
        "rumah tetangga.",
        Status.CLOSED,
        50,
        referral="rsj",
        referral_state="completed",
        needs=("mental", "health"),
        services_given=(("health", "Antar ke RSJ bersama Babinsa dan keluarga"),),
    ),
    CasePlan(
        "19.01.07",
        "Lansia butuh pendampingan LKS",
        8,
        "rendah",
        "psm",
        "Nenek 85 tahun tinggal dengan cucu yang bekerja; siang hari sendirian.",
        Status.REFERRED,
        18,
        village_index=1,
        referral="lks_lansia",
        referral_state="sent",
        needs=("care",),
    ),
    CasePlan(
        "19.01.08",
        "Keluarga rawan konflik rumah tangga",
        25,
        "sedang",
        "psm",
        "Suami istri sering bertengkar hebat; anak-anak ketakutan dan bolos sekolah.",
        Status.ASSESSED,
        5,
        needs=("protection", "mental"),
    ),
    CasePlan(
        "19.01.08",
        "Perempuan rawan sosial ekonomi",
        23,
        "rendah",
        "warga",
        "Ibu tunggal buruh harian lepas, penghasilan tidak tetap, rumah tidak layak.",
        Status.RESOLVED,
        55,
        village_index=1,
        needs=("economic", "housing"),
        services_given=(("basic_needs", "Bantuan permakanan dan usulan bedah rumah"),),
    ),
]


@dataclass
class DemoCases:
    cases: int
    created: int
    institutions: int


def _plan_institutions(actor: User) -> dict[str, Institution]:
    found = {i.name: i for i in Institution.objects.filter(name__in=[p.name for p in INSTITUTIONS])}
    result: dict[str, Institution] = {}
    for plan in INSTITUTIONS:
        institution = found.get(plan.name)
        if institution is None:
            institution = services.institution_create(
                actor=actor,
                data={
                    "name": plan.name,
                    "kind": plan.kind,
                    "wilayah": Wilayah.objects.get(code=plan.wilayah),
                    "address": plan.address,
                    "phone": plan.phone,
                    "contact_person": plan.contact,
                    "email": "",
                    "is_active": True,
                },
            )
        result[plan.key] = institution
    return result


def _psm_posts(kecamatan: str) -> list[tuple[str, User]]:
    """(desa code, PSM account) of the kecamatan's PSM accounts, in code order."""
    posts: dict[str, User] = {}
    for assignment in (
        RoleAssignment.objects.within(kecamatan)
        .filter(role=Role.PSM, user__is_active=True)
        .select_related("user")
        .order_by("wilayah_id", "user__username")
    ):
        posts.setdefault(assignment.wilayah_id, assignment.user)
    return list(posts.items())


def _coordinator(kecamatan: str) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(role=Role.KOORDINATOR, wilayah_id=kecamatan)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return assignment.user if assignment else None


def _subject(desa: str, ppks: int | None, taken: set) -> Individu | None:
    """The first resident of the desa with that PPKS status (else the first adult), not yet
    the subject of another demo case."""
    residents = Individu.objects.filter(wilayah_id=desa).alive().exclude(pk__in=taken)
    if ppks is not None:
        with_status = PpksStatus.objects.filter(
            ppks_type__number=ppks, individu__isnull=False, wilayah_id=desa
        ).values("individu_id")
        person = residents.filter(pk__in=with_status).order_by("pk").first()
        if person is not None:
            return person
    return residents.filter(birth_date__year__lte=2005).order_by("pk").first()


@transaction.atomic
def build_demo_cases() -> DemoCases:
    """Open what of the plan is missing and walk each case to its planned state."""
    actor = User.objects.get(username=ACTOR)
    institutions = _plan_institutions(actor)
    types = {t.number: t for t in PpksType.objects.all()}
    taken: set = set()
    created = 0
    for plan in PLAN:
        posts = _psm_posts(plan.kecamatan)
        if not posts:
            continue
        desa, worker = posts[plan.village_index % len(posts)]
        if Case.objects.filter(wilayah_id=desa, title=plan.title).exists():
            continue
        _build(plan, desa, worker, institutions, types, taken)
        created += 1
    return DemoCases(cases=len(PLAN), created=created, institutions=len(institutions))


def _build(
    plan: CasePlan,
    desa: str,
    worker: User,
    institutions: dict[str, Institution],
    types: dict[int, PpksType],
    taken: set,
) -> Case:
    person = None if plan.unidentified else _subject(desa, plan.ppks, taken)
    if person is not None:
        taken.add(person.pk)
    case = services.case_open(
        actor=worker,
        wilayah=Wilayah.objects.get(code=desa),
        source=plan.source,
        urgency=plan.urgency,
        ppks_type=types.get(plan.ppks) if plan.ppks else None,
        title=plan.title,
        narrative=plan.narrative,
        subjects=[person] if person else [],
        unidentified_description=plan.unidentified
        or ("" if person else "Identitas belum tercatat di registri (data demo)."),
        consent="not_possible" if plan.unidentified else "given",
        consent_note="Orang tidak dikenal, tidak dapat ditanya" if plan.unidentified else "",
        handler=worker,
    )
    target = ORDER.index(plan.status)
    handler = worker
    if target >= ORDER.index(Status.ASSESSED):
        services.case_assess(
            actor=handler,
            case=case,
            needs=list(plan.needs),
            risk="high" if plan.urgency in ("darurat", "tinggi") else "medium",
            notes="Hasil kunjungan rumah dan wawancara keluarga (data demo).",
            has_caregiver=plan.ppks not in (8, 2),
        )
    if plan.transfer_to_coordinator:
        chair = _coordinator(plan.kecamatan)
        if chair is not None:
            services.case_transfer(
                actor=handler, case=case, handler=chair, note="Perlu koordinasi tingkat kecamatan"
            )
            handler = chair
    if target >= ORDER.index(Status.PLAN_ACTIVE):
        services.plan_action_add(
            actor=handler,
            case=case,
            description="Kunjungan rumah dan koordinasi dengan keluarga",
            owner=handler.name,
            due_on=timezone.localdate() + datetime.timedelta(days=7),
        )
    for kind, description in plan.services_given:
        services.service_record(actor=handler, case=case, kind=kind, description=description)
    if plan.referral and target >= ORDER.index(Status.REFERRED):
        referral = services.referral_send(
            actor=handler,
            case=case,
            target=ReferralTarget.DINAS if plan.referral == "dinas" else ReferralTarget.INSTITUTION,
            institution=None if plan.referral == "dinas" else institutions[plan.referral],
            reason="Mohon penanganan lanjutan sesuai kebutuhan hasil asesmen.",
        )
        if plan.referral_state in ("accepted", "completed", "refused"):
            services.referral_answer(
                actor=handler,
                referral=referral,
                accepted=plan.referral_state != "refused",
                note="Kuota rawat inap penuh, disarankan rawat jalan"
                if plan.referral_state == "refused"
                else "Diterima",
            )
        if plan.referral_state == "completed":
            services.referral_complete(
                actor=handler, referral=referral, note="Layanan selesai, kembali ke keluarga"
            )
    if target >= ORDER.index(Status.RESOLVED):
        services.case_resolve(actor=handler, case=case, note="Kebutuhan utama sudah terpenuhi")
    if target >= ORDER.index(Status.CLOSING):
        services.case_request_closing(actor=handler, case=case, note="Mohon persetujuan penutupan")
    if target >= ORDER.index(Status.CLOSED):
        chair = _coordinator(plan.kecamatan) or User.objects.get(username=ACTOR)
        services.case_decide_closing(actor=chair, case=case, approve=True, note="Disetujui")
        if plan.reopen:
            services.case_reopen(
                actor=handler, case=case, reason="Nenek pengasuh meninggal, anak kembali terlantar"
            )
    _backdate(case, plan)
    return case


def _backdate(case: Case, plan: CasePlan) -> None:
    """Spread the case's events over the `days_ago` days before today, keeping their order,
    and set the dates that follow from them (due dates, follow-up, closing)."""
    now = timezone.now()
    reported = now - datetime.timedelta(days=plan.days_ago, hours=3)
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "created_at"))
    span = max(plan.days_ago - 2, 1) * 24.0  # hours available after the intake
    first_gap = min(20.0, span / max(len(events) - 1, 1))  # a first response within the day
    step = (span - first_gap) / max(len(events) - 2, 1)
    for index, event in enumerate(events):
        hours = 0.0 if index == 0 else first_gap + (index - 1) * step
        event.at = reported + datetime.timedelta(hours=hours)
    CaseEvent.objects.bulk_update(events, ["at"])
    by_referral: dict[Any, list[datetime.datetime]] = {}
    for event in events:
        if event.referral_id:
            by_referral.setdefault(event.referral_id, []).append(event.at)
    for referral in Referral.objects.filter(case=case):
        times = sorted(by_referral.get(referral.pk, [reported]))
        answered = times[1] if len(times) > 1 else times[0]
        Referral.objects.filter(pk=referral.pk).update(
            sent_at=times[0],
            answered_at=answered if referral.answered_at else None,
            completed_at=times[-1] if referral.completed_at else None,
        )
    target = sla_for(case.urgency)
    last = events[-1].at
    fields: dict = {"reported_at": reported, "response_due": reported + target.response}
    case.refresh_from_db()
    if case.status == Status.CLOSED:
        fields["closed_at"] = last
    if case.follow_up_on is not None:
        responses = [
            e.at for e in events if e.kind in ("assessed", "action_added", "service", "referred")
        ]
        base = max(responses) if responses else last
        fields["follow_up_on"] = timezone.localdate(base) + target.follow_up
    if case.status == Status.OPEN and plan.reopen:
        fields["response_due"] = last + target.response
    Case.objects.filter(pk=case.pk).update(**fields)
    Service.objects.filter(case=case).update(
        provided_on=timezone.localdate(reported + datetime.timedelta(days=1))
    )
    due = timezone.localdate(reported) + datetime.timedelta(days=7)
    if plan.late_action:
        due = timezone.localdate(now) - datetime.timedelta(days=3)
    PlanAction.objects.filter(case=case).update(due_on=due)
    case.assessments.update(assessed_on=timezone.localdate(reported + datetime.timedelta(hours=20)))
