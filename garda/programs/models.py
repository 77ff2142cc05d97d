"""Aid programmes: the catalogue with its eligibility rules, quotas and periods (tahap); who is
enrolled (kepesertaan); what each participant received per period (penyaluran); proposals
(usulan) through village deliberation, Dinas verification and the bupati's approval; and
objections (sanggah). Every state change is an event row; every area-bound row carries the
code of its desa so the one scoping path applies without joins."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from garda.core.fields import EncryptedTextField
from garda.core.models import BaseModel, Event
from garda.core.nik import mask_identifier
from garda.core.scoping import ScopedQuerySet

# ---------------------------------------------------------------------------------------------
# Catalogue


class FundSource(models.TextChoices):
    APBN = "apbn", _("APBN (national budget)")
    APBD_PROVINSI = "apbd_provinsi", _("APBD Provinsi")
    APBD_KABUPATEN = "apbd_kabupaten", _("APBD Kabupaten")
    DANA_DESA = "dana_desa", _("Dana Desa (village fund)")
    CSR = "csr", _("CSR / donor")


class BenefitKind(models.TextChoices):
    CASH = "tunai", _("cash")
    IN_KIND = "barang", _("in kind")
    SERVICE = "layanan", _("service")
    INSURANCE = "iuran", _("insurance contribution")


class TargetUnit(models.TextChoices):
    HOUSEHOLD = "keluarga", _("household")
    INDIVIDUAL = "individu", _("individual")


class ProgramQuerySet(ScopedQuerySet):
    def active(self) -> "ProgramQuerySet":
        return self.filter(is_active=True)


class Program(BaseModel):
    """A programme PSMs accompany. The eligibility rules are data an administrator sets:
    PPKS categories (any of them), maximum desil, an age range, and the areas it covers.
    `wilayah` is the region that runs it (a district or a province programme) and scopes who
    may manage it; empty for a national programme, which any programme manager may adjust.
    The catalogue itself is readable by every user."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("run by (region)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a national programme."),
    )
    fund_source = models.CharField(_("source of funds"), max_length=20, choices=FundSource.choices)
    kind = models.CharField(_("kind of benefit"), max_length=10, choices=BenefitKind.choices)
    target_unit = models.CharField(_("target unit"), max_length=10, choices=TargetUnit.choices)
    benefit_amount = models.PositiveBigIntegerField(
        _("benefit per unit per period (Rp)"),
        default=0,
        help_text=_("The value in Rupiah, also for goods and services."),
    )
    benefit_description = models.CharField(
        _("benefit description"), max_length=200, blank=True, help_text=_("e.g. 10 kg rice")
    )
    # Eligibility rules; an empty rule does not restrict.
    ppks_types = models.ManyToManyField(
        "registry.PpksType", verbose_name=_("PPKS categories"), blank=True, related_name="+"
    )
    max_desil = models.PositiveSmallIntegerField(_("maximum desil"), null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    areas = models.ManyToManyField(
        "wilayah.Wilayah",
        verbose_name=_("only in these regions"),
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole region that runs the programme."),
    )
    # Programmes a participant should not also be in (e.g. two food programmes): warned.
    conflicts = models.ManyToManyField(
        "self", verbose_name=_("conflicts with"), blank=True, symmetrical=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_desil__isnull=True) | Q(max_desil__gte=1, max_desil__lte=10),
                name="program_desil_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=models.F("max_age")),
                name="program_age_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programs:program_detail", args=[self.pk])


