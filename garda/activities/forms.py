"""Forms of field activities. They check input and offer choices inside the user's area; the
writes happen in `services`. The same report form checks the web page and a phone's sync."""

import datetime
import uuid
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.cases.models import ACTIVE_STATUSES, Case
from garda.core.forms import DATETIME_FORMATS, DateTimeInput
from garda.pilar.forms import VillageChoiceField
from garda.pilar.models import Pilar
from garda.programs.models import Program
from garda.registry.models import Individu, Keluarga
from garda.wilayah.models import Level, Wilayah

from .models import ActivityType, Meeting


def report_villages(user: User) -> QuerySet[Wilayah]:
    """The desa/kelurahan where `user` may report activities."""
    return (
        Wilayah.objects.visible_to(user, Perm.REPORT_ACTIVITIES)
        .active()
        .filter(level=Level.DESA)
        .select_related("parent")
        .order_by("code")
    )


def report_regions(user: User) -> QuerySet[Wilayah]:
    """Where `user` may hold a meeting: their desa, or their kecamatan and its desa."""
    return (
        Wilayah.objects.visible_to(user, Perm.REPORT_ACTIVITIES)
        .active()
        .filter(level__gte=Level.KECAMATAN, level__lte=Level.DESA)
        .select_related("parent")
        .order_by("code")
    )


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class CaseChoiceField(forms.ModelChoiceField):
    """A social case the reporter may see (VIEW_CASES). Any such case is accepted; the list
    offers the open ones. A case outside the area gets the same answer as a missing one."""

    default_error_messages = {"invalid_choice": _("There is no such case in your area.")}

    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.number} · {obj.title}"  # the short title holds no names, by design


class ActivityForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    jenis = forms.ModelChoiceField(
        ActivityType.objects.filter(is_active=True), label=_("Activity"), to_field_name="code"
    )
    occurred_at = forms.DateTimeField(
        label=_("Date and time"), widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    wilayah = VillageChoiceField(Wilayah.objects.none(), label=_("Desa/kelurahan"))
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    participants = forms.IntegerField(
        label=_("Number of participants"), min_value=0, max_value=100000, required=False
    )
    program = forms.ModelChoiceField(
        Program.objects.filter(is_active=True), label=_("Programme"), required=False
    )
    case = CaseChoiceField(
        Case.objects.none(),
        label=_("Social case"),
        required=False,
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), min_value=-90, max_value=90, required=False, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.HiddenInput,
    )
    accuracy_m = forms.IntegerField(
        label=_("GPS accuracy (m)"), min_value=0, required=False, widget=forms.HiddenInput
    )
    households = forms.ModelMultipleChoiceField(
        Keluarga.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )
    individuals = forms.ModelMultipleChoiceField(
        Individu.objects.none(), required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = report_villages(actor)
        wilayah = self.fields["wilayah"]
        assert isinstance(wilayah, forms.ModelChoiceField)  # noqa: S101
        wilayah.queryset = villages
        own = list(villages[:2])
        if len(own) == 1:
            wilayah.initial = own[0].code
        for name, model in (("households", Keluarga), ("individuals", Individu)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101
            field.queryset = model.objects.visible_to(actor, Perm.VIEW_PEOPLE)
        self._offer_cases(actor)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def _offer_cases(self, actor: User) -> None:
        field = self.fields["case"]
        assert isinstance(field, CaseChoiceField)  # noqa: S101
        visible = Case.objects.visible_to(actor, Perm.VIEW_CASES)
        field.queryset = visible

        def offered() -> list[tuple[str, str]]:
            # Evaluated only when the form is drawn: the open cases, and the one chosen.
            value = self["case"].value()
            chosen = Q(pk=_uuid_or_none(getattr(value, "pk", value)))
            cases = visible.filter(Q(status__in=ACTIVE_STATUSES) | chosen).order_by("-reported_at")
            return [("", "—"), *((str(c.pk), field.label_from_instance(c)) for c in cases)]

        field.widget.choices = offered

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        occurred = data.get("occurred_at")
        if occurred and occurred > timezone.now() + datetime.timedelta(minutes=10):
            self.add_error("occurred_at", _("The activity cannot be in the future."))
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What must be corrected or added"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ActivityFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .models import Status

        self.fields["status"].choices = [("", _("All")), *Status.choices]  # type: ignore[attr-defined]

    def clean_month(self) -> tuple[int, int] | None:
        return parse_month(self.cleaned_data.get("month") or "")


def parse_month(value: str) -> tuple[int, int] | None:
    """ "2026-03" -> (2026, 3); empty -> None; anything else is a form error."""
    if not value:
        return None
    try:
        year, month = (int(part) for part in value.split("-"))
        datetime.date(year, month, 1)
    except ValueError as error:
        raise forms.ValidationError(_("Choose a month.")) from error
    return year, month


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}))

    def clean_month(self) -> tuple[int, int] | None:
        return parse_month(self.cleaned_data.get("month") or "")


class AttendeeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Pilar) -> str:
        return f"{obj.name} ({obj.jenis.name}, {obj.wilayah.name})"


class MeetingForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    held_at = forms.DateTimeField(
        label=_("Date and time"), widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    wilayah = VillageChoiceField(Wilayah.objects.none(), label=_("Region"))
    place = forms.CharField(label=_("Place"), max_length=200)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}))
    attendees = AttendeeField(
        Pilar.objects.none(),
        label=_("Social pillars present"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_attendees = forms.CharField(
        label=_("Other attendees"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Meeting._meta.get_field("other_attendees").help_text,
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tasks = forms.CharField(
        label=_("Follow-up tasks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: task; responsible; due date (31/12/2026)."),
    )
    attendance_sheet = forms.FileField(
        label=_("Photo of the attendance sheet"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = self.fields["wilayah"]
        assert isinstance(regions, forms.ModelChoiceField)  # noqa: S101
        regions.queryset = report_regions(actor)
        attendees = self.fields["attendees"]
        assert isinstance(attendees, forms.ModelMultipleChoiceField)  # noqa: S101
        attendees.queryset = (
            Pilar.objects.visible_to(actor, Perm.REPORT_ACTIVITIES)
            .active()
            .select_related("jenis", "wilayah")
            .order_by("wilayah_id", "name")
        )
