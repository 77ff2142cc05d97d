"""Forms of the social cases. They check input and offer choices inside the user's area; the
writes happen in `services`."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import ROLE_PERMISSIONS, Perm
from garda.core.nik import normalise_digits
from garda.core.scoping import area_condition
from garda.core.uploads import DOCUMENT, clean_upload
from garda.pilar.forms import DateInput, VillageChoiceField
from garda.pilar.models import Pilar
from garda.registry.models import Individu, PpksType
from garda.registry.services import nik_hash
from garda.wilayah.models import Level, Wilayah

from .models import (
    Case,
    Consent,
    Institution,
    Need,
    Referral,
    ReferralTarget,
    Risk,
    ServiceKind,
    Source,
    Status,
    Urgency,
)
from .services import EDITABLE_FIELDS, handler_candidates, institutions_for
from .targets import sla_for


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        roles = ", ".join(sorted(str(a.get_role_display()) for a in obj.active_assignments()))
        return f"{obj.name} ({roles})" if roles else obj.name


def _handle_roles() -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if Perm.HANDLE_CASES in perms]


def _ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def handlers_near(actor: User) -> QuerySet[User]:
    """Who may be given a new case by `actor`: people handling cases inside the actor's areas
    or above them (the coordinator, Dinas)."""
    areas = actor.areas_for(Perm.HANDLE_CASES)
    above = [a for code in areas for a in _ancestors(code)]
    assignments = (
        RoleAssignment.objects.active()
        .filter(role__in=_handle_roles(), user__is_active=True)
        .filter(area_condition("wilayah_id", areas) | Q(wilayah_id__in=above))
    )
    return User.objects.filter(assignments__in=assignments).distinct().order_by("name")


class CaseCreateForm(forms.Form):
    wilayah = VillageChoiceField(label=_("desa/kelurahan"), queryset=Wilayah.objects.none())
    source = forms.ChoiceField(label=_("source"), choices=Source.choices)
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices)
    ppks_type = forms.ModelChoiceField(
        label=_("PPKS category"), queryset=PpksType.objects.filter(is_active=True), required=False
    )
    title = forms.CharField(
        label=_("short title"),
        max_length=120,
        help_text=_("A few words without names, e.g. 'Elderly woman living alone'."),
    )
    narrative = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 5}))
    subject_niks = forms.CharField(
        label=_("NIK of the people concerned"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("One NIK per line, of residents in the registry. Leave empty if unknown."),
    )
    subject_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    unidentified_description = forms.CharField(
        label=_("description of an unidentified person"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Apparent age, sex, clothing, where the person was found."),
    )
    consent = forms.ChoiceField(label=_("consent"), choices=Consent.choices)
    consent_note = forms.CharField(
        label=_("note on consent"),
        max_length=300,
        required=False,
        help_text=_("Why consent could not be asked, or who gave it."),
    )
    handler = UserChoiceField(label=_("handled by"), queryset=User.objects.none())

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["wilayah"].queryset = (  # type: ignore[attr-defined]
            Wilayah.objects.visible_to(actor, Perm.HANDLE_CASES)
            .active()
            .filter(level=Level.DESA)
            .select_related("parent")
            .order_by("code")
        )
        self.fields["handler"].queryset = handlers_near(actor)  # type: ignore[attr-defined]
        self.fields["handler"].initial = actor.pk
        villages = list(self.fields["wilayah"].queryset[:2])  # type: ignore[attr-defined]
        if len(villages) == 1:
            self.fields["wilayah"].initial = villages[0].pk

    def clean_subject_niks(self) -> list[Individu]:
        return residents_by_nik(self.actor, self.cleaned_data.get("subject_niks") or "")

    def clean_subject_ids(self) -> list[Individu]:
        raw = [v for v in (self.cleaned_data.get("subject_ids") or "").split(",") if v.strip()]
        if not raw:
            return []
        visible = Individu.objects.visible_to(self.actor, Perm.VIEW_PEOPLE).current()
        try:
            found = list(visible.filter(pk__in=raw))
        except Exception as error:  # a tampered id that is not a UUID
            raise forms.ValidationError(_("Unknown resident.")) from error
        if len(found) != len(set(raw)):
            raise forms.ValidationError(_("Unknown resident."))
        return found

    def subjects(self) -> list[Individu]:
        people = {p.pk: p for p in self.cleaned_data.get("subject_ids") or []}
        people |= {p.pk: p for p in self.cleaned_data.get("subject_niks") or []}
        return list(people.values())


def residents_by_nik(actor: User, raw: str) -> list[Individu]:
    """The residents of the actor's area with the NIKs in `raw` (one per line or comma)."""
    niks = [normalise_digits(line) for line in raw.replace(",", "\n").splitlines()]
    visible = Individu.objects.visible_to(actor, Perm.VIEW_PEOPLE).current()
    found = []
    for nik in (n for n in niks if n):
        person = visible.filter(nik_hash=nik_hash(nik)).first()
        if person is None:
            raise forms.ValidationError(
                _("No resident of your area has the NIK %(nik)s.") % {"nik": nik}
            )
        found.append(person)
    return found


