"""Forms of the programme catalogue and of enrolment. They only collect and clean input; the
services decide (and give the messages a PSM reads). Other capabilities of this app keep their
forms in their own modules (forms_distributions, forms_proposals...)."""

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField, limit_regions
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.registry.forms import DateInput, VillageChoiceField
from garda.registry.models import PpksType
from garda.wilayah.models import Level, Wilayah

from .models import EnrolmentStatus, Program
from .selectors import programs_visible_to


class RegionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Wilayah) -> str:
        indent = "\u2003" * max(obj.level - Level.KECAMATAN, 0)
        return f"{indent}{obj} ({obj.code})"


PROGRAM_FIELDS = [
    "code",
    "name",
    "description",
    "wilayah",
    "fund_source",
    "kind",
    "target_unit",
    "benefit_amount",
    "benefit_description",
    "max_desil",
    "min_age",
    "max_age",
    "ppks_types",
    "areas",
    "conflicts",
    "is_active",
]


class ProgramForm(forms.ModelForm):
    """A programme and its rules. The version guards against two people saving at once."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    wilayah = RegionChoiceField(
        label=_("run by (region)"),
        required=False,
        queryset=Wilayah.objects.none(),
        empty_label=_("National programme"),
        help_text=_("Empty for a national programme."),
    )
    areas = RegionsField(
        label=_("only in these regions"),
        required=False,
        queryset=Wilayah.objects.none(),
        help_text=_("Empty: the whole region that runs the programme."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    ppks_types = forms.ModelMultipleChoiceField(
        label=_("PPKS categories"),
        required=False,
        queryset=PpksType.objects.filter(is_active=True).order_by("number"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Any one of them qualifies. None ticked: no PPKS rule."),
    )
    conflicts = forms.ModelMultipleChoiceField(
        label=_("conflicts with"),
        required=False,
        queryset=Program.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Enrolling someone who is in one of these asks for a note first."),
    )

    class Meta:
        model = Program
        fields = PROGRAM_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            Wilayah.objects.visible_to(actor, Perm.MANAGE_PROGRAMS)
            .active()
            .filter(level__lte=Level.KABUPATEN),
        )
        areas = self.fields["areas"]
        assert isinstance(areas, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        areas.queryset = (
            Wilayah.objects.visible_to(actor, Perm.MANAGE_PROGRAMS)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA])
        )
        conflicts = self.fields["conflicts"]
        assert isinstance(conflicts, forms.ModelMultipleChoiceField)  # noqa: S101
        others = programs_visible_to(actor)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        conflicts.queryset = others.order_by("name")
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_age",
                _("The minimum age (%(min)s) is above the maximum age (%(max)s).")
                % {"min": low, "max": high},
            )
        return data

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROGRAM_FIELDS}


class PeriodForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60, help_text=_("e.g. Tahap 1 2026"))
    starts_on = forms.DateField(label=_("starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("ends on"), widget=DateInput())


class QuotaForm(forms.Form):
    wilayah = VillageChoiceField(label=_("kecamatan or desa"), queryset=Wilayah.objects.none())
    quota = forms.IntegerField(
        label=_("quota"),
        min_value=0,
        required=False,
        help_text=_("How many participants at once. Empty removes the quota."),
    )

    def __init__(self, *args: Any, actor: User, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = (
            Wilayah.objects.visible_to(actor, Perm.VIEW_REGIONS)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA])
            .select_related("parent")
        )
        if program.wilayah_id:
            regions = regions.within(program.wilayah_id)
        limit_regions(self, regions)


# --- enrolment -----------------------------------------------------------------------------


def kecamatan_and_desa(actor: User, permission: str) -> QuerySet[Wilayah]:
    return (
        Wilayah.objects.visible_to(actor, permission)
        .active()
        .filter(level__in=[Level.KECAMATAN, Level.DESA])
    )


class CandidateFilterForm(forms.Form):
    """The names are a contract: `?wilayah=19.01.02.2007&ppks=24&diusulkan=on`."""

    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    ppks = forms.ModelChoiceField(
        label=_("PPKS category"),
        required=False,
        queryset=PpksType.objects.filter(is_active=True).order_by("number"),
        to_field_name="number",
        empty_label=_("All"),
    )
    diusulkan = forms.BooleanField(
        label=_("only those proposed by the village and approved"), required=False
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(self, kecamatan_and_desa(actor, Perm.VIEW_PEOPLE))


class IdsField(forms.Field):
    """The ids of the ticked checkboxes; any that is not an id makes the form invalid."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one candidate."),
        "invalid": _("The list of candidates is not valid; reload the page."),
    }

    def to_python(self, value: Any) -> list[uuid.UUID]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return list(dict.fromkeys(uuid.UUID(str(v)) for v in values))
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error


class EnrolForm(forms.Form):
    """The ticked candidates of the page, and the note that answers a conflict warning."""

    MAX = 200

    subject = IdsField(label=_("candidates"))
    note = forms.CharField(
        label=_("note"),
        max_length=300,
        required=False,
        help_text=_("Needed when someone is already in a conflicting programme."),
    )

    def clean_subject(self) -> list[uuid.UUID]:
        ids = self.cleaned_data["subject"]
        if len(ids) > self.MAX:
            raise forms.ValidationError(
                _("Enrol at most %(max)s at a time.") % {"max": self.MAX}, code="too_many"
            )
        return ids


class EnrolmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("All")), *EnrolmentStatus.choices],
    )
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(self, kecamatan_and_desa(actor, Perm.VIEW_PEOPLE))


class EnrolmentActionForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput)


class EnrolmentEndForm(EnrolmentActionForm):
    ended_on = forms.DateField(label=_("ended on"), widget=DateInput())
