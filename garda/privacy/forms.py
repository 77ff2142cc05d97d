"""Forms of personal-data incidents. They offer choices inside the officer's area and check the
input's shape; the rules (order of the steps, times, who may be named) are in `services`."""

import datetime
import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.forms import DATETIME_FORMATS, DateTimeInput
from garda.wilayah.models import Level, Wilayah

from .models import DataKind, Incident, Status, next_status
from .services import EDITABLE_FIELDS, accounts_of


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        label = f"{obj.name} ({obj.username})"
        return label if obj.is_active else gettext("%(account)s, deactivated") % {"account": label}


END_OF_MINUTE = datetime.timedelta(minutes=1, microseconds=-1)


def _datetime_field(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, widget=DateTimeInput(), input_formats=DATETIME_FORMATS, **kwargs
    )


class IncidentForm(forms.Form):
    """Record an incident, or (with `incident`) correct it: then the region is fixed and the
    version the officer opened travels in a hidden field."""

    wilayah = RegionChoiceField(label=_("region"), queryset=Wilayah.objects.none())
    title = forms.CharField(
        label=_("short title"),
        max_length=120,
        help_text=_("A few words without names, e.g. 'PSM phone lost in Belinyu'."),
    )
    discovered_at = _datetime_field(
        _("discovered at"), help_text=_("When the Dinas learned of it: the 72 hours start here.")
    )
    reported_by = AccountChoiceField(label=_("reported by"), queryset=User.objects.none())
    description = forms.CharField(
        label=_("what happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "When and how the data were exposed, without residents' names. Stored encrypted; "
            "quoted in the letter to the authority."
        ),
    )
    data_kinds = forms.MultipleChoiceField(
        label=_("data affected"), choices=DataKind.choices, widget=forms.CheckboxSelectMultiple
    )
    cause = forms.CharField(
        label=_("cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measures = forms.CharField(
        label=_("measures taken"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done to stop it and to recover, e.g. account deactivated."),
    )
    other_subjects = forms.IntegerField(
        label=_("data subjects outside the registry"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_("People concerned who are not residents in Garda, e.g. in a leaked file."),
    )
    other_subjects_note = forms.CharField(label=_("who they are"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, actor: User, incident: Incident | None = None, **kwargs: Any):
        if incident is not None:
            kwargs["initial"] = {
                **{name: getattr(incident, name) for name in EDITABLE_FIELDS},
                "discovered_at": timezone.localtime(incident.discovered_at),
                "version": incident.version,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        self.incident = incident
        reporters = self.fields["reported_by"]
        assert isinstance(reporters, forms.ModelChoiceField)  # noqa: S101 - declared above
        if incident is not None:
            del self.fields["wilayah"]
            reporters.queryset = accounts_of(incident.wilayah_id)
            return
        del self.fields["version"]
        regions = self.fields["wilayah"]
        assert isinstance(regions, forms.ModelChoiceField)  # noqa: S101 - declared above
        regions.queryset = (
            Wilayah.objects.visible_to(actor, Perm.MANAGE_PRIVACY)
            .active()
            .filter(level__lte=Level.KABUPATEN)
            .order_by("code")
        )
        own = list(regions.queryset[:2])
        if len(own) == 1:
            regions.initial = own[0].pk
        reporters.queryset = User.objects.visible_to(actor, Perm.MANAGE_PRIVACY).order_by(
            "name", "username"
        )
        reporters.initial = actor.pk

    def clean_discovered_at(self) -> datetime.datetime | None:
        """The form shows minutes: an unchanged minute keeps the stored time to the second."""
        value: datetime.datetime | None = self.cleaned_data.get("discovered_at")
        stored = self.incident.discovered_at if self.incident else None
        if value and stored and value == stored.replace(second=0, microsecond=0):
            return stored
        return value

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}


class StepForm(forms.Form):
    """The next step of an incident. The step travels in a hidden field: a second click on the
    same button asks for a step already taken, and is refused."""

    to_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done, e.g. how the letters were sent. Without residents' names."),
    )
    at = _datetime_field(
        _("when"), required=False, help_text=_("When it was done; leave empty for now.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "to_status": next_status(incident.status),
            "version": incident.version,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)


class FindForm(forms.Form):
    """Which account, in which period: Garda lists the residents whose records it read,
    revealed or exported then. Times are whole minutes: "to 10:15" includes 10:15:59, or up to
    now when that minute is still running."""

    account = AccountChoiceField(label=_("account"), queryset=User.objects.none())
    start = _datetime_field(_("from"))
    end = _datetime_field(_("to"), required=False, help_text=_("Leave empty for up to now."))
    # A new id each time the form is shown: sending the same form twice makes one search.
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs["initial"] = {"client_uuid": uuid.uuid4(), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        accounts = self.fields["account"]
        assert isinstance(accounts, forms.ModelChoiceField)  # noqa: S101 - declared above
        accounts.queryset = accounts_of(incident.wilayah_id)

    def clean_end(self) -> datetime.datetime:
        end: datetime.datetime | None = self.cleaned_data.get("end")
        now = timezone.now()
        if end is None:
            return now
        return min(end.replace(second=0, microsecond=0) + END_OF_MINUTE, now)


class RemoveSearchForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)
