"""Personal-data incidents (UU 27/2022 art. 46): a failure to protect personal data held by the
Dinas, run from discovery to its close: contained, data subjects notified, the authority
notified, all within 3 x 24 hours of discovery.

An incident belongs to the Dinas's district (`wilayah`, a kabupaten or a province); that region
scopes who reads and runs it. Every status change is an `IncidentEvent` (ADR 0015). Who it
concerns is found in the audit trail (`tracing.py`) and stored, search by search, as
`AffectedPerson` rows, so the notices can be made again after the trail's read events have
aged out (`GARDA_RETENTION["audit_reads"]`).
"""

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.core.fields import EncryptedTextField
from garda.core.models import BaseModel, Event
from garda.core.scoping import ScopedQuerySet

# UU 27/2022 art. 46 (2): written notice "paling lambat 3 x 24 (tiga kali dua puluh empat) jam".
NOTICE_WINDOW = datetime.timedelta(hours=72)


class DataKind(models.TextChoices):
    IDENTITY_NUMBERS = "identity_numbers", _("identity numbers (NIK, No KK)")
    NAMES_ADDRESSES = "names_addresses", _("names and addresses")
    HEALTH = "health", _("health or disability")
    CHILDREN = "children", _("children's data")
    CASE_NARRATIVES = "case_narratives", _("social case narratives")
    PHOTOS_GPS = "photos_gps", _("photos and GPS positions")
    CREDENTIALS = "credentials", _("account credentials")
    OTHER = "other", _("other")


# Specific (sensitive) personal data under UU 27/2022 art. 4 (2): the letter says so.
SPECIFIC_KINDS = frozenset({DataKind.HEALTH, DataKind.CHILDREN, DataKind.CASE_NARRATIVES})


class Status(models.TextChoices):
    RECORDED = "recorded", _("recorded")
    CONTAINED = "contained", _("contained")
    SUBJECTS_NOTIFIED = "subjects_notified", _("data subjects notified")
    AUTHORITY_NOTIFIED = "authority_notified", _("authority notified")
    CLOSED = "closed", _("closed")


# The steps in their only order; each status may move to the next one only.
STEPS: tuple[str, ...] = tuple(Status.values)
# While the affected list may still change: once the subjects are told, it is what they were told.
TRACING_STATUSES = (Status.RECORDED, Status.CONTAINED)


def next_status(status: str) -> str | None:
    index = STEPS.index(status)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


@dataclass(frozen=True)
class Deadline:
    """Where an incident stands against the 72 hours."""

    due: datetime.datetime
    hours_left: int  # whole hours to the deadline: 0 in its last hour, negative once passed
    overdue: bool  # the deadline has passed and a notice is still missing
    subjects_in_time: bool | None  # None while the subjects have not been notified
    authority_in_time: bool | None  # None while the authority has not been notified

    @property
    def hours_over(self) -> int:
        return -self.hours_left

    @property
    def notices_sent(self) -> bool:
        return self.subjects_in_time is not None and self.authority_in_time is not None

    @property
    def met(self) -> bool:
        return bool(self.subjects_in_time and self.authority_in_time)


class IncidentQuerySet(ScopedQuerySet):
    def open(self) -> "IncidentQuerySet":
        return self.exclude(status=Status.CLOSED)


