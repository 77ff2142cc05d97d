"""Reconciliation: the totals equal the sum of the distribution rows, on screen, in the PDF and
in the XLSX; rows roll up from desa to kecamatan; scoping by the aggregates permission (the
viewer role sees it, a PSM does not); the scoping contract of the page and its exports."""

import datetime
import io
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    SUNGAILIAT,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.wilayah.models import Wilayah

from ..models import Channel, Distribution, DistributionStatus, Period, Program
from ..reconciliation import STATUSES, reconciliation
from ..services import distributions as services
from .factories import (
    make_enrolment,
    make_keluarga_with_members,
    make_period,
    make_program,
    programme_manager,
)

S = DistributionStatus
PAGE = reverse("programs:reconciliation")
PDF = reverse("programs:reconciliation_pdf")
XLSX = reverse("programs:reconciliation_xlsx")
SUNGAILIAT_DESA = "19.01.01.1001"
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext (Debian package poppler-utils) is not installed"
)


def rp(value: int) -> str:
    """Rupiah as the Indonesian pages print it."""
    return "Rp " + f"{value:,}".replace(",", ".")


def record(d: Distribution, status: str) -> None:
    actor = make_user(Role.PSM, d.wilayah_id)
    if status == S.SCHEDULED:
        return
    services.distribution_record(
        actor=actor,
        distribution=d,
        status=status,
        distributed_on=timezone.localdate() - datetime.timedelta(days=2),
        channel=Channel.BANK if status == S.DELIVERED else "",
        reason="" if status == S.DELIVERED else "Tidak hadir",
    )


def scenario(program: Program, plan: dict[str, list[str]]) -> Period:
    """A new period with new households in each desa given, planned for every active
    participant (the earlier ones too); the first rows of each desa get the outcomes given,
    the others stay scheduled."""
    period = make_period(program)
    for code, outcomes in plan.items():
        for _outcome in outcomes:
            make_enrolment(program, make_keluarga_with_members(code=code, ages=[45]))
    for district in {".".join(code.split(".")[:2]) for code in plan}:
        services.distribution_plan(actor=programme_manager(district), period=period)
    for code, outcomes in plan.items():
        rows = Distribution.objects.filter(period=period, wilayah_id=code).order_by("pk")
        for d, outcome in zip(rows, outcomes, strict=False):
            record(d, outcome)
    return period


@pytest.fixture
def data(bangka) -> dict[str, Any]:
    """A national programme with two periods in Lumut, Bintet, Kelurahan Sungailiat and a desa
    of another district, with every outcome; the second period pays a different benefit."""
    program = make_program(code="uji-rekon", wilayah=None, benefit_amount=300_000)
    first = scenario(
        program,
        {
            LUMUT: [S.DELIVERED, S.DELIVERED, S.FAILED, S.SCHEDULED],
            BINTET: [S.DELIVERED, S.RETURNED],
            SUNGAILIAT_DESA: [S.FAILED, S.DELIVERED, S.DELIVERED],
            OTHER_DESA: [S.DELIVERED, S.FAILED],
        },
    )
    Program.objects.filter(pk=program.pk).update(benefit_amount=450_000)
    program.refresh_from_db()
    second = scenario(program, {LUMUT: [S.DELIVERED, S.SCHEDULED], BINTET: [S.FAILED]})
    # A later delivered distribution returned: counted once, as returned.
    returned = Distribution.objects.filter(period=second, status=S.DELIVERED).first()
    assert returned is not None
    services.distribution_record(
        actor=make_user(Role.PSM, returned.wilayah_id),
        distribution=returned,
        status=S.RETURNED,
        reason="Salah sasaran",
    )
    return {"program": program, "periods": [first, second]}


def sums(**filters: Any) -> dict[str, tuple[int, int]]:
    """Status -> (count, Rupiah) of the distribution rows, straight from the table."""
    result: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in (
        Distribution.objects.filter(**filters)
        .values("status")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    ):
        result[row["status"]] = (row["n"], row["amount"])
    return result


def bangka_sums(program: Program, **filters: Any) -> dict[str, tuple[int, int]]:
    return sums(period__program=program, wilayah__code__startswith="19.01.", **filters)


def planned(expected: dict[str, tuple[int, int]]) -> tuple[int, int]:
    return sum(c for c, _a in expected.values()), sum(a for _c, a in expected.values())


# --- the selector ---------------------------------------------------------------------------


