"""Forms of the distribution pages: the list's filters, recording one distribution, recording
the ticked ones, uploading a file, and the reconciliation's choices. The forms only parse;
the rules live in `services.distributions`."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.pilar.models import PSM, Pilar
from garda.wilayah.models import Level, Wilayah

from .models import Channel, Distribution, DistributionStatus, Period, Program
from .services.distributions import next_statuses


class DateInput(forms.DateInput):
    """The phone's own date picker; ISO values so the browser can show the stored date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Period) -> str:
        return f"{obj.program.name} — {obj.name}"


def periods() -> QuerySet[Period]:
    return Period.objects.select_related("program").order_by("program__name", "-starts_on")


class DistributionFilterForm(forms.Form):
    """The list's filters; their names are a contract the reconciliation links to:
    `?period=<id>&wilayah=<code>&status=gagal`."""

    period = PeriodChoiceField(label=_("period"), queryset=Period.objects.none(), required=False)
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("All")), *DistributionStatus.choices]
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods()  # type: ignore[attr-defined]
        self.fields["wilayah"].queryset = (  # type: ignore[attr-defined]
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA])
        )


class RecordForm(forms.Form):
    status = forms.ChoiceField(label=_("new status"), choices=())
    distributed_on = forms.DateField(
        label=_("date"),
        required=False,
        widget=DateInput(),
        help_text=_("The day the aid was handed over, or returned."),
    )
    channel = forms.ChoiceField(
        label=_("channel"), required=False, choices=[("", "—"), *Channel.choices]
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        required=False,
        help_text=_("Required when the distribution failed or was returned."),
    )
    accompanied_by = forms.ModelChoiceField(
        label=_("accompanied by (PSM)"), queryset=Pilar.objects.none(), required=False
    )
    proof_photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("A JPEG or PNG photo of the handover."),
    )
    signature = forms.FileField(
        label=_("signature"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("A photo or scan of the recipient's signature."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, *args: Any, distribution: Distribution, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", distribution.version)
        kwargs["initial"].setdefault("channel", distribution.channel)
        super().__init__(*args, **kwargs)
        labels = dict(DistributionStatus.choices)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, labels[value]) for value in next_statuses(distribution)
        ]
        self.fields["accompanied_by"].queryset = companions(  # type: ignore[attr-defined]
            distribution.wilayah_id
        )


def companions(code: str) -> QuerySet[Pilar]:
    """The active PSMs of a desa: who may be named as having accompanied a distribution."""
    return Pilar.objects.active().of_type(PSM).filter(wilayah_id=code).order_by("name")


class BulkRecordForm(forms.Form):
    """The ticked distributions of the list and the one outcome to record for all of them."""

    selected = forms.ModelMultipleChoiceField(
        queryset=Distribution.objects.none(), widget=forms.MultipleHiddenInput
    )
    status = forms.ChoiceField(
        label=_("new status"),
        choices=[
            (s.value, s.label)
            for s in (
                DistributionStatus.DELIVERED,
                DistributionStatus.FAILED,
                DistributionStatus.RETURNED,
            )
        ],
    )
    distributed_on = forms.DateField(label=_("date"), required=False, widget=DateInput())
    channel = forms.ChoiceField(
        label=_("channel"), required=False, choices=[("", "—"), *Channel.choices]
    )
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)

    def __init__(self, *args: Any, distributions: QuerySet[Distribution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selected"].queryset = distributions  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    program = forms.ModelChoiceField(label=_("programme"), queryset=Program.objects.none())
    file = forms.FileField(
        label=_("file"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file with the columns listed above."),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.order_by("name")  # type: ignore[attr-defined]


class ReconciliationForm(forms.Form):
    """The programme, period and region of the reconciliation (all optional: the page picks
    a programme and the user's own area when none is given)."""

    program = forms.ModelChoiceField(
        label=_("programme"), queryset=Program.objects.none(), required=False, empty_label=None
    )
    period = PeriodChoiceField(
        label=_("period"),
        queryset=Period.objects.none(),
        required=False,
        empty_label=_("All periods"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["period"].queryset = periods()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period, program = data.get("period"), data.get("program")
        if period is not None and program is not None and period.program_id != program.pk:
            self.add_error("period", _("This period belongs to another programme."))
        return data
