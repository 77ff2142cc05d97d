from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("actor"), required=False)
    action = forms.ChoiceField(
        label=_("action"), required=False, choices=[("", _("All")), *Action.choices]
    )
    object_type = forms.CharField(label=_("object type"), required=False)
    wilayah = forms.CharField(label=_("region code"), required=False)
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