class SubjectsForm(forms.Form):
    """Who the case is about: keep or drop the people named, add people by NIK (an
    unidentified person who has been identified, a family member)."""

    keep = forms.ModelMultipleChoiceField(
        label=_("people concerned"),
        queryset=Individu.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    add_niks = forms.CharField(
        label=_("add people by NIK"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("One NIK per line, of residents in the registry."),
    )

    def __init__(self, *args: Any, actor: User, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        current = case.subjects.all()
        self.fields["keep"].queryset = current  # type: ignore[attr-defined]
        self.fields["keep"].initial = list(current)

    def clean_add_niks(self) -> list[Individu]:
        return residents_by_nik(self.actor, self.cleaned_data.get("add_niks") or "")

    def subjects(self) -> list[Individu]:
        people = {p.pk: p for p in self.cleaned_data.get("keep") or []}
        people |= {p.pk: p for p in self.cleaned_data.get("add_niks") or []}
        return list(people.values())


class CaseUpdateForm(forms.ModelForm):
    # The version the editor opened: a save by someone else in between is refused, not lost.
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Case
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 6}),
            "unidentified_description": forms.Textarea(attrs={"rows": 3}),
            "follow_up_on": DateInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ppks_type"].queryset = PpksType.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("assessed on"), widget=DateInput())
    needs = forms.MultipleChoiceField(
        label=_("needs"), choices=Need.choices, widget=forms.CheckboxSelectMultiple
    )
    risk = forms.ChoiceField(label=_("risk"), choices=Risk.choices)
    has_caregiver = forms.BooleanField(label=_("has someone who cares for them"), required=False)
    income_source = forms.CharField(label=_("source of income"), max_length=150, required=False)
    notes = forms.CharField(
        label=_("assessment notes"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Stored encrypted. Write facts, not rumours."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()

    def clean_assessed_on(self) -> Any:
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return value


class PlanActionForm(forms.Form):
    description = forms.CharField(label=_("action"), max_length=300)
    owner = forms.CharField(
        label=_("who does it"), max_length=150, help_text=_("A person, a pillar or an institution.")
    )
    due_on = forms.DateField(label=_("due on"), widget=DateInput())


class ActionDoneForm(forms.Form):
    done_on = forms.DateField(label=_("done on"), widget=DateInput())
    note = forms.CharField(label=_("result"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()


class ServiceForm(forms.Form):
    provided_on = forms.DateField(label=_("date"), widget=DateInput())
    kind = forms.ChoiceField(label=_("service"), choices=ServiceKind.choices)
    description = forms.CharField(label=_("what was done"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provided_on"].initial = timezone.localdate()


class PilarChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Pilar) -> str:
        return f"{obj.name} ({obj.jenis.name}, {obj.wilayah.name})"


class ReferralForm(forms.Form):
    target = forms.ChoiceField(
        label=_("refer to"), choices=ReferralTarget.choices, widget=forms.RadioSelect
    )
    institution = forms.ModelChoiceField(
        label=_("institution"), queryset=Institution.objects.none(), required=False
    )
    pilar = PilarChoiceField(
        label=_("social pillar"), queryset=Pilar.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("reason for the referral"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the person needs from them. This text is printed on the letter."),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = ".".join(case.wilayah_id.split(".")[:2])
        self.fields["institution"].queryset = institutions_for(case).order_by("kind", "name")  # type: ignore[attr-defined]
        self.fields["pilar"].queryset = (  # type: ignore[attr-defined]
            Pilar.objects.within(district).active().select_related("jenis", "wilayah")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target")
        if target == ReferralTarget.INSTITUTION and not data.get("institution"):
            self.add_error("institution", _("Choose the institution."))
        if target == ReferralTarget.PILAR and not data.get("pilar"):
            self.add_error("pilar", _("Choose the social pillar."))
        return data


class ReferralAnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("answer"),
        choices=[("1", _("accepted")), ("0", _("refused"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, required: bool = True, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        if label:
            self.fields["note"].label = label


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("approve closing")), ("0", _("send back"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you send it back: say what is still missing."),
    )


class TransferForm(forms.Form):
    handler = UserChoiceField(label=_("hand over to"), queryset=User.objects.none())
    note = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [u.pk for u in handler_candidates(case.wilayah_id) if u.pk != case.handler_id]
        self.fields["handler"].queryset = User.objects.filter(pk__in=ids).order_by("name")  # type: ignore[attr-defined]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=150)
    file = forms.FileField(
        label=_("file"),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        help_text=_("A PDF, or a photo (JPEG or PNG) of a letter."),
    )
    referral = forms.ModelChoiceField(
        label=_("belongs to the referral"), queryset=Referral.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = case.referrals.select_related("institution", "pilar")  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile:
        return clean_upload(self.cleaned_data["file"], DOCUMENT)


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *Status.choices], required=False
    )
    urgency = forms.ChoiceField(
        label=_("urgency"), choices=[("", _("all")), *Urgency.choices], required=False
    )
    ppks_type = forms.ModelChoiceField(
        label=_("PPKS category"), queryset=PpksType.objects.all(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("region"), queryset=Wilayah.objects.none(), required=False
    )
    overdue = forms.BooleanField(label=_("overdue only"), required=False)

    def __init__(self, *args: Any, actor: User, permission: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (  # type: ignore[attr-defined]
            Wilayah.objects.visible_to(actor, permission)
            .filter(level__in=[Level.KECAMATAN, Level.DESA])
            .order_by("code")
        )


class InstitutionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Institution
        fields = [
            "name",
            "kind",
            "wilayah",
            "address",
            "phone",
            "contact_person",
            "email",
            "is_active",
        ]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wilayah"].queryset = (  # type: ignore[attr-defined]
            Wilayah.objects.visible_to(actor, Perm.MANAGE_INSTITUTIONS)
            .active()
            .filter(level__gte=Level.KABUPATEN)
            .order_by("code")
        )
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TargetsForm(forms.Form):
    """The follow-up target of every urgency: two numbers each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for urgency, label in Urgency.choices:
            target = sla_for(urgency)
            self.fields[f"hours_{urgency}"] = forms.IntegerField(
                label=_("%(urgency)s: first response within (hours)") % {"urgency": label},
                min_value=1,
                max_value=24 * 90,
                initial=target.response_hours,
            )
            self.fields[f"days_{urgency}"] = forms.IntegerField(
                label=_("%(urgency)s: follow up at least every (days)") % {"urgency": label},
                min_value=1,
                max_value=365,
                initial=target.follow_up_days,
            )

    def values(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {u: (data[f"hours_{u}"], data[f"days_{u}"]) for u in Urgency.values}
