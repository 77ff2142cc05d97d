"""Choices shared by the registries of workers and residents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    L = "L", _("male")
    P = "P", _("female")


class Religion(models.TextChoices):
    ISLAM = "islam", _("Islam")
    KRISTEN = "kristen", _("Protestant")
    KATOLIK = "katolik", _("Catholic")
    HINDU = "hindu", _("Hindu")
    BUDDHA = "buddha", _("Buddhist")
    KONGHUCU = "konghucu", _("Confucian")
    KEPERCAYAAN = "kepercayaan", _("Indigenous belief")


class Education(models.TextChoices):
    TIDAK = "tidak", _("No schooling")
    SD = "sd", _("Primary school (SD)")
    SMP = "smp", _("Junior high (SMP)")
    SMA = "sma", _("Senior high (SMA/SMK)")
    D3 = "d3", _("Diploma (D1-D3)")
    S1 = "s1", _("Bachelor (D4/S1)")
    S2 = "s2", _("Master or higher (S2/S3)")
