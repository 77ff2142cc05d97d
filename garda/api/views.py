"""REST API v1. Every endpoint reads its rows through `visible_to(user, <the page's
permission>)`: anonymous -> 401, a role without the permission -> 403, a row outside the
caller's areas -> 404. Writes go through the same services as the pages."""

import datetime
from typing import Any, ClassVar, cast

from django.db.models import Count, Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from garda.accounts.roles import Perm
from garda.activities.models import Activity
from garda.activities.models import Status as ActivityStatus
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.cases.models import Case, Urgency
from garda.cases.models import Status as CaseStatus
from garda.cases.selectors import READ_PERMISSION as CASE_PERMISSION
from garda.monitoring.models import Indicator, Rollup
from garda.pilar.models import Pilar
from garda.pilar.models import Status as PilarStatus
from garda.programs.models import (
    Distribution,
    DistributionStatus,
    Enrolment,
    EnrolmentStatus,
    Program,
    Proposal,
    ProposalKind,
    ProposalStatus,
)
from garda.programs.selectors import programs_visible_to
from garda.programs.services.distributions import distribution_record
from garda.registry.models import Individu, IndividuQuerySet, Keluarga
from garda.wilayah.models import Level, Wilayah

from . import serializers as s
from .filters import Filters, choice_param, date_params, id_param, region_param
from .language import api_language
from .permissions import HoldsPermission

ERRORS = {
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    429: s.ErrorSerializer,
}