class Period(BaseModel):
    """A period (tahap) of a programme: distributions are planned and reconciled per period."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="periods")
    name = models.CharField(_("name"), max_length=60, help_text=_("e.g. Tahap 1 2026"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["program", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="one_period_name"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} — {self.name}"

    def audit_region_code(self) -> str:
        return self.program.wilayah_id or ""


class Quota(BaseModel):
    """How many units of a programme a desa (or a kecamatan) may have enrolled at once."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="quotas")
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    quota = models.PositiveIntegerField(_("quota"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["wilayah"]
        constraints = [
            models.UniqueConstraint(fields=["program", "wilayah"], name="one_quota_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.wilayah_id}: {self.quota}"


# ---------------------------------------------------------------------------------------------
# Enrolment


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "aktif", _("active")
    SUSPENDED = "ditangguhkan", _("suspended")
    ENDED = "berakhir", _("ended")


class EnrolmentQuerySet(ScopedQuerySet):
    def active(self) -> "EnrolmentQuerySet":
        return self.filter(status=EnrolmentStatus.ACTIVE)


class Enrolment(BaseModel):
    """A household or a person in a programme (by the programme's target unit). Ending and
    re-enrolling reuse the row: one row per participant and programme, its events the history."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrolments")
    keluarga = models.ForeignKey(
        "registry.Keluarga", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    individu = models.ForeignKey(
        "registry.Individu", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ACTIVE,
    )
    enrolled_on = models.DateField(_("enrolled on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_on"]
        indexes = [models.Index(fields=["program", "status", "wilayah"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(keluarga__isnull=False) ^ Q(individu__isnull=False),
                name="enrolment_of_a_household_or_a_person",
            ),
            models.UniqueConstraint(
                fields=["program", "keluarga"],
                condition=Q(keluarga__isnull=False),
                name="one_enrolment_per_household",
            ),
            models.UniqueConstraint(
                fields=["program", "individu"],
                condition=Q(individu__isnull=False),
                name="one_enrolment_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.participant}"

    def get_absolute_url(self) -> str:
        return reverse("programs:enrolment_detail", args=[self.pk])

    @property
    def participant(self) -> models.Model:
        return self.keluarga or self.individu  # type: ignore[return-value]


class EnrolmentEvent(Event):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment events")


# ---------------------------------------------------------------------------------------------
# Distributions


class DistributionStatus(models.TextChoices):
    SCHEDULED = "dijadwalkan", _("scheduled")
    DELIVERED = "tersalurkan", _("delivered")
    FAILED = "gagal", _("failed")
    RETURNED = "dikembalikan", _("returned")


class Channel(models.TextChoices):
    CASH = "tunai", _("cash in hand")
    BANK = "bank", _("bank / KKS card")
    POST = "pos", _("post office")
    GOODS = "barang", _("goods")


class Distribution(BaseModel):
    """What one participant is to receive in one period, and what happened. `amount` is the
    planned benefit in Rupiah, fixed when planned; the status says whether it arrived."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="distributions")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="distributions")
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount = models.PositiveBigIntegerField(_("planned benefit (Rp)"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DistributionStatus.choices,
        default=DistributionStatus.SCHEDULED,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    distributed_on = models.DateField(_("date"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    proof_photo = models.FileField(_("photo"), upload_to="programs/bukti/", blank=True)
    signature = models.FileField(_("signature"), upload_to="programs/ttd/", blank=True)
    accompanied_by = models.ForeignKey(
        "pilar.Pilar",
        verbose_name=_("accompanied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["period", "wilayah"]
        indexes = [models.Index(fields=["period", "wilayah", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "period"], name="one_distribution_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.enrolment.participant}"

    def get_absolute_url(self) -> str:
        return reverse("programs:distribution_detail", args=[self.pk])


class DistributionEvent(Event):
    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("distribution event")
        verbose_name_plural = _("distribution events")


# ---------------------------------------------------------------------------------------------
# Proposals (usulan)


class ProposalKind(models.TextChoices):
    NEW_ENTRY = "baru", _("new registry entry")
    AID = "bansos", _("aid for a registered resident")
    CORRECTION = "perbaikan", _("correction")
    REMOVAL = "hapus", _("removal")


class RemovalReason(models.TextChoices):
    DECEASED = "meninggal", _("deceased")
    MOVED = "pindah", _("moved away")
    NOT_ELIGIBLE = "tidak_layak", _("no longer eligible")


class ProposalStatus(models.TextChoices):
    """The order of steps: draft -> submitted -> deliberated (musdes/muskel) -> verified by
    Dinas -> approved by the bupati. A rejection at deliberation or verification ends it."""

    DRAFT = "draf", _("draft")
    SUBMITTED = "diajukan", _("submitted")
    DELIBERATED = "dimusyawarahkan", _("agreed in village deliberation")
    VERIFIED = "diverifikasi", _("verified by Dinas")
    APPROVED = "disahkan", _("approved by the bupati")
    REJECTED = "ditolak", _("rejected")


class Deliberation(BaseModel):
    """A village deliberation (musdes, or muskel in a kelurahan) that decided on proposals,
    with its minutes (berita acara) uploaded by the desa operator."""

    class Kind(models.TextChoices):
        MUSDES = "musdes", _("musyawarah desa (musdes)")
        MUSKEL = "muskel", _("musyawarah kelurahan (muskel)")

    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.TextField(_("attendees"), help_text=_("One name and role per line."))
    attendee_count = models.PositiveIntegerField(_("number of attendees"))
    minutes = models.FileField(_("minutes (berita acara)"), upload_to="programs/berita-acara/")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("village deliberation")
        verbose_name_plural = _("village deliberations")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%d-%m-%Y}"

    def get_absolute_url(self) -> str:
        return reverse("programs:deliberation_detail", args=[self.pk])


class ProposalQuerySet(ScopedQuerySet):
    def open(self) -> "ProposalQuerySet":
        return self.exclude(status__in=[ProposalStatus.APPROVED, ProposalStatus.REJECTED])


class Proposal(BaseModel):
    """A PSM's proposal about a resident: a new registry entry (the person's details in
    `details`, NIK and No KK encrypted), aid for a registered resident or household, a
    correction (`details`: field -> proposed value) or a removal. Evidence: house photos front
    and inside, the family card, a GPS point."""

    AUDIT_MASKED_FIELDS = frozenset({"nik", "no_kk", "nik_hash"})

    # The id the phone gave a proposal drafted offline: sent again, it finds this row.
    # Empty for proposals made on the web form.
    client_uuid = models.UUIDField(_("device record id"), null=True, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=ProposalKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    program = models.ForeignKey(
        Program,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    individu = models.ForeignKey(
        "registry.Individu",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    keluarga = models.ForeignKey(
        "registry.Keluarga",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A new entry: who is proposed (NIK and No KK encrypted, blind index to find duplicates).
    name = models.CharField(_("name"), max_length=150, blank=True)
    nik = EncryptedTextField(_("NIK"), blank=True)
    nik_hash = models.CharField(max_length=64, blank=True, editable=False)
    no_kk = EncryptedTextField(_("family card number (No KK)"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    removal_reason = models.CharField(
        _("reason for removal"), max_length=12, choices=RemovalReason.choices, blank=True
    )
    justification = models.TextField(_("justification"))
    photo_front = models.FileField(_("house, front"), upload_to="programs/usulan/", blank=True)
    photo_inside = models.FileField(_("house, inside"), upload_to="programs/usulan/", blank=True)
    photo_kk = models.FileField(_("family card (KK)"), upload_to="programs/usulan/", blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    deliberation = models.ForeignKey(
        Deliberation,
        verbose_name=_("village deliberation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    decree_number = models.CharField(_("decree number"), max_length=100, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["wilayah", "status"]),
            models.Index(fields=["status", "approved_on"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="one_proposal_per_client_uuid")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_name}"

    def get_absolute_url(self) -> str:
        return reverse("programs:proposal_detail", args=[self.pk])

    @property
    def subject_name(self) -> str:
        if self.individu_id:
            return self.individu.name  # type: ignore[union-attr]
        if self.keluarga_id:
            return str(self.keluarga)
        return self.name

    @property
    def nik_masked(self) -> str:
        return mask_identifier(self.nik)


class ProposalEvent(Event):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("proposal event")
        verbose_name_plural = _("proposal events")


class SubmissionWindow(BaseModel):
    """The days of each month when proposals may be submitted in a region (e.g. 16-24).
    The window of the nearest enclosing region applies; none means any day."""

    wilayah = models.OneToOneField(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    first_day = models.PositiveSmallIntegerField(_("first day of the month"))
    last_day = models.PositiveSmallIntegerField(_("last day of the month"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission window")
        verbose_name_plural = _("submission windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    first_day__gte=1, first_day__lte=models.F("last_day"), last_day__lte=31
                ),
                name="window_days_in_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.wilayah_id}: {self.first_day}-{self.last_day}"


# ---------------------------------------------------------------------------------------------
# Objections (sanggah)


class ObjectionStatus(models.TextChoices):
    OPEN = "terbuka", _("open")
    UPHELD = "diterima", _("upheld")
    DISMISSED = "ditolak", _("dismissed")
    LAPSED = "kedaluwarsa", _("lapsed")


class ObjectionQuerySet(ScopedQuerySet):
    def open(self) -> "ObjectionQuerySet":
        return self.filter(status=ObjectionStatus.OPEN)


class Objection(BaseModel):
    """A resident's objection to someone's eligibility (optionally for one programme), with a
    photo and a GPS point. Not verified by `due_on` (14 days), it lapses."""

    DAYS_TO_VERIFY = 14
    AUDIT_MASKED_FIELDS = frozenset({"objector_nik"})

    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    individu = models.ForeignKey(
        "registry.Individu",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    keluarga = models.ForeignKey(
        "registry.Keluarga",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    program = models.ForeignKey(
        Program,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
    )
    objector_name = models.CharField(_("objector's name"), max_length=150)
    objector_nik = EncryptedTextField(_("objector's NIK"), blank=True)
    objector_contact = models.CharField(_("objector's contact"), max_length=100, blank=True)
    grounds = models.TextField(_("grounds"))
    photo = models.FileField(_("house photo"), upload_to="programs/sanggah/")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    filed_on = models.DateField(_("filed on"))
    due_on = models.DateField(_("verify by"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ObjectionStatus.choices,
        default=ObjectionStatus.OPEN,
    )
    outcome = models.TextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-filed_on"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(keluarga__isnull=False) ^ Q(individu__isnull=False),
                name="objection_to_a_household_or_a_person",
            )
        ]

    def __str__(self) -> str:
        subject = self.individu or self.keluarga
        return _("Objection to %(subject)s") % {"subject": subject}

    def get_absolute_url(self) -> str:
        return reverse("programs:objection_detail", args=[self.pk])


class ObjectionEvent(Event):
    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="events")

    class Meta(Event.Meta):
        verbose_name = _("objection event")
        verbose_name_plural = _("objection events")
