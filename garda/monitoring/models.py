"""Performance monitoring of social workers (PSM): indicators defined as data, their targets,
the precomputed values per PSM x desa x month (rollups) and the composite score, and Dinas
monitoring visits with their follow-up actions.

Dashboards read `Rollup` and `Score` only; `rollups.rollup_refresh` computes them from the
activities, cases and programmes with grouped queries.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from garda.core.models import BaseModel, Event
from garda.core.scoping import ScopedQuerySet


class Source(models.TextChoices):
    """Where an indicator's value comes from. Parameters each source reads are in brackets."""

    ACTIVITIES = "activities", _("activity reports filed (optional: activity type)")
    VERIFIED_SHARE = "verified_share", _("share of activity reports verified")
    ON_TIME = "on_time", _("share of reports filed by day N of the next month (day)")
    HOUSEHOLDS_VISITED = "households_visited", _("households visited against households in desa")
    CASELOAD = "caseload", _("cases open at the end of the month")
    FIRST_RESPONSE = "first_response", _("median hours to the first response to a new case")
    TIME_TO_CLOSE = "time_to_close", _("median days from opening to closing a case")
    REFERRALS_COMPLETED = "referrals_completed", _("referrals completed")
    DISTRIBUTIONS = "distributions", _("aid distributions accompanied")
    PROPOSALS_SUBMITTED = "proposals_submitted", _("proposals submitted")
    PROPOSALS_APPROVED = "proposals_approved", _("proposals approved")


# Sources whose value is a share numerator/denominator (shown as %), a median, or a count.
SHARE_SOURCES = frozenset({Source.VERIFIED_SHARE, Source.ON_TIME, Source.HOUSEHOLDS_VISITED})
MEDIAN_SOURCES = frozenset({Source.FIRST_RESPONSE, Source.TIME_TO_CLOSE})


class Unit(models.TextChoices):
    COUNT = "count", _("count")
    PERCENT = "percent", _("percent")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class Indicator(models.Model):
    """A measure of a social worker's work, defined by Dinas as data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_('For example {"activity_type": "kunjungan_rumah"} or {"day": 5}.'),
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_share(self) -> bool:
        return self.source in SHARE_SOURCES

    @property
    def is_median(self) -> bool:
        return self.source in MEDIAN_SOURCES

    @property
    def lower_is_better(self) -> bool:
        return self.direction == Direction.LOWER


class TargetQuerySet(ScopedQuerySet):
    pass


class Target(BaseModel):
    """The value an indicator should reach in a month (`month` 1-12) or a year (`month` 0),
    for everyone or for the social workers of one region. The most specific target applies:
    a desa's before its kecamatan's before the district's before the general one; a monthly
    before a yearly one."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        _("month"),
        default=0,
        validators=[MaxValueValidator(12)],
        help_text=_("0 for a target for the whole year."),
    )
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every social worker."),
    )
    value = models.DecimalField(
        _("target"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator__order", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "month", "wilayah"],
                condition=Q(wilayah__isnull=False),
                name="one_target_per_region_period",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "month"],
                condition=Q(wilayah__isnull=True),
                name="one_general_target_per_period",
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.month:02d}/{self.year}" if self.month else str(self.year)
        return f"{self.indicator} {period}: {self.value}"

    def audit_region_code(self) -> str:
        return self.wilayah_id or settings.GARDA_HOME_REGION


class RollupQuerySet(ScopedQuerySet):
    def of_month(self, month: datetime.date) -> "RollupQuerySet":
        return self.filter(month=month)


class Rollup(models.Model):
    """One indicator's value for one social worker in one desa and month (first day).
    `value` is what users read: a count, a percentage (100 x numerator / denominator) or a
    median (numerator = how many cases it was taken over). Empty when there is nothing to
    measure (a median of no cases, a share of no reports)."""

    pilar = models.ForeignKey("pilar.Pilar", on_delete=models.CASCADE, related_name="+")
    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="rollups")
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    computed_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pilar", "wilayah", "month", "indicator"], name="one_rollup_per_cell"
            )
        ]
        indexes = [
            models.Index(fields=["month", "wilayah"]),
            models.Index(fields=["pilar", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.pilar_id} {self.wilayah_id} {self.month} {self.indicator_id}: {self.value}"


class Score(models.Model):
    """The composite score (0-100) of one social worker in one desa and month: the weighted
    mean of the achievement of every active indicator that has a target and a value."""

    pilar = models.ForeignKey("pilar.Pilar", on_delete=models.CASCADE, related_name="+")
    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    weight = models.PositiveIntegerField(default=0)  # sum of the weights that counted
    computed_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pilar", "wilayah", "month"], name="one_score_per_cell")
        ]
        indexes = [models.Index(fields=["month", "wilayah"])]

    def __str__(self) -> str:
        return f"{self.pilar_id} {self.wilayah_id} {self.month}: {self.score}"


BUCKETS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]  # score ranges of the histogram


class AreaRollup(models.Model):
    """The `Rollup` rows of one kabupaten, month and indicator added up, so that the pages of a
    province or of several (a province has about 100,000 PSM rows a month, the country over a
    million) read one row per kabupaten. Written by the refresh that writes the rollups."""

    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    numerator = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    denominator = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    weighted = models.DecimalField(max_digits=22, decimal_places=4, default=Decimal(0))
    rows = models.PositiveIntegerField(default=0)  # PSM rows added up
    with_denominator = models.PositiveIntegerField(default=0)  # of which with a denominator
    computed_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wilayah", "month", "indicator"], name="one_area_rollup_per_cell"
            )
        ]
        indexes = [models.Index(fields=["month", "wilayah"])]

    def __str__(self) -> str:
        return f"{self.wilayah_id} {self.month} {self.indicator_id}: {self.numerator}"


