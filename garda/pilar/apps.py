from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilarConfig(AppConfig):
    name = "garda.pilar"
    label = "pilar"
    verbose_name = _("Social pillars")
