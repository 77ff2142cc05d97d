"""Forms of proposals (usulan), village deliberations, submission windows and objections
(sanggah). They check input and offer choices inside the user's area; the rules live in
`services.proposals` and `services.objections`.

The resident or household a proposal or an objection is about is named by its NIK or No KK
and looked up by the blind index among the records the user may propose for: a list of every
resident of a desa would not fit on a phone, and a number outside the area finds nothing.
"""

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.nik import normalise_digits
from garda.registry.forms import COORDINATE, DateInput, VillageChoiceField, identifier_field
from garda.registry.models import Individu, Keluarga, Relation
from garda.registry.services import nik_hash, no_kk_hash
from garda.wilayah.models import Level, Wilayah

from .models import (
    Objection,
    ObjectionStatus,
    Program,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RemovalReason,
)
from .services.proposals import INDIVIDU_CORRECTIONS, KELUARGA_CORRECTIONS

PHOTO_ACCEPT = {"accept": "image/jpeg,image/png", "capture": "environment"}
DOCUMENT_ACCEPT = {"accept": "application/pdf,image/jpeg,image/png"}
SEX_CHOICES = [("", "—"), ("L", _("male")), ("P", _("female"))]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m")


class MonthField(forms.DateField):
    """A month as the browser's month picker sends it (2026-06): the first day of it."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%m/%Y", "%Y-%m-%d"]

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


def villages_for(user: User, permission: str) -> QuerySet[Wilayah]:
    return (
        Wilayah.objects.visible_to(user, permission)
        .active()
        .filter(level=Level.DESA)
        .select_related("parent")
    )


def _set_queryset(form: forms.BaseForm, name: str, queryset: QuerySet) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared by the form
    field.queryset = queryset


def _single_area_initial(form: forms.BaseForm, user: User, permission: str) -> None:
    """A PSM or desa operator has one desa: choose it for them."""
    areas = user.areas_for(permission)
    if len(areas) == 1 and areas[0].count(".") == 3:
        form.initial.setdefault("wilayah", areas[0])


def find_subject(number: str, *, actor: User, permission: str) -> Individu | Keluarga | None:
    """The resident (by NIK) or household (by No KK) the user may reach, or None."""
    digits = normalise_digits(number)
    if not digits:
        return None
    person = (
        Individu.objects.visible_to(actor, permission)
        .current()
        .filter(nik_hash=nik_hash(digits))
        .first()
    )
    if person is not None:
        return person
    return (
        Keluarga.objects.visible_to(actor, permission).filter(no_kk_hash=no_kk_hash(digits)).first()
    )


class SubjectMixin:
    """A `subject` field: the NIK of a resident or the No KK of a household."""

    actor: User
    cleaned_data: dict[str, Any]
    subject_permission = Perm.PROPOSE
    current_subject: Individu | Keluarga | None = None

    def clean_subject(self) -> Individu | Keluarga | None:
        number = self.cleaned_data.get("subject") or ""
        if not number and self.current_subject is not None:
            return self.current_subject  # an edit keeps the subject when left empty
        subject = find_subject(number, actor=self.actor, permission=self.subject_permission)
        if subject is None:
            raise forms.ValidationError(
                _("No resident or household with this number in your area.")
            )
        return subject


def subject_field(required: bool = True) -> forms.CharField:
    field = identifier_field(
        _("NIK of the resident or No KK of the household"),
        _("16 digits. A NIK names one person, a No KK the whole household."),
    )
    field.required = required
    return field


# --- proposals -------------------------------------------------------------------------------


class ProposalFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("All")), *ProposalStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All")), *ProposalKind.choices]
    )
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    month = MonthField(label=_("month submitted"), required=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self,
            "wilayah",
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA]),
        )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "wilayah": data["wilayah"].code if data.get("wilayah") else "",
            "month": data.get("month"),
        }


class ProposalForm(SubjectMixin, forms.Form):
    """One form for the four kinds; the fields depend on the kind."""

    NEW_ENTRY_FIELDS = (
        "wilayah",
        "name",
        "nik",
        "nik_note",
        "no_kk",
        "sex",
        "birth_place",
        "birth_date",
        "mother_name",
        "relation",
        "address",
        "dusun",
        "rt",
        "rw",
    )

    # new registry entry
    wilayah = VillageChoiceField(label=_("desa/kelurahan"), queryset=Wilayah.objects.none())
    name = forms.CharField(label=_("name"), max_length=150)
    nik = identifier_field(_("NIK"), _("16 digits, as on the KTP or the family card."))
    nik_note = forms.CharField(
        label=_("note on the NIK"),
        max_length=300,
        required=False,
        help_text=_(
            "Only when the NIK does not match the date of birth or the sex and you have "
            "checked it: say why it is right."
        ),
    )
    no_kk = identifier_field(_("No KK"), _("16 digits, as on the family card (KK)."))
    sex = forms.ChoiceField(label=_("sex"), choices=SEX_CHOICES)
    birth_place = forms.CharField(label=_("place of birth"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("date of birth"), widget=DateInput())
    mother_name = forms.CharField(label=_("mother's name"), max_length=150, required=False)
    relation = forms.ChoiceField(
        label=_("relation to the head"), choices=[("", "—"), *Relation.choices], required=False
    )
    address = forms.CharField(label=_("street address"), max_length=200, required=False)
    dusun = forms.CharField(label=_("dusun"), max_length=100, required=False)
    rt = forms.CharField(label=_("RT"), max_length=3, required=False)
    rw = forms.CharField(label=_("RW"), max_length=3, required=False)
    # about a registered resident or household
    subject = subject_field()
    program = forms.ModelChoiceField(
        label=_("programme"), queryset=Program.objects.filter(is_active=True), required=False
    )
    removal_reason = forms.ChoiceField(
        label=_("reason for removal"), choices=[("", "—"), *RemovalReason.choices]
    )
    correct_name = forms.CharField(label=_("correct name"), max_length=150, required=False)
    correct_sex = forms.ChoiceField(label=_("correct sex"), choices=SEX_CHOICES, required=False)
    correct_birth_place = forms.CharField(
        label=_("correct place of birth"), max_length=100, required=False
    )
    correct_birth_date = forms.DateField(
        label=_("correct date of birth"), widget=DateInput(), required=False
    )
    correct_mother_name = forms.CharField(
        label=_("correct mother's name"), max_length=150, required=False
    )
    correct_relation = forms.ChoiceField(
        label=_("correct relation to the head"),
        choices=[("", "—"), *Relation.choices],
        required=False,
    )
    correct_address = forms.CharField(label=_("correct address"), max_length=200, required=False)
    correct_dusun = forms.CharField(label=_("correct dusun"), max_length=100, required=False)
    correct_rt = forms.CharField(label=_("correct RT"), max_length=3, required=False)
    correct_rw = forms.CharField(label=_("correct RW"), max_length=3, required=False)
    # always
    justification = forms.CharField(
        label=_("justification"),
        widget=forms.Textarea({"rows": 3}),
        help_text=_("What you saw at the house and why the proposal is needed."),
    )
    photo_front = forms.FileField(
        label=_("house, front"), required=False, widget=forms.FileInput(attrs=PHOTO_ACCEPT)
    )
    photo_inside = forms.FileField(
        label=_("house, inside"), required=False, widget=forms.FileInput(attrs=PHOTO_ACCEPT)
    )
    photo_kk = forms.FileField(
        label=_("family card (KK)"),
        required=False,
        widget=forms.FileInput(attrs=DOCUMENT_ACCEPT),
        help_text=_("A photo or a PDF scan."),
    )
    latitude = forms.DecimalField(
        label=_("latitude"), required=False, max_digits=9, decimal_places=6, widget=COORDINATE
    )
    longitude = forms.DecimalField(
        label=_("longitude"), required=False, max_digits=9, decimal_places=6, widget=COORDINATE
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    COMMON = ("justification", "photo_front", "photo_inside", "photo_kk", "latitude", "longitude")
    CORRECTIONS = tuple(f"correct_{n}" for n in INDIVIDU_CORRECTIONS + KELUARGA_CORRECTIONS)

    def __init__(
        self, *args: Any, actor: User, kind: str, instance: Proposal | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor, self.kind, self.instance = actor, kind, instance
        keep: tuple[str, ...]
        if kind == ProposalKind.NEW_ENTRY:
            keep = (*self.NEW_ENTRY_FIELDS, "program")
        elif kind == ProposalKind.AID:
            keep = ("subject", "program")
        elif kind == ProposalKind.CORRECTION:
            keep = ("subject", *self.CORRECTIONS)
        else:
            keep = ("subject", "removal_reason")
        keep = (*keep, *self.COMMON, "version")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "wilayah" in self.fields:
            _set_queryset(self, "wilayah", villages_for(actor, Perm.PROPOSE))
            _single_area_initial(self, actor, Perm.PROPOSE)
        if kind == ProposalKind.AID:
            self.fields["program"].required = True
        if instance is not None:
            self._fill_from(instance)
        else:
            del self.fields["version"]

    def _fill_from(self, proposal: Proposal) -> None:
        self.current_subject = proposal.individu or proposal.keluarga
        if "subject" in self.fields:
            self.fields["subject"].required = False
            self.fields["subject"].help_text = _("Leave empty to keep %(subject)s.") % {
                "subject": proposal.subject_name
            }
        if "nik" in self.fields:
            self.fields["nik"].required = False
            self.fields["nik"].help_text = _(
                "Leave empty to keep the current NIK (%(masked)s)."
            ) % {"masked": proposal.nik_masked}
            self.fields["no_kk"].required = False
            self.fields["no_kk"].help_text = _("Leave empty to keep the current No KK.")
        if self.is_bound:
            return
        details = proposal.details or {}
        initial: dict[str, Any] = {
            "wilayah": proposal.wilayah_id,
            "name": proposal.name,
            "program": proposal.program_id,
            "removal_reason": proposal.removal_reason,
            "justification": proposal.justification,
            "latitude": proposal.latitude,
            "longitude": proposal.longitude,
            "version": proposal.version,
        }
        if proposal.kind == ProposalKind.NEW_ENTRY:
            initial.update({k: v for k, v in details.items() if k in self.fields})
        elif proposal.kind == ProposalKind.CORRECTION:
            initial.update({f"correct_{k}": v for k, v in details.items()})
        self.initial.update(initial)

    def clean_nik(self) -> str:
        return normalise_digits(self.cleaned_data.get("nik"))

    def clean_no_kk(self) -> str:
        return normalise_digits(self.cleaned_data.get("no_kk"))

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "subject")}
        for name in ("photo_front", "photo_inside", "photo_kk"):
            data.pop(name, None)
        subject = self.cleaned_data.get("subject")
        if subject is not None:
            data["individu" if isinstance(subject, Individu) else "keluarga"] = subject
        if self.kind == ProposalKind.CORRECTION:
            data = {k: v for k, v in data.items() if not k.startswith("correct_")}
            data["details"] = {
                name.removeprefix("correct_"): self.cleaned_data.get(name)
                for name in self.CORRECTIONS
                if self.cleaned_data.get(name) not in (None, "")
            }
        return data

    def files_data(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name)
            for name in ("photo_front", "photo_inside", "photo_kk")
            if self.cleaned_data.get(name)
        }


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[
            ("approve", _("Verified: send for the bupati's approval")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("reason or note"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Required for a rejection."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProposalChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Proposal) -> str:
        return f"{obj.subject_name} · {obj.get_kind_display()} · {obj.wilayah.name}"


class ApproveForm(forms.Form):
    proposals = ProposalChoiceField(
        label=_("verified proposals"),
        queryset=Proposal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    decree_number = forms.CharField(
        label=_("decree number"),
        max_length=100,
        help_text=_("The number of the bupati's decree (SK) approving them."),
    )
    approved_on = forms.DateField(label=_("approved on"), widget=DateInput())

    def __init__(self, *args: Any, proposals: QuerySet[Proposal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposals"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        field.queryset = proposals
        self.initial.setdefault("approved_on", timezone.localdate())


class DeliberationForm(forms.Form):
    """The deliberation and, for each submitted proposal of the desa, what it decided."""

    DECISIONS = [("", _("not discussed")), ("agreed", _("agreed")), ("rejected", _("not agreed"))]

    wilayah = VillageChoiceField(label=_("desa/kelurahan"), queryset=Wilayah.objects.none())
    held_on = forms.DateField(label=_("held on"), widget=DateInput())
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    attendees = forms.CharField(
        label=_("attendees"),
        widget=forms.Textarea({"rows": 4}),
        help_text=_("One name and role per line."),
    )
    attendee_count = forms.IntegerField(label=_("number of attendees"), min_value=1)
    minutes = forms.FileField(
        label=_("minutes (berita acara)"),
        widget=forms.FileInput(attrs=DOCUMENT_ACCEPT),
        help_text=_("The signed berita acara: a PDF scan or a photo."),
    )

    def __init__(self, *args: Any, actor: User, proposals: list[Proposal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposals = proposals
        _set_queryset(self, "wilayah", villages_for(actor, Perm.RECORD_DELIBERATION))
        _single_area_initial(self, actor, Perm.RECORD_DELIBERATION)
        self.initial.setdefault("held_on", timezone.localdate())
        for proposal in proposals:
            self.fields[f"decision_{proposal.pk}"] = forms.ChoiceField(
                label=_("decision"),
                choices=self.DECISIONS,
                required=False,
            )
            self.fields[f"reason_{proposal.pk}"] = forms.CharField(
                label=_("reason, if not agreed"), max_length=300, required=False
            )

    def rows(self) -> list[tuple[Proposal, Any, Any]]:
        return [(p, self[f"decision_{p.pk}"], self[f"reason_{p.pk}"]) for p in self.proposals]

    def decisions(self) -> list[tuple[Proposal, bool, str]]:
        chosen = []
        for proposal in self.proposals:
            decision = self.cleaned_data.get(f"decision_{proposal.pk}")
            if decision:
                reason = self.cleaned_data.get(f"reason_{proposal.pk}") or ""
                chosen.append((proposal, decision == "agreed", reason))
        return chosen


class ExportForm(forms.Form):
    month = MonthField(label=_("month approved"))
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self,
            "wilayah",
            Wilayah.objects.visible_to(actor, Perm.VERIFY_PROPOSALS)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA]),
        )


class WindowForm(forms.Form):
    wilayah = RegionChoiceField(label=_("region"), queryset=Wilayah.objects.none())
    first_day = forms.IntegerField(label=_("first day of the month"), min_value=1, max_value=31)
    last_day = forms.IntegerField(label=_("last day of the month"), min_value=1, max_value=31)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self,
            "wilayah",
            Wilayah.objects.visible_to(actor, Perm.MANAGE_PROGRAMS)
            .active()
            .filter(level__lte=Level.DESA),
        )


# --- objections ------------------------------------------------------------------------------


class ObjectionFilterForm(forms.Form):
    STATES = [
        ("", _("All")),
        ("open", _("open")),
        ("due_soon", _("due within 3 days")),
        ("lapsed", _("lapsed")),
        ("decided", _("decided")),
    ]
    state = forms.ChoiceField(label=_("state"), choices=STATES, required=False)
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self,
            "wilayah",
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA]),
        )


class ObjectionForm(SubjectMixin, forms.Form):
    subject = subject_field()
    program = forms.ModelChoiceField(
        label=_("programme"),
        queryset=Program.objects.filter(is_active=True),
        required=False,
        help_text=_("Only when the objection is about one programme."),
    )
    objector_name = forms.CharField(label=_("objector's name"), max_length=150)
    objector_nik = identifier_field(_("objector's NIK"), _("Optional. 16 digits."))
    objector_contact = forms.CharField(
        label=_("objector's contact"), max_length=100, required=False
    )
    grounds = forms.CharField(label=_("grounds"), widget=forms.Textarea({"rows": 4}))
    photo = forms.FileField(label=_("house photo"), widget=forms.FileInput(attrs=PHOTO_ACCEPT))
    latitude = forms.DecimalField(
        label=_("latitude"), max_digits=9, decimal_places=6, widget=COORDINATE
    )
    longitude = forms.DecimalField(
        label=_("longitude"), max_digits=9, decimal_places=6, widget=COORDINATE
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["objector_nik"].required = False

    def clean_objector_nik(self) -> str:
        return normalise_digits(self.cleaned_data.get("objector_nik"))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        subject = data.pop("subject")
        data["individu" if isinstance(subject, Individu) else "keluarga"] = subject
        return data


class ObjectionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[
            (ObjectionStatus.UPHELD, _("Upheld: the objection is right")),
            (ObjectionStatus.DISMISSED, _("Dismissed")),
        ],
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=_("outcome"),
        widget=forms.Textarea({"rows": 3}),
        help_text=_("What the verification found and what follows from it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, objection: Objection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", objection.version)
