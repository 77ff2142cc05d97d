"""Forms of monitoring: visits with the five-dimension rubric, follow-up actions, targets and
indicators. Choices are limited to the user's area; the writes happen in `services`."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from garda.accounts.models import User
from garda.pilar.forms import DateInput
from garda.pilar.models import PSM, Pilar
from garda.wilayah.models import Level, Wilayah

from .models import DIMENSIONS, Direction, FollowUpStatus, Indicator, Rating
from .permissions import MANAGE


class PsmChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Pilar) -> str:
        return f"{obj.name} ({obj.wilayah.name})"


class VisitForm(forms.Form):
    wilayah = forms.ModelChoiceField(
        label=_("Kecamatan visited"), queryset=Wilayah.objects.none(), required=False
    )
    pilar = PsmChoiceField(
        label=_("Or the social worker visited"),
        queryset=Pilar.objects.none(),
        required=False,
    )
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    team = forms.CharField(
        label=_("Team"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names and positions, one per line."),
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 5}))
    recommendations = forms.CharField(
        label=_("Recommendations"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = user.areas_for(MANAGE)
        self.fields["wilayah"].queryset = Wilayah.objects.visible_to(user, MANAGE).filter(  # type: ignore[attr-defined]
            level=Level.KECAMATAN, is_active=True
        )
        self.fields["pilar"].queryset = (  # type: ignore[attr-defined]
            Pilar.objects.visible_to(user, MANAGE).of_type(PSM).active().select_related("wilayah")
            if areas
            else Pilar.objects.none()
        )
        for name, label, guidance in DIMENSIONS:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=Rating.choices,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=guidance,
            )
        self.initial.setdefault("visited_on", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("wilayah") and not data.get("pilar"):
            self.add_error("wilayah", _("Choose the kecamatan visited, or a social worker."))
        if data.get("wilayah") and data.get("pilar"):
            self.add_error("pilar", _("Choose either a kecamatan or a social worker, not both."))
        return data

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _l, _g in DIMENSIONS}


class FollowUpForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.CharField(label=_("Who does it"), max_length=150)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())


class FollowUpStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    done_on = forms.DateField(label=_("Done on"), widget=DateInput(), required=False)
    note = forms.CharField(label=_("Result or reason"), max_length=300, required=False)


class TargetForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("Indicator"), queryset=Indicator.objects.filter(is_active=True)
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(0, _("whole year")), *MONTHS.items()],
    )
    wilayah = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Wilayah.objects.none(),
        required=False,
        help_text=_("Empty: every social worker."),
    )
    value = forms.DecimalField(label=_("Target"), min_value=0, max_digits=10, decimal_places=2)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wilayah"].queryset = (  # type: ignore[attr-defined]
            Wilayah.objects.visible_to(user, MANAGE)
            .filter(level__lte=Level.DESA, is_active=True)
            .order_by("code")
        )
        self.initial.setdefault("year", timezone.localdate().year)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["name", "description", "weight", "direction", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
