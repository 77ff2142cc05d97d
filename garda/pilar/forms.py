"""Forms of the social pillars registry. They check input and offer choices inside the user's
area; the writes themselves happen in `services`."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField, limit_regions, username_validator
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.nik import normalise_digits
from garda.core.uploads import DOCUMENT, PHOTO, clean_upload
from garda.wilayah.models import Level, Wilayah

from .models import Decree, IpsmOfficer, Pilar, PilarType, Status, Training
from .services import SELF_EDITABLE


class DateInput(forms.DateInput):
    """The phone's own date picker; ISO values so the browser can show the stored date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class VillageChoiceField(forms.ModelChoiceField):
    """A desa or kelurahan, named with its kecamatan: many villages share a name."""

    def label_from_instance(self, obj: Wilayah) -> str:
        parent = obj.parent.name if obj.parent else ""
        return f"{obj.name}, {parent} ({obj.code})" if parent else f"{obj.name} ({obj.code})"


def regions_for_pilar(user: User, *, lowest_level: int = Level.KABUPATEN) -> QuerySet[Wilayah]:
    """Where `user` may place a member: active regions, kabupaten down to desa, in their area."""
    return (
        Wilayah.objects.visible_to(user, Perm.MANAGE_PILAR)
        .active()
        .filter(level__gte=max(lowest_level, Level.KABUPATEN), level__lte=Level.DESA)
    )


def villages_of_district(code: str) -> QuerySet[Wilayah]:
    """The desa of the kabupaten holding `code`: a member's home village is usually nearby."""
    district = ".".join(code.split(".")[:2])
    return (
        Wilayah.objects.within(district).active().filter(level=Level.DESA).select_related("parent")
    )


def _cleaned_file(value: Any, accept: Any) -> Any:
    """A new upload, checked and normalised; anything else (nothing, the current file) as is."""
    if isinstance(value, UploadedFile):
        return clean_upload(value, accept)
    return value


# Profile fields in the order a Dinas officer reads them off the KTP and the SK.
PROFILE_ORDER = [
    "name",
    "nik",
    "nik_note",
    "sex",
    "birth_place",
    "birth_date",
    "religion",
    "education",
    "occupation",
    "phone",
    "email",
    "contact_person",
    "home_wilayah",
    "dusun",
    "rt",
    "rw",
    "address",
    "photo",
    "ipsm_number",
    "joined_on",
]


class PilarForm(forms.ModelForm):
    """A member's profile. Dinas edits every field; the member themself only SELF_EDITABLE.

    The NIK is never put back into the page: the field is for a new NIK, and staying empty
    keeps the stored one (showing it in full is a logged reveal, not a side effect of editing).
    """

    nik = forms.CharField(
        label=_("NIK"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("16 digits, as on the KTP."),
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("A JPEG or PNG photo of the face."),
    )
    home_wilayah = VillageChoiceField(
        label=_("home village"), required=False, queryset=Wilayah.objects.none()
    )
    # The version the editor opened: a save by someone else in between is refused, not lost.
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Pilar
        fields = PROFILE_ORDER
        widgets = {
            "birth_date": DateInput(),
            "joined_on": DateInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, actor: User, full: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full = full
        editing = not self.instance._state.adding
        managed = actor.areas_for(Perm.MANAGE_PILAR)
        place = self.instance.wilayah_id if editing else (managed[0] if managed else "")
        field = self.fields["home_wilayah"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = villages_of_district(place) if place else Wilayah.objects.none()
        if editing:
            self.fields["nik"].help_text = _(
                "Leave empty to keep the current NIK (%(masked)s)."
            ) % {"masked": self.instance.nik_masked or "—"}
            self.initial["nik"] = ""
            if not self.is_bound:
                self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]
        if not full:
            for name in list(self.fields):
                if name not in SELF_EDITABLE | {"version"}:
                    del self.fields[name]

    def clean_nik(self) -> str:
        return normalise_digits(self.cleaned_data.get("nik"))

    def clean_photo(self) -> Any:
        return _cleaned_file(self.cleaned_data.get("photo"), PHOTO)

    def service_data(self) -> dict[str, Any]:
        """The changed profile as the services take it: no empty "new NIK", no kept photo."""
        data = {
            name: self.cleaned_data[name]
            for name in self.fields
            if name in PROFILE_ORDER and name in self.cleaned_data
        }
        if not data.get("nik") and not self.instance._state.adding:
            data.pop("nik", None)
        if not isinstance(data.get("photo"), UploadedFile):
            data.pop("photo", None)
        return data


class PilarCreateForm(PilarForm):
    jenis = forms.ModelChoiceField(
        label=_("type"), queryset=PilarType.objects.filter(is_active=True)
    )
    wilayah = RegionChoiceField(
        label=_("place of service"),
        queryset=Wilayah.objects.none(),
        help_text=_("A desa or kelurahan for a PSM, a kecamatan for a TKSK."),
    )
    status = forms.ChoiceField(label=_("status"), choices=Status.choices, initial=Status.CALON)

    field_order = ["jenis", "wilayah", "status", *PROFILE_ORDER]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, full=True, **kwargs)
        limit_regions(self, regions_for_pilar(actor))


class PilarFilterForm(forms.Form):
    """The list's filters. The names are a contract: other pages link to
    `/pilar/?jenis=psm&status=aktif&wilayah=19.01.02.2007`."""

    q = forms.CharField(
        label=_("search"),
        required=False,
        help_text=_("Name, phone, or the full 16-digit NIK."),
    )
    jenis = forms.ModelChoiceField(
        label=_("type"),
        required=False,
        queryset=PilarType.objects.all(),
        to_field_name="code",
        empty_label=_("All types"),
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("All")), *Status.choices]
    )
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    trained = forms.ChoiceField(
        label=_("trained"),
        required=False,
        choices=[("", _("All")), ("yes", _("Trained")), ("no", _("Not trained yet"))],
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA]),
        )


