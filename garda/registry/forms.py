"""Forms of the residents registry. They check input and offer choices inside the user's area;
the writes themselves happen in `services`, which apply the NIK and No KK rules.

The full NIK and No KK are never put back into a page: on an edit form the identifier field is
for a new number and staying empty keeps the stored one (seeing it in full is a logged reveal).
"""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from garda.accounts.forms import RegionChoiceField, limit_regions
from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.nik import normalise_digits
from garda.core.uploads import DOCUMENT, clean_upload
from garda.wilayah.models import Level, Wilayah

from .models import Individu, Keluarga, PpksType, Relation


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


def villages_managed_by(user: User) -> QuerySet[Wilayah]:
    """The desa and kelurahan where `user` may register and move residents."""
    return (
        Wilayah.objects.visible_to(user, Perm.MANAGE_RESIDENTS)
        .active()
        .filter(level=Level.DESA)
        .select_related("parent")
    )


def identifier_field(label: Any, help_text: Any) -> forms.CharField:
    """A 16-digit number typed or pasted with spaces, dots or dashes (cleaned by the form)."""
    return forms.CharField(
        label=label,
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


COORDINATE = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})

ADDRESS_FIELDS = ["dusun", "rt", "rw", "address", "latitude", "longitude"]
DESIL_FIELDS = ["desil", "desil_source", "desil_date", "dtks_id"]
HOUSING_FIELDS = ["floor", "wall", "roof", "water", "sanitation", "electricity"]
KELUARGA_WIDGETS: dict[str, type[forms.Widget] | forms.Widget] = {
    "desil_date": DateInput(),
    "latitude": COORDINATE,
    "longitude": COORDINATE,
}

IDENTITY_FIELDS = ["name", "nik", "nik_note", "sex", "birth_place", "birth_date", "mother_name"]
FAMILY_FIELDS = ["relation", "marital", "religion", "education", "occupation", "disability"]
LIFE_FIELDS = ["is_deceased", "died_on", "moved_out"]
INDIVIDU_WIDGETS: dict[str, type[forms.Widget] | forms.Widget] = {
    "birth_date": DateInput(),
    "died_on": DateInput(),
}


def limit_household_fields(fields: dict[str, forms.Field]) -> None:
    """Ranges the database would refuse with an unreadable error: desil 1-10, coordinates."""
    for name, low, high in (("desil", 1, 10), ("latitude", -90, 90), ("longitude", -180, 180)):
        if name in fields:
            fields[name].validators += [MinValueValidator(low), MaxValueValidator(high)]
            fields[name].widget.attrs.update({"min": low, "max": high})


NIK_HELP = _("16 digits, as on the KTP or the family card.")
NIK_NOTE_HELP = _(
    "Only when the NIK does not match the date of birth or the sex and you have checked it: "
    "say why it is right (for example, as printed on the KTP)."
)


class SectionsMixin:
    """Long forms shown in sections (identity, family, address...) instead of one column."""

    layout: list[tuple[Promise, list[str]]] = []
    fields: dict[str, forms.Field]

    def sections(self) -> list[tuple[Promise, list[BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])  # type: ignore[index]
            for title, names in self.layout
            if any(name in self.fields for name in names)
        ]


class NikCleaningMixin:
    cleaned_data: dict[str, Any]

    def clean_nik(self) -> str:
        return normalise_digits(self.cleaned_data.get("nik"))


# --- search --------------------------------------------------------------------------------


