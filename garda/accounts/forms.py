from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from garda.core.middleware import client_ip
from garda.wilayah.models import Level, Wilayah

from .models import User
from .roles import Perm, Role
from .services import login_failed, login_is_locked


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Wilayah) -> str:
        indent = "\u2003" * (obj.level - 1)
        return f"{indent}{obj} ({obj.code})"


def regions_managed_by(user: User):
    return (
        Wilayah.objects.visible_to(user, Perm.MANAGE_USERS)
        .active()
        .filter(level__gte=Level.KABUPATEN)
    )


def limit_regions(form: forms.BaseForm, regions: QuerySet[Wilayah]) -> None:
    """Offer only these regions in the form's `wilayah` field."""
    field = form.fields["wilayah"]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - a programming error otherwise
    field.queryset = regions


class LoginForm(AuthenticationForm):
    """Django's login form, refusing early while the username or address is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or password is wrong. Capital and small letters count as different."
        ),
        "locked": _(
            "Too many failed attempts. Wait %(minutes)s minutes, or ask your administrator."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("password")

    def clean(self):
        username = (self.cleaned_data or {}).get("username", "").strip()
        ip = client_ip(self.request) if self.request else None
        if username and login_is_locked(username=username, ip=ip):
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": int(settings.GARDA_LOGIN_WINDOW.total_seconds() // 60)},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                login_failed(username=username, ip=ip)
            raise


class PasswordLabelsMixin:
    """Garda's own words for the password fields ("kata sandi", as on the rest of the site)."""

    labels = {
        "old_password": _("current password"),
        "new_password1": _("new password"),
        "new_password2": _("new password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name, label in self.labels.items():
            if name in self.fields:  # type: ignore[attr-defined]
                self.fields[name].label = label  # type: ignore[attr-defined]


class PasswordChangeForm(PasswordLabelsMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(PasswordLabelsMixin, auth_forms.SetPasswordForm):
    pass


username_validator = RegexValidator(
    r"^[A-Za-z0-9._-]+$", _("Use only letters, digits and . _ - in a username.")
)


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("username"), max_length=50, validators=[username_validator])
    name = forms.CharField(label=_("full name"), max_length=150)
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(label=_("phone / WhatsApp"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    wilayah = RegionChoiceField(
        label=_("region"),
        queryset=Wilayah.objects.none(),
        help_text=_("Where the person works: a desa for a PSM, a kecamatan for a coordinator."),
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        limit_regions(self, regions_managed_by(actor))


class UserUpdateForm(forms.ModelForm):
    wilayah = RegionChoiceField(label=_("home region"), queryset=Wilayah.objects.none())
    # The version the editor opened: a save by someone else in between is refused, not lost.
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = User
        fields = ["name", "email", "phone", "wilayah"]

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        limit_regions(self, regions_managed_by(actor))
        if not self.is_bound:
            self.initial["version"] = self.instance.version


class AssignmentForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    wilayah = RegionChoiceField(label=_("region"), queryset=Wilayah.objects.none())
    valid_from = forms.DateField(
        label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        limit_regions(self, regions_managed_by(actor))

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end <= start:
            self.add_error("valid_to", _("The end date must be after the start date."))
        return data


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    role = forms.ChoiceField(
        label=_("role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    wilayah = RegionChoiceField(
        label=_("region"), required=False, queryset=Wilayah.objects.none(), empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        limit_regions(self, regions_managed_by(actor).filter(level__lte=Level.KECAMATAN))
