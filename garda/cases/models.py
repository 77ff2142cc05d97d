"""Social cases: intake, assessment, a plan of actions, services given, referrals to Dinas,
another pillar or an institution, follow-up targets, and the case timeline.

A case lives in the desa of the person it concerns (`wilayah`): that region scopes who sees it,
its files and its referrals. Every change is a `CaseEvent` row (who, when, from, to, note),
the timeline users read and the figures a monitoring dashboard computes.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.core.fields import EncryptedTextField
from garda.core.models import BaseModel, Event
from garda.core.scoping import ScopedQuerySet


class Status(models.TextChoices):
    OPEN = "open", _("open")
    ASSESSED = "assessed", _("assessed")
    PLAN_ACTIVE = "plan_active", _("plan active")
    REFERRED = "referred", _("referred")
    RESOLVED = "resolved", _("resolved")
    CLOSING = "closing", _("awaiting closing approval")
    CLOSED = "closed", _("closed")


# States in which the case is being worked on: follow-up targets apply.
ACTIVE_STATUSES = (Status.OPEN, Status.ASSESSED, Status.PLAN_ACTIVE, Status.REFERRED)


class Urgency(models.TextChoices):
    EMERGENCY = "darurat", _("emergency")
    HIGH = "tinggi", _("high")
    MEDIUM = "sedang", _("medium")
    LOW = "rendah", _("low")


class Source(models.TextChoices):
    PSM_INITIATIVE = "psm", _("PSM initiative")
    RESIDENT_REQUEST = "warga", _("resident's request")
    DESA_REPORT = "desa", _("report from the desa")
    REFERRAL_IN = "rujukan", _("referral from elsewhere")


class Consent(models.TextChoices):
    GIVEN = "given", _("given")
    FAMILY = "family", _("given by the family or guardian")
    NOT_POSSIBLE = "not_possible", _("could not be asked")
    REFUSED = "refused", _("refused")


class SlaTarget(models.Model):
    """The follow-up target for one urgency: first response within hours, then a follow-up at
    least every so many days. Data an administrator edits; `targets.sla_for` falls back to
    the defaults written in code when a row is missing."""

    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, unique=True)
    response_hours = models.PositiveIntegerField(_("first response within (hours)"))
    follow_up_days = models.PositiveIntegerField(_("follow up at least every (days)"))

    class Meta:
        verbose_name = _("follow-up target")
        verbose_name_plural = _("follow-up targets")
        ordering = ["response_hours"]

    def __str__(self) -> str:
        return str(self.get_urgency_display())


class InstitutionKind(models.TextChoices):
    HOSPITAL = "rs", _("hospital")
    MENTAL_HOSPITAL = "rsj", _("mental hospital")
    PUSKESMAS = "puskesmas", _("community health centre (Puskesmas)")
    PANTI = "panti", _("care home (panti)")
    UPTD_PPA = "uptd_ppa", _("women and children protection unit (UPTD PPA)")
    POLICE_PPA = "polres_ppa", _("police women and children unit (Unit PPA)")
    LKS = "lks", _("social welfare institution (LKS)")
    GOVERNMENT = "dinas", _("government office")
    OTHER = "other", _("other")


class Institution(BaseModel):
    """A place cases are referred to. `wilayah` is where it stands; it scopes who manages it."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=InstitutionKind.choices)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cases:institution_update", args=[self.pk])


class CaseQuerySet(ScopedQuerySet):
    def active(self) -> "CaseQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> "CaseQuerySet":
        """Active cases past a target: no first response in time, a follow-up date passed,
        or an action of the plan past its due date."""
        now = now or timezone.now()
        today = timezone.localdate(now)
        late_action = PlanAction.objects.filter(
            case=OuterRef("pk"), done_on__isnull=True, due_on__lt=today
        )
        return self.active().filter(
            Q(status=Status.OPEN, response_due__lt=now)
            | Q(follow_up_on__lt=today)
            | Exists(late_action)
        )


