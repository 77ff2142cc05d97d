"""Test data made by the real actions: PSMs through the pilar services, reports through
`activity_create`, photos with and without EXIF data made by Pillow."""

import datetime
import io
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import LUMUT, make_user
from garda.pilar.models import Pilar
from garda.pilar.tests.factories import psm_with_account
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Activity, ActivityType


def psm(code: str = LUMUT) -> tuple[Pilar, User]:
    """A PSM serving in `code` who logs in as themself."""
    pilar = psm_with_account(code=code)
    assert pilar.user is not None
    return pilar, pilar.user


def coordinator(code: str = "19.01.02") -> User:
    return make_user(Role.KOORDINATOR, code)


def data(code: str = LUMUT, **overrides: Any) -> dict[str, Any]:
    """A report's cleaned data, as the form gives it to the services."""
    values: dict[str, Any] = {
        "jenis": ActivityType.objects.get(code="kunjungan_rumah"),
        "wilayah": Wilayah.objects.get(code=code),
        "occurred_at": timezone.now().replace(microsecond=0) - datetime.timedelta(hours=2),
        "latitude": "-1.612345",
        "longitude": "105.771234",
        "accuracy_m": 12,
        "description": "Kunjungan ke rumah Ibu Siti, lansia terlantar.",
        "participants": 3,
        "program": None,
    }
    values.update(overrides)
    return values


def report(
    user: User,
    *,
    code: str = LUMUT,
    submit: bool = False,
    client_uuid: uuid.UUID | None = None,
    **overrides: Any,
) -> Activity:
    activity, _created = services.activity_create(
        actor=user,
        client_uuid=client_uuid or uuid.uuid4(),
        data=data(code, **overrides),
        submit=submit,
    )
    return activity


def json_data(code: str = LUMUT, **overrides: Any) -> dict[str, Any]:
    """A report's data as the phone sends it."""
    values: dict[str, Any] = {
        "jenis": "kunjungan_rumah",
        "wilayah": code,
        "occurred_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "latitude": "-1.612345",
        "longitude": "105.771234",
        "accuracy_m": "9",
        "description": "Pendampingan penyaluran BPNT di balai desa.",
        "participants": "25",
        "program": None,
        "households": [],
        "individuals": [],
    }
    values.update(overrides)
    return values


def _rational(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def jpeg_bytes(*, exif: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG; with `exif`, taken 2026-03-05 09:30:00 at 1.6°S 105.77°E."""
    image = Image.new("RGB", size, (40, 120, 200))
    buffer = io.BytesIO()
    if not exif:
        image.save(buffer, "JPEG")
        return buffer.getvalue()
    data = Image.Exif()
    data[0x0112] = 1
    data.get_ifd(0x8769)[0x9003] = "2026:03:05 09:30:00"
    gps = data.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = _rational(1.6)
    gps[3] = "E"
    gps[4] = _rational(105.77)
    image.save(buffer, "JPEG", exif=data)
    return buffer.getvalue()


def jpeg_upload(*, exif: bool = False, name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(exif=exif), "image/jpeg")


def heic_upload() -> SimpleUploadedFile:
    """An iPhone-style HEIC photo with the time it was taken."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    data = Image.Exif()
    data.get_ifd(0x8769)[0x9003] = "2026:03:05 09:30:00"
    buffer = io.BytesIO()
    image.save(buffer, format="HEIF", exif=data)
    return SimpleUploadedFile("foto.heic", buffer.getvalue(), "image/heic")
