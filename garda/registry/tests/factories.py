"""Test data made by the real actions: households and residents are registered through the
services by a Dinas administrator of the area, with valid Bangka NIKs and family card numbers.

Names and birth dates differ from one call to the next, so ordinary test residents never look
like duplicates of each other; a test that wants a look-alike says so.
"""

import datetime
import io
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    LUMUT,
    OTHER_DISTRICT,
    make_user,
    other_district,
)
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Individu, Keluarga, PpksStatus, PpksType, Relation

# "Another district" of the `bangka` fixture is only its kabupaten row; these test regions give
# it a kecamatan and a desa, so an out-of-district resident lives in a desa like any other.
SUNGAILIAT_DESA = "19.01.01.1001"

FIRST_NAMES = [
    "Siti",
    "Budi",
    "Rina",
    "Agus",
    "Dewi",
    "Eko",
    "Fitri",
    "Hendra",
    "Indah",
    "Joko",
    "Kartika",
    "Lukman",
    "Maya",
    "Nanda",
    "Oktavia",
    "Putra",
    "Ratna",
    "Sandi",
    "Tari",
    "Usman",
    "Wulan",
    "Yanto",
    "Zainab",
]
LAST_NAMES = [
    "Aminah",
    "Santoso",
    "Wati",
    "Prasetyo",
    "Lestari",
    "Gunawan",
    "Handayani",
    "Kurniawan",
    "Rahayu",
    "Sitompul",
    "Tanjung",
    "Utami",
    "Yulianti",
    "Fadilah",
    "Ismail",
    "Jaya",
    "Oktaviani",
    "Bakri",
    "Chandra",
    "Darmawan",
    "Effendi",
    "Zulkifli",
    "Nasution",
    "Maulana",
    "Pohan",
    "Qomariah",
]

_serial = itertools.count(1)


def district_of(code: str) -> str:
    return ".".join(code.split(".")[:2])


def dinas_admin(code: str = BANGKA) -> User:
    """An administrator of the district holding `code` (who may register residents there)."""
    district = district_of(code)
    if district == OTHER_DISTRICT:
        other_district()
    return make_user(Role.ADMIN_DINAS, district)


def nik_for(birth_date: datetime.date, sex: str, *, serial: int | None = None) -> str:
    """A valid NIK issued in Belinyu (190102) for this birth date and sex (day + 40 for women)."""
    day = birth_date.day + (40 if sex == "P" else 0)
    number = serial if serial is not None else next(_serial)
    return f"190102{day:02d}{birth_date:%m%y}{number % 10000 or 1:04d}"


def next_no_kk() -> str:
    """A valid family card number issued in Belinyu, new each call."""
    return f"190102{datetime.date(2015, 3, 1):%d%m%y}{next(_serial) % 10000 or 1:04d}"


def fresh_name_and_birth() -> tuple[str, datetime.date]:
    """A name and a birth date no other call gives (within a test run)."""
    n = next(_serial)
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = LAST_NAMES[n // len(FIRST_NAMES) % len(LAST_NAMES)]
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=n * 37 % (365 * 60))
    return f"{first} {last}", born


def register_keluarga(
    *, code: str = LUMUT, actor: User | None = None, no_kk: str | None = None, **data: Any
) -> Keluarga:
    if district_of(code) == OTHER_DISTRICT:
        other_district()
    return services.keluarga_register(
        actor=actor or dinas_admin(code),
        no_kk=no_kk or next_no_kk(),
        wilayah=Wilayah.objects.get(code=code),
        data=data,
    )


def person_data(**data: Any) -> dict[str, Any]:
    """A resident's data with the required fields filled in (and a matching NIK)."""
    name, born = fresh_name_and_birth()
    data.setdefault("name", name)
    data.setdefault("sex", "P")
    data.setdefault("birth_date", born)
    data.setdefault("relation", Relation.ANAK)
    if "nik" not in data:
        data["nik"] = nik_for(data["birth_date"], data["sex"])
    return data


def register_individu(
    *,
    keluarga: Keluarga | None = None,
    code: str = LUMUT,
    actor: User | None = None,
    **data: Any,
) -> Individu:
    """A resident registered through the real service (in a new household unless given)."""
    if keluarga is None:
        keluarga = register_keluarga(code=code, actor=actor)
    registered = services.individu_register(
        actor=actor or dinas_admin(keluarga.wilayah_id), keluarga=keluarga, data=person_data(**data)
    )
    return registered.individu


def register_family(
    *, code: str = LUMUT, actor: User | None = None, members: int = 0, **head: Any
) -> Keluarga:
    """A household with its head of family and `members` children."""
    actor = actor or dinas_admin(code)
    keluarga = register_keluarga(code=code, actor=actor)
    register_individu(keluarga=keluarga, actor=actor, relation=Relation.KEPALA, **head)
    for _index in range(members):
        register_individu(keluarga=keluarga, actor=actor, relation=Relation.ANAK)
    return keluarga


def ppks_type(number: int = 24) -> PpksType:
    return PpksType.objects.get(number=number)


def assign_ppks(
    subject: Individu | Keluarga,
    *,
    number: int = 24,
    actor: User | None = None,
    evidence: bool = False,
    assessed_on: datetime.date = datetime.date(2025, 1, 15),
) -> PpksStatus:
    return services.ppks_assign(
        actor=actor or dinas_admin(subject.wilayah_id),
        ppks_type=ppks_type(number),
        assessed_on=assessed_on,
        evidence=pdf_upload() if evidence else None,
        individu=subject if isinstance(subject, Individu) else None,
        keluarga=subject if isinstance(subject, Keluarga) else None,
    )


def pdf_upload(name: str = "asesmen.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")


def jpeg_upload(name: str = "rumah.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")
