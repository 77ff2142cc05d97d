"""Demo residents of Kabupaten Bangka: about 3,000 households over the 81 desa/kelurahan.

Deterministic: a seeded generator (`SEED`) and a fixed reference date (`TODAY`) decide every
name, date, NIK, No KK, desil, GPS point and PPKS status, so every run plans the same
population; no wall clock is read. Idempotent: households are keyed by the blind index of
their No KK and residents by that of their NIK, and only what is missing is written, so a
second run creates nothing.

Fast: the population is written with `bulk_create` in one transaction (NIK and No KK are
encrypted on the way, blind indexes and name keys are computed here) instead of one audited
service call per row; one audit event records the load. The few planned duplicates (the same
person entered twice with a spelling variant of the name, same birth date, same desa) then go
through `services.duplicates_queue`, so the review queue has something to show.

The population follows the district: more households in Sungailiat and Belinyu, a
Chinese-Indonesian (Hakka) share that is highest in Belinyu and Sungailiat, Javanese migrants,
Malay names written in their common spellings (Muhammad, Moh., M. ...), desil skewed to the
poor (a Dinsos registry holds mostly DTSEN deciles 1-4), GPS points for some houses, and PPKS
statuses (elderly without care, disability, poverty, neglected children, women at risk,
flood victims) in every kecamatan.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Role
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.choices import Education, Religion, Sex
from garda.wilayah.models import Level, Wilayah

from . import services
from .models import (
    Disability,
    DuplicateCandidate,
    Individu,
    Keluarga,
    Marital,
    PpksStatus,
    PpksType,
    Relation,
)
from .names import name_key

SEED = 190102
TODAY = datetime.date(2026, 1, 1)  # the demo's "today": ages, KK issue and assessment dates
DISTRICT = "19.01"
HOUSEHOLDS = 3000
ACTOR = "admin"  # the demo account recorded as having loaded the residents
DESIL_SOURCE = "DTSEN Kemensos (triwulan IV 2025)"
DESIL_DATE = datetime.date(2025, 10, 1)

# Households per kecamatan, roughly as the population (BPS 2024): Sungailiat and Belinyu lead.
KECAMATAN_WEIGHT = {
    "19.01.01": 30,  # Sungailiat
    "19.01.02": 17,  # Belinyu
    "19.01.03": 9,  # Merawang
    "19.01.04": 13,  # Mendo Barat
    "19.01.05": 10,  # Pemali
    "19.01.06": 6,  # Bakam
    "19.01.07": 8,  # Riau Silip
    "19.01.08": 7,  # Puding Besar
}
CHINESE_SHARE = {
    "19.01.01": 0.25,
    "19.01.02": 0.35,
    "19.01.03": 0.12,
    "19.01.04": 0.05,
    "19.01.05": 0.2,
    "19.01.06": 0.05,
    "19.01.07": 0.12,
    "19.01.08": 0.1,
}
JAVANESE_SHARE = 0.08
# Rough centres of the kecamatan (lat, lon), for the GPS points of houses.
CENTRES = {
    "19.01.01": (-1.86, 106.11),
    "19.01.02": (-1.64, 105.77),
    "19.01.03": (-2.04, 106.06),
    "19.01.04": (-2.08, 105.96),
    "19.01.05": (-1.85, 106.03),
    "19.01.06": (-1.93, 105.82),
    "19.01.07": (-1.74, 105.88),
    "19.01.08": (-1.99, 105.88),
}
TOWNS = {
    "19.01.01": "Sungailiat",
    "19.01.02": "Belinyu",
    "19.01.03": "Merawang",
    "19.01.04": "Mendo Barat",
    "19.01.05": "Pemali",
    "19.01.06": "Bakam",
    "19.01.07": "Riau Silip",
    "19.01.08": "Puding Besar",
}
ELSEWHERE = ["Pangkalpinang", "Mentok", "Koba", "Toboali", "Palembang", "Jakarta", "Tegal"]
DESIL_WEIGHTS = [22, 18, 14, 11, 9, 7, 6, 5, 4, 4]

MUHAMMAD = ["Muhammad", "Muhamad", "Moh.", "M.", "Mochammad", "Mohammad"]
MALAY_MALE = [
    "Rizal", "Syahrial", "Zulkarnain", "Rusdi", "Hamdan", "Azhari", "Firmansyah", "Suhaimi",
    "Ismail", "Jamaludin", "Marzuki", "Hasbullah", "Darmansyah", "Husni", "Kamaruddin",
    "Mulyadi", "Sahrudin", "Junaidi", "Ridwan", "Yusuf", "Fauzi", "Ahmad", "Achmad", "Rahmat",
    "Chairul", "Khairul", "Abdul Rahman", "Abdurrahman", "Syafrudin", "Herman", "Iskandar",
    "Amran", "Zainal", "Arifin", "Safarudin", "Rosidi", "Hendri", "Edi", "Irwan", "Yusran",
]  # fmt: skip
MALAY_MALE_SECOND = [
    "", "", "", "Effendi", "Hamid", "Saputra", "Rahman", "Yusuf", "Abdullah", "Syarif",
    "Hidayat", "Ramadhan", "Anwar", "Fauzi", "Hasan",
]  # fmt: skip
MALAY_FEMALE = [
    "Nurhayati", "Nur Hayati", "Rosmawati", "Aisyah", "Herawati", "Yusnani", "Masnah",
    "Rohana", "Fatimah", "Salbiah", "Juwita", "Nurlela", "Zainab", "Halimah", "Rusmini",
    "Aminah", "Maryani", "Sumarni", "Elvi", "Siti Aminah", "Sitti Rohani", "Siti Khadijah",
    "Siti Chadijah", "Nurul Hidayah", "Yuliana", "Rahmawati", "Suryani", "Marlina", "Fitri",
    "Nuraini", "Asmah", "Rosita", "Hasnah", "Erna", "Yanti", "Noerhasanah", "Nurjanah",
]  # fmt: skip
MALAY_FEMALE_SECOND = [
    "", "", "Safitri", "Wati", "Sari", "Rahayu", "Yanti", "Hasanah", "Ningsih",
    "Puspita", "Lestari",
]  # fmt: skip
JAVANESE_MALE = [
    "Slamet", "Sugiyanto", "Suparman", "Joko", "Djoko", "Bambang", "Sutrisno", "Wahyudi", "Eko",
    "Sugeng", "Budi", "Agus", "Heru", "Teguh", "Supriyadi", "Soeparno", "Tjipto", "Sukardi",
]  # fmt: skip
JAVANESE_MALE_SECOND = [
    "", "Santoso", "Prasetyo", "Susilo", "Widodo", "Purnomo", "Wibowo", "Hartono", "Setiawan",
]  # fmt: skip
JAVANESE_FEMALE = [
    "Sri", "Suwarni", "Sumiati", "Tri", "Endang", "Sulastri", "Ngatini", "Dwi", "Sri Wahyuni",
    "Siti Mardiyah", "Poerwati", "Sudarmi",
]  # fmt: skip
JAVANESE_FEMALE_SECOND = [
    "", "Wahyuni", "Lestari", "Handayani", "Astuti", "Rahayu", "Susilowati", "Rahmawati",
]  # fmt: skip
CHINESE_SURNAMES = [
    "Lie", "Bong", "Tjhin", "Chin", "Liong", "Phang", "Lim", "Tan", "Liu", "Wong", "Fung",
    "Tjong", "Kho", "Jap", "Lai", "Tjhai",
]  # fmt: skip
CHINESE_MALE = [
    "Kim Hin", "Fuk Sin", "Ket Nyan", "Siu Kong", "A Siong", "Tet Fo", "Jun Fat", "Khiun Fo",
    "Sui Lin", "Min Kiong", "Nam Fo", "Tjoen Hin",
]  # fmt: skip
CHINESE_FEMALE = [
    "Siu Lan", "Mei Fung", "Nyuk Fa", "Kiauw Fa", "Moi Lan", "Lian Hiung", "Jit Moi",
    "Sui Fa", "Fung Moi", "Nyuk Lan", "Kui Fa",
]  # fmt: skip
CHINESE_FAMILY = ["Wijaya", "Halim", "Gunawan", "Santoso", "Tanoto", "Kurniawan", "Susanto"]
CHINESE_MODERN_MALE = ["Hendra", "Hendry", "Rudy", "Johan", "Kevin", "Steven", "Andi", "Jimmy"]
CHINESE_MODERN_FEMALE = ["Susanti", "Meliana", "Lili", "Fenny", "Jessica", "Cindy", "Lina"]
MODERN_MALE = [
    "Rizky", "Aditya", "Fajar", "Dimas", "Bayu", "Reza", "Akbar", "Raffi", "Alif", "Fikri",
    "Ilham", "Arya", "Farhan", "Habib", "Dafa",
]  # fmt: skip
MODERN_FEMALE = [
    "Putri", "Aulia", "Nabila", "Salsabila", "Anisa", "Dinda", "Zahra", "Nayla", "Intan",
    "Ayu", "Citra", "Keisha", "Aisyah", "Tiara", "Amelia",
]  # fmt: skip
MODERN_MALE_SECOND = ["Ramadhan", "Pratama", "Saputra", "Maulana", "Hidayat", "Nugraha"]
MODERN_FEMALE_SECOND = ["Ramadhani", "Putri", "Lestari", "Maharani", "Anggraini", "Safitri"]

STREETS = [
    "Jl. Raya", "Jl. Masjid", "Jl. Pantai", "Gg. Melati", "Jl. Pelabuhan", "Jl. Sekolah",
    "Jl. Kebun Lada", "Jl. Pasar", "Jl. Batin Tikal", "Jl. Depati Amir", "Gg. Kenanga",
]  # fmt: skip
DUSUN = ["Dusun I", "Dusun II", "Dusun III", "Dusun IV", "Dusun V"]
# (floor, wall, roof, water, toilet, lighting) options, poorest first.
HOUSING = [
    ("tanah", "papan", "daun/rumbia", "sumur tidak terlindung", "tidak ada", "bukan listrik"),
    ("papan", "papan", "seng", "sumur terlindung", "jamban bersama", "PLN 450 VA"),
    ("semen", "papan dan bata", "seng", "sumur bor", "jamban sendiri", "PLN 900 VA"),
    ("keramik", "tembok", "genteng", "air isi ulang", "jamban sendiri", "PLN 1300 VA"),
]
OCCUPATIONS_MAN = [
    "Nelayan", "Petani lada", "Pekebun karet", "Buruh harian lepas", "Penambang timah",
    "Pedagang", "Wiraswasta", "Sopir", "Tukang bangunan", "Pekebun sawit",
]  # fmt: skip
OCCUPATIONS_WOMAN = [
    "Mengurus rumah tangga", "Mengurus rumah tangga", "Mengurus rumah tangga", "Pedagang",
    "Buruh harian lepas", "Petani lada", "Penjahit", "Guru honorer",
]  # fmt: skip

# The same person entered twice: (first record, second record, sex, origin). The name keys are
# equal (or nearly: a trailing h, a typo), the birth date and the desa the same: each pair is a
# review candidate.
DUPLICATE_PAIRS = [
    ("Muhammad Ridwan Hakim", "Moh. Ridwan Hakim", Sex.L, "malay"),
    ("Nurhayati Kartika", "Nur Hayati Kartika", Sex.P, "malay"),
    ("Siti Aminah Zubaidah", "Sitti Aminah Zubaidah", Sex.P, "malay"),
    ("Djoko Prasetyo Utomo", "Joko Prasetyo Utomo", Sex.L, "java"),
    ("Achmad Fauzi Hasan", "Ahmad Fauzi Hasan", Sex.L, "malay"),
    ("Abdul Rahman Syarif", "Abdurrahman Syarif", Sex.L, "malay"),
    ("Tjhin Nyuk Moi", "Chin Nyuk Moi", Sex.P, "chinese"),
    ("Chairul Anwar Hamid", "Khairul Anwar Hamid", Sex.L, "malay"),
    ("Hendry Gunawan Lim", "Hendri Gunawan Lim", Sex.L, "chinese"),
    ("Rusmini Kurniasih", "Rusmani Kurniasih", Sex.P, "malay"),
    ("Mochammad Yusuf Effendi", "M. Yusuf Effendi", Sex.L, "malay"),
    ("Fatimah Azzahra", "Fatima Azzahra", Sex.P, "malay"),
]
MAX_MEMBERS = 6


@dataclass
class PersonPlan:
    id: uuid.UUID
    nik: str
    name: str
    sex: str
    birth_date: datetime.date
    relation: str
    birth_place: str
    mother_name: str
    marital: str
    religion: str
    education: str
    occupation: str
    disability: str = ""
    is_deceased: bool = False
    died_on: datetime.date | None = None
    moved_out: bool = False
    ppks: list[tuple[int, datetime.date, datetime.date | None]] = field(default_factory=list)
    duplicate_of: str = ""  # the NIK of the first record, for a planned duplicate


@dataclass
class HouseholdPlan:
    id: uuid.UUID
    no_kk: str
    wilayah: str
    data: dict[str, Any]
    origin: str = "malay"
    members: list[PersonPlan] = field(default_factory=list)
    ppks: list[tuple[int, datetime.date, datetime.date | None]] = field(default_factory=list)


@dataclass(frozen=True)
class DemoResidents:
    households: int
    residents: int
    created_households: int
    created_residents: int
    created_ppks: int
    duplicates: int


class _Planner:
    """Plans the population. Every choice comes from one seeded generator, in a fixed order."""

    def __init__(self, villages: list[tuple[str, str]]) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
        self.villages = villages
        self.serials: dict[str, int] = {}
        self.households: list[HouseholdPlan] = []

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def serial(self, prefix: str) -> str:
        """The next serial for a NIK or No KK prefix (DDMMYY...), from a small random start."""
        if prefix not in self.serials:
            self.serials[prefix] = self.rng.randint(0, 40)
        self.serials[prefix] += 1
        return f"{prefix}{self.serials[prefix]:04d}"

    def nik(self, kecamatan: str, born: datetime.date, sex: str) -> str:
        if self.rng.random() < 0.06:  # first issued in another kecamatan of the district
            kecamatan = self.rng.choice(list(KECAMATAN_WEIGHT))
        day = born.day + (40 if sex == Sex.P else 0)
        return self.serial(f"1901{kecamatan[-2:]}{day:02d}{born.month:02d}{born.year % 100:02d}")

    def date_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def born_aged(self, low: int, high: int) -> datetime.date:
        return self.date_between(
            TODAY.replace(year=TODAY.year - high - 1) + datetime.timedelta(days=1),
            TODAY.replace(year=TODAY.year - low) - datetime.timedelta(days=1),
        )

    # --- the plan --------------------------------------------------------------------------

    def plan(self) -> list[HouseholdPlan]:
        for desa, count in self.household_counts():
            for _index in range(count):
                self.households.append(self.household(desa))
        self.duplicates()
        return self.households

    def household_counts(self) -> list[tuple[str, int]]:
        """Households per desa: the kecamatan's share, spread unevenly over its desa."""
        total = sum(KECAMATAN_WEIGHT.values())
        counts: list[tuple[str, int]] = []
        for kecamatan, weight in KECAMATAN_WEIGHT.items():
            own = [code for code, _name in self.villages if code.startswith(kecamatan + ".")]
            if not own:
                continue
            share = [self.rng.uniform(0.6, 1.6) for _ in own]
            budget = round(HOUSEHOLDS * weight / total)
            per_desa = [max(8, round(budget * s / sum(share))) for s in share]
            counts.extend(zip(own, per_desa, strict=True))
        return counts

    def household(self, desa: str) -> HouseholdPlan:
        rng = self.rng
        kecamatan = desa.rsplit(".", 1)[0]
        roll = rng.random()
        origin = (
            "chinese"
            if roll < CHINESE_SHARE[kecamatan]
            else "java"
            if roll < CHINESE_SHARE[kecamatan] + JAVANESE_SHARE
            else "malay"
        )
        desil = rng.choices(range(1, 11), weights=DESIL_WEIGHTS)[0]
        if origin == "chinese" and desil < 10 and rng.random() < 0.3:
            desil += 1
        in_dtsen = rng.random() > 0.08
        family_name = rng.choice(CHINESE_FAMILY) if origin == "chinese" else ""
        surname = rng.choice(CHINESE_SURNAMES) if origin == "chinese" else ""
        religion = (
            rng.choice([Religion.BUDDHA, Religion.BUDDHA, Religion.KONGHUCU, Religion.KRISTEN])
            if origin == "chinese"
            else rng.choice([Religion.ISLAM] * 12 + [Religion.KRISTEN, Religion.KATOLIK])
            if origin == "java"
            else Religion.ISLAM
        )
        members: list[PersonPlan] = []

        def person(relation: str, sex: str, born: datetime.date, **extra: Any) -> PersonPlan:
            # Chinese-Indonesian families share a surname through the men; wives keep theirs.
            blood = relation in (Relation.KEPALA, Relation.ANAK, Relation.CUCU) or (
                relation == Relation.ORANG_TUA and sex == Sex.L
            )
            own_surname, own_family = (surname, family_name) if blood else ("", "")
            mother_born = born.replace(year=born.year - 25, day=min(born.day, 28))
            plan = PersonPlan(
                id=self.uuid(),
                nik=self.nik(kecamatan, born, sex),
                name=extra.pop("name", "") or self.name(origin, sex, born, own_surname, own_family),
                sex=sex,
                birth_date=born,
                relation=relation,
                birth_place=self.birth_place(kecamatan),
                mother_name=extra.pop("mother_name", "")
                or self.name(origin, Sex.P, mother_born, "", ""),
                marital=extra.pop("marital", Marital.KAWIN),
                religion=religion,
                education=self.education(born),
                occupation=self.occupation(sex, born, relation),
                **extra,
            )
            if rng.random() < 0.025 + (0.06 if born.year < 1960 else 0):
                plan.disability = rng.choice(list(Disability))
            members.append(plan)
            return plan

        head_sex = Sex.L if rng.random() < 0.84 else Sex.P
        head_born = self.born_aged(23, 82)
        if head_sex == Sex.L:
            head = person(Relation.KEPALA, Sex.L, head_born)
            wife_born = self.born_aged(max(19, _age(head_born) - 12), _age(head_born) + 1)
            mother = person(Relation.ISTRI_SUAMI, Sex.P, wife_born) if rng.random() < 0.9 else None
            if mother is None:
                head.marital = rng.choice([Marital.CERAI_MATI, Marital.CERAI_HIDUP])
        else:
            marital = rng.choice([Marital.CERAI_MATI] * 3 + [Marital.CERAI_HIDUP])
            head = mother = person(Relation.KEPALA, Sex.P, head_born, marital=marital)
        children = rng.choices([0, 1, 2, 3, 4], weights=[12, 22, 30, 22, 14])[0]
        if mother is not None:
            mother_age = _age(mother.birth_date)
            for _child in range(children):
                earliest = max(mother_age - 42, 0)
                latest = mother_age - 19
                if latest < earliest or len(members) >= MAX_MEMBERS - 1:
                    break
                born = self.born_aged(earliest, latest)
                sex = rng.choice([Sex.L, Sex.P])
                age = _age(born)
                married = age > 24 and rng.random() < 0.3
                person(
                    Relation.ANAK,
                    sex,
                    born,
                    mother_name=mother.name,
                    marital=Marital.KAWIN if married else Marital.BELUM,
                )
        if rng.random() < 0.13 and len(members) < MAX_MEMBERS and _age(head.birth_date) < 62:
            parent_sex = Sex.P if rng.random() < 0.7 else Sex.L
            parent_born = self.born_aged(
                min(_age(head.birth_date) + 20, 95), min(_age(head.birth_date) + 40, 96)
            )
            parent = person(
                Relation.ORANG_TUA if rng.random() < 0.6 else Relation.MERTUA,
                parent_sex,
                parent_born,
                marital=Marital.CERAI_MATI,
            )
            if parent.relation == Relation.ORANG_TUA and parent_sex == Sex.P:
                head.mother_name = parent.name
        if len(members) < 2:  # someone living alone shares the KK with a grandchild or relative
            born = self.born_aged(6, 20)
            person(Relation.CUCU, rng.choice([Sex.L, Sex.P]), born, marital=Marital.BELUM)
        self.fates(members, desil)
        youngest = max(m.birth_date for m in members)
        issued = self.date_between(max(youngest, datetime.date(2008, 1, 1)), TODAY)
        no_kk = self.serial(f"1901{kecamatan[-2:]}{issued:%d%m%y}")
        household = HouseholdPlan(
            id=self.uuid(),
            no_kk=no_kk,
            wilayah=desa,
            data=self.household_data(kecamatan, desil if in_dtsen else None),
            origin=origin,
            members=members,
        )
        self.household_ppks(household, head)
        return household

    def name(
        self, origin: str, sex: str, born: datetime.date, surname: str, family_name: str
    ) -> str:
        rng = self.rng
        young = born.year >= 1995
        female = sex == Sex.P
        if origin == "chinese":
            if young or rng.random() < 0.4:
                given = rng.choice(CHINESE_MODERN_FEMALE if female else CHINESE_MODERN_MALE)
                return f"{given} {family_name or rng.choice(CHINESE_FAMILY)}"
            given = rng.choice(CHINESE_FEMALE if female else CHINESE_MALE)
            return f"{surname or rng.choice(CHINESE_SURNAMES)} {given}"
        if young and rng.random() < 0.6:
            pools = (
                (MODERN_FEMALE, MODERN_FEMALE_SECOND)
                if female
                else (MODERN_MALE, MODERN_MALE_SECOND)
            )
        elif origin == "java":
            pools = (
                (JAVANESE_FEMALE, JAVANESE_FEMALE_SECOND)
                if female
                else (JAVANESE_MALE, JAVANESE_MALE_SECOND)
            )
        else:
            pools = (
                (MALAY_FEMALE, MALAY_FEMALE_SECOND) if female else (MALAY_MALE, MALAY_MALE_SECOND)
            )
        first, second = rng.choice(pools[0]), rng.choice(pools[1])
        if not female and origin == "malay" and rng.random() < 0.22:
            first = f"{rng.choice(MUHAMMAD)} {first}"
        if not second or second.lower() in first.lower() or first.lower() in second.lower():
            return first
        return f"{first} {second}"

    def birth_place(self, kecamatan: str) -> str:
        roll = self.rng.random()
        if roll < 0.75:
            return TOWNS[kecamatan]
        if roll < 0.9:
            return "Pangkalpinang"
        return self.rng.choice(ELSEWHERE)

    def education(self, born: datetime.date) -> str:
        age = _age(born)
        if age < 7:
            return Education.TIDAK
        if age < 13:
            return Education.SD
        if age < 16:
            return Education.SMP
        if age < 19:
            return Education.SMA
        weights = [10, 35, 22, 25, 3, 5, 0] if age > 45 else [2, 15, 22, 45, 6, 10, 0]
        return self.rng.choices(list(Education), weights=weights)[0]

    def occupation(self, sex: str, born: datetime.date, relation: str) -> str:
        age = _age(born)
        if age < 18:
            return "Pelajar" if age >= 6 else "Belum bekerja"
        if age >= 68:
            return "Tidak bekerja"
        if age < 23 and self.rng.random() < 0.5:
            return "Pelajar/Mahasiswa"
        return self.rng.choice(OCCUPATIONS_WOMAN if sex == Sex.P else OCCUPATIONS_MAN)

    def fates(self, members: list[PersonPlan], desil: int) -> None:
        """Deaths, moves and the PPKS statuses of people."""
        rng = self.rng
        for member in members:
            age = _age(member.birth_date)
            if age > 70 and member.relation != Relation.KEPALA and rng.random() < 0.06:
                member.is_deceased = True
                member.died_on = self.date_between(datetime.date(2023, 1, 1), TODAY)
                continue
            if 19 < age < 30 and member.relation == Relation.ANAK and rng.random() < 0.05:
                member.moved_out = True
            if age >= 65 and desil <= 3 and rng.random() < 0.35:
                member.ppks.append(self.ppks_dates(8))  # Lanjut Usia Terlantar
            if member.disability and rng.random() < 0.8:
                member.ppks.append(self.ppks_dates(9))  # Penyandang Disabilitas
            if age < 5 and desil == 1 and rng.random() < 0.04:
                member.ppks.append(self.ppks_dates(1))  # Anak Balita Terlantar
            elif 5 <= age < 18 and desil <= 2 and rng.random() < 0.04:
                member.ppks.append(self.ppks_dates(2))  # Anak Terlantar

    def household_ppks(self, household: HouseholdPlan, head: PersonPlan) -> None:
        rng = self.rng
        desil = household.data["desil"] or 11
        if desil == 1 and rng.random() < 0.5:
            household.ppks.append(self.ppks_dates(24))  # Fakir Miskin
        if (
            head.sex == Sex.P
            and head.marital in (Marital.CERAI_MATI, Marital.CERAI_HIDUP)
            and desil <= 3
            and rng.random() < 0.5
        ):
            head.ppks.append(self.ppks_dates(23))  # Perempuan Rawan Sosial Ekonomi
        if household.wilayah in FLOODED and rng.random() < 0.2:
            household.ppks.append(self.ppks_dates(21, resolved_share=0.5))  # Korban Bencana Alam

    def ppks_dates(
        self, number: int, resolved_share: float = 0.1
    ) -> tuple[int, datetime.date, datetime.date | None]:
        assessed = self.date_between(datetime.date(2023, 6, 1), TODAY - datetime.timedelta(60))
        resolved = None
        if self.rng.random() < resolved_share:
            resolved = self.date_between(assessed + datetime.timedelta(days=30), TODAY)
        return number, assessed, resolved

    def household_data(self, kecamatan: str, desil: int | None) -> dict[str, Any]:
        rng = self.rng
        level = 0 if desil is None else min(3, max(0, (desil - 1) // 3 + rng.choice([-1, 0, 0, 1])))
        housing = [rng.choice([HOUSING[level][i], HOUSING[min(3, level + 1)][i]]) for i in range(6)]
        data: dict[str, Any] = {
            "dusun": rng.choice(DUSUN),
            "rt": f"{rng.randint(1, 15):03d}",
            "rw": f"{rng.randint(1, 5):03d}",
            "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}",
            "desil": desil,
            "desil_source": DESIL_SOURCE if desil else "",
            "desil_date": DESIL_DATE if desil else None,
            "floor": housing[0],
            "wall": housing[1],
            "roof": housing[2],
            "water": housing[3],
            "sanitation": housing[4],
            "electricity": housing[5],
            "latitude": None,
            "longitude": None,
        }
        if rng.random() < 0.4:
            lat, lon = CENTRES[kecamatan]
            data["latitude"] = _degrees(lat + rng.uniform(-0.04, 0.04), -2.2, -1.5)
            data["longitude"] = _degrees(lon + rng.uniform(-0.04, 0.04), 105.7, 106.2)
        return data

    def duplicates(self) -> None:
        """For each pair, one planned adult takes the first name and a second record with the
        variant name, same birth date and mother, is added to another household of the desa."""
        rng = self.rng
        favoured = [h for h in self.households if h.wilayah.startswith(("19.01.01", "19.01.02"))]
        used: set[str] = set()
        for first_name, second_name, sex, origin in DUPLICATE_PAIRS:
            while True:
                home = rng.choice(favoured)
                adults = [
                    m
                    for m in home.members
                    if m.sex == sex
                    and 25 <= _age(m.birth_date) <= 70
                    and not m.is_deceased
                    and m.nik not in used
                ]
                hosts = [
                    h
                    for h in self.households
                    if h.wilayah == home.wilayah and h is not home and len(h.members) < MAX_MEMBERS
                ]
                if home.origin == origin and adults and hosts:
                    break
            original = adults[0]
            used.add(original.nik)
            _rename(home, original, first_name)
            host = rng.choice(hosts)
            kecamatan = host.wilayah.rsplit(".", 1)[0]
            host.members.append(
                PersonPlan(
                    id=self.uuid(),
                    nik=self.nik(kecamatan, original.birth_date, sex),
                    name=second_name,
                    sex=sex,
                    birth_date=original.birth_date,
                    relation=Relation.FAMILI,
                    birth_place=original.birth_place,
                    mother_name=original.mother_name,
                    marital=original.marital,
                    religion=original.religion,
                    education=original.education,
                    occupation=original.occupation,
                    duplicate_of=original.nik,
                )
            )


def _rename(household: HouseholdPlan, person: PersonPlan, name: str) -> None:
    """Give a planned person another name, and their children their new mother's name."""
    for member in household.members:
        if member.mother_name == person.name and member is not person:
            member.mother_name = name
    person.name = name


# Desa along the rivers and coast that flood (the January floods of Belinyu and Sungailiat).
FLOODED = frozenset({"19.01.02.2007", "19.01.02.1002", "19.01.01.1006", "19.01.03.2001"})


def _age(born: datetime.date) -> int:
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def _degrees(value: float, low: float, high: float) -> Decimal:
    return Decimal(f"{min(high, max(low, value)):.6f}")


def plan_demo_residents() -> list[HouseholdPlan]:
    """The whole demo population, the same on every run (for the villages loaded)."""
    villages = list(
        Wilayah.objects.within(DISTRICT)
        .filter(level=Level.DESA, is_active=True)
        .order_by("code")
        .values_list("code", "name")
    )
    return _Planner(villages).plan()


@transaction.atomic
def build_demo_residents() -> DemoResidents:
    """Write what is missing of the planned population; a second run writes nothing."""
    plan = plan_demo_residents()
    known_kk = dict(
        Keluarga.objects.within(DISTRICT).values_list("no_kk_hash", "pk").iterator(chunk_size=5000)
    )
    known_nik = set(
        Individu.objects.within(DISTRICT).values_list("nik_hash", flat=True).iterator(5000)
    )
    types = dict(PpksType.objects.values_list("number", "pk"))
    assessors = _assessors()
    households: list[Keluarga] = []
    residents: list[Individu] = []
    statuses: list[PpksStatus] = []
    duplicates: list[Individu] = []
    for planned in plan:
        kk_hash = services.no_kk_hash(planned.no_kk)
        keluarga_id = known_kk.get(kk_hash)
        assessor = assessors.get(planned.wilayah) or assessors.get(planned.wilayah[:8])
        if keluarga_id is None:
            keluarga_id = planned.id
            households.append(
                Keluarga(
                    id=planned.id,
                    no_kk=planned.no_kk,
                    no_kk_hash=kk_hash,
                    wilayah_id=planned.wilayah,
                    **planned.data,
                )
            )
            statuses.extend(
                _status(
                    types[number], assessed, resolved, planned.wilayah, assessor, planned.id, None
                )
                for number, assessed, resolved in planned.ppks
            )
        for member in planned.members:
            nik_hash = services.nik_hash(member.nik)
            if nik_hash in known_nik:
                continue
            resident = _resident(member, nik_hash, keluarga_id, planned.wilayah)
            residents.append(resident)
            if member.duplicate_of:
                duplicates.append(resident)
            statuses.extend(
                _status(
                    types[number], assessed, resolved, planned.wilayah, assessor, None, member.id
                )
                for number, assessed, resolved in member.ppks
            )
    Keluarga.objects.bulk_create(households, batch_size=1000)
    Individu.objects.bulk_create(residents, batch_size=1000)
    PpksStatus.objects.bulk_create(statuses, batch_size=1000)
    queued = sum(len(services.duplicates_queue(individu=r)) for r in duplicates)
    if households or residents:
        audit_record(
            actor=User.objects.filter(username=ACTOR).first() or ACTOR,
            action=Action.CREATE,
            object_type="registry.keluarga",
            object_repr=_("Demo residents of Kabupaten Bangka"),
            wilayah_code=DISTRICT,
            changes={
                "households": [None, len(households)],
                "residents": [None, len(residents)],
                "ppks_statuses": [None, len(statuses)],
                "possible_duplicates": [None, queued],
            },
        )
    return DemoResidents(
        households=len(plan),
        residents=sum(len(h.members) for h in plan),
        created_households=len(households),
        created_residents=len(residents),
        created_ppks=len(statuses),
        duplicates=DuplicateCandidate.objects.within(DISTRICT).count(),
    )


def _assessors() -> dict[str, Any]:
    """Region code -> the demo account that assessed PPKS there: the PSM of the desa, else the
    coordinator of the kecamatan."""
    found: dict[str, Any] = {}
    for assignment in (
        RoleAssignment.objects.within(DISTRICT)
        .filter(role__in=[Role.PSM, Role.KOORDINATOR], valid_to__isnull=True)
        .order_by("wilayah_id", "created_at")
    ):
        found.setdefault(assignment.wilayah_id, assignment.user_id)
    return found


def _resident(member: PersonPlan, nik_hash: str, keluarga_id: uuid.UUID, wilayah: str) -> Individu:
    name = " ".join(member.name.split())
    return Individu(
        id=member.id,
        nik=member.nik,
        nik_hash=nik_hash,
        keluarga_id=keluarga_id,
        relation=member.relation,
        wilayah_id=wilayah,
        name=name,
        name_key=name_key(name),
        sex=member.sex,
        birth_place=member.birth_place,
        birth_date=member.birth_date,
        mother_name=member.mother_name,
        mother_key=name_key(member.mother_name),
        marital=member.marital,
        religion=member.religion,
        education=member.education,
        occupation=member.occupation,
        disability=member.disability,
        is_deceased=member.is_deceased,
        died_on=member.died_on,
        moved_out=member.moved_out,
    )


def _status(
    type_id: int,
    assessed: datetime.date,
    resolved: datetime.date | None,
    wilayah: str,
    assessor: Any,
    keluarga_id: uuid.UUID | None,
    individu_id: uuid.UUID | None,
) -> PpksStatus:
    return PpksStatus(
        ppks_type_id=type_id,
        keluarga_id=keluarga_id,
        individu_id=individu_id,
        wilayah_id=wilayah,
        assessed_on=assessed,
        resolved_on=resolved,
        assessor_id=assessor,
        note="Asesmen PSM (data demo)",
    )
