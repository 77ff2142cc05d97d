"""Distributions (penyaluran) and their reconciliation: the list of a period with filters and
ticks for recording many at once, one distribution with its history and proof, the record
form, the file upload, planning a period, and the reconciliation page with its PDF and XLSX.

Every view is a `ScopedMixin`. Distributions name people, so the list, the detail and the
proof files need VIEW_PEOPLE; recording needs RECORD_DISTRIBUTIONS in the desa (checked again
by the services); the reconciliation counts only, with VIEW_AGGREGATES, so the viewer role may
see it. Proof files have no public URL: they are served here, found through the scoped queryset.
"""

import mimetypes
import posixpath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from garda.accounts.roles import Perm
from garda.audit.services import audit_view
from garda.core.errors import GardaError
from garda.core.money import rupiah
from garda.core.pdf import render_pdf
from garda.core.scoping import area_condition
from garda.core.views import PartialMixin, ScopedMixin, ServiceFormMixin
from garda.reports import xlsx
from garda.wilayah.models import Level, Wilayah

from ..forms_distributions import (
    BulkRecordForm,
    DistributionFilterForm,
    ReconciliationForm,
    RecordForm,
    UploadForm,
)
from ..models import Distribution, DistributionStatus, Period, Program
from ..reconciliation import (
    Reconciliation,
    reconciliation,
    reconciliation_rows,
    status_headers,
)
from ..selectors import programs_managed_by
from ..services import distributions as services

UPLOAD_TEMPLATE_FILENAME = "template-penyaluran.xlsx"
MAX_UPLOAD_MB = 20  # a file of outcomes: 20,000 rows of seven columns is well under this


def distribution_rows(queryset: QuerySet[Distribution]) -> QuerySet[Distribution]:
    """What a list row or a detail page shows, in a fixed number of queries."""
    return queryset.select_related(
        "period__program",
        "wilayah__parent",
        "enrolment__keluarga",
        "enrolment__individu",
        "accompanied_by",
    )


# --- the list and recording many -----------------------------------------------------------


class DistributionListView(ScopedMixin, PartialMixin, ListView):
    """The distributions of one period, filtered by region and status. Without a period
    chosen it shows the latest period that has distributions the user may see."""

    model = Distribution
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/distribution_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Distribution]:
        self.filter_form = DistributionFilterForm(self.request.GET or None, actor=self.actor)
        code = self.request.GET.get("wilayah", "").strip()
        if code and not self.actor.can_in(self.permission, code):
            raise Http404  # a region outside the user's areas, like a missing one
        visible = super().get_queryset()
        self.period: Period | None = None
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return Distribution.objects.none()
        data = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        self.period = data.get("period") or self.latest_period(visible)
        if self.period is not None and not self.filter_form.is_bound:
            self.filter_form.initial["period"] = self.period.pk  # the select shows what is listed
        if self.period is None:
            return Distribution.objects.none()
        rows = visible.filter(period=self.period)
        if data.get("wilayah"):
            rows = rows.filter(area_condition("wilayah_id", [data["wilayah"].code]))
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        return distribution_rows(rows).order_by("wilayah_id", "enrolment__enrolled_on", "pk")

    def latest_period(self, visible: QuerySet[Distribution]) -> Period | None:
        latest = visible.order_by("-period__starts_on").values_list("period_id", flat=True)[:1]
        return Period.objects.select_related("program").filter(pk__in=latest).first()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        can_record = self.actor.has_garda_perm(Perm.RECORD_DISTRIBUTIONS)
        return {
            **super().get_context_data(**kwargs),
            "filter_form": self.filter_form,
            "period": self.period,
            "can_record": can_record,
            "can_plan": self.period is not None and self.actor.has_garda_perm(Perm.MANAGE_PROGRAMS),
            "bulk_form": BulkRecordForm(distributions=Distribution.objects.none())
            if can_record
            else None,
        }