class OfficerFilterForm(forms.Form):
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    period = forms.ChoiceField(
        label=_("term"),
        required=False,
        choices=[("", _("Current")), ("all", _("All, past terms too"))],
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__gte=Level.KABUPATEN, level__lte=Level.KECAMATAN),
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("new status"), choices=Status.choices)
    effective_on = forms.DateField(label=_("effective on"), widget=DateInput())
    reason = forms.CharField(label=_("reason"), max_length=300)

    def __init__(self, *args: Any, pilar: Pilar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [(v, label) for v, label in Status.choices if v != pilar.status]
        self.initial.setdefault("effective_on", timezone.localdate())


class MoveForm(forms.Form):
    wilayah = RegionChoiceField(label=_("new place of service"), queryset=Wilayah.objects.none())
    start = forms.DateField(label=_("from"), widget=DateInput())
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)

    def __init__(self, *args: Any, actor: User, pilar: Pilar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            regions_for_pilar(actor, lowest_level=pilar.jenis.area_level).exclude(
                code=pilar.wilayah_id
            ),
        )
        self.initial.setdefault("start", timezone.localdate())


class DecreeForm(forms.ModelForm):
    scan = forms.FileField(
        label=_("scan"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        help_text=_("A PDF, or a photo of the signed decree."),
    )

    class Meta:
        model = Decree
        fields = ["number", "issued_on", "signed_by", "valid_from", "valid_until", "scan"]
        widgets = {
            "issued_on": DateInput(),
            "valid_from": DateInput(),
            "valid_until": DateInput(),
        }

    def clean_scan(self) -> Any:
        return _cleaned_file(self.cleaned_data.get("scan"), DOCUMENT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The decree cannot end before it starts."))
        return data


class TrainingForm(forms.ModelForm):
    certificate = forms.FileField(
        label=_("certificate"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        help_text=_("A PDF, or a photo of the certificate."),
    )

    class Meta:
        model = Training
        fields = ["kind", "title", "organiser", "start", "end", "certificate"]
        widgets = {"start": DateInput(), "end": DateInput()}

    def clean_certificate(self) -> Any:
        return _cleaned_file(self.cleaned_data.get("certificate"), DOCUMENT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The training cannot end before it starts."))
        return data


class OfficerForm(forms.ModelForm):
    wilayah = RegionChoiceField(label=_("level and region"), queryset=Wilayah.objects.none())

    class Meta:
        model = IpsmOfficer
        fields = ["wilayah", "position", "term_start", "term_end"]
        widgets = {"term_start": DateInput(), "term_end": DateInput()}

    def __init__(self, *args: Any, actor: User, pilar: Pilar, **kwargs: Any) -> None:
        """The IPSM of the member's own desa, kecamatan or kabupaten, as far as the actor
        manages it."""
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            regions_for_pilar(actor).filter(code__in=_enclosing_codes(pilar.wilayah_id)),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", _("The term cannot end before it starts."))
        return data


def _enclosing_codes(code: str) -> list[str]:
    """19.01.02.2007 -> [19, 19.01, 19.01.02, 19.01.02.2007]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


class AccountForm(forms.Form):
    username = forms.CharField(
        label=_("username"),
        max_length=50,
        validators=[username_validator],
        help_text=_("Letters, digits and . _ - only."),
    )
