"""How every Garda form renders: labels start with a capital and carry no colon.

Model field names are lowercase by Django convention ("nama pengguna"); the renderer
capitalises them once here instead of in every form.
"""

from typing import Any

from django import forms
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_noop


class GardaBoundField(BoundField):
    def label_tag(
        self,
        contents: str | None = None,
        attrs: dict[str, Any] | None = None,
        label_suffix: str | None = "",
        tag: str | None = None,
    ) -> SafeString:
        return super().label_tag(contents or str(capfirst(self.label)), attrs, label_suffix, tag)


class GardaFormRenderer(DjangoTemplates):
    bound_field_class = GardaBoundField


# Strings of Django itself that its Indonesian catalogue does not translate yet. Naming them
# here puts them in Garda's catalogue, which is searched first (LOCALE_PATHS).
DJANGO_STRINGS = (gettext_noop("- Select an option -"),)


# What a datetime field accepts: the browser's own picker (with or without seconds) and a
# space instead of the T.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    """The phone's own date and time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
