"""How every Garda form renders: labels start with a capital and carry no colon.

Model field names are lowercase by Django convention ("nama pengguna"); the renderer
capitalises them once here instead of in every form.
"""

from typing import Any

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
