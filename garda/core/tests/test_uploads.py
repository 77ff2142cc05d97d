import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from garda.core.uploads import DOCUMENT, PHOTO, clean_upload


def image_bytes(fmt: str = "JPEG", size=(3000, 1500), exif_gps: bool = False) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 100, 50))
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "S", 2: (1.0, 2.0, 3.0)}  # GPSInfo
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def test_photo_is_reencoded_resized_and_stripped_of_metadata():
    upload = SimpleUploadedFile("rumah.png", image_bytes("PNG"), "image/png")
    cleaned = clean_upload(upload, PHOTO)
    assert str(cleaned.name).endswith(".jpg")
    with Image.open(cleaned) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 2000


def test_gps_metadata_is_dropped():
    upload = SimpleUploadedFile("a.jpg", image_bytes(exif_gps=True), "image/jpeg")
    cleaned = clean_upload(upload, PHOTO)
    with Image.open(cleaned) as image:
        assert 0x8825 not in image.getexif()


def test_pdf_is_accepted_as_document_not_as_photo():
    pdf = SimpleUploadedFile("sk.pdf", b"%PDF-1.7\n%...", "application/pdf")
    assert str(clean_upload(pdf, DOCUMENT).name).endswith(".pdf")
    pdf.seek(0)
    with pytest.raises(ValidationError):
        clean_upload(pdf, PHOTO)


def test_file_is_judged_by_content_not_name():
    fake = SimpleUploadedFile("foto.jpg", b"<html><script>alert(1)</script>", "image/jpeg")
    with pytest.raises(ValidationError):
        clean_upload(fake, DOCUMENT)


def test_heic_photo_is_converted_to_jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="HEIF")
    assert b"ftyp" in buffer.getvalue()[:16]
    cleaned = clean_upload(SimpleUploadedFile("IMG_1.HEIC", buffer.getvalue(), "image/heic"), PHOTO)
    assert str(cleaned.name).endswith(".jpg")
    with Image.open(cleaned) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)


def test_damaged_heic_is_refused_with_a_clear_message():
    heic = SimpleUploadedFile("IMG_1.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic")
    with translation.override("id"), pytest.raises(ValidationError, match="rusak"):
        clean_upload(heic, PHOTO)


def test_damaged_image_and_oversize_are_refused(settings):
    broken = SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, "image/jpeg")
    with pytest.raises(ValidationError):
        clean_upload(broken, PHOTO)
    settings.GARDA_MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError):
        clean_upload(SimpleUploadedFile("a.pdf", b"%PDF-1.4 data", "application/pdf"), DOCUMENT)
