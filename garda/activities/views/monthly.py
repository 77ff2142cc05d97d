"""The monthly report of a PSM (laporan bulanan) and the coordinator's kecamatan summary, each as
a page, a PDF with the letterhead and signature blocks, and an XLSX workbook."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.pdf import render_pdf
from garda.core.views import ScopedMixin
from garda.pilar.models import IpsmOfficer, Pilar, Position
from garda.reports.xlsx import Column, Kind, add_sheet, file_response, new_workbook, workbook_bytes
from garda.wilayah.models import Level, Wilayah

from .. import selectors
from ..selectors import KecamatanSummary, MonthlyReport


def _month(year: int, month: int) -> tuple[int, int]:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404
    return year, month


class MonthlyMineView(ScopedMixin, View):
    """ "My monthly report": the logged-in PSM's report of the current month."""

    model = Pilar
    permission = Perm.REPORT_ACTIVITIES

    def get(self, request: HttpRequest) -> HttpResponse:
        pilar = self.get_queryset().filter(user=self.actor).first()
        if pilar is None:
            raise Http404
        today = timezone.localdate()
        return redirect("activities:monthly", pilar.pk, today.year, today.month)


class MonthlyMixin(ScopedMixin):
    model = Pilar
    permission = Perm.VIEW_PEOPLE
    kwargs: dict[str, Any]

    def report(self) -> MonthlyReport:
        year, month = _month(self.kwargs["year"], self.kwargs["month"])
        pilar = get_object_or_404(
            self.get_queryset().select_related("jenis", "wilayah__parent"), pk=self.kwargs["pk"]
        )
        return selectors.monthly_report(pilar=pilar, year=year, month=month)

    def filename(self, report: MonthlyReport, extension: str) -> str:
        name = slugify(report.pilar.name)
        return f"laporan-bulanan-{name}-{report.year}-{report.month:02d}.{extension}"


class MonthlyReportView(MonthlyMixin, TemplateView):
    template_name = "activities/monthly.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        report = self.report()
        year, month = report.year, report.month
        previous = (year - 1, 12) if month == 1 else (year, month - 1)
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        return {
            **super().get_context_data(**kwargs),
            "report": report,
            "previous": previous,
            "following": following,
        }


class MonthlyPdfView(MonthlyMixin, View):
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        report = self.report()
        audit_record(
            actor=self.actor, action=Action.EXPORT, obj=report.pilar, reason="laporan bulanan"
        )
        content = render_pdf(
            "activities/pdf_monthly.html",
            {"report": report, "coordinator": _coordinator_name(report.pilar)},
        )
        return file_response(
            content, filename=self.filename(report, "pdf"), content_type="application/pdf"
        )


class MonthlyXlsxView(MonthlyMixin, View):
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        report = self.report()
        audit_record(
            actor=self.actor, action=Action.EXPORT, obj=report.pilar, reason="laporan bulanan"
        )
        return file_response(monthly_workbook(report), filename=self.filename(report, "xlsx"))


def _coordinator_name(pilar: Pilar) -> str:
    """The kecamatan IPSM chair of the member's kecamatan, for the "acknowledged by" block."""
    kecamatan = ".".join(pilar.wilayah_id.split(".")[:3])
    chair = (
        IpsmOfficer.objects.current()
        .filter(wilayah_id=kecamatan, position=Position.KETUA)
        .select_related("pilar")
        .first()
    )
    return chair.pilar.name if chair else ""


def monthly_workbook(report: MonthlyReport) -> bytes:
    workbook = new_workbook()
    add_sheet(
        workbook,
        title=_("Activities"),
        columns=[
            Column(_("Date"), Kind.DATE, 12),
            Column(_("Time"), width=8),
            Column(_("Activity"), width=24),
            Column(_("Desa/kelurahan"), width=20),
            Column(_("Description"), width=50),
            Column(_("Participants"), Kind.NUMBER, 12),
            Column(_("Programme"), width=20),
            Column(_("Photos"), Kind.NUMBER, 8),
            Column(_("Latitude"), width=12),
            Column(_("Longitude"), width=12),
        ],
        rows=(
            [
                timezone.localtime(a.occurred_at).date(),
                timezone.localtime(a.occurred_at).strftime("%H:%M"),
                a.jenis.name,
                a.wilayah.name,
                a.description,
                a.participants,
                a.program.name if a.program else "",
                a.photo_count,  # type: ignore[attr-defined]
                str(a.latitude) if a.latitude is not None else "",
                str(a.longitude) if a.longitude is not None else "",
            ]
            for a in report.activities
        ),
    )
    add_sheet(
        workbook,
        title=_("Totals"),
        columns=[
            Column(_("Activity"), width=30),
            Column(_("Activities"), Kind.NUMBER, 12),
            Column(_("Participants"), Kind.NUMBER, 12),
        ],
        rows=[
            *([t.name, t.count, t.participants] for t in report.by_type),
            [_("Total"), report.total, report.participants],
        ],
    )
    return workbook_bytes(workbook)


