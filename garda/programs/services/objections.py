"""Objections (sanggah): a resident of the same desa objects to someone's eligibility, with a
house photo and a GPS point. Dinas has 14 days (`Objection.DAYS_TO_VERIFY`) to decide; an
objection still open after its `due_on` lapses (`objection_lapse_overdue`, run every night by
`manage.py lapse_objections` or the `objections_lapse` task). Every change is an event row and
an audited update."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.services import audited_create, audited_update
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.nik import check_nik, normalise_digits
from garda.core.uploads import PHOTO, clean_upload
from garda.registry.models import Individu, Keluarga
from garda.registry.services import nik_hash

from ..models import Objection, ObjectionEvent, ObjectionStatus, Program

LAPSE_NOTE = gettext_noop("Not decided within %(days)s days of filing: lapsed automatically.")


def _coordinate(value: Any, *, field: str, limit: int) -> Decimal:
    if value in (None, ""):
        raise GardaError(_("The GPS position is required."), field=field)
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation as error:
        raise GardaError(_("This is not a coordinate."), field=field) from error
    if not -limit <= number <= limit:
        raise GardaError(
            _("A coordinate lies between -%(limit)s and %(limit)s.") % {"limit": limit},
            field=field,
        )
    return number


@transaction.atomic
def objection_file(
    *,
    actor: User,
    objector_name: str,
    grounds: str,
    photo: UploadedFile | None,
    latitude: Any,
    longitude: Any,
    individu: Individu | None = None,
    keluarga: Keluarga | None = None,
    program: Program | None = None,
    objector_nik: str = "",
    objector_contact: str = "",
    filed_on: datetime.date | None = None,
) -> Objection:
    """A PSM or the desa operator records a resident's objection against a registered resident
    or household of the same desa; Dinas must decide within 14 days."""
    subject = individu or keluarga
    if subject is None or (individu and keluarga):
        raise GardaError(
            _("Choose the resident or household the objection is about."), field="subject"
        )
    if not actor.can_in(Perm.PROPOSE, subject.wilayah_id):
        raise NotAllowed(_("You may only record objections in your own area."))
    objector_name = " ".join(objector_name.split())
    if not objector_name:
        raise GardaError(_("Give the name of the person who objects."), field="objector_name")
    grounds = grounds.strip()
    if not grounds:
        raise GardaError(_("Say why the resident objects."), field="grounds")
    objector_nik = normalise_digits(objector_nik)
    if objector_nik:
        check = check_nik(objector_nik)
        if check.errors:
            raise GardaError(" ".join(check.errors), field="objector_nik")
        known = Individu.objects.current().filter(nik_hash=nik_hash(objector_nik)).first()
        if known is not None and known.wilayah_id != subject.wilayah_id:
            raise GardaError(
                _("An objection is filed by a resident of the same desa."), field="objector_nik"
            )
    if not photo:
        raise GardaError(_("A photo of the house is required."), field="photo")
    try:
        photo = clean_upload(photo, PHOTO)
    except ValidationError as error:
        raise GardaError(" ".join(error.messages), field="photo") from error
    today = timezone.localdate()
    filed_on = filed_on or today
    if filed_on > today:
        raise GardaError(_("The filing date cannot be in the future."), field="filed_on")
    due_on = filed_on + datetime.timedelta(days=Objection.DAYS_TO_VERIFY)
    if due_on < today:
        raise GardaError(
            _("Filed more than %(days)s days ago: its time to be verified has already passed.")
            % {"days": Objection.DAYS_TO_VERIFY},
            field="filed_on",
        )
    objection = audited_create(
        Objection,
        actor=actor,
        wilayah_id=subject.wilayah_id,
        individu=individu,
        keluarga=keluarga,
        program=program,
        objector_name=objector_name,
        objector_nik=objector_nik,
        objector_contact=objector_contact.strip(),
        grounds=grounds,
        photo=photo,
        latitude=_coordinate(latitude, field="latitude", limit=90),
        longitude=_coordinate(longitude, field="longitude", limit=180),
        filed_on=filed_on,
        due_on=due_on,
        status=ObjectionStatus.OPEN,
        recorded_by=actor,
    )
    ObjectionEvent.objects.create(
        objection=objection, actor=actor, from_status="", to_status=ObjectionStatus.OPEN
    )
    return objection


@transaction.atomic
def objection_decide(
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    outcome: str,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Objection:
    """Dinas decides: upheld (the objection is right) or dismissed, with the outcome. Refused
    once the 14 days have passed: the objection has lapsed."""
    if not actor.can_in(Perm.VERIFY_PROPOSALS, objection.wilayah_id):
        raise NotAllowed(_("Only Dinas verifiers decide on objections."))
    stored = Objection.objects.select_for_update().get(pk=objection.pk)
    if stored.status != ObjectionStatus.OPEN:
        raise InvalidState(
            _("This objection is already %(status)s.") % {"status": stored.get_status_display()}
        )
    today = today or timezone.localdate()
    if today > stored.due_on:
        raise InvalidState(
            _("This objection lapsed after %(date)s: it can no longer be decided.")
            % {"date": f"{stored.due_on:%d-%m-%Y}"}
        )
    outcome = outcome.strip()
    if not outcome:
        raise GardaError(_("Record the outcome of the verification."), field="outcome")
    status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    audited_update(
        stored,
        actor=actor,
        data={"status": status, "outcome": outcome},
        reason=outcome,
        expected_version=expected_version,
    )
    ObjectionEvent.objects.create(
        objection=stored,
        actor=actor,
        from_status=ObjectionStatus.OPEN,
        to_status=status,
        note=outcome,
    )
    return stored


def objection_lapse_overdue(*, today: datetime.date | None = None) -> int:
    """Mark every open objection past its `due_on` as lapsed, with an event by nobody (the
    system). Idempotent: a second run finds nothing left to lapse. Returns how many lapsed."""
    today = today or timezone.localdate()
    note = _(LAPSE_NOTE) % {"days": Objection.DAYS_TO_VERIFY}
    lapsed = 0
    overdue = list(Objection.objects.open().filter(due_on__lt=today).values_list("pk", flat=True))
    for pk in overdue:
        with transaction.atomic():
            objection = (
                Objection.objects.select_for_update()
                .filter(pk=pk, status=ObjectionStatus.OPEN)
                .first()
            )
            if objection is None:  # decided or lapsed meanwhile
                continue
            audited_update(
                objection, actor=None, data={"status": ObjectionStatus.LAPSED}, reason=note
            )
            ObjectionEvent.objects.create(
                objection=objection,
                actor=None,
                from_status=ObjectionStatus.OPEN,
                to_status=ObjectionStatus.LAPSED,
                note=note,
            )
            lapsed += 1
    return lapsed