class DistributionBulkView(ScopedMixin, View):
    """Record one outcome for the ticked distributions: all of them, or none."""

    model = Distribution
    permission = Perm.RECORD_DISTRIBUTIONS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        visible = distribution_rows(self.get_queryset()).order_by()
        ids = request.POST.getlist("selected")
        try:
            found = visible.filter(pk__in=ids).count()
        except ValidationError:  # not a UUID
            found = -1
        if found != len(set(ids)):  # a distribution outside the area, or none at all
            raise Http404
        form = BulkRecordForm(request.POST, distributions=visible)
        back = reverse("programs:distribution_list") + "?" + request.POST.get("back", "")
        if not form.is_valid():
            if "selected" in form.errors:
                messages.error(request, _("Tick at least one distribution of your area."))
            for name, errors in form.errors.items():
                if name != "selected":
                    text = " ".join(str(error) for error in errors)
                    messages.error(request, f"{form.fields[name].label}: {text}")
            return redirect(back)
        data = form.cleaned_data
        try:
            result = services.distribution_bulk_record(
                actor=self.actor,
                distributions=data["selected"],
                status=data["status"],
                distributed_on=data["distributed_on"],
                channel=data["channel"],
                reason=data["reason"],
            )
        except services.BulkRefused as refused:
            messages.error(request, refused.message)
            for problem in refused.problems[:20]:
                messages.error(request, f"{problem.row}: {problem.message}")
            return redirect(back)
        except GardaError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(request, services.describe(result))
        return redirect(back)


class DistributionPlanView(ScopedMixin, View):
    """Create the scheduled distributions of a period for its active participants."""

    model = Distribution
    permission = Perm.MANAGE_PROGRAMS
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        managed = programs_managed_by(self.actor)
        period = get_object_or_404(
            Period.objects.select_related("program").filter(program__in=managed), pk=pk
        )
        try:
            planned = services.distribution_plan(actor=self.actor, period=period)
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(created)s distributions planned; %(existing)s were planned already.")
                % {"created": planned.created, "existing": planned.existing},
            )
        return redirect(reverse("programs:distribution_list") + f"?period={period.pk}")


# --- one distribution ----------------------------------------------------------------------


class DistributionDetailView(ScopedMixin, DetailView):
    model = Distribution
    permission = Perm.VIEW_PEOPLE
    template_name = "programs/distribution_detail.html"
    context_object_name = "distribution"

    def get_queryset(self) -> QuerySet[Distribution]:
        return distribution_rows(super().get_queryset())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        audit_view(actor=self.actor, obj=self.object)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        distribution: Distribution = self.object
        labels = dict(DistributionStatus.choices)
        return {
            **super().get_context_data(**kwargs),
            "events": [
                (event, labels.get(event.from_status, ""), labels.get(event.to_status, ""))
                for event in distribution.events.select_related("actor")
            ],
            "can_record": services.can_record(self.actor, distribution)
            and bool(services.next_statuses(distribution)),
            "participant": distribution.enrolment.participant,
        }


class DistributionRecordView(ScopedMixin, ServiceFormMixin, FormView):
    model = Distribution
    permission = Perm.RECORD_DISTRIBUTIONS
    form_class = RecordForm
    template_name = "programs/distribution_record.html"

    def get_distribution(self) -> Distribution:
        if not hasattr(self, "distribution"):
            self.distribution = get_object_or_404(
                distribution_rows(self.get_queryset()), pk=self.kwargs["pk"]
            )
        return self.distribution

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "distribution": self.get_distribution()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "distribution": self.get_distribution()}

    def perform(self, form: RecordForm) -> HttpResponse:
        data = form.cleaned_data
        distribution = self.get_distribution()
        event = services.distribution_record(
            actor=self.actor,
            distribution=distribution,
            status=data["status"],
            distributed_on=data["distributed_on"],
            channel=data["channel"],
            reason=data["reason"],
            accompanied_by=data["accompanied_by"],
            proof_photo=data["proof_photo"] or None,
            signature=data["signature"] or None,
            expected_version=data["version"],
        )
        messages.success(
            self.request,
            _("Recorded: %(status)s.") % {"status": DistributionStatus(event.to_status).label},
        )
        return redirect(distribution)