class Incident(BaseModel):
    """A personal-data incident. What happened, its cause and the measures taken may name
    people: they are encrypted at rest and masked in the audit trail."""

    AUDIT_MASKED_FIELDS = frozenset({"description", "cause", "measures"})

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(
        _("short title"),
        max_length=120,
        help_text=_("A few words without names, e.g. 'PSM phone lost in Belinyu'."),
    )
    discovered_at = models.DateTimeField(
        _("discovered at"), help_text=_("When the Dinas learned of it: the 72 hours start here.")
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = EncryptedTextField(
        _("what happened"),
        help_text=_("When and how the data were exposed. Quoted in the letter to the authority."),
    )
    data_kinds = models.JSONField(_("data affected"), default=list)
    cause = EncryptedTextField(_("cause"), blank=True)
    measures = EncryptedTextField(
        _("measures taken"),
        blank=True,
        help_text=_("What was done to stop it and to recover, e.g. account deactivated."),
    )
    other_subjects = models.PositiveIntegerField(
        _("data subjects outside the registry"),
        default=0,
        help_text=_("People concerned who are not residents in Garda, e.g. in a leaked file."),
    )
    other_subjects_note = models.CharField(_("who they are"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECORDED
    )
    subjects_notified_at = models.DateTimeField(
        _("data subjects notified at"), null=True, blank=True
    )
    authority_notified_at = models.DateTimeField(_("authority notified at"), null=True, blank=True)
    affected = models.ManyToManyField(
        "registry.Individu",
        through="AffectedPerson",
        through_fields=("incident", "individu"),
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal data incident")
        verbose_name_plural = _("personal data incidents")
        ordering = ["-discovered_at"]
        indexes = [models.Index(fields=["wilayah", "status", "discovered_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("privacy:detail", args=[self.pk])

    @property
    def deadline(self) -> datetime.datetime:
        return self.discovered_at + NOTICE_WINDOW

    def deadline_status(self, now: datetime.datetime | None = None) -> Deadline:
        now = now or timezone.now()
        due = self.deadline

        def in_time(sent: datetime.datetime | None) -> bool | None:
            return None if sent is None else sent <= due

        subjects = in_time(self.subjects_notified_at)
        authority = in_time(self.authority_notified_at)
        missing = subjects is None or authority is None
        return Deadline(
            due=due,
            hours_left=math.floor((due - now).total_seconds() / 3600),
            overdue=missing and now > due,
            subjects_in_time=subjects,
            authority_in_time=authority,
        )

    @property
    def deadline_now(self) -> Deadline:
        """`deadline_status()` at this moment, for templates."""
        return self.deadline_status()

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def data_kind_labels(self) -> list[str]:
        labels = dict(DataKind.choices)
        return [str(labels.get(kind, kind)) for kind in self.data_kinds]

    @property
    def holds_specific_data(self) -> bool:
        return any(kind in SPECIFIC_KINDS for kind in self.data_kinds)


class IncidentChildQuerySet(ScopedQuerySet):
    """Rows that belong to an incident follow its region."""

    region_field = "incident__wilayah_id"


class IncidentEvent(Event):
    """One step of the incident. `at` is when it happened (letters posted this morning,
    recorded this afternoon: the deadline is judged by the morning); `created_at` when it was
    written."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), default=timezone.now)

    objects = IncidentChildQuerySet.as_manager()

    class Meta(Event.Meta):
        verbose_name = _("incident step")
        verbose_name_plural = _("incident steps")
        ordering = ["at", "created_at"]
        indexes = [models.Index(fields=["incident", "at"])]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.to_status}"

    def audit_region_code(self) -> str:
        return self.incident.wilayah_id

    def get_from_status_display(self) -> str:
        return str(dict(Status.choices).get(self.from_status, self.from_status))

    def get_to_status_display(self) -> str:
        return str(dict(Status.choices).get(self.to_status, self.to_status))


class AffectedSearch(BaseModel):
    """One look into the audit trail: what an account read, revealed or exported between two
    moments. Its results are the `AffectedPerson` rows it found."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="searches")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    events = models.PositiveIntegerField(_("audit events"), default=0)
    people = models.PositiveIntegerField(_("residents"), default=0)
    # The id the search form was given when it was shown: sending it twice makes one search.
    client_uuid = models.UUIDField(null=True, blank=True, editable=False)

    objects = IncidentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("search of the audit trail")
        verbose_name_plural = _("searches of the audit trail")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "account", "start", "end"], name="one_search_per_window"
            ),
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="search_window_forwards"
            ),
            models.UniqueConstraint(fields=["client_uuid"], name="one_search_per_client_uuid"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"

    def audit_region_code(self) -> str:
        return self.incident.wilayah_id


class AffectedPerson(BaseModel):
    """A resident a search found, and how the account touched their records. `wilayah` is
    their desa when found, so the counts by desa stay what the notices said."""

    search = models.ForeignKey(AffectedSearch, on_delete=models.CASCADE, related_name="found")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    individu = models.ForeignKey(
        "registry.Individu", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    read = models.BooleanField(_("read"), default=False)
    revealed = models.BooleanField(_("identifier revealed"), default=False)
    exported = models.BooleanField(_("exported"), default=False)
    first_at = models.DateTimeField(_("first time"))
    last_at = models.DateTimeField(_("last time"))
    events = models.PositiveIntegerField(_("audit events"))

    objects = IncidentChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("affected resident")
        verbose_name_plural = _("affected residents")
        constraints = [
            models.UniqueConstraint(fields=["search", "individu"], name="one_row_per_search")
        ]
        indexes = [models.Index(fields=["incident", "wilayah"])]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.individu_id}"