class TestSelector:
    def test_totals_equal_the_sum_of_the_rows(self, data):
        staff = make_user(Role.STAF_DINAS, BANGKA)
        result = reconciliation(
            user=staff, program=data["program"], area=Wilayah.objects.get(code=BANGKA)
        )
        expected = bangka_sums(data["program"])
        for status in STATUSES:
            cell = result.total.cells[status]
            assert (cell.count, cell.amount) == expected[status]
        assert (result.total.planned.count, result.total.planned.amount) == planned(expected)
        assert result.total.planned.count == 21  # 9 in the first period, 12 in the second
        # The rows are the kecamatan, and they add up to the total.
        assert [r.code for r in result.rows] == [SUNGAILIAT, BELINYU]
        for status in STATUSES:
            assert sum(r.cells[status].amount for r in result.rows) == expected[status][1]
        belinyu = result.rows[1]
        in_belinyu = sums(period__program=data["program"], wilayah__code__startswith=BELINYU + ".")
        assert belinyu.delivered.count == in_belinyu[S.DELIVERED][0]
        assert belinyu.name == "Belinyu"
        # Per period, too.
        assert [r.name for r in result.by_period] == [p.name for p in data["periods"]]
        assert sum(r.planned.amount for r in result.by_period) == result.total.planned.amount

    def test_drill_to_the_desa_of_a_kecamatan_and_one_period(self, data):
        first = data["periods"][0]
        result = reconciliation(
            user=make_user(Role.VIEWER, BELINYU),
            program=data["program"],
            area=Wilayah.objects.get(code=BELINYU),
            periods=[first],
        )
        assert [r.code for r in result.rows] == [LUMUT, BINTET]
        lumut = result.rows[0]
        assert (lumut.delivered.count, lumut.failed.count, lumut.scheduled.count) == (2, 1, 1)
        assert lumut.planned.amount == 4 * 300_000
        assert result.total.planned.count == 6

    def test_only_the_users_area_is_counted(self, data):
        viewer = make_user(Role.VIEWER, BELINYU)
        result = reconciliation(
            user=viewer, program=data["program"], area=Wilayah.objects.get(code=BANGKA)
        )
        in_belinyu = sums(period__program=data["program"], wilayah__code__startswith=BELINYU + ".")
        assert result.total.planned.count == planned(in_belinyu)[0]
        assert [r.code for r in result.rows] == [BELINYU]

    def test_one_aggregate_query(self, data, django_assert_num_queries):
        staff = make_user(Role.STAF_DINAS, BANGKA)
        staff.active_assignments()
        area = Wilayah.objects.get(code=BANGKA)
        # the periods, the GROUP BY, the names of the rows' regions
        with django_assert_num_queries(3):
            reconciliation(user=staff, program=data["program"], area=area)


# --- the page, the PDF and the XLSX ---------------------------------------------------------


def total_cells(body: str) -> dict[str, tuple[str, str]]:
    """The total row of the page: column key -> (count text, Rupiah text)."""
    cells = {}
    for key, count, amount in re.findall(
        r'id="total-(\w+)"><span class="count">([^<]*)</span><br><span class="amount">([^<]*)<',
        body,
    ):
        cells[key] = (count, amount)
    return cells