class DistributionFileView(ScopedMixin, View):
    """The proof photo or the signature image of a distribution, only to those who may see
    the distribution (a file outside the area answers 404, like a missing one)."""

    model = Distribution
    permission = Perm.VIEW_PEOPLE
    kinds = {"foto": "proof_photo", "ttd": "signature"}

    def get(self, request: HttpRequest, pk: Any, kind: str) -> FileResponse:
        if kind not in self.kinds:
            raise Http404
        distribution = get_object_or_404(self.get_queryset(), pk=pk)
        stored = getattr(distribution, self.kinds[kind])
        if not stored:
            raise Http404
        name = stored.name or ""
        extension = posixpath.splitext(name)[1].lower()
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse(
            stored.open("rb"),
            as_attachment=not content_type.startswith("image/"),
            filename=f"{slugify(f'penyaluran {kind} {distribution.pk}')}{extension}",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class DistributionUploadView(ScopedMixin, FormView):
    """Record the outcomes listed in a file: every row checked, all written or none."""

    model = Distribution
    permission = Perm.RECORD_DISTRIBUTIONS
    form_class = UploadForm
    template_name = "programs/distribution_upload.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "columns": services.UPLOAD_COLUMNS,
            "statuses": services.S.choices,
            "channels": services.Channel.choices,
        }

    def form_valid(self, form: UploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            form.add_error(
                "file",
                _("The file is larger than %(mb)s MB. Split it into smaller files.")
                % {"mb": MAX_UPLOAD_MB},
            )
            return self.form_invalid(form)
        try:
            result = services.distribution_upload(
                actor=self.actor, program=form.cleaned_data["program"], content=upload.read()
            )
        except services.BulkRefused as refused:
            return self.render_to_response(
                self.get_context_data(
                    form=form,
                    problems=[p.as_dict() for p in refused.problems],
                    refused=refused.message,
                )
            )
        except GardaError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        messages.success(self.request, services.describe(result))
        return redirect(reverse("programs:distribution_upload"))


class UploadTemplateView(ScopedMixin, View):
    model = Distribution
    permission = Perm.RECORD_DISTRIBUTIONS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return xlsx.file_response(services.upload_template(), filename=UPLOAD_TEMPLATE_FILENAME)


# --- reconciliation ------------------------------------------------------------------------


class ReconciliationMixin(ScopedMixin):
    """The programme, periods and region from the query string: `?program=&period=&wilayah=`.
    A region outside the user's areas answers 404; without one, the user's own area."""

    model = Wilayah
    permission = Perm.VIEW_AGGREGATES

    def get_area(self) -> Wilayah:
        code = self.request.GET.get("wilayah", "").strip()
        if not code:
            regions = {a.wilayah_id: a.wilayah for a in self.actor.active_assignments()}
            return regions[self.actor.areas_for(self.permission)[0]]
        area = (
            Wilayah.objects.visible_to(self.actor, self.permission)
            .select_related("parent")
            .filter(code=code)
            .first()
        )
        if area is None:
            raise Http404
        return area

    def get_result(self) -> tuple[ReconciliationForm, Reconciliation | None]:
        area = self.get_area()
        form = ReconciliationForm(self.request.GET)
        if not form.is_valid():
            return form, None
        period = form.cleaned_data.get("period")
        program = form.cleaned_data.get("program") or (period.program if period else None)
        if program is None:
            program = (
                Program.objects.filter(periods__isnull=False).order_by("name").distinct().first()
            )
        if program is None:
            return form, None
        result = reconciliation(
            user=self.actor, program=program, area=area, periods=[period] if period else []
        )
        return form, result

    def ancestors(self, area: Wilayah) -> list[Wilayah]:
        chain: list[Wilayah] = []
        parent = area.parent if self.actor.can_in(self.permission, area.parent_id or "") else None
        while parent is not None:
            chain.insert(0, parent)
            if not self.actor.can_in(self.permission, parent.parent_id or ""):
                break
            parent = parent.parent
        return chain

    def context(self) -> dict[str, Any]:
        form, result = self.get_result()
        query = {
            key: self.request.GET[key] for key in ("program", "period") if self.request.GET.get(key)
        }
        if result is not None:
            query.setdefault("program", str(result.program.pk))
        base = "&".join(f"{key}={value}" for key, value in query.items())
        return {
            "form": form,
            "result": result,
            "headers": status_headers(),
            "query": base,
        }


class ReconciliationView(ReconciliationMixin, TemplateView):
    template_name = "programs/reconciliation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = self.context()
        result: Reconciliation | None = context["result"]
        area = result.area if result else self.get_area()
        return {
            **super().get_context_data(**kwargs),
            **context,
            "area": area,
            "ancestors": self.ancestors(area),
            "can_drill": area.level < Level.KECAMATAN,
            # Desa rows link to the list of distributions, for those who may see people.
            "can_list": self.actor.can_in(Perm.VIEW_PEOPLE, area.code),
        }


def export_filename(result: Reconciliation, extension: str) -> str:
    periods = result.periods[0].name if len(result.periods) == 1 else "semua-tahap"
    program = slugify(result.program.code)
    return f"rekonsiliasi-{program}-{slugify(periods)}-{result.area.code}.{extension}"


class ReconciliationPdfView(ReconciliationMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.context()
        result: Reconciliation | None = context["result"]
        if result is None:
            raise Http404
        content = render_pdf("programs/pdf_reconciliation.html", context)
        return xlsx.file_response(
            content, filename=export_filename(result, "pdf"), content_type="application/pdf"
        )


class ReconciliationXlsxView(ReconciliationMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result = self.context()["result"]
        if result is None:
            raise Http404
        return xlsx.file_response(
            reconciliation_xlsx(result), filename=export_filename(result, "xlsx")
        )


def reconciliation_xlsx(result: Reconciliation) -> bytes:
    """The reconciliation as a workbook: the regions with their total, the periods, and what
    the numbers are about."""
    workbook = xlsx.new_workbook()
    columns = [
        xlsx.Column(_("Code"), width=16),
        xlsx.Column(str(result.child_level_label), width=28),
    ]
    for _key, label in status_headers():
        columns += [
            xlsx.Column(_("%(status)s (count)") % {"status": label}, xlsx.Kind.NUMBER, 14),
            xlsx.Column(_("%(status)s (Rp)") % {"status": label}, xlsx.Kind.RUPIAH, 18),
        ]
    rows = reconciliation_rows(result)
    rows[-1] = (rows[-1][0], _("Total"), *rows[-1][2:])
    xlsx.add_sheet(workbook, title=_("Reconciliation"), columns=columns, rows=rows)
    period_rows = []
    for row in result.by_period:
        numbers: list[int] = []
        for cell in row.columns:
            numbers += [cell.count, cell.amount]
        period_rows.append(("", row.name, *numbers))
    period_columns = [
        xlsx.Column("", width=4),
        xlsx.Column(_("Period (tahap)"), width=28),
        *columns[2:],
    ]
    xlsx.add_sheet(workbook, title=_("Periods (tahap)"), columns=period_columns, rows=period_rows)
    about = [
        (_("Programme"), result.program.name),
        (_("Periods (tahap)"), ", ".join(p.name for p in result.periods)),
        (_("Region"), f"{result.area} ({result.area.code})"),
        (_("Planned (Rp)"), rupiah(result.total.planned.amount)),
    ]
    xlsx.add_sheet(
        workbook,
        title=_("About"),
        columns=[xlsx.Column("", width=20), xlsx.Column("", width=60)],
        rows=about,
    )
    return xlsx.workbook_bytes(workbook)


urlpatterns = [
    path("penyaluran/", DistributionListView.as_view(), name="distribution_list"),
    path("penyaluran/catat/", DistributionBulkView.as_view(), name="distribution_bulk"),
    path("penyaluran/unggah/", DistributionUploadView.as_view(), name="distribution_upload"),
    path(
        "penyaluran/unggah/template.xlsx",
        UploadTemplateView.as_view(),
        name="distribution_upload_template",
    ),
    path(
        "penyaluran/tahap/<uuid:pk>/rencana/",
        DistributionPlanView.as_view(),
        name="distribution_plan",
    ),
    path("penyaluran/<uuid:pk>/", DistributionDetailView.as_view(), name="distribution_detail"),
    path(
        "penyaluran/<uuid:pk>/catat/", DistributionRecordView.as_view(), name="distribution_record"
    ),
    path(
        "penyaluran/<uuid:pk>/berkas/<slug:kind>/",
        DistributionFileView.as_view(),
        name="distribution_file",
    ),
    path("rekonsiliasi/", ReconciliationView.as_view(), name="reconciliation"),
    path("rekonsiliasi/pdf/", ReconciliationPdfView.as_view(), name="reconciliation_pdf"),
    path("rekonsiliasi/xlsx/", ReconciliationXlsxView.as_view(), name="reconciliation_xlsx"),
]
