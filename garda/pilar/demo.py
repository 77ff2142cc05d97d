"""Demo social pillars for Kabupaten Bangka: deterministic, idempotent, written by the services.

Every desa/kelurahan has a PSM except `UNCOVERED_DESA`: two have nobody, three have a PSM who
is not active (resigned, inactive, still a candidate). Some desa have two PSMs. The demo PSM
accounts (psm.*) are the PSMs of their desa; the koord.* accounts are the IPSM chairs of their
kecamatan. Each kecamatan has a TKSK, the district has Tagana and, in a third of the desa, a
Karang Taruna. Everything is arithmetic on indexes: no randomness, the same data every run.
People are keyed by the blind index of their NIK, organisations by (type, place, name), so a
second run creates nothing.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from garda.accounts.demo import DISTRICT, DemoLogin, demo_logins
from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.audit.services import audited_update
from garda.wilayah.models import Level, Wilayah

from . import services
from .models import (
    PSM,
    TKSK,
    Education,
    IpsmOfficer,
    Pilar,
    PilarType,
    Position,
    Religion,
    Sex,
    Status,
    TrainingKind,
)

ACTOR = "admin"

# Desa left without an active PSM, none in Belinyu (the pilot kecamatan, where every desa has
# a PSM account). The coverage view of the demo names exactly these.
UNCOVERED_DESA: dict[str, str] = {
    "19.01.03.2009": "Dwi Makmur",  # Merawang: its PSM is inactive
    "19.01.04.2013": "Labuh Air Pandan",  # Mendo Barat: nobody
    "19.01.04.2015": "Petaling Banjar",  # Mendo Barat: its PSM resigned
    "19.01.07.2007": "Mapur",  # Riau Silip: a candidate, not yet appointed
    "19.01.07.2009": "Berbura",  # Riau Silip: nobody
}
NO_PSM_DESA = frozenset({"19.01.04.2013", "19.01.07.2009"})

# The PSM of an uncovered desa who is not active: status, since when, why.
FIRST_PSM_STATUS: dict[str, tuple[str, datetime.date, str]] = {
    "19.01.03.2009": (
        Status.NONAKTIF,
        datetime.date(2026, 3, 2),
        "Tidak dapat bertugas karena sakit berkepanjangan",
    ),
    "19.01.04.2015": (
        Status.BERHENTI,
        datetime.date(2025, 9, 1),
        "Mengundurkan diri karena pindah domisili ke Pangkalpinang",
    ),
    "19.01.07.2007": (Status.CALON, datetime.date(2026, 8, 17), ""),
}
ACTIVE: tuple[str, None, str] = (Status.AKTIF, None, "")
# Desa with a second PSM (a busy kelurahan, a large desa), and that PSM's status.
SECOND_PSM: dict[str, tuple[str, datetime.date | None, str]] = {
    "19.01.01.1001": ACTIVE,  # Kelurahan Sungailiat
    "19.01.01.1003": (Status.CALON, datetime.date(2026, 9, 14), ""),  # Kelurahan Kudai
    "19.01.02.1012": ACTIVE,  # Kelurahan Belinyu: the IPSM chair of Belinyu
    "19.01.03.2007": (
        Status.NONAKTIF,
        datetime.date(2025, 11, 3),
        "Tidak melaporkan kegiatan selama enam bulan berturut-turut",
    ),  # Desa Merawang
    "19.01.04.2008": ACTIVE,  # Desa Kemuja
    "19.01.05.2005": ACTIVE,  # Desa Pemali
    "19.01.08.2001": ACTIVE,  # Desa Puding Besar
}

# The kabupaten IPSM officers: the first PSM of these desa.
DISTRICT_OFFICERS = {
    Position.KETUA: "19.01.01.1005",  # Kenanga, Sungailiat
    Position.SEKRETARIS: "19.01.06.2005",  # Tiang Tarah, Bakam
    Position.BENDAHARA: "19.01.05.2004",  # Sempan, Pemali
}
IPSM_TERM = (datetime.date(2023, 4, 1), datetime.date(2028, 3, 31))
# The kecamatan IPSM chair (the koord.* account) is the first PSM of the kecamatan's fourth desa
# (the first three have psm.* accounts); in Belinyu, where every desa has one, the second PSM
# of Kelurahan Belinyu.
CHAIR_DESA_INDEX = 3
BELINYU_CHAIR_DESA = "19.01.02.1012"

SK_SIGNED_BY = "Kepala Dinas Sosial Kabupaten Bangka"
SK_ISSUED = datetime.date(2024, 12, 20)
SK_VALID = (datetime.date(2025, 1, 1), datetime.date(2026, 12, 31))
# Active PSMs with no training recorded at all (the "not trained" filter has something to show).
UNTRAINED_EVERY = 23
TAGANA_AT_DISTRICT = 4

FEMALE_FIRST_NAMES = frozenset(
    {"Siti", "Nur", "Dewi", "Yuli", "Sri", "Lina", "Maya", "Rahmawati", "Fitri", "Ani"}
)
MALAY_MALE = [
    "Rizal",
    "Syahrial",
    "Zulkarnain",
    "Rusdi",
    "Hamdan",
    "Azhari",
    "Firmansyah",
    "Suhaimi",
    "Ismail",
    "Jamaludin",
    "Marzuki",
    "Hasbullah",
    "Darmansyah",
    "Husni",
    "Kamaruddin",
    "Mulyadi",
    "Sahrudin",
    "Junaidi",
]
MALAY_MALE_SECOND = ["Effendi", "Hamid", "Saputra", "Rahman", "Yusuf", "Abdullah", "Syarif"]
MALAY_FEMALE = [
    "Nurhayati",
    "Rosmawati",
    "Aisyah",
    "Herawati",
    "Yusnani",
    "Masnah",
    "Rohana",
    "Fatimah",
    "Salbiah",
    "Juwita",
    "Nurlela",
    "Zainab",
    "Halimah",
    "Rusmini",
    "Aminah",
    "Maryani",
    "Sumarni",
    "Elvi",
]
MALAY_FEMALE_SECOND = ["Safitri", "Wati", "Sari", "Rahayu", "Yanti", "Hasanah", "Ningsih"]
CHINESE_SURNAMES = ["Lie", "Bong", "Tjhin", "Liong", "Phang", "Chin", "Tjhai", "Lim", "Tan"]
CHINESE_MALE = ["Kim Hin", "Fuk Sin", "Ket Nyan", "Siu Kong", "A Siong", "Tet Fo", "Jun Fat"]
CHINESE_FEMALE = ["Siu Lan", "Mei Fung", "Nyuk Fa", "Kiauw Fa", "Moi Lan", "Lian Hiung", "Jit Moi"]
INDONESIAN_CHINESE_MALE = ["Hendra Wijaya", "Sugianto Halim", "Rudy Hartono", "Johan Setiadi"]
INDONESIAN_CHINESE_FEMALE = ["Susanti Halim", "Meliana Tanoto", "Lili Suryani", "Fenny Wijaya"]
BIRTH_PLACES = ["Sungailiat", "Belinyu", "Pangkalpinang", "Mentok", "Koba", "Toboali"]
OCCUPATIONS = [
    "Petani lada",
    "Nelayan",
    "Pedagang",
    "Ibu rumah tangga",
    "Wiraswasta",
    "Guru honorer",
    "Pekebun karet",
    "Perangkat desa",
]
EDUCATIONS = [
    Education.SMA,
    Education.SMA,
    Education.S1,
    Education.SMA,
    Education.D3,
    Education.SMP,
]
CHINESE_RELIGIONS = [Religion.BUDDHA, Religion.KONGHUCU, Religion.KATOLIK, Religion.KRISTEN]
STREETS = [
    "Jl. Raya",
    "Jl. Masjid",
    "Jl. Pantai",
    "Gg. Melati",
    "Jl. Pelabuhan",
    "Jl. Sekolah",
    "Jl. Kebun Lada",
    "Jl. Pasar",
]
DUSUN = ["Dusun I", "Dusun II", "Dusun III", "Dusun IV"]
PHONE_PREFIXES = ["0812", "0813", "0852", "0853", "0877", "0819"]
KARANG_TARUNA_NAMES = ["Tunas Harapan", "Bina Remaja", "Bakti Muda", "Mekar Sari", "Putra Bangsa"]


Key = tuple[str, str, str]  # ("nik", blind index, "") or (type code, region code, name)


@dataclass
class MemberPlan:
    """One member the demo has, and what happened to them."""

    jenis: str
    wilayah: Wilayah
    data: dict[str, Any]
    # Status changes after registration (as a candidate): (status, effective on, reason).
    history: list[tuple[str, datetime.date, str]] = field(default_factory=list)
    registered_as: str = Status.CALON
    registered_reason: str = ""
    decree: str = ""  # the SK number, for appointed PSMs
    trainings: list[tuple[str, str, str, datetime.date, datetime.date]] = field(
        default_factory=list
    )
    username: str = ""  # the demo account that is this member

    @property
    def key(self) -> Key:
        nik = self.data.get("nik") or ""
        if nik:
            return ("nik", services.nik_hash(nik) or "", "")
        return (self.jenis, self.wilayah.code, self.data["name"])


@dataclass
class DemoPillars:
    members: int
    created: int
    officers: int


class _People:
    """Deterministic people: the n-th person always has the same name, NIK and details."""

    def __init__(self) -> None:
        self.serial = 0
        self.names: set[str] = set()

    def person(
        self, kecamatan: str, home: Wilayah | None = None, name: str = "", sex: str = ""
    ) -> dict[str, Any]:
        self.serial += 1
        n = self.serial
        chinese = n % 4 == 3  # Bangka has a large Chinese-Indonesian (Hakka) community
        if not sex:
            sex = Sex.P if n % 5 in (0, 2, 3) else Sex.L
        if not name:  # the first free name of the person's sequence: no two demo people alike
            name = next(
                candidate
                for shift in range(100)
                if (candidate := _name(n, sex=sex, chinese=chinese, shift=shift)) not in self.names
            )
        self.names.add(name)
        birth = datetime.date(1966 + (n * 7) % 34, 1 + (n * 5) % 12, 1 + (n * 11) % 28)
        day = birth.day + (40 if sex == Sex.P else 0)
        kecamatan_digits = int(kecamatan.rsplit(".", 1)[1])
        nik = f"1901{kecamatan_digits:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{n:04d}"
        phone_tail = (n * 7919 + 1234567) % 10**8
        data: dict[str, Any] = {
            "name": name,
            "nik": nik,
            "sex": sex,
            "birth_place": BIRTH_PLACES[n % len(BIRTH_PLACES)],
            "birth_date": birth,
            "religion": CHINESE_RELIGIONS[n % 4] if chinese else Religion.ISLAM,
            "education": EDUCATIONS[n % len(EDUCATIONS)],
            "occupation": OCCUPATIONS[n % len(OCCUPATIONS)],
            "phone": f"{PHONE_PREFIXES[n % len(PHONE_PREFIXES)]}{phone_tail:08d}",
            "home_wilayah": home,
            "dusun": DUSUN[n % len(DUSUN)] if home is not None else "",
            "rt": f"{1 + n % 12:03d}",
            "rw": f"{1 + n % 4:03d}",
            "address": f"{STREETS[n % len(STREETS)]} No. {1 + (n * 13) % 120}",
        }
        if n % 3 == 0:
            data["email"] = f"{name.lower().replace(' ', '.')}{n}@example.com"
        return data


def _name(n: int, *, sex: str, chinese: bool, shift: int = 0) -> str:
    if chinese and (n // 4) % 3 == 1 and shift == 0:
        names = INDONESIAN_CHINESE_FEMALE if sex == Sex.P else INDONESIAN_CHINESE_MALE
        return names[(n // 12) % len(names)]
    if chinese:
        given = CHINESE_FEMALE if sex == Sex.P else CHINESE_MALE
        surname = CHINESE_SURNAMES[(n // 4 + shift) % len(CHINESE_SURNAMES)]
        return f"{surname} {given[(n // 4) % len(given)]}"
    first = MALAY_FEMALE if sex == Sex.P else MALAY_MALE
    second = MALAY_FEMALE_SECOND if sex == Sex.P else MALAY_MALE_SECOND
    return f"{first[(n // 2) % len(first)]} {second[(n * 3 + shift) % len(second)]}"


def _sex_of(name: str) -> str:
    return Sex.P if name.split()[0] in FEMALE_FIRST_NAMES else Sex.L


def demo_plan() -> list[MemberPlan]:
    """Every member of the demo, in a fixed order (the order fixes names and NIKs)."""
    kecamatan = list(
        Wilayah.objects.within(DISTRICT).filter(level=Level.KECAMATAN).order_by("code")
    )
    villages = list(
        Wilayah.objects.within(DISTRICT).filter(level=Level.DESA, is_active=True).order_by("code")
    )
    district = Wilayah.objects.get(code=DISTRICT)
    # psm.* accounts by desa, koord.* accounts by kecamatan
    accounts = {
        login.region.code: login
        for login in demo_logins()
        if login.role in (Role.PSM, Role.KOORDINATOR)
    }
    chairs = _chair_desa(kecamatan, villages)
    people = _People()
    plan: list[MemberPlan] = []
    for desa in villages:
        chair = chairs.get(desa.parent_id or "")
        if desa.code not in NO_PSM_DESA:
            login = accounts.get(desa.code)
            if chair == (desa.code, 1):
                login = accounts.get(desa.parent_id or "")
            status = FIRST_PSM_STATUS.get(desa.code, ACTIVE)
            plan.append(_psm(people, desa, login, status))
        if desa.code in SECOND_PSM:
            login = accounts.get(desa.parent_id or "") if chair == (desa.code, 2) else None
            plan.append(_psm(people, desa, login, SECOND_PSM[desa.code]))
    for index, kec in enumerate(kecamatan):
        data = people.person(kec.code)
        data["joined_on"] = datetime.date(2018 + index % 4, 3, 1 + index)
        data["education"] = Education.S1 if index % 3 else Education.D3
        plan.append(
            MemberPlan(
                TKSK,
                kec,
                data,
                registered_as=Status.AKTIF,
                registered_reason=f"Ditetapkan sebagai TKSK Kecamatan {kec.name}",
            )
        )
    tagana_areas = [district] * TAGANA_AT_DISTRICT + kecamatan
    for index, area in enumerate(tagana_areas):
        data = people.person(area.code if area.level == Level.KECAMATAN else "19.01.01")
        data["joined_on"] = datetime.date(2012 + index % 10, 6, 10 + index)
        plan.append(
            MemberPlan(
                "tagana",
                area,
                data,
                registered_as=Status.AKTIF,
                registered_reason="Lulus pendidikan dan pelatihan dasar Tagana",
            )
        )
    for index, desa in enumerate(villages[::3]):
        contact = people.person(desa.parent_id or "", desa)
        motto = KARANG_TARUNA_NAMES[index % len(KARANG_TARUNA_NAMES)]
        plan.append(
            MemberPlan(
                "karang_taruna",
                desa,
                {
                    "name": f"Karang Taruna {motto} {desa.name}",
                    "contact_person": contact["name"],
                    "phone": contact["phone"],
                    "address": f"Balai Desa {desa.name}",
                    "joined_on": datetime.date(2010 + index % 12, 8, 17),
                },
                registered_as=Status.AKTIF,
                registered_reason="Dikukuhkan dengan SK Kepala Desa",
            )
        )
    return plan


def _chair_desa(kecamatan: list[Wilayah], villages: list[Wilayah]) -> dict[str, tuple[str, int]]:
    """Kecamatan code -> (desa code, 1 for its first PSM or 2 for its second) of the IPSM chair."""
    chairs: dict[str, tuple[str, int]] = {}
    for kec in kecamatan:
        if kec.code == BELINYU_CHAIR_DESA.rsplit(".", 1)[0]:
            chairs[kec.code] = (BELINYU_CHAIR_DESA, 2)
            continue
        own = [v for v in villages if v.parent_id == kec.code]
        chairs[kec.code] = (own[CHAIR_DESA_INDEX].code, 1)
    return chairs


def _psm(
    people: _People,
    desa: Wilayah,
    login: DemoLogin | None,
    status: tuple[str, datetime.date | None, str],
) -> MemberPlan:
    """A PSM of `desa`: a candidate since a recent date, or appointed some years ago and, if no
    longer active, with the change that ended it. Active PSMs hold the current SK."""
    name = login.name if login else ""
    data = people.person(desa.parent_id or "", desa, name=name, sex=_sex_of(name) if name else "")
    n = people.serial
    plan = MemberPlan(PSM, desa, data, username=login.username if login else "")
    plan.registered_reason = f"Diusulkan oleh Pemerintah {desa}"
    to_status, since, reason = status
    if to_status == Status.CALON and since is not None:
        data["joined_on"] = since
        return plan
    joined = datetime.date(2016 + n % 9, 1 + (n * 7) % 9, 1 + (n * 3) % 27)
    appointed = joined + datetime.timedelta(days=75)
    data["joined_on"] = joined
    data["ipsm_number"] = f"IPSM.1901.{n:04d}"
    plan.history.append(
        (Status.AKTIF, appointed, f"Diangkat dengan SK Kepala Dinas Sosial ({appointed:%Y})")
    )
    if to_status != Status.AKTIF and since is not None:
        plan.history.append((to_status, since, reason))
    else:
        kecamatan_digits = int((desa.parent_id or "0").rsplit(".", 1)[-1])
        plan.decree = f"188.45/{120 + kecamatan_digits}/DINSOS/2025"
    if n % UNTRAINED_EVERY == 5:
        return plan
    start = joined + datetime.timedelta(days=20)
    plan.trainings.append(
        (
            TrainingKind.BIMTEK_DASAR,
            f"Bimbingan Teknis Dasar PSM Angkatan {start.year}",
            "Dinas Sosial Kabupaten Bangka",
            start,
            start + datetime.timedelta(days=2),
        )
    )
    if n % 4 == 1:
        plan.trainings.append(
            (
                TrainingKind.BSD,
                "Bimbingan Sosial Dasar (BSD) PSM",
                "Dinas Sosial Provinsi Kepulauan Bangka Belitung",
                datetime.date(2024, 6, 10),
                datetime.date(2024, 6, 14),
            )
        )
    return plan


@transaction.atomic
def build_demo_pillars() -> DemoPillars:
    """Create what of the plan is missing, through the services, with `admin` as the actor."""
    actor = User.objects.get(username=ACTOR)
    types = {t.code: t for t in PilarType.objects.all()}
    plan = demo_plan()
    existing: dict[Key, uuid.UUID] = {
        ("nik", h or "", ""): pk
        for h, pk in Pilar.objects.filter(nik_hash__isnull=False).values_list("nik_hash", "pk")
    }
    existing |= {
        (code, wilayah or "", name): pk
        for code, wilayah, name, pk in Pilar.objects.filter(nik_hash__isnull=True).values_list(
            "jenis__code", "wilayah_id", "name", "pk"
        )
    }
    created = 0
    members: dict[Key, Pilar] = {}
    for member in plan:
        if member.key not in existing:
            members[member.key] = _create(actor, types[member.jenis], member)
            created += 1
    _link_accounts(actor, plan, existing, members)
    officers = _appoint_officers(actor, plan, existing, members)
    return DemoPillars(members=len(plan), created=created, officers=officers)


def _link_accounts(
    actor: User,
    plan: list[MemberPlan],
    existing: dict[Key, uuid.UUID],
    created: dict[Key, Pilar],
) -> None:
    """The psm.* and koord.* accounts are the members of the plan who bear their names."""
    with_account = [m for m in plan if m.username]
    users = {
        u.username: u for u in User.objects.filter(username__in=[m.username for m in with_account])
    }
    linked = set(Pilar.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    earlier = Pilar.objects.in_bulk([existing[m.key] for m in with_account if m.key in existing])
    for member in with_account:
        user = users.get(member.username)
        pilar = created.get(member.key)
        if pilar is None and member.key in existing:
            pilar = earlier.get(existing[member.key])
        if user is None or pilar is None or pilar.user_id is not None or user.pk in linked:
            continue
        audited_update(pilar, actor=actor, data={"user": user}, reason="Akun demo")


def _create(actor: User, jenis: PilarType, member: MemberPlan) -> Pilar:
    pilar = services.pilar_register(
        actor=actor,
        jenis=jenis,
        wilayah=member.wilayah,
        data=member.data,
        status=member.registered_as,
        reason=member.registered_reason,
    )
    for kind, title, organiser, start, end in member.trainings:
        services.training_add(
            actor=actor,
            pilar=pilar,
            kind=kind,
            title=title,
            organiser=organiser,
            start=start,
            end=end,
        )
    for status, day, reason in member.history:
        services.pilar_set_status(
            actor=actor, pilar=pilar, status=status, reason=reason, effective_on=day
        )
    if member.decree:
        services.decree_add(
            actor=actor,
            pilar=pilar,
            number=member.decree,
            issued_on=SK_ISSUED,
            signed_by=SK_SIGNED_BY,
            valid_from=SK_VALID[0],
            valid_until=SK_VALID[1],
        )
    return pilar


def _appoint_officers(
    actor: User,
    plan: list[MemberPlan],
    existing: dict[Key, uuid.UUID],
    created: dict[Key, Pilar],
) -> int:
    """The kabupaten ketua, sekretaris and bendahara, and the ketua of each kecamatan."""
    first_psm: dict[str, MemberPlan] = {}
    for member in plan:
        if member.jenis == PSM:
            first_psm.setdefault(member.wilayah.code, member)
    wanted: list[tuple[MemberPlan, str, str]] = [
        (first_psm[desa], DISTRICT, position) for position, desa in DISTRICT_OFFICERS.items()
    ]
    wanted += [
        (m, m.wilayah.parent_id or "", Position.KETUA)
        for m in plan
        if m.username.startswith("koord.")
    ]
    held = set(
        IpsmOfficer.objects.filter(term_start=IPSM_TERM[0]).values_list("wilayah_id", "position")
    )
    regions = Wilayah.objects.in_bulk({code for _m, code, _p in wanted})
    appointed = 0
    for member, code, position in wanted:
        if (code, position) in held:
            continue
        pilar = created.get(member.key) or Pilar.objects.get(pk=existing[member.key])
        services.officer_appoint(
            actor=actor,
            pilar=pilar,
            wilayah=regions[code],
            position=position,
            term_start=IPSM_TERM[0],
            term_end=IPSM_TERM[1],
        )
        appointed += 1
    return appointed