class Case(BaseModel):
    """A social case. The narrative and the description of an unidentified person are
    encrypted at rest and masked in the audit trail."""

    AUDIT_MASKED_FIELDS = frozenset({"narrative", "unidentified_description"})

    number = models.CharField(_("case number"), max_length=30, unique=True, editable=False)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    ppks_type = models.ForeignKey(
        "registry.PpksType",
        verbose_name=_("PPKS category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    title = models.CharField(
        _("short title"),
        max_length=120,
        help_text=_("A few words without names, e.g. 'Elderly woman living alone'."),
    )
    narrative = EncryptedTextField(_("what happened"))
    subjects = models.ManyToManyField(
        "registry.Individu", verbose_name=_("people concerned"), blank=True, related_name="+"
    )
    unidentified_description = EncryptedTextField(
        _("description of an unidentified person"),
        blank=True,
        help_text=_("Apparent age, sex, clothing, where the person was found."),
    )
    consent = models.CharField(_("consent"), max_length=15, choices=Consent.choices)
    consent_note = models.CharField(
        _("note on consent"),
        max_length=300,
        blank=True,
        help_text=_("Why consent could not be asked, or who gave it."),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler_pilar = models.ForeignKey(
        "pilar.Pilar",
        verbose_name=_("social worker"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    response_due = models.DateTimeField(_("first response due"))
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("social case")
        verbose_name_plural = _("social cases")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["wilayah", "status"]),
            models.Index(fields=["handler", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CaseChildQuerySet(ScopedQuerySet):
    """Rows that belong to a case are scoped by the case's desa."""

    region_field = "case__wilayah_id"


class CaseChild(BaseModel):
    case: "models.ForeignKey[Case, Case]"

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        abstract = True

    def audit_region_code(self) -> str:
        return self.case.wilayah_id


class Need(models.TextChoices):
    ECONOMIC = "economic", _("income and basic needs")
    HEALTH = "health", _("health")
    MENTAL = "mental", _("mental health")
    HOUSING = "housing", _("housing")
    CARE = "care", _("daily care")
    PROTECTION = "protection", _("protection from violence or neglect")
    EDUCATION = "education", _("education")
    DOCUMENTS = "documents", _("identity documents")


class Risk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class Assessment(CaseChild):
    """A structured assessment. A case may be assessed again; the latest is the current one."""

    AUDIT_MASKED_FIELDS = frozenset({"notes"})

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    needs = models.JSONField(_("needs"), default=list)
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices)
    has_caregiver = models.BooleanField(_("has someone who cares for them"), default=False)
    income_source = models.CharField(_("source of income"), max_length=150, blank=True)
    notes = EncryptedTextField(_("assessment notes"))

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.assessed_on}"

    def need_labels(self) -> list[str]:
        labels = dict(Need.choices)
        return [str(labels.get(n, n)) for n in self.needs]


class PlanAction(CaseChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.CharField(
        _("who does it"), max_length=150, help_text=_("A person, a pillar or an institution.")
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due_on", "created_at"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_late(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()


class ServiceKind(models.TextChoices):
    HOME_VISIT = "visit", _("home visit")
    COUNSELLING = "counselling", _("counselling")
    BASIC_NEEDS = "basic_needs", _("food or basic needs")
    HEALTH_ACCESS = "health", _("escort to health services")
    DOCUMENTS = "documents", _("help with identity documents")
    SHELTER = "shelter", _("temporary shelter")
    OTHER = "other", _("other")


class Service(CaseChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    provided_on = models.DateField(_("date"), default=timezone.localdate)
    kind = models.CharField(_("service"), max_length=15, choices=ServiceKind.choices)
    description = models.CharField(_("what was done"), max_length=300)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("service provided")
        verbose_name_plural = _("services provided")
        ordering = ["-provided_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.provided_on}"


class ReferralTarget(models.TextChoices):
    DINAS = "dinas", _("Dinas Sosial")
    PILAR = "pilar", _("another social pillar")
    INSTITUTION = "institution", _("an institution")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", _("refused")
    COMPLETED = "completed", _("completed")


class Referral(CaseChild):
    """A referral (rujukan) of the case: sent -> accepted or refused -> completed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    number = models.CharField(_("letter number"), max_length=40, unique=True, editable=False)
    target = models.CharField(_("referred to"), max_length=12, choices=ReferralTarget.choices)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    pilar = models.ForeignKey(
        "pilar.Pilar",
        verbose_name=_("social pillar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.TextField(_("reason for the referral"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    response_note = models.TextField(_("answer"), blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="dinas", institution__isnull=True, pilar__isnull=True)
                    | Q(target="pilar", institution__isnull=True, pilar__isnull=False)
                    | Q(target="institution", institution__isnull=False, pilar__isnull=True)
                ),
                name="referral_has_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} → {self.target_name}"

    @property
    def target_name(self) -> str:
        if self.institution_id and self.institution:
            return self.institution.name
        if self.pilar_id and self.pilar:
            return self.pilar.name
        return str(ReferralTarget.DINAS.label)

    @property
    def is_pending(self) -> bool:
        return self.status in (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class CaseDocument(CaseChild):
    """A file of the case (a report, a letter back from an institution). Never a public URL:
    served by a scoped view only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    title = models.CharField(_("title"), max_length=150)
    file = models.FileField(_("file"), upload_to="kasus/berkas/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class EventKind(models.TextChoices):
    OPENED = "opened", _("case opened")
    EDITED = "edited", _("details corrected")
    ASSESSED = "assessed", _("assessed")
    ACTION_ADDED = "action_added", _("action planned")
    ACTION_DONE = "action_done", _("action done")
    SERVICE = "service", _("service provided")
    REFERRED = "referred", _("referred")
    REFERRAL_ACCEPTED = "ref_accepted", _("referral accepted")
    REFERRAL_REFUSED = "ref_refused", _("referral refused")
    REFERRAL_COMPLETED = "ref_completed", _("referral completed")
    TRANSFERRED = "transferred", _("handed over")
    DOCUMENT = "document", _("document added")
    RESOLVED = "resolved", _("resolved")
    CLOSING_REQUESTED = "close_request", _("closing requested")
    CLOSING_REFUSED = "close_refused", _("closing not approved")
    CLOSED = "closed", _("closed")
    REOPENED = "reopened", _("reopened")


# Events that count as a response to the case (for "time to first response").
RESPONSE_KINDS = (
    EventKind.ASSESSED,
    EventKind.ACTION_ADDED,
    EventKind.SERVICE,
    EventKind.REFERRED,
)


class CaseEvent(Event):
    """One entry of the case timeline. `at` is when it happened (a service given yesterday,
    recorded today); `created_at` when it was written."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=15, choices=EventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )

    objects = CaseChildQuerySet.as_manager()

    class Meta(Event.Meta):
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "created_at"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def audit_region_code(self) -> str:
        return self.case.wilayah_id

    def get_from_status_display(self) -> str:
        return str(dict(Status.choices).get(self.from_status, self.from_status))

    def get_to_status_display(self) -> str:
        return str(dict(Status.choices).get(self.to_status, self.to_status))
