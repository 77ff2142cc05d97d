"""Field activities of social workers: activity reports with photo and GPS evidence, their
status history (draft -> submitted -> verified | returned), coordination meetings, and the
staging rows of photos being uploaded in chunks from a phone.

Every report and photo carries the UUID its phone generated (`client_uuid`), unique in the
database: a retry, a double tap or a resent queue finds the record it already made.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from garda.core.models import BaseModel, Event
from garda.core.scoping import ScopedQuerySet


class ActivityType(models.Model):
    """A kind of field activity (home visit, ground check...). Data an administrator extends."""

    # The kind whose report is about a social case: the capture page offers the case for it.
    CASE_HANDLING = "penanganan_kasus"

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    VERIFIED = "verified", _("verified")
    RETURNED = "returned", _("returned")


# Statuses in which the reporter may still change the report.
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})


class ActivityQuerySet(ScopedQuerySet):
    def verified(self) -> "ActivityQuerySet":
        return self.filter(status=Status.VERIFIED)

    def in_month(self, year: int, month: int) -> "ActivityQuerySet":
        return self.filter(occurred_at__year=year, occurred_at__month=month)


class Activity(BaseModel):
    """A field activity report (laporan kegiatan) of one social worker in one desa."""

    client_uuid = models.UUIDField(_("device record id"), editable=False)
    jenis = models.ForeignKey(
        ActivityType, verbose_name=_("activity type"), on_delete=models.PROTECT
    )
    pilar = models.ForeignKey(
        "pilar.Pilar",
        verbose_name=_("social worker"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("date and time"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    accuracy_m = models.PositiveIntegerField(_("GPS accuracy (m)"), null=True, blank=True)
    description = models.TextField(_("description"))
    participants = models.PositiveIntegerField(_("number of participants"), default=0)
    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    households = models.ManyToManyField(
        "registry.Keluarga", verbose_name=_("households"), blank=True, related_name="+"
    )
    individuals = models.ManyToManyField(
        "registry.Individu", verbose_name=_("residents"), blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("social case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    return_reason = models.TextField(_("reason for returning"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["wilayah", "status", "occurred_at"]),
            models.Index(fields=["pilar", "occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="one_activity_per_client_uuid"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="activity_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="activity_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jenis} {self.occurred_at:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class ActivityChildQuerySet(ScopedQuerySet):
    region_field = "activity__wilayah_id"


class ActivityEvent(Event):
    """A change of a report's status (submitted, verified, returned with the reason)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")

    objects = ActivityChildQuerySet.as_manager()

    class Meta(Event.Meta):
        verbose_name = _("activity status change")
        verbose_name_plural = _("activity status changes")

    def audit_region_code(self) -> str:
        return self.activity.wilayah_id

    def get_to_status_display(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status else self.to_status


class Photo(BaseModel):
    """A photo of an activity. `taken_at` and the position come from the photo's own EXIF data
    when it has them (read before the image is re-encoded, which drops the metadata)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    client_uuid = models.UUIDField(_("device photo id"), editable=False)
    file = models.FileField(_("photo"), upload_to="kegiatan/foto/")
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)

    objects = ActivityChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="one_photo_per_client_uuid")
        ]

    def __str__(self) -> str:
        return str(self.client_uuid)

    def audit_region_code(self) -> str:
        return self.activity.wilayah_id

    def get_absolute_url(self) -> str:
        return reverse("activities:photo", args=[self.activity_id, self.pk])


class PhotoUpload(BaseModel):
    """A file arriving in chunks from a phone's queue: how many bytes of `total` are safely
    stored in `part`. It belongs to a report (a photo) or to a proposal (its evidence).
    Deleted when the file is complete and stored with its record."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    proposal = models.ForeignKey(
        "programs.Proposal", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    client_uuid = models.UUIDField(editable=False)
    total = models.PositiveIntegerField()
    received = models.PositiveIntegerField(default=0)
    part = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="one_upload_per_client_uuid"),
            models.CheckConstraint(
                condition=models.Q(activity__isnull=False, proposal__isnull=True)
                | models.Q(activity__isnull=True, proposal__isnull=False),
                name="upload_has_one_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_uuid} {self.received}/{self.total}"


class MeetingQuerySet(ScopedQuerySet):
    pass


class Meeting(BaseModel):
    """A coordination meeting (rapat koordinasi) of social workers in a desa or kecamatan."""

    client_uuid = models.UUIDField(editable=False)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    agenda = models.TextField(_("agenda"))
    attendees = models.ManyToManyField(
        "pilar.Pilar", verbose_name=_("social workers present"), blank=True, related_name="+"
    )
    other_attendees = models.TextField(
        _("other attendees"),
        blank=True,
        help_text=_("Desa officials and others, one per line: name, role."),
    )
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    attendance_sheet = models.FileField(
        _("attendance sheet photo"), upload_to="kegiatan/rapat/", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-held_at"]
        indexes = [models.Index(fields=["wilayah", "held_at"])]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="one_meeting_per_client_uuid")
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.held_at:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("activities:meeting_detail", args=[self.pk])


class MeetingTask(BaseModel):
    """A follow-up task decided in a meeting: what, who, by when, and whether it is done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tasks")
    task = models.CharField(_("task"), max_length=300)
    responsible = models.CharField(_("responsible"), max_length=150, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.task

    def audit_region_code(self) -> str:
        return self.meeting.wilayah_id
