"""The cases block of the home pages: a PSM's own overdue cases, a coordinator's area and the
closings waiting for approval."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BINTET, LUMUT, client_for, make_user

from ..models import Case, Status
from .factories import case_in, coordinator, open_case, psm

pytestmark = pytest.mark.usefixtures("bangka")


def late(case: Case) -> Case:
    Case.objects.filter(pk=case.pk).update(
        response_due=timezone.now() - datetime.timedelta(hours=2)
    )
    return case


def test_a_psm_sees_her_overdue_cases_on_her_home_page():
    worker = psm(LUMUT)
    overdue = late(open_case(actor=worker, title="Lansia sakit"))
    open_case(actor=worker, title="Anak sekolah")
    late(open_case(code=BINTET, title="Kasus desa lain"))
    page = client_for(worker).get(reverse("core:home"))
    assert page.status_code == 200
    cases = page.context["cases"]
    assert cases["my_open"] == 2
    assert cases["my_overdue_count"] == 1
    assert cases["my_overdue"] == [overdue]
    body = page.content.decode()
    assert overdue.number in body
    assert "Kasus desa lain" not in body
    assert "area_open" not in cases


def test_a_coordinator_sees_the_overdue_cases_and_closings_of_her_kecamatan():
    chair = coordinator(LUMUT)
    overdue = late(open_case(code=BINTET, title="ODGJ dipasung"))
    waiting = case_in(Status.CLOSING, code=LUMUT)
    late(open_case(code="19.01.01.1001", title="Kasus Sungailiat"))
    page = client_for(chair).get(reverse("core:home"))
    cases = page.context["cases"]
    assert cases["area_overdue"] == [overdue]
    assert cases["awaiting_approval"] == [waiting]
    body = page.content.decode()
    assert overdue.number in body
    assert waiting.number in body
    assert "Kasus Sungailiat" not in body


def test_the_head_of_office_and_a_viewer_get_no_cases_block():
    late(open_case())
    for role in (Role.PIMPINAN, Role.VIEWER):
        page = client_for(make_user(role, BANGKA)).get(reverse("core:home"))
        assert page.status_code == 200
        assert page.context["cases"] is None
        assert "home-cases" not in page.content.decode()
