"""What the API shows of each resource. Personal identifiers (NIK, No KK) are always masked
here; a caller holding REVEAL_IDENTIFIERS asks for one full identifier at a time, with a
reason, through the logged `reveal` endpoints. Free-text narratives of cases are left out."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from garda.accounts.roles import Perm
from garda.activities.models import Activity
from garda.cases.models import Case
from garda.monitoring.models import Indicator
from garda.pilar.models import Pilar
from garda.programs.models import (
    Channel,
    Distribution,
    DistributionStatus,
    Enrolment,
    Program,
    Proposal,
)
from garda.registry.models import Individu, Keluarga
from garda.wilayah.models import Wilayah

from .models import ApiToken


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wilayah
        fields = ["code", "name", "level", "kind", "parent", "is_active"]


class WorkerSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="jenis.code", read_only=True)
    nik_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Pilar
        fields = [
            "id",
            "type",
            "name",
            "nik_masked",
            "sex",
            "wilayah",
            "status",
            "phone",
            "ipsm_number",
            "joined_on",
            "updated_at",
        ]


class HouseholdSerializer(serializers.ModelSerializer):
    no_kk_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Keluarga
        fields = [
            "id",
            "no_kk_masked",
            "wilayah",
            "dusun",
            "rt",
            "rw",
            "desil",
            "dtks_id",
            "updated_at",
        ]


class ResidentSerializer(serializers.ModelSerializer):
    nik_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Individu
        fields = [
            "id",
            "nik_masked",
            "name",
            "sex",
            "birth_date",
            "relation",
            "keluarga",
            "wilayah",
            "disability",
            "is_deceased",
            "moved_out",
            "updated_at",
        ]


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Program
        fields = [
            "id",
            "code",
            "name",
            "wilayah",
            "fund_source",
            "kind",
            "target_unit",
            "benefit_amount",
            "benefit_description",
            "max_desil",
            "min_age",
            "max_age",
            "is_active",
        ]


class EnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = [
            "id",
            "program",
            "keluarga",
            "individu",
            "wilayah",
            "status",
            "enrolled_on",
            "ended_on",
            "updated_at",
        ]


class DistributionSerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="enrolment.program_id", read_only=True)
    has_proof_photo = serializers.SerializerMethodField()

    class Meta:
        model = Distribution
        fields = [
            "id",
            "enrolment",
            "program",
            "period",
            "wilayah",
            "amount",
            "status",
            "reason",
            "distributed_on",
            "channel",
            "accompanied_by",
            "has_proof_photo",
            "version",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_proof_photo(self, obj: Distribution) -> bool:
        return bool(obj.proof_photo)


class DistributionRecordSerializer(serializers.Serializer):
    """The outcome of one distribution (photo and signature are added on the page)."""

    status = serializers.ChoiceField(
        choices=[c for c in DistributionStatus.choices if c[0] != DistributionStatus.SCHEDULED]
    )
    distributed_on = serializers.DateField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class ProposalSerializer(serializers.ModelSerializer):
    nik_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "kind",
            "status",
            "wilayah",
            "program",
            "individu",
            "keluarga",
            "name",
            "nik_masked",
            "removal_reason",
            "submitted_at",
            "verified_at",
            "approved_on",
            "decree_number",
            "updated_at",
        ]


class CaseSerializer(serializers.ModelSerializer):
    ppks_type = serializers.CharField(source="ppks_type.code", read_only=True, default=None)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "wilayah",
            "source",
            "ppks_type",
            "urgency",
            "title",
            "status",
            "reported_at",
            "response_due",
            "follow_up_on",
            "closed_at",
            "handler_pilar",
        ]


class ActivitySerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="jenis.code", read_only=True)
    case = serializers.SerializerMethodField()

    def get_case(self, activity: Activity) -> uuid.UUID | None:
        """The social case the report belongs to, for callers who may read cases there; to
        the others (a village operator) it is empty, as for a report with no case."""
        if activity.case is None:
            return None
        user = self.context["request"].user
        return activity.case_id if user.can_in(Perm.VIEW_CASES, activity.case.wilayah_id) else None

    class Meta:
        model = Activity
        fields = [
            "id",
            "client_uuid",
            "type",
            "pilar",
            "wilayah",
            "occurred_at",
            "latitude",
            "longitude",
            "description",
            "participants",
            "program",
            "case",
            "status",
            "submitted_at",
            "verified_at",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["code", "name", "description", "source", "unit", "direction", "weight"]


class RollupSerializer(serializers.Serializer):
    """One indicator in one desa and month, over all its social workers (no names)."""

    indicator = serializers.CharField()
    wilayah = serializers.CharField()
    month = serializers.DateField()
    workers = serializers.IntegerField()
    numerator = serializers.DecimalField(max_digits=16, decimal_places=2)
    denominator = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class RevealRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=5, max_length=300)


class RevealSerializer(serializers.Serializer):
    value = serializers.CharField()


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class ErrorSerializer(serializers.Serializer):
    """Every error: a message in the caller's language and a stable code."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
