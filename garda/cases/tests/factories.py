"""Test data made by the real services: cases opened by a PSM of the desa, walked through the
workflow step by step, institutions registered by Dinas."""

import datetime
import itertools
from typing import Any

from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, OTHER_DISTRICT, make_user, other_district
from garda.registry.tests.factories import pdf_upload, register_individu
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Case, Institution, InstitutionKind, Referral, ReferralTarget, Status

_serial = itertools.count(1)


def district_of(code: str) -> str:
    return ".".join(code.split(".")[:2])


def kecamatan_of(code: str) -> str:
    return ".".join(code.split(".")[:3])


def psm(code: str = LUMUT) -> User:
    if district_of(code) == OTHER_DISTRICT:
        other_district()
    return make_user(Role.PSM, code)


def coordinator(code: str = LUMUT) -> User:
    return make_user(Role.KOORDINATOR, kecamatan_of(code))


def dinas_staff(code: str = BANGKA) -> User:
    if district_of(code) == OTHER_DISTRICT:
        other_district()
    return make_user(Role.STAF_DINAS, district_of(code))


def open_case(
    *,
    code: str = LUMUT,
    actor: User | None = None,
    handler: User | None = None,
    with_subject: bool = False,
    **fields: Any,
) -> Case:
    """A case opened by a PSM of the desa (who handles it unless `handler` is given)."""
    actor = actor or psm(code)
    subjects = [register_individu(code=code)] if with_subject else []
    fields.setdefault("source", "psm")
    fields.setdefault("urgency", "sedang")
    fields.setdefault("title", f"Lansia tinggal sendiri {next(_serial)}")
    fields.setdefault("narrative", "Ibu berusia 78 tahun tinggal sendiri, sering tidak makan.")
    fields.setdefault("consent", "given")
    if not subjects:
        fields.setdefault("unidentified_description", "Perempuan lanjut usia, sekitar 75 tahun.")
    return services.case_open(
        actor=actor,
        wilayah=Wilayah.objects.get(code=code),
        handler=handler or actor,
        subjects=subjects,
        **fields,
    )


def institution(
    *, code: str = "19.01.01", kind: str = InstitutionKind.PUSKESMAS, name: str | None = None
) -> Institution:
    actor = dinas_staff(code)
    return services.institution_create(
        actor=actor,
        data={
            "name": name or f"Puskesmas Uji {next(_serial)}",
            "kind": kind,
            "wilayah": Wilayah.objects.get(code=code),
            "address": "Jl. Jenderal Sudirman",
            "phone": "0717-92123",
            "contact_person": "",
            "email": "",
            "is_active": True,
        },
    )


def assess(case: Case, actor: User | None = None) -> Case:
    services.case_assess(
        actor=actor or case.handler, case=case, needs=["health"], risk="medium", notes="Catatan."
    )
    return Case.objects.get(pk=case.pk)


def plan(case: Case, actor: User | None = None) -> Case:
    services.plan_action_add(
        actor=actor or case.handler,
        case=case,
        description="Antar ke Puskesmas",
        owner="PSM",
        due_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    return Case.objects.get(pk=case.pk)


def refer(case: Case, actor: User | None = None, target: Institution | None = None) -> Referral:
    return services.referral_send(
        actor=actor or case.handler,
        case=case,
        target=ReferralTarget.INSTITUTION,
        institution=target or institution(code=district_of(case.wilayah_id)),
        reason="Pemeriksaan kesehatan.",
    )


def case_in(status: str, *, code: str = LUMUT, **kwargs: Any) -> Case:
    """A case walked through the real services to `status`."""
    case = open_case(code=code, **kwargs)
    if status == Status.OPEN:
        return case
    case = assess(case)
    if status == Status.ASSESSED:
        return case
    case = plan(case)
    if status == Status.PLAN_ACTIVE:
        return case
    if status == Status.REFERRED:
        refer(case)
        return Case.objects.get(pk=case.pk)
    services.case_resolve(actor=case.handler, case=case, note="Sudah ditangani.")
    case = Case.objects.get(pk=case.pk)
    if status == Status.RESOLVED:
        return case
    services.case_request_closing(actor=case.handler, case=case)
    case = Case.objects.get(pk=case.pk)
    if status == Status.CLOSING:
        return case
    services.case_decide_closing(actor=coordinator(code), case=case, approve=True)
    return Case.objects.get(pk=case.pk)


def upload() -> Any:
    return pdf_upload("laporan.pdf")