class AreaScore(models.Model):
    """The `Score` rows of one kabupaten and month added up: their sum and count (the mean of
    an area is sum / count), the PSMs scored in the month and from January to the month (for
    the year view), and how many fell in each range of `BUCKETS` (the histogram)."""

    wilayah = models.ForeignKey("wilayah.Wilayah", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    score_sum = models.DecimalField(max_digits=14, decimal_places=1, default=Decimal(0))
    scores = models.PositiveIntegerField(default=0)
    psms = models.PositiveIntegerField(default=0)
    psms_year = models.PositiveIntegerField(default=0)
    bucket_0 = models.PositiveIntegerField(default=0)
    bucket_20 = models.PositiveIntegerField(default=0)
    bucket_40 = models.PositiveIntegerField(default=0)
    bucket_60 = models.PositiveIntegerField(default=0)
    bucket_80 = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wilayah", "month"], name="one_area_score_per_cell")
        ]
        indexes = [models.Index(fields=["month", "wilayah"])]

    def __str__(self) -> str:
        return f"{self.wilayah_id} {self.month}: {self.score_sum} / {self.scores}"


class Rating(models.IntegerChoices):
    POOR = 1, _("1 - poor")
    BELOW = 2, _("2 - below expectations")
    MEETS = 3, _("3 - meets expectations")
    GOOD = 4, _("4 - good")
    EXCELLENT = 5, _("5 - excellent")


# The five dimensions of the rubric, with the guidance shown next to each score in the form.
DIMENSIONS: list[tuple[str, Any, Any]] = [
    (
        "productivity",
        _("Productivity"),
        _(
            "Amount of field work against the targets: visits, reports, cases handled. "
            "5 = every target met with complete reports; 1 = little or no reported work."
        ),
    ),
    (
        "service_quality",
        _("Service quality"),
        _(
            "Whether residents get the right help: complete assessments, fitting plans, "
            "reports with evidence. 5 = residents and desa confirm good help; 1 = complaints."
        ),
    ),
    (
        "responsiveness",
        _("Responsiveness"),
        _(
            "Speed of the first response to new cases and requests, and follow-ups on time. "
            "5 = always within the target; 1 = cases left waiting."
        ),
    ),
    (
        "responsibility",
        _("Responsibility"),
        _(
            "Tasks carried through: referrals completed, aid accompanied, follow-ups done. "
            "5 = nothing left hanging; 1 = tasks often abandoned."
        ),
    ),
    (
        "accountability",
        _("Accountability"),
        _(
            "Honest, verifiable reporting: GPS and photos, reports on time, data kept private. "
            "5 = every report verifiable; 1 = reports missing or doubtful."
        ),
    ),
]
DIMENSION_FIELDS = [name for name, _label, _guidance in DIMENSIONS]


class VisitQuerySet(ScopedQuerySet):
    pass


class MonitoringVisit(BaseModel):
    """A Dinas monitoring visit to a kecamatan, or to one social worker (then `wilayah` is
    the worker's desa), with the rubric scores, findings and recommendations."""

    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    pilar = models.ForeignKey(
        "pilar.Pilar",
        verbose_name=_("social worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visited_on = models.DateField(_("date of the visit"))
    team = models.TextField(_("team"), help_text=_("Names and positions, one per line."))
    productivity = models.PositiveSmallIntegerField(_("productivity"), choices=Rating.choices)
    service_quality = models.PositiveSmallIntegerField(_("service quality"), choices=Rating.choices)
    responsiveness = models.PositiveSmallIntegerField(_("responsiveness"), choices=Rating.choices)
    responsibility = models.PositiveSmallIntegerField(_("responsibility"), choices=Rating.choices)
    accountability = models.PositiveSmallIntegerField(_("accountability"), choices=Rating.choices)
    findings = models.TextField(_("findings"))
    recommendations = models.TextField(_("recommendations"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("monitoring visit")
        verbose_name_plural = _("monitoring visits")
        ordering = ["-visited_on", "-created_at"]
        indexes = [models.Index(fields=["wilayah", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.wilayah} {self.visited_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:visit_detail", args=[self.pk])

    @property
    def average(self) -> Decimal:
        total = sum(getattr(self, name) for name in DIMENSION_FIELDS)
        return (Decimal(total) / len(DIMENSION_FIELDS)).quantize(Decimal("0.1"))


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class FollowUpQuerySet(ScopedQuerySet):
    region_field = "visit__wilayah_id"


class FollowUpAction(BaseModel):
    """An action a visit asked for: what, who, by when, and when it was done."""

    visit = models.ForeignKey(MonitoringVisit, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=300)
    owner = models.CharField(_("who does it"), max_length=150)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.CharField(_("result"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["due_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_on__isnull=False)
                | (~Q(status="done") & Q(done_on__isnull=True)),
                name="follow_up_done_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.description

    def audit_region_code(self) -> str:
        return self.visit.wilayah_id

    def is_late(self, today: datetime.date) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_on < today


class FollowUpEventQuerySet(ScopedQuerySet):
    region_field = "action__visit__wilayah_id"


class FollowUpEvent(Event):
    """A change of a follow-up action's status, with the note."""

    action = models.ForeignKey(FollowUpAction, on_delete=models.CASCADE, related_name="events")

    objects = FollowUpEventQuerySet.as_manager()

    class Meta(Event.Meta):
        verbose_name = _("follow-up status change")
        verbose_name_plural = _("follow-up status changes")

    def audit_region_code(self) -> str:
        return self.action.visit.wilayah_id
