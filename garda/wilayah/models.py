"""The region tree of Indonesia, keyed by the Kemendagri code (PP.KK.CC.DDDD)."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from garda.core.fields import RegionCodeField
from garda.core.scoping import ScopedQuerySet


class Level(models.IntegerChoices):
    PROVINSI = 1, _("Province")
    KABUPATEN = 2, _("Regency/city")
    KECAMATAN = 3, _("District (kecamatan)")
    DESA = 4, _("Village (desa/kelurahan)")


class Kind(models.TextChoices):
    PROVINSI = "provinsi", _("Province")
    KABUPATEN = "kabupaten", _("Regency")
    KOTA = "kota", _("City")
    KECAMATAN = "kecamatan", _("Kecamatan")
    DESA = "desa", _("Desa")
    KELURAHAN = "kelurahan", _("Kelurahan")


def kind_from_code(code: str) -> Kind:
    """Regency codes 71-99 are cities; village codes starting with 1 are kelurahan, 2 desa."""
    parts = code.split(".")
    match len(parts):
        case 1:
            return Kind.PROVINSI
        case 2:
            return Kind.KOTA if int(parts[1]) >= 71 else Kind.KABUPATEN
        case 3:
            return Kind.KECAMATAN
        case _:
            return Kind.KELURAHAN if parts[3].startswith("1") else Kind.DESA


class WilayahQuerySet(ScopedQuerySet):
    region_field = "code"

    def active(self) -> "WilayahQuerySet":
        return self.filter(is_active=True)


class Wilayah(models.Model):
    code = RegionCodeField(_("code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WilayahQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        if self.level == Level.KABUPATEN:  # official names already say "Kabupaten" or "Kota"
            return self.name
        return f"{self.get_kind_display()} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("wilayah:detail", args=[self.code])

    @property
    def is_village(self) -> bool:
        return self.level == Level.DESA
