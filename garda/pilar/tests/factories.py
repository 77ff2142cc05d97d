"""Test data made by the real actions: members are registered through `pilar_register`,
decrees and trainings added through their services, by a Dinas administrator of the area."""

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
from ..models import PSM, Decree, IpsmOfficer, Pilar, PilarType, Position, Status, Training

# "Another district" of the `bangka` fixture is only its kabupaten row; these test regions give
# it a kecamatan and a desa, so an out-of-area member can be a PSM like any other.
SUNGAILIAT_DESA = "19.01.01.1001"

_serial = itertools.count(1)


def dinas_admin(code: str = BANGKA) -> User:
    """An administrator of the district holding `code`."""
    district = ".".join(code.split(".")[:2])
    if district == OTHER_DISTRICT:
        other_district()
    return make_user(Role.ADMIN_DINAS, district)


def next_nik(*, kecamatan: str = "190102", birth: str = "450790") -> str:
    """A valid NIK of a woman born 05-07-1990 (day + 40), issued in Belinyu, new each call."""
    return f"{kecamatan}{birth}{next(_serial):04d}"


def register(
    *,
    code: str = LUMUT,
    jenis: str = PSM,
    actor: User | None = None,
    status: str = Status.AKTIF,
    **data: Any,
) -> Pilar:
    """Register a member serving in `code` through the real service."""
    if code.startswith(OTHER_DISTRICT + "."):
        other_district()
    kind = PilarType.objects.get(code=jenis)
    if not kind.is_organisation:
        data.setdefault("nik", next_nik())
        data.setdefault("sex", "P")
        data.setdefault("birth_date", datetime.date(1990, 7, 5))
    data.setdefault("name", f"Anggota {next(_serial)}")
    return services.pilar_register(
        actor=actor or dinas_admin(code),
        jenis=kind,
        wilayah=Wilayah.objects.get(code=code),
        data=data,
        status=status,
    )


def register_psm(*, code: str = LUMUT, **kwargs: Any) -> Pilar:
    return register(code=code, jenis=PSM, **kwargs)


def psm_with_account(*, code: str = LUMUT, username: str | None = None, **kwargs: Any) -> Pilar:
    """A PSM who logs in as themself (their account holds the PSM role in their desa)."""
    actor = kwargs.pop("actor", None) or dinas_admin(code)
    pilar = register_psm(code=code, actor=actor, **kwargs)
    user, _password = services.pilar_account_create(
        actor=actor, pilar=pilar, username=username or f"psm{next(_serial)}"
    )
    # As if they had logged in once and chosen their own password.
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    pilar.refresh_from_db()
    return pilar


def account_of(pilar: Pilar) -> User:
    """The member's own account (made by `psm_with_account`)."""
    assert pilar.user is not None
    return pilar.user


def pdf_upload(name: str = "sk.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")


def jpeg_upload(name: str = "foto.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")


def add_decree(pilar: Pilar, *, actor: User | None = None, scan: bool = True) -> Decree:
    return services.decree_add(
        actor=actor or dinas_admin(pilar.wilayah_id),
        pilar=pilar,
        number=f"188.45/{next(_serial)}/DINSOS/2024",
        issued_on=datetime.date(2024, 1, 10),
        signed_by="Kepala Dinas Sosial",
        valid_from=datetime.date(2024, 1, 10),
        valid_until=datetime.date(2026, 12, 31),
        scan=pdf_upload() if scan else None,
    )


def add_training(pilar: Pilar, *, actor: User | None = None, certificate: bool = True) -> Training:
    return services.training_add(
        actor=actor or dinas_admin(pilar.wilayah_id),
        pilar=pilar,
        kind="bimtek_dasar",
        organiser="Dinas Sosial Kabupaten Bangka",
        start=datetime.date(2023, 5, 2),
        end=datetime.date(2023, 5, 4),
        certificate=jpeg_upload("sertifikat.jpg") if certificate else None,
    )


def appoint(
    pilar: Pilar,
    *,
    code: str,
    position: str = Position.KETUA,
    actor: User | None = None,
    term_start: datetime.date = datetime.date(2024, 1, 1),
) -> IpsmOfficer:
    return services.officer_appoint(
        actor=actor or dinas_admin(code),
        pilar=pilar,
        wilayah=Wilayah.objects.get(code=code),
        position=position,
        term_start=term_start,
    )
