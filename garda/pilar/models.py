"""Social workers (PSM) and the other social pillars: who they are, where they serve, whether
they are appointed, trained and active, with the history of each of those."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.core.choices import Education, Religion, Sex
from garda.core.fields import EncryptedTextField
from garda.core.models import BaseModel
from garda.core.nik import mask_identifier
from garda.core.scoping import ScopedQuerySet
from garda.wilayah.models import Level


class PilarType(models.Model):
    """A kind of social pillar (PSKS): PSM, TKSK, Tagana... Data an administrator can extend."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_organisation = models.BooleanField(_("organisation"), default=False)
    area_level = models.PositiveSmallIntegerField(
        _("serves at level"), choices=Level.choices, default=Level.DESA
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("pillar type")
        verbose_name_plural = _("pillar types")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


PSM = "psm"
TKSK = "tksk"


class Status(models.TextChoices):
    CALON = "calon", _("candidate")
    AKTIF = "aktif", _("active")
    NONAKTIF = "nonaktif", _("inactive")
    BERHENTI = "berhenti", _("resigned")
    MENINGGAL = "meninggal", _("deceased")


class PilarQuerySet(ScopedQuerySet):
    def active(self) -> "PilarQuerySet":
        return self.filter(status=Status.AKTIF)

    def of_type(self, code: str) -> "PilarQuerySet":
        return self.filter(jenis__code=code)

    def trained(self, yes: bool = True) -> "PilarQuerySet":
        has_training = models.Exists(Training.objects.filter(pilar=models.OuterRef("pk")))
        return self.filter(has_training if yes else ~has_training)


class Pilar(BaseModel):
    """A member of a social pillar: a person (PSM, TKSK, Tagana...) or an organisation (LKS,
    Karang Taruna). `wilayah` is where they serve (lokasi tugas): it scopes who sees them."""

    AUDIT_MASKED_FIELDS = frozenset({"nik", "nik_hash"})

    jenis = models.ForeignKey(PilarType, verbose_name=_("type"), on_delete=models.PROTECT)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("place of service"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pilar",
    )
    name = models.CharField(_("name"), max_length=150)
    nik = EncryptedTextField(_("NIK"), blank=True)
    # Keyed hash of the NIK: exact search and one profile per NIK, without storing it in clear.
    nik_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    nik_note = models.CharField(
        _("note on the NIK"),
        max_length=300,
        blank=True,
        help_text=_("Why a NIK that disagrees with the date of birth or sex is still right."),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    religion = models.CharField(_("religion"), max_length=20, choices=Religion.choices, blank=True)
    education = models.CharField(
        _("education"), max_length=10, choices=Education.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    phone = models.CharField(_("phone / WhatsApp"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    home_wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("home village"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dusun = models.CharField(_("dusun"), max_length=100, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    photo = models.ImageField(_("photo"), upload_to="pilar/foto/", blank=True)
    ipsm_number = models.CharField(_("IPSM member number"), max_length=40, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CALON
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = PilarQuerySet.as_manager()

    class Meta:
        verbose_name = _("social pillar member")
        verbose_name_plural = _("social pillar members")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["wilayah", "jenis", "status"]),
            models.Index(fields=["phone"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilar:detail", args=[self.pk])

    @property
    def nik_masked(self) -> str:
        return mask_identifier(self.nik) if self.nik else ""


class PilarChildQuerySet(ScopedQuerySet):
    """Rows that belong to a pillar member are scoped by the member's place of service."""

    region_field = "pilar__wilayah_id"


class PilarChild(BaseModel):
    """A record belonging to a member: scoped, and audited, in the member's region."""

    pilar: "models.ForeignKey[Pilar, Pilar]"

    objects = PilarChildQuerySet.as_manager()

    class Meta:
        abstract = True

    def audit_region_code(self) -> str:
        return self.pilar.wilayah_id


class StatusEvent(PilarChild):
    """A change of status, with its reason: the status history users see."""

    pilar = models.ForeignKey(Pilar, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(_("from"), max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    effective_on = models.DateField(_("effective on"), default=timezone.localdate)
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-effective_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.pilar}: {self.from_status} -> {self.to_status}"


class Placement(BaseModel):
    """Where a member served and when (lokasi tugas history). The open row is the current one."""

    pilar = models.ForeignKey(Pilar, on_delete=models.CASCADE, related_name="placements")
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = PilarChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("place of service")
        verbose_name_plural = _("places of service")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilar"], condition=Q(end__isnull=True), name="one_open_placement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pilar} @ {self.wilayah_id}"


class Decree(PilarChild):
    """An appointment decree (SK) with its validity and scan."""

    pilar = models.ForeignKey(Pilar, on_delete=models.CASCADE, related_name="decrees")
    number = models.CharField(_("decree number"), max_length=100)
    issued_on = models.DateField(_("decree date"))
    signed_by = models.CharField(_("signed by"), max_length=150)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    scan = models.FileField(_("scan"), upload_to="pilar/sk/", blank=True)

    class Meta:
        verbose_name = _("appointment decree (SK)")
        verbose_name_plural = _("appointment decrees (SK)")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid_today(self) -> bool:
        today = timezone.localdate()
        return self.valid_from <= today and (self.valid_until is None or today <= self.valid_until)


class TrainingKind(models.TextChoices):
    BIMTEK_DASAR = "bimtek_dasar", _("Basic technical training (bimtek dasar)")
    BSD = "bsd", _("BSD")
    BSL = "bsl", _("BSL")
    LAINNYA = "lainnya", _("Other")


class Training(PilarChild):
    pilar = models.ForeignKey(Pilar, on_delete=models.CASCADE, related_name="trainings")
    kind = models.CharField(_("training"), max_length=20, choices=TrainingKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    organiser = models.CharField(_("organiser"), max_length=150)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    certificate = models.FileField(_("certificate"), upload_to="pilar/sertifikat/", blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="training_dates")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%Y}"


class Position(models.TextChoices):
    KETUA = "ketua", _("chair")
    SEKRETARIS = "sekretaris", _("secretary")
    BENDAHARA = "bendahara", _("treasurer")
    ANGGOTA = "anggota", _("member")


class OfficerQuerySet(ScopedQuerySet):
    def current(self) -> "OfficerQuerySet":
        today = timezone.localdate()
        open_or_running = Q(term_end__isnull=True) | Q(term_end__gte=today)
        return self.filter(open_or_running, term_start__lte=today)


class IpsmOfficer(BaseModel):
    """An IPSM officer: a PSM in a position at desa, kecamatan or kabupaten level, for a term."""

    pilar = models.ForeignKey(Pilar, on_delete=models.CASCADE, related_name="ipsm_positions")
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("level and region"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    position = models.CharField(_("position"), max_length=12, choices=Position.choices)
    term_start = models.DateField(_("term from"))
    term_end = models.DateField(_("term until"), null=True, blank=True)

    objects = OfficerQuerySet.as_manager()

    class Meta:
        verbose_name = _("IPSM officer")
        verbose_name_plural = _("IPSM officers")
        ordering = ["wilayah_id", "position"]

    def __str__(self) -> str:
        return f"{self.get_position_display()} IPSM {self.wilayah_id}: {self.pilar}"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("checked, not applied")
    APPLIED = "applied", _("applied")
    FAILED = "failed", _("failed, nothing written")


class ImportBatch(BaseModel):
    """An uploaded file of members: what the check found, and whether it was applied.

    The file is kept (privately, under MEDIA_ROOT) so the apply step reads exactly what was
    previewed; `sha256` proves it. `wilayah` is the uploader's area and scopes the batch.
    `problems` lists {"row", "column", "message", "level"}: level "error" blocks the import,
    "warning" does not, "update" names the columns a row will change.
    """

    AUDIT_MASKED_FIELDS = frozenset({"problems"})

    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="pilar/impor/")
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    bad_count = models.PositiveIntegerField(_("bad"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import of members")
        verbose_name_plural = _("imports of members")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("pilar:import_detail", args=[self.pk])
