"""Uploaded files are checked by their content, not their name, and images are re-encoded.

Re-encoding drops anything hidden in an image (scripts, metadata such as the GPS position of a
resident's house) and normalises it to JPEG; HEIC photos (iPhones, newer Android phones) are
converted too. Files are stored outside the public web root and
served only through scoped views.
"""

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

PDF_MAGIC = b"%PDF-"
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
HEIC_MARKERS = (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc")
MAX_IMAGE_SIDE = 2000


@dataclass(frozen=True)
class Accept:
    images: bool = True
    pdf: bool = True


DOCUMENT = Accept(images=True, pdf=True)
PHOTO = Accept(images=True, pdf=False)


def clean_upload(upload: UploadedFile, accept: Accept = DOCUMENT) -> UploadedFile:
    """The upload as it will be stored, or a ValidationError a PSM can understand."""
    limit = settings.GARDA_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size and upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB. Send a smaller photo or scan.")
            % {"mb": settings.GARDA_MAX_UPLOAD_MB}
        )
    head = upload.read(16)
    upload.seek(0)
    if accept.pdf and head.startswith(PDF_MAGIC):
        upload.name = f"{uuid.uuid4().hex}.pdf"
        return upload
    if accept.images and (
        head.startswith(IMAGE_MAGIC) or any(marker in head for marker in HEIC_MARKERS)
    ):
        return _reencoded_image(upload)
    allowed = _("a JPEG or PNG photo") if not accept.pdf else _("a PDF, JPEG or PNG file")
    raise ValidationError(_("This file is not %(allowed)s.") % {"allowed": allowed})


def _reencoded_image(upload: UploadedFile) -> UploadedFile:
    try:
        with Image.open(upload) as original:
            original.load()
            image = ImageOps.exif_transpose(original).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(_("The image is damaged and cannot be read.")) from error
    image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.jpg", buffer.getvalue(), "image/jpeg")
