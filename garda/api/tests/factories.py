"""API clients with a real token, and one object of each resource in a given desa."""

import datetime
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from garda.accounts.models import User
from garda.activities.tests.factories import report
from garda.cases.tests.factories import open_case
from garda.core.testing import OTHER_DISTRICT, make_user, other_district
from garda.monitoring.models import Indicator, Rollup
from garda.monitoring.tests.factories import distribution, proposal
from garda.pilar.tests.factories import account_of, psm_with_account, register_psm
from garda.programs.models import DistributionStatus, ProposalStatus
from garda.programs.tests.factories import make_enrolment, make_program
from garda.registry.tests.factories import register_individu, register_keluarga
from garda.wilayah.models import Wilayah

from ..services import api_token_create


def token_client(user: User) -> APIClient:
    """A client sending a freshly made token of `user`."""
    _token, key = api_token_create(actor=user, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _prepare(code: str) -> None:
    if code.startswith(OTHER_DISTRICT + "."):
        other_district()


def region(code: str) -> Any:
    _prepare(code)
    return Wilayah.objects.get(code=code)


def worker(code: str) -> Any:
    _prepare(code)
    return register_psm(code=code)


def household(code: str) -> Any:
    _prepare(code)
    return register_keluarga(code=code)


def resident(code: str) -> Any:
    _prepare(code)
    return register_individu(code=code)


def programme(code: str) -> Any:
    """A programme run by the district of `code` (invisible to another district)."""
    _prepare(code)
    return make_program(wilayah=".".join(code.split(".")[:2]))


def enrolment(code: str) -> Any:
    return make_enrolment(make_program(), household(code))


def planned_distribution(code: str) -> Any:
    return distribution(
        household(code), accompanied_by=None, on=None, status=DistributionStatus.SCHEDULED
    )


def draft_proposal(code: str) -> Any:
    _prepare(code)
    return proposal(make_user(), code, status=ProposalStatus.DRAFT, submitted=None)


def case(code: str) -> Any:
    _prepare(code)
    return open_case(code=code)


def activity(code: str) -> Any:
    _prepare(code)
    user = account_of(psm_with_account(code=code))
    return report(user, code=code)


def rollup(code: str, *, value: int = 3) -> Rollup:
    _prepare(code)
    return Rollup.objects.create(
        pilar=register_psm(code=code),
        wilayah_id=code,
        month=datetime.date(2026, 10, 1),
        indicator=Indicator.objects.filter(is_active=True).order_by("order", "code")[0],
        value=value,
        numerator=value,
    )


def detail_url(basename: str, obj: Any) -> str:
    key = obj.code if basename in {"region", "indicator"} else obj.pk
    return reverse(f"api:{basename}-detail", args=[key])


def list_url(basename: str) -> str:
    return reverse(f"api:{basename}-list")


MAKERS: dict[str, Callable[[str], Any]] = {
    "region": region,
    "worker": worker,
    "household": household,
    "resident": resident,
    "programme": programme,
    "enrolment": enrolment,
    "distribution": planned_distribution,
    "proposal": draft_proposal,
    "case": case,
    "activity": activity,
}
