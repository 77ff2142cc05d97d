"""The case figures come from the stored case events alone: the selector, and the page that
shows them by region."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, OTHER_DESA, client_for, make_user
from garda.wilayah.models import Wilayah

from .. import services
from ..models import Case, CaseEvent, EventKind, Status
from ..selectors import case_metrics
from .factories import case_in, coordinator, dinas_staff, open_case

pytestmark = pytest.mark.usefixtures("bangka")

START = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


def shift(case: Case, kind: str, at: datetime.datetime) -> None:
    """Move the (first) event of `kind` of the case to `at`, as if it had happened then."""
    event = CaseEvent.objects.filter(case=case, kind=kind).order_by("at").first()
    assert event is not None
    CaseEvent.objects.filter(pk=event.pk).update(at=at)


@pytest.fixture
def march() -> dict[str, Case]:
    """Cases of March 2026: quick (Lumut, answered in 2 h, closed on day 10), slow (Bintet,
    answered in 30 h, a referral completed), waiting (Lumut, no answer yet), and one in
    another district."""
    quick = case_in(Status.CLOSED, code=LUMUT)  # opened, responded after 2 h, closed on day 10
    shift(quick, EventKind.OPENED, START)
    CaseEvent.objects.filter(case=quick).exclude(kind=EventKind.OPENED).update(
        at=START + datetime.timedelta(days=1)
    )
    shift(quick, EventKind.ASSESSED, START + datetime.timedelta(hours=2))
    shift(quick, EventKind.CLOSED, START + datetime.timedelta(days=10))

    slow = case_in(Status.REFERRED, code=BINTET)  # responded after 30 h, referral completed
    shift(slow, EventKind.OPENED, START + datetime.timedelta(days=2))
    CaseEvent.objects.filter(case=slow).exclude(kind=EventKind.OPENED).update(
        at=START + datetime.timedelta(days=3, hours=6)
    )
    referral = slow.referrals.get()
    services.referral_answer(actor=slow.handler, referral=referral, accepted=True)
    services.referral_complete(actor=slow.handler, referral=referral, note="Dirawat")
    CaseEvent.objects.filter(case=slow, kind__startswith="ref_").update(
        at=START + datetime.timedelta(days=5)
    )

    waiting = open_case(code=LUMUT)  # no response yet
    shift(waiting, EventKind.OPENED, START + datetime.timedelta(days=4))
    outside = case_in(Status.CLOSED, code=OTHER_DESA)  # another district: never counted
    CaseEvent.objects.filter(case=outside).update(at=START + datetime.timedelta(days=1))

    return {"quick": quick, "slow": slow, "waiting": waiting, "outside": outside}


def test_figures_from_the_events(march):
    staff = dinas_staff()
    slow = march["slow"]
    end = START + datetime.timedelta(days=31)
    figures = case_metrics(fetched_by=staff, start=START, end=end)
    assert figures.opened == 3
    assert figures.responded == 2
    assert figures.median_hours_to_first_response == 16.0  # median of 2 h and 30 h
    assert figures.closed == 1
    assert figures.median_days_to_close == 10.0
    assert figures.caseload == 2  # slow and waiting are still open at the end
    assert figures.referrals_sent == 1
    assert figures.referrals_completed == 1

    # The caseload at a past moment follows the status events up to then.
    early = case_metrics(fetched_by=staff, start=START, end=START + datetime.timedelta(days=3))
    assert early.caseload == 2  # quick (not closed yet) and slow
    assert early.closed == 0

    # A coordinator of Belinyu sees the same cases (both desa are in Belinyu); one handler only.
    mine = case_metrics(fetched_by=coordinator(LUMUT), start=START, end=end, handler=slow.handler)
    assert mine.opened == 1
    assert mine.referrals_completed == 1

    # The figures never reach outside the user's area.
    lumut_only = case_metrics(fetched_by=make_user(Role.PSM, LUMUT), start=START, end=end)
    assert lumut_only.opened == 2
    assert lumut_only.referrals_sent == 0
    assert case_metrics(fetched_by=make_user(Role.VIEWER, BANGKA), start=START, end=end).opened == 0


def test_an_empty_period_has_no_medians():
    open_case()
    later = timezone.now() + datetime.timedelta(days=400)
    figures = case_metrics(
        fetched_by=dinas_staff(), start=later, end=later + datetime.timedelta(days=1)
    )
    assert figures.median_hours_to_first_response is None
    assert figures.median_days_to_close is None
    assert figures.caseload == 1


def test_the_figures_page_by_desa_with_today_s_overdue_cases(march, english):
    Case.objects.filter(pk=march["waiting"].pk).update(
        response_due=timezone.now() - datetime.timedelta(hours=1)
    )
    client = client_for(coordinator(LUMUT))
    page = client.get(reverse("cases:figures"), {"wilayah": BELINYU, "bulan": "2026-03"})
    assert page.status_code == 200
    figures = page.context["figures"]
    rows = {row.area.code: row for row in figures.rows}
    lumut, bintet = rows[LUMUT], rows[BINTET]
    assert (lumut.figures.opened, lumut.figures.closed, lumut.open_now, lumut.overdue_now) == (
        2,
        1,
        1,
        1,
    )
    assert lumut.figures.median_days_to_close == 10.0
    assert (bintet.figures.opened, bintet.figures.referrals_completed, bintet.open_now) == (1, 1, 1)
    assert bintet.figures.median_hours_to_first_response == 30.0
    total = figures.total
    assert (total.figures.opened, total.open_now, total.overdue_now) == (3, 2, 1)
    assert sum(row.figures.opened for row in figures.rows) == total.figures.opened
    assert figures.trend[-1] == (datetime.date(2026, 3, 1), 3, 1)
    assert [t[1:] for t in figures.trend[:-1]] == [(0, 0)] * 11
    html = page.content.decode()
    assert "Cases opened and closed, last 12 months" in html
    assert f"region={LUMUT}&amp;overdue=on" in html  # the overdue count opens the list


def test_a_psm_sees_the_figures_of_the_own_desa_only(march):
    client = client_for(make_user(Role.PSM, LUMUT))
    page = client.get(reverse("cases:figures"), {"bulan": "2026-03"})
    assert page.context["area"].code == LUMUT
    assert page.context["figures"].rows == []
    assert page.context["figures"].total.figures.opened == 2
    assert client.get(reverse("cases:figures"), {"wilayah": BINTET}).status_code == 404


def test_the_figures_table_as_a_workbook(march, english):
    client = client_for(coordinator(LUMUT))
    response = client.get(reverse("cases:figures_xlsx"), {"wilayah": BELINYU, "bulan": "2026-03"})
    assert response.status_code == 200
    assert "angka-kasus-19.01.02-2026-03.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    lumut = rows[Wilayah.objects.get(code=LUMUT).name]
    assert lumut[2:4] == (2, 1)  # opened, closed
    assert rows["Total"][2] == 3
    assert rows["Total"][4] == 16.0  # median hours to first response
