"""Households (keluarga), the people in them (individu), their PPKS statuses and the queue of
likely duplicates. NIK and No KK are encrypted at rest with a blind index for exact lookup;
every row carries the code of its desa so the one scoping path applies without joins."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from garda.core.choices import Education, Religion, Sex
from garda.core.fields import EncryptedTextField
from garda.core.models import BaseModel
from garda.core.nik import mask_identifier
from garda.core.scoping import ScopedQuerySet


class Relation(models.TextChoices):
    """Hubungan keluarga, as on the family card (KK)."""

    KEPALA = "kepala", _("head of family")
    ISTRI_SUAMI = "pasangan", _("wife/husband")
    ANAK = "anak", _("child")
    MENANTU = "menantu", _("son/daughter-in-law")
    CUCU = "cucu", _("grandchild")
    ORANG_TUA = "orang_tua", _("parent")
    MERTUA = "mertua", _("parent-in-law")
    FAMILI = "famili", _("other relative")
    LAINNYA = "lainnya", _("other")


class Marital(models.TextChoices):
    BELUM = "belum", _("not married")
    KAWIN = "kawin", _("married")
    CERAI_HIDUP = "cerai_hidup", _("divorced")
    CERAI_MATI = "cerai_mati", _("widowed")


class Disability(models.TextChoices):
    FISIK = "fisik", _("physical")
    INTELEKTUAL = "intelektual", _("intellectual")
    MENTAL = "mental", _("mental (psychosocial)")
    SENSORIK = "sensorik", _("sensory")
    GANDA = "ganda", _("multiple")


class KeluargaQuerySet(ScopedQuerySet):
    pass


class Keluarga(BaseModel):
    """A household as on its family card (KK)."""

    AUDIT_MASKED_FIELDS = frozenset({"no_kk", "no_kk_hash"})

    no_kk = EncryptedTextField(_("family card number (No KK)"))
    no_kk_hash = models.CharField(max_length=64, editable=False)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    dusun = models.CharField(_("dusun"), max_length=100, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    desil = models.PositiveSmallIntegerField(_("DTSEN decile (desil)"), null=True, blank=True)
    desil_source = models.CharField(_("decile source"), max_length=100, blank=True)
    desil_date = models.DateField(_("decile date"), null=True, blank=True)
    dtks_id = models.CharField(_("ID DTKS/DTSEN"), max_length=40, blank=True)
    floor = models.CharField(_("floor"), max_length=40, blank=True)
    wall = models.CharField(_("walls"), max_length=40, blank=True)
    roof = models.CharField(_("roof"), max_length=40, blank=True)
    water = models.CharField(_("drinking water"), max_length=40, blank=True)
    sanitation = models.CharField(_("toilet"), max_length=40, blank=True)
    electricity = models.CharField(_("lighting"), max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = KeluargaQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # Indexes and uniqueness are declared here, not with unique=/db_index=, so PostgreSQL
        # gets no extra "_like" pattern indexes: they slow a million-row import by a fifth.
        indexes = [
            models.Index(fields=["wilayah", "desil"]),
            models.Index(fields=["dtks_id"], name="keluarga_dtks_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(desil__isnull=True) | Q(desil__gte=1, desil__lte=10),
                name="desil_1_to_10",
            ),
            models.UniqueConstraint(fields=["no_kk_hash"], name="one_household_per_no_kk"),
        ]

    def __str__(self) -> str:
        return _("Household %(kk)s") % {"kk": self.no_kk_masked}

    def get_absolute_url(self) -> str:
        return reverse("registry:keluarga_detail", args=[self.pk])

    @property
    def no_kk_masked(self) -> str:
        return mask_identifier(self.no_kk)


class IndividuQuerySet(ScopedQuerySet):
    def current(self) -> "IndividuQuerySet":
        """Records that are not merged into another."""
        return self.filter(merged_into__isnull=True)

    def alive(self) -> "IndividuQuerySet":
        return self.current().filter(is_deceased=False)


class Individu(BaseModel):
    """A resident. `wilayah` follows the household's desa (kept in step when a family moves)."""

    AUDIT_MASKED_FIELDS = frozenset({"nik", "nik_hash"})

    nik = EncryptedTextField(_("NIK"))
    # One person, one NIK: the unique blind index enforces it in the database.
    nik_hash = models.CharField(max_length=64, editable=False)
    nik_note = models.CharField(_("note on the NIK"), max_length=300, blank=True)
    keluarga = models.ForeignKey(
        Keluarga, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=150)
    name_key = models.CharField(max_length=150, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_place = models.CharField(_("place of birth"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    mother_name = models.CharField(_("mother's name"), max_length=150, blank=True)
    mother_key = models.CharField(max_length=150, blank=True, editable=False)
    marital = models.CharField(
        _("marital status"), max_length=12, choices=Marital.choices, blank=True
    )
    religion = models.CharField(_("religion"), max_length=20, choices=Religion.choices, blank=True)
    education = models.CharField(
        _("education"), max_length=10, choices=Education.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    disability = models.CharField(
        _("disability"), max_length=12, choices=Disability.choices, blank=True
    )
    is_deceased = models.BooleanField(_("deceased"), default=False)
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    moved_out = models.BooleanField(_("moved away"), default=False)
    # A record merged into another stays for its history but leaves every list.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = IndividuQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(fields=["wilayah", "name_key"]),
            models.Index(fields=["birth_date", "wilayah"]),
        ]
        constraints = [models.UniqueConstraint(fields=["nik_hash"], name="one_resident_per_nik")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:individu_detail", args=[self.pk])

    @property
    def nik_masked(self) -> str:
        return mask_identifier(self.nik)


class Move(BaseModel):
    """A household or person moving to another desa: the history of where they lived."""

    keluarga = models.ForeignKey(
        Keluarga, on_delete=models.CASCADE, null=True, related_name="moves"
    )
    individu = models.ForeignKey(
        Individu, on_delete=models.CASCADE, null=True, related_name="moves"
    )
    from_wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.PROTECT, related_name="+")
    to_wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.PROTECT, related_name="+")
    moved_on = models.DateField(_("moved on"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("move")
        verbose_name_plural = _("moves")
        ordering = ["-moved_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(keluarga__isnull=False) | Q(individu__isnull=False),
                name="move_of_someone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_wilayah_id} -> {self.to_wilayah_id}"


class PpksType(models.Model):
    """The 26 types of people who need social welfare services (PPKS), kept as data."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_sensitive = models.BooleanField(
        _("specific personal data"),
        default=False,
        help_text=_("Health, disability, children, criminal records, abuse (UU 27/2022)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("PPKS type")
        verbose_name_plural = _("PPKS types")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class PpksStatusQuerySet(ScopedQuerySet):
    def active(self) -> "PpksStatusQuerySet":
        return self.filter(resolved_on__isnull=True)


class PpksStatus(BaseModel):
    """A PPKS category found for a person or a household, by whom, on what evidence."""

    ppks_type = models.ForeignKey(PpksType, verbose_name=_("PPKS type"), on_delete=models.PROTECT)
    individu = models.ForeignKey(
        Individu, on_delete=models.CASCADE, null=True, blank=True, related_name="ppks"
    )
    keluarga = models.ForeignKey(
        Keluarga, on_delete=models.CASCADE, null=True, blank=True, related_name="ppks"
    )
    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    evidence = models.FileField(_("evidence"), upload_to="registry/ppks/", blank=True)
    note = models.TextField(_("note"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution_note = models.TextField(_("how it was resolved"), blank=True)

    objects = PpksStatusQuerySet.as_manager()

    class Meta:
        verbose_name = _("PPKS status")
        verbose_name_plural = _("PPKS statuses")
        ordering = ["-assessed_on"]
        indexes = [models.Index(fields=["wilayah", "ppks_type"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(individu__isnull=False) ^ Q(keluarga__isnull=False),
                name="ppks_of_a_person_or_a_household",
            )
        ]

    def __str__(self) -> str:
        return str(self.ppks_type)


class Candidate(models.TextChoices):
    OPEN = "open", _("to review")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("not the same person")


class DuplicateCandidate(BaseModel):
    """Two records that may be one person, waiting for a Dinas user to merge or dismiss."""

    first = models.ForeignKey(Individu, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Individu, on_delete=models.CASCADE, related_name="+")
    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Candidate.choices, default=Candidate.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_candidate_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.first} ~ {self.second}"


class ImportState(models.TextChoices):
    QUEUED = "queued", _("waiting to be checked")
    VALIDATING = "validating", _("checking")
    INVALID = "invalid", _("has errors")
    READY = "ready", _("ready to apply")
    WRITING = "writing", _("writing")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


class ImportJobQuerySet(ScopedQuerySet):
    def running(self) -> "ImportJobQuerySet":
        return self.filter(status__in=ImportJob.RUNNING)


class ImportJob(BaseModel):
    """An uploaded DTKS-layout file of households and residents, checked and written in the
    background (`garda.registry.tasks`).

    Flow: queued -> validating -> invalid | ready; ready -> (apply) writing -> done | failed.
    The stored file is the durable record of what was written (`sha256` proves it); the counts
    say what it did. `processed_rows` of `total_rows` is the progress of the current step;
    `heartbeat_at` moves with it, so a job whose worker died is recognised as stalled and can
    be started again (nothing of it was written: the write is one transaction). `problems`
    keeps the first PROBLEM_CAP problems ({"row", "column", "message", "level"}); the full list
    is `problems_file` (CSV). `wilayah` is the uploader's area and scopes the job.
    """

    PROBLEM_CAP = 1000
    RUNNING = (ImportState.QUEUED, ImportState.VALIDATING, ImportState.WRITING)
    FINISHED = (ImportState.INVALID, ImportState.READY, ImportState.DONE, ImportState.FAILED)
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
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="registry/impor/")
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportState.choices, default=ImportState.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    new_count = models.PositiveIntegerField(_("new residents"), default=0)
    updated_count = models.PositiveIntegerField(_("updated residents"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged residents"), default=0)
    bad_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    warning_count = models.PositiveIntegerField(_("rows with warnings"), default=0)
    household_new_count = models.PositiveIntegerField(_("new households"), default=0)
    household_updated_count = models.PositiveIntegerField(_("updated households"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problems_file = models.FileField(upload_to="registry/impor/", blank=True)
    run_id = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import of residents")
        verbose_name_plural = _("imports of residents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["wilayah", "created_at"])]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("registry:import_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