class SummaryMineView(ScopedMixin, View):
    """The coordinator's own kecamatan, this month."""

    model = Wilayah
    permission = Perm.VERIFY_ACTIVITIES

    def get(self, request: HttpRequest) -> HttpResponse:
        kecamatan = self.get_queryset().filter(level=Level.KECAMATAN).order_by("code").first()
        if kecamatan is None:
            raise Http404
        today = timezone.localdate()
        return redirect("activities:summary", kecamatan.code, today.year, today.month)


class SummaryMixin(ScopedMixin):
    model = Wilayah
    permission = Perm.VERIFY_ACTIVITIES
    kwargs: dict[str, Any]

    def summary(self) -> KecamatanSummary:
        year, month = _month(self.kwargs["year"], self.kwargs["month"])
        kecamatan = get_object_or_404(
            self.get_queryset().filter(level=Level.KECAMATAN), code=self.kwargs["code"]
        )
        return selectors.kecamatan_summary(kecamatan=kecamatan, year=year, month=month)

    def filename(self, summary: KecamatanSummary, extension: str) -> str:
        name = slugify(summary.kecamatan.name)
        return f"rekap-kegiatan-{name}-{summary.year}-{summary.month:02d}.{extension}"


class SummaryView(SummaryMixin, TemplateView):
    template_name = "activities/summary.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        summary = self.summary()
        year, month = summary.year, summary.month
        return {
            **super().get_context_data(**kwargs),
            "summary": summary,
            "previous": (year - 1, 12) if month == 1 else (year, month - 1),
            "following": (year + 1, 1) if month == 12 else (year, month + 1),
        }


class SummaryPdfView(SummaryMixin, View):
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        summary = self.summary()
        content = render_pdf(
            "activities/pdf_summary.html", {"summary": summary, "prepared_by": self.actor}
        )
        return file_response(
            content, filename=self.filename(summary, "pdf"), content_type="application/pdf"
        )


class SummaryXlsxView(SummaryMixin, View):
    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        summary = self.summary()
        workbook = new_workbook()
        add_sheet(
            workbook,
            title=_("Social workers"),
            columns=[
                Column(_("Name"), width=28),
                Column(_("Desa/kelurahan"), width=20),
                Column(_("Verified"), Kind.NUMBER, 10),
                Column(_("Waiting"), Kind.NUMBER, 10),
                Column(_("Returned"), Kind.NUMBER, 10),
                Column(_("Participants"), Kind.NUMBER, 12),
                Column(_("Photos"), Kind.NUMBER, 8),
            ],
            rows=[
                *(
                    [
                        r.pilar.name,
                        r.pilar.wilayah.name,
                        r.verified,
                        r.submitted,
                        r.returned,
                        r.participants,
                        r.photos,
                    ]
                    for r in summary.rows
                ),
                [
                    _("Total"),
                    "",
                    summary.total_verified,
                    sum(r.submitted for r in summary.rows),
                    sum(r.returned for r in summary.rows),
                    summary.total_participants,
                    summary.total_photos,
                ],
            ],
        )
        add_sheet(
            workbook,
            title=_("Totals"),
            columns=[
                Column(_("Activity"), width=30),
                Column(_("Activities"), Kind.NUMBER, 12),
                Column(_("Participants"), Kind.NUMBER, 12),
            ],
            rows=([t.name, t.count, t.participants] for t in summary.by_type),
        )
        return file_response(workbook_bytes(workbook), filename=self.filename(summary, "xlsx"))


def monthly_url(pilar: Pilar, year: int, month: int) -> str:
    return reverse("activities:monthly", args=[pilar.pk, year, month])


urlpatterns = [
    path("bulanan/", MonthlyMineView.as_view(), name="monthly_mine"),
    path("bulanan/<uuid:pk>/<int:year>/<int:month>/", MonthlyReportView.as_view(), name="monthly"),
    path(
        "bulanan/<uuid:pk>/<int:year>/<int:month>/pdf/",
        MonthlyPdfView.as_view(),
        name="monthly_pdf",
    ),
    path(
        "bulanan/<uuid:pk>/<int:year>/<int:month>/xlsx/",
        MonthlyXlsxView.as_view(),
        name="monthly_xlsx",
    ),
    path("rekap/", SummaryMineView.as_view(), name="summary_mine"),
    path("rekap/<str:code>/<int:year>/<int:month>/", SummaryView.as_view(), name="summary"),
    path(
        "rekap/<str:code>/<int:year>/<int:month>/pdf/",
        SummaryPdfView.as_view(),
        name="summary_pdf",
    ),
    path(
        "rekap/<str:code>/<int:year>/<int:month>/xlsx/",
        SummaryXlsxView.as_view(),
        name="summary_xlsx",
    ),
]
