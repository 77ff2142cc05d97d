"""Demo accounts for the Bangka district: deterministic, idempotent, one shared password."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils.text import slugify

from garda.wilayah.models import Level, Wilayah

from .models import RoleAssignment, User
from .roles import Role

DEMO_PASSWORD = "Garda-Demo-2026"  # noqa: S105 - printed for the demo by design
DEMO_START = datetime.date(2026, 1, 1)
DISTRICT = "19.01"
PILOT_KECAMATAN = "19.01.02"  # Belinyu: every desa has a PSM account
VILLAGES_PER_OTHER_KECAMATAN = 3


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: Role
    region: Wilayah


def demo_logins() -> list[DemoLogin]:
    """Who the demo has, in the order the logins are printed."""
    district = Wilayah.objects.get(code=DISTRICT)
    logins = [
        DemoLogin("admin", "Rina Marlina", Role.ADMIN_DINAS, district),
        DemoLogin("staf", "Dedi Kurniawan", Role.STAF_DINAS, district),
        DemoLogin("kadis", "Hj. Suryani", Role.PIMPINAN, district),
        DemoLogin("pemantau", "Agus Salim", Role.VIEWER, district),
    ]
    kecamatan = Wilayah.objects.within(DISTRICT).filter(level=Level.KECAMATAN).order_by("code")
    for index, kec in enumerate(kecamatan):
        logins.append(
            DemoLogin(f"koord.{slugify(kec.name)}", _person(index), Role.KOORDINATOR, kec)
        )
    taken: set[str] = set()
    for index, desa in enumerate(_psm_villages()):
        username = f"psm.{slugify(desa.name)}"
        if username in taken:  # village names repeat across kecamatan (Riding Panjang)
            username = f"{username}.{slugify(desa.parent.name if desa.parent else desa.code)}"
        taken.add(username)
        logins.append(DemoLogin(username, _person(index + 20), Role.PSM, desa))
    lumut = Wilayah.objects.get(code="19.01.02.2007")
    logins.append(DemoLogin("operator.lumut", "Fajar Hidayat", Role.OPERATOR_DESA, lumut))
    return logins


def _psm_villages() -> list[Wilayah]:
    villages = (
        Wilayah.objects.within(DISTRICT)
        .filter(level=Level.DESA)
        .select_related("parent")
        .order_by("code")
    )
    chosen: list[Wilayah] = []
    per_kecamatan: dict[str, int] = {}
    for desa in villages:
        kecamatan = desa.parent_id or ""
        per_kecamatan[kecamatan] = per_kecamatan.get(kecamatan, 0) + 1
        if kecamatan == PILOT_KECAMATAN or per_kecamatan[kecamatan] <= VILLAGES_PER_OTHER_KECAMATAN:
            chosen.append(desa)
    return chosen


FIRST = [
    "Siti",
    "Ahmad",
    "Nur",
    "Budi",
    "Dewi",
    "Rudi",
    "Yuli",
    "Hendra",
    "Sri",
    "Andi",
    "Lina",
    "Joko",
    "Maya",
    "Irwan",
    "Rahmawati",
    "Fitri",
    "Bambang",
    "Wahyu",
    "Ani",
    "Eko",
]
LAST = [
    "Hayati",
    "Saputra",
    "Lestari",
    "Santoso",
    "Wulandari",
    "Hidayat",
    "Pratama",
    "Susanti",
    "Gunawan",
    "Rahman",
    "Kusuma",
    "Setiawan",
    "Permata",
    "Syahputra",
    "Anggraini",
]


def _person(index: int) -> str:
    return f"{FIRST[index % len(FIRST)]} {LAST[(index * 7) % len(LAST)]}"


def build_demo_accounts() -> list[DemoLogin]:
    logins = demo_logins()
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: once, not per account
    for login in logins:
        user, _created = User.objects.get_or_create(
            username=login.username,
            defaults={"name": login.name, "wilayah": login.region, "password": password},
        )
        RoleAssignment.objects.get_or_create(
            user=user, role=login.role, wilayah=login.region, defaults={"valid_from": DEMO_START}
        )
    return logins