class ResidentFilterForm(forms.Form):
    """The search. The names are a contract: other pages link to
    `/warga/?q=...&wilayah=19.01.02.2007&ppks=24`."""

    q = forms.CharField(
        label=_("search"),
        required=False,
        max_length=150,
        help_text=_("A name, the full 16-digit NIK or the No KK."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    ppks = forms.ModelChoiceField(
        label=_("PPKS category"),
        required=False,
        queryset=PpksType.objects.filter(is_active=True),
        to_field_name="number",
        empty_label=_("All"),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_regions(
            self,
            Wilayah.objects.visible_to(actor, Perm.VIEW_PEOPLE)
            .active()
            .filter(level__in=[Level.KECAMATAN, Level.DESA]),
        )

    def search_filters(self) -> dict[str, Any]:
        """The cleaned filters as `search.individu_search` takes them."""
        data = self.cleaned_data
        return {
            "q": (data.get("q") or "").strip(),
            "wilayah": data["wilayah"].code if data.get("wilayah") else "",
            "ppks": data["ppks"].number if data.get("ppks") else None,
            "include_merged": False,
        }


# --- households ----------------------------------------------------------------------------


class KeluargaCreateForm(SectionsMixin, NikCleaningMixin, forms.Form):
    """A new household and its head of family, in one form (one transaction)."""

    layout = [
        (_("Family card"), ["no_kk", "wilayah", *ADDRESS_FIELDS]),
        (_("Head of family"), [*IDENTITY_FIELDS, *FAMILY_FIELDS]),
        (_("Decile (DTSEN)"), DESIL_FIELDS),
        (_("Housing condition"), HOUSING_FIELDS),
    ]
    HEAD_FIELDS = [name for name in IDENTITY_FIELDS + FAMILY_FIELDS if name != "relation"]

    no_kk = identifier_field(_("No KK"), _("16 digits, as on the family card (KK)."))
    wilayah = VillageChoiceField(label=_("desa/kelurahan"), queryset=Wilayah.objects.none())
    nik = identifier_field(_("NIK of the head of family"), NIK_HELP)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        household = forms.fields_for_model(
            Keluarga,
            fields=[*ADDRESS_FIELDS, *DESIL_FIELDS, *HOUSING_FIELDS],
            widgets=KELUARGA_WIDGETS,
        )
        head = forms.fields_for_model(
            Individu,
            fields=[n for n in self.HEAD_FIELDS if n != "nik"],
            widgets=INDIVIDU_WIDGETS,
        )
        head["name"].label = _("name of the head of family")
        head["nik_note"].help_text = NIK_NOTE_HELP
        limit_household_fields(household)
        self.fields.update({**household, **head})
        villages = villages_managed_by(actor)
        field = self.fields["wilayah"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = villages
        managed = actor.areas_for(Perm.MANAGE_RESIDENTS)
        if len(managed) == 1 and managed[0].count(".") == 3:  # a PSM: their own desa
            self.initial.setdefault("wilayah", managed[0])

    def clean_no_kk(self) -> str:
        return normalise_digits(self.cleaned_data.get("no_kk"))

    def household_data(self) -> dict[str, Any]:
        return {n: self.cleaned_data[n] for n in ADDRESS_FIELDS + DESIL_FIELDS + HOUSING_FIELDS}

    def head_data(self) -> dict[str, Any]:
        return {
            **{name: self.cleaned_data[name] for name in self.HEAD_FIELDS},
            "relation": Relation.KEPALA,
        }


class KeluargaForm(SectionsMixin, forms.ModelForm):
    """Correct a household's address, decile and housing; the version guards against two
    people saving at once."""

    layout = [
        (_("Address"), ADDRESS_FIELDS),
        (_("Decile (DTSEN)"), DESIL_FIELDS),
        (_("Housing condition"), HOUSING_FIELDS),
    ]
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Keluarga
        fields = [*ADDRESS_FIELDS, *DESIL_FIELDS, *HOUSING_FIELDS]
        widgets = KELUARGA_WIDGETS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_household_fields(self.fields)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MoveForm(forms.Form):
    wilayah = VillageChoiceField(label=_("new desa/kelurahan"), queryset=Wilayah.objects.none())
    moved_on = forms.DateField(label=_("moved on"), widget=DateInput())
    reason = forms.CharField(label=_("reason"), max_length=300)

    def __init__(self, *args: Any, actor: User, keluarga: Keluarga, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["wilayah"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = villages_managed_by(actor).exclude(code=keluarga.wilayah_id)
        self.initial.setdefault("moved_on", timezone.localdate())


# --- residents -----------------------------------------------------------------------------


class IndividuForm(SectionsMixin, NikCleaningMixin, forms.ModelForm):
    """A resident: a new member of a household, or corrections to one."""

    layout = [
        (_("Identity"), IDENTITY_FIELDS),
        (_("Family and background"), FAMILY_FIELDS),
        (_("Life events"), LIFE_FIELDS),
    ]
    nik = identifier_field(_("NIK"), NIK_HELP)
    # The version the editor opened: a save by someone else in between is refused, not lost.
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Individu
        fields = [n for n in IDENTITY_FIELDS + FAMILY_FIELDS + LIFE_FIELDS if n != "nik"]
        widgets = INDIVIDU_WIDGETS
        help_texts = {"nik_note": NIK_NOTE_HELP}

    field_order = [*IDENTITY_FIELDS, *FAMILY_FIELDS, *LIFE_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = not self.instance._state.adding
        if self.editing:
            nik = self.fields["nik"]
            nik.required = False
            nik.help_text = _("Leave empty to keep the current NIK (%(masked)s).") % {
                "masked": self.instance.nik_masked
            }
            if not self.is_bound:
                self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]
            for name in LIFE_FIELDS:
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("died_on") and not data.get("is_deceased"):
            self.add_error("is_deceased", _("Tick 'deceased' when there is a date of death."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = {n: self.cleaned_data[n] for n in self.fields if n in self.cleaned_data}
        data.pop("version", None)
        if self.editing and not data.get("nik"):
            data.pop("nik", None)  # empty keeps the stored NIK
        return data


# --- PPKS ----------------------------------------------------------------------------------


class PpksAssignForm(forms.Form):
    ppks_type = forms.ModelChoiceField(
        label=_("PPKS category"), queryset=PpksType.objects.filter(is_active=True)
    )
    assessed_on = forms.DateField(label=_("assessed on"), widget=DateInput())
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea({"rows": 3}))
    evidence = forms.FileField(
        label=_("evidence"),
        required=False,
        help_text=_("A photo or scan (PDF, JPEG or PNG): an assessment sheet, a letter..."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("assessed_on", timezone.localdate())

    def clean_evidence(self) -> Any:
        value = self.cleaned_data.get("evidence")
        if isinstance(value, UploadedFile):
            return clean_upload(value, DOCUMENT)
        return value


class PpksResolveForm(forms.Form):
    resolved_on = forms.DateField(label=_("resolved on"), widget=DateInput())
    note = forms.CharField(
        label=_("how it was resolved"),
        max_length=300,
        help_text=_("For example: received ATENSI assistance, moved in with family."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("resolved_on", timezone.localdate())


# --- identifiers ---------------------------------------------------------------------------


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("why do you need the full number?"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