class ApiView:
    """Language per request, the permission check and the scoped queryset."""

    permission: ClassVar[str]
    write_permission: ClassVar[str | None] = None
    model: ClassVar[Any]
    permission_classes = [HoldsPermission]
    # Any path segment reaches the view, so a malformed id answers the API's JSON 404 (not the
    # HTML page of Django's URL resolver).
    lookup_value_regex = r"[^/]+"
    request: Request
    action: str | None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = api_language(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response["Content-Language"] = language
        response["Cache-Control"] = "private, no-store"
        return response

    def required_permission(self) -> str:
        if self.write_permission and self.request.method not in {"GET", "HEAD", "OPTIONS"}:
            return self.write_permission
        return self.permission

    def scoped(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user, self.required_permission())

    def filters(self) -> Filters:
        return Filters(self.request.query_params)


class ReadOnly(ApiView, viewsets.ReadOnlyModelViewSet):
    def get_queryset(self) -> QuerySet:
        qs = self.scoped()
        if self.action == "list":
            qs = self.filter_list(qs, self.filters())
        return qs

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        return qs


def listing(serializer: Any, *params: OpenApiParameter) -> Any:
    """The documented query parameters and answers (errors included) of a read-only resource."""
    return extend_schema_view(
        list=extend_schema(
            parameters=list(params), responses={200: serializer(many=True), **ERRORS}
        ),
        retrieve=extend_schema(responses={200: serializer, **ERRORS}),
    )


@listing(
    s.RegionSerializer,
    region_param("within"),
    OpenApiParameter("level", OpenApiTypes.INT, enum=[c for c, _l in Level.choices]),
)
class RegionViewSet(ReadOnly):
    """Regions (Kemendagri codes) in the caller's areas. Viewers too."""

    permission = Perm.VIEW_REGIONS
    model = Wilayah
    serializer_class = s.RegionSerializer
    lookup_field = "code"

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.region(qs, field="code", name="within")
        level = f._get("level")
        if level is not None:
            if level not in {str(c) for c, _l in Level.choices}:
                raise ValidationError(
                    {"level": [translation.gettext("Not one of the allowed values.")]}
                )
            qs = qs.filter(level=int(level))
        return qs


@listing(
    s.WorkerSerializer,
    region_param(),
    choice_param("status", PilarStatus.choices),
    OpenApiParameter("type", OpenApiTypes.STR, description="pillar type code, e.g. psm"),
)
class WorkerViewSet(ReadOnly):
    """Social pillar members (PSM, TKSK...) serving in the caller's areas."""

    permission = Perm.VIEW_PEOPLE
    model = Pilar
    serializer_class = s.WorkerSerializer

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("jenis").order_by("name", "pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.choice(f.region(qs), "status", PilarStatus.choices)
        kind = f._get("type")
        return qs.filter(jenis__code=kind) if kind is not None else qs


class RevealMixin:
    reveal_field: ClassVar[str]

    def _reveal(self, request: Request, pk: Any) -> Response:
        holder: Any = self
        subject = get_object_or_404(
            holder.model.objects.visible_to(request.user, Perm.REVEAL_IDENTIFIERS), pk=pk
        )
        form = s.RevealRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        audit_record(
            actor=request.user,
            action=Action.REVEAL,
            obj=subject,
            reason=form.validated_data["reason"],
        )
        return Response({"value": getattr(subject, self.reveal_field)})


REVEAL_SCHEMA = extend_schema(
    request=s.RevealRequestSerializer,
    responses={200: s.RevealSerializer, **ERRORS},
    description="The full identifier, for a reason; each reveal is written to the audit trail. "
    "Needs the reveal permission in the row's region.",
)


@listing(
    s.HouseholdSerializer,
    region_param(),
    OpenApiParameter("desil", {"type": "integer", "minimum": 1, "maximum": 10}),
)
class HouseholdViewSet(RevealMixin, ReadOnly):
    """Households (KK) in the caller's areas. No KK masked."""

    permission = Perm.VIEW_PEOPLE
    model = Keluarga
    serializer_class = s.HouseholdSerializer
    reveal_field = "no_kk"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        return f.integer(f.region(qs), "desil", "desil", low=1, high=10)

    @REVEAL_SCHEMA
    @action(detail=True, methods=["post"], url_path="reveal", url_name="reveal")
    def reveal(self, request: Request, pk: Any = None) -> Response:
        """Reveal the full No KK."""
        return self._reveal(request, pk)

    def required_permission(self) -> str:
        return Perm.REVEAL_IDENTIFIERS if self.action == "reveal" else self.permission


@listing(
    s.ResidentSerializer,
    region_param(),
    id_param("household", "household id"),
    choice_param("sex", [("L", "L"), ("P", "P")]),
    *date_params("born", "date of birth"),
)
class ResidentViewSet(RevealMixin, ReadOnly):
    """Residents in the caller's areas (records merged into another are left out). NIK masked."""

    permission = Perm.VIEW_PEOPLE
    model = Individu
    serializer_class = s.ResidentSerializer
    reveal_field = "nik"

    def get_queryset(self) -> QuerySet:
        queryset = cast(IndividuQuerySet, super().get_queryset())
        return queryset.current().order_by("pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.identifier(f.region(qs), "household", "keluarga_id")
        qs = f.choice(qs, "sex", [("L", "L"), ("P", "P")])
        return f.date_range(qs, "born", "birth_date")

    @REVEAL_SCHEMA
    @action(detail=True, methods=["post"], url_path="reveal", url_name="reveal")
    def reveal(self, request: Request, pk: Any = None) -> Response:
        """Reveal the full NIK."""
        return self._reveal(request, pk)

    def required_permission(self) -> str:
        return Perm.REVEAL_IDENTIFIERS if self.action == "reveal" else self.permission


@listing(s.ProgrammeSerializer, OpenApiParameter("active", OpenApiTypes.BOOL))
class ProgrammeViewSet(ReadOnly):
    """The programme catalogue: national programmes and those of the caller's regions."""

    permission = Perm.VIEW_REGIONS
    model = Program
    serializer_class = s.ProgrammeSerializer

    def scoped(self) -> QuerySet:
        return programs_visible_to(self.request.user).order_by("name", "pk")  # type: ignore[arg-type]

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        return f.boolean(qs, "active", "is_active")


@listing(
    s.EnrolmentSerializer,
    region_param(),
    id_param("program", "programme id"),
    choice_param("status", EnrolmentStatus.choices),
    *date_params("enrolled", "enrolment date"),
)
class EnrolmentViewSet(ReadOnly):
    """Programme participants (households or residents) in the caller's areas."""

    permission = Perm.VIEW_PEOPLE
    model = Enrolment
    serializer_class = s.EnrolmentSerializer

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.identifier(f.region(qs), "program", "program_id")
        qs = f.choice(qs, "status", EnrolmentStatus.choices)
        return f.date_range(qs, "enrolled", "enrolled_on")


@listing(
    s.DistributionSerializer,
    region_param(),
    id_param("program", "programme id"),
    id_param("period", "period id"),
    choice_param("status", DistributionStatus.choices),
    *date_params("distributed", "distribution date"),
)
class DistributionViewSet(ReadOnly):
    """Planned and recorded distributions in the caller's areas; `record` writes an outcome."""

    permission = Perm.VIEW_PEOPLE
    model = Distribution
    serializer_class = s.DistributionSerializer

    def required_permission(self) -> str:
        return Perm.RECORD_DISTRIBUTIONS if self.action == "record" else self.permission

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("enrolment").order_by("pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.identifier(f.region(qs), "program", "enrolment__program_id")
        qs = f.identifier(qs, "period", "period_id")
        qs = f.choice(qs, "status", DistributionStatus.choices)
        return f.date_range(qs, "distributed", "distributed_on")

    @extend_schema(
        request=s.DistributionRecordSerializer,
        responses={200: s.DistributionSerializer, 409: s.ErrorSerializer, **ERRORS},
        description="Record what happened: delivered (date and channel), failed or returned "
        "(reason). `version` is the one read; a newer record by someone else answers 409.",
    )
    @action(detail=True, methods=["post"], url_path="record", url_name="record")
    def record(self, request: Request, pk: Any = None) -> Response:
        distribution = self.get_object()
        form = s.DistributionRecordSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        distribution_record(
            actor=request.user,  # type: ignore[arg-type]
            distribution=distribution,
            status=data["status"],
            distributed_on=data.get("distributed_on"),
            channel=data.get("channel", ""),
            reason=data.get("reason", ""),
            expected_version=data["version"],
        )
        distribution.refresh_from_db()
        return Response(s.DistributionSerializer(distribution).data)


@listing(
    s.ProposalSerializer,
    region_param(),
    choice_param("kind", ProposalKind.choices),
    choice_param("status", ProposalStatus.choices),
    id_param("program", "programme id"),
    *date_params("submitted", "submission date"),
)
class ProposalViewSet(ReadOnly):
    """Proposals (usulan) from the villages in the caller's areas."""

    permission = Perm.VIEW_PEOPLE
    model = Proposal
    serializer_class = s.ProposalSerializer

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.choice(f.region(qs), "kind", ProposalKind.choices)
        qs = f.choice(qs, "status", ProposalStatus.choices)
        qs = f.identifier(qs, "program", "program_id")
        return f.date_range(qs, "submitted", "submitted_at__date")


@listing(
    s.CaseSerializer,
    region_param(),
    choice_param("status", CaseStatus.choices),
    choice_param("urgency", Urgency.choices),
    *date_params("reported", "report date"),
)
class CaseViewSet(ReadOnly):
    """Social cases in the caller's areas (no narrative: that stays on the case page)."""

    permission = CASE_PERMISSION
    model = Case
    serializer_class = s.CaseSerializer

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("ppks_type").order_by("-reported_at", "pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.choice(f.region(qs), "status", CaseStatus.choices)
        qs = f.choice(qs, "urgency", Urgency.choices)
        return f.date_range(qs, "reported", "reported_at__date")


@listing(
    s.ActivitySerializer,
    region_param(),
    choice_param("status", ActivityStatus.choices),
    id_param("worker", "social worker (pilar) id"),
    *date_params("occurred", "activity date"),
)
class ActivityViewSet(ReadOnly):
    """Field activity reports in the caller's areas."""

    permission = Perm.VIEW_PEOPLE
    model = Activity
    serializer_class = s.ActivitySerializer

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("jenis", "case").order_by("-occurred_at", "pk")

    def filter_list(self, qs: QuerySet, f: Filters) -> QuerySet:
        qs = f.choice(f.region(qs), "status", ActivityStatus.choices)
        qs = f.identifier(qs, "worker", "pilar_id")
        return f.date_range(qs, "occurred", "occurred_at__date")


@listing(s.IndicatorSerializer)
class IndicatorViewSet(ReadOnly):
    """The active monitoring indicators (definitions, no people)."""

    permission = Perm.VIEW_AGGREGATES
    serializer_class = s.IndicatorSerializer
    lookup_field = "code"

    def scoped(self) -> QuerySet:
        return Indicator.objects.filter(is_active=True).order_by("order", "code")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            region_param(),
            OpenApiParameter("indicator", OpenApiTypes.STR, description="indicator code"),
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$",
                description="YYYY-MM",
            ),
        ],
        responses={200: s.RollupSerializer(many=True), **ERRORS},
    )
)
class RollupViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Monitoring figures per indicator, desa and month, summed over the social workers
    (aggregates only: no worker is named, so viewers may read them)."""

    permission = Perm.VIEW_AGGREGATES
    model = Rollup
    serializer_class = s.RollupSerializer

    def get_queryset(self) -> QuerySet:
        f = self.filters()
        qs = f.region(self.scoped())
        code = f._get("indicator")
        if code is not None:
            qs = qs.filter(indicator__code=code)
        month = f._get("month")
        if month is not None:
            day = _month(month)
            if day is None:
                raise ValidationError({"month": [translation.gettext("Not a month (YYYY-MM).")]})
            qs = qs.filter(month=day)
        return (
            qs.values("wilayah_id", "month", "indicator__code")
            .annotate(
                workers=Count("pilar_id", distinct=True),
                numerator_sum=Sum("numerator"),
                denominator_sum=Sum("denominator"),
                computed=Max("computed_at"),
            )
            .order_by("-month", "wilayah_id", "indicator__code")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [
            {
                "indicator": row["indicator__code"],
                "wilayah": row["wilayah_id"],
                "month": row["month"],
                "workers": row["workers"],
                "numerator": row["numerator_sum"],
                "denominator": row["denominator_sum"],
            }
            for row in page or []
        ]
        return self.get_paginated_response(s.RollupSerializer(rows, many=True).data)


def _month(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if len(value) == 7 else None
    except ValueError:
        return None