class TestOnScreen:
    def test_the_totals_on_screen_equal_the_rows(self, data):
        program = data["program"]
        response = client_for(make_user(Role.VIEWER, BANGKA)).get(
            PAGE, {"program": program.pk, "wilayah": BANGKA}
        )
        assert response.status_code == 200
        expected = bangka_sums(program)
        cells = total_cells(response.content.decode())
        for status in STATUSES:
            count, amount = expected[status]
            assert cells[status] == (f"{count}", rp(amount))
        count, amount = planned(expected)
        assert cells["planned"] == (f"{count}", rp(amount))

    def test_the_chart_and_the_drill_links(self, data):
        program = data["program"]
        response = client_for(make_user(Role.STAF_DINAS, BANGKA)).get(PAGE, {"program": program.pk})
        body = response.content.decode()
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in body
        assert f"wilayah={BELINYU}" in body
        drilled = client_for(make_user(Role.STAF_DINAS, BANGKA)).get(
            PAGE, {"program": program.pk, "wilayah": BELINYU}
        )
        assert [r.code for r in drilled.context["result"].rows] == [LUMUT, BINTET]
        # desa rows open the list of distributions, for those who may see people
        assert reverse("programs:distribution_list") in drilled.content.decode()

    def test_a_period_of_another_programme_is_refused_without_an_error_page(self, data):
        other = make_program()
        period = make_period(other)
        response = client_for(make_user(Role.VIEWER, BANGKA)).get(
            PAGE, {"program": data["program"].pk, "period": period.pk}
        )
        assert response.status_code == 200
        assert response.context["result"] is None
        assert response.context["form"].errors["period"]

    def test_without_a_region_the_users_own_area(self, data):
        response = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(PAGE)
        assert response.status_code == 200
        result = response.context["result"]
        assert result.area.code == BELINYU
        assert result.program == data["program"]  # the only programme with periods
        assert [r.code for r in result.rows] == [LUMUT, BINTET]

    def test_a_psm_may_not_see_it(self, data):
        response = client_for(make_user(Role.PSM, LUMUT)).get(PAGE)
        assert response.status_code == 403

    def test_query_count_does_not_grow_with_the_rows(self, data, django_assert_num_queries):
        client = client_for(make_user(Role.VIEWER, BANGKA))
        url = f"{PAGE}?program={data['program'].pk}&wilayah={BANGKA}"
        client.get(url)
        # session, user, roles, the area, the programme, the periods, the GROUP BY, the
        # region names, programmes (2) and periods for the form's choices, session save (3)
        with django_assert_num_queries(14):
            client.get(url)
        scenario(data["program"], {"19.01.03.2001": [S.DELIVERED], "19.01.05.2001": [S.FAILED]})
        with django_assert_num_queries(14):
            response = client.get(url)
        assert len(response.context["result"].rows) == 4


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "rekonsiliasi.pdf"
    path.write_bytes(content)
    assert PDFTOTEXT is not None
    text = subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
        [PDFTOTEXT, "-raw", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(text.split())


class TestExports:
    @needs_pdftotext
    def test_the_pdf_totals_equal_the_rows(self, data, tmp_path):
        program = data["program"]
        response = client_for(make_user(Role.VIEWER, BANGKA)).get(PDF, {"program": program.pk})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(b"".join([response.content]), tmp_path)
        assert "DINAS SOSIAL KABUPATEN BANGKA" in text
        assert program.name in text
        expected = bangka_sums(program)
        count, amount = planned(expected)
        with translation.override("id"):
            label = gettext("Planned")
        assert f"{label} {count} · {rp(amount)}" in text
        for status in STATUSES:
            count, amount = expected[status]
            assert f"{count} · {rp(amount)}" in text
        # the table's total row: every column's count and Rupiah
        total = text[text.rindex("Total") :]
        for status in STATUSES:
            assert rp(expected[status][1]) in total

    def test_the_xlsx_totals_equal_the_rows(self, data):
        program = data["program"]
        response = client_for(make_user(Role.VIEWER, BANGKA)).get(XLSX, {"program": program.pk})
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.content))
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        *regions, total = rows
        assert [r[0] for r in regions] == [SUNGAILIAT, BELINYU]
        expected = bangka_sums(program)
        columns = [planned(expected), *(expected[s] for s in STATUSES)]
        numbers = list(total[2:])
        assert numbers == [v for pair in columns for v in pair]
        for index in range(2, len(total)):
            assert total[index] == sum(r[index] for r in regions)
        periods = list(workbook.worksheets[1].iter_rows(min_row=2, values_only=True))
        assert [p[1] for p in periods] == [p.name for p in data["periods"]]
        assert sum(p[3] for p in periods) == planned(expected)[1]


class ReconciliationContract(ScopedViewContract):
    """A viewer of Belinyu reaches Belinyu's reconciliation, not Sungailiat's; a PSM (no
    aggregates permission) none."""

    allowed = (Role.VIEWER, BELINYU)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = SUNGAILIAT_DESA
    path = PAGE

    def make_object(self, code: str) -> Any:
        program = make_program(wilayah=None)
        scenario(program, {code: [S.SCHEDULED]})
        return program, ".".join(code.split(".")[:3])

    def url_for(self, obj: Any) -> str:
        program, kecamatan = obj
        return f"{self.path}?program={program.pk}&wilayah={kecamatan}"


class TestReconciliationPageContract(ReconciliationContract):
    pass


class TestReconciliationPdfContract(ReconciliationContract):
    path = PDF


class TestReconciliationXlsxContract(ReconciliationContract):
    path = XLSX


class TestForDinasContract(ReconciliationContract):
    allowed = (Role.PIMPINAN, BANGKA)
    other_area = OTHER_DESA
