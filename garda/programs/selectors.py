"""Reads about programmes for the pages and the services: which programmes a user sees and may
manage, who is eligible for a programme (computed from its rules over the registry, in the
database), whom a participant's other programmes conflict with, and how full the quotas are.

Every read of people starts from `visible_to(user, permission)`. Eligibility is one query with
`Exists` subqueries (no loop over residents), so a candidate page of a district of 340,000
residents costs a count and a page.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.scoping import area_condition, is_within
from garda.registry.models import Individu, Keluarga, PpksStatus, Relation
from garda.wilayah.models import Level, Wilayah

from .models import (
    Enrolment,
    EnrolmentStatus,
    Program,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Quota,
    TargetUnit,
)

# Statuses that keep a participant "in" a programme (a suspended participant is still enrolled:
# they are resumed, not enrolled again).
ENROLLED = (EnrolmentStatus.ACTIVE, EnrolmentStatus.SUSPENDED)


# --- which programmes ----------------------------------------------------------------------


def ancestors(code: str) -> list[str]:
    """The regions that contain `code`: "19.01.02" -> ["19", "19.01"]."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def programs_visible_to(user: User) -> QuerySet[Program]:
    """The catalogue a user reads: national programmes, and those run by a region that holds
    or lies within one of the user's areas. Another district's own programmes are invisible."""
    if not user.is_authenticated:
        return Program.objects.none()
    areas = user.areas_for(Perm.VIEW_REGIONS)
    if not areas:
        return Program.objects.none()
    above = {parent for code in areas for parent in ancestors(code)}
    return Program.objects.filter(
        Q(wilayah__isnull=True) | Q(wilayah_id__in=above) | area_condition("wilayah_id", areas)
    )


def programs_managed_by(user: User) -> QuerySet[Program]:
    """Programmes a user may change: national ones for any programme manager, a region's own
    only for a manager whose area covers that region."""
    if not user.is_authenticated:
        return Program.objects.none()
    areas = user.areas_for(Perm.MANAGE_PROGRAMS)
    if not areas:
        return Program.objects.none()
    return Program.objects.filter(Q(wilayah__isnull=True) | area_condition("wilayah_id", areas))


def can_manage(user: User, program: Program) -> bool:
    if program.wilayah_id is None:
        return user.has_garda_perm(Perm.MANAGE_PROGRAMS)
    return user.can_in(Perm.MANAGE_PROGRAMS, program.wilayah_id)


def program_list(*, fetched_by: User) -> list[Program]:
    """The catalogue with, per programme, its periods and its active participants inside the
    user's areas (`active_count`, `period_count`): three queries whatever the catalogue holds."""
    programs: list[Program] = list(
        programs_visible_to(fetched_by)
        .select_related("wilayah")
        .annotate(period_count=Count("periods", distinct=True))
        .order_by("-is_active", "name")
    )
    counts = dict(
        Enrolment.objects.visible_to(fetched_by, Perm.VIEW_REGIONS)
        .active()
        .filter(program__in=[p.pk for p in programs])
        .values_list("program")
        .annotate(n=Count("pk"))
        .values_list("program", "n")
    )
    for program in programs:
        program.active_count = counts.get(program.pk, 0)  # type: ignore[attr-defined]
    return programs


# --- eligibility ---------------------------------------------------------------------------


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` years earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_condition(program: Program, *, prefix: str = "", on: datetime.date | None = None) -> Q:
    """People whose age in whole years on `on` lies in the programme's range (no range: all)."""
    on = on or timezone.localdate()
    condition = Q()
    if program.min_age is not None:
        condition &= Q(**{f"{prefix}birth_date__lte": years_before(on, program.min_age)})
    if program.max_age is not None:
        condition &= Q(**{f"{prefix}birth_date__gt": years_before(on, program.max_age + 1)})
    return condition


def residents() -> QuerySet[Individu]:
    """Residents who count: the current record of a living person still living here."""
    return Individu.objects.alive().filter(moved_out=False)


def _ppks_type_ids(program: Program) -> list[int]:
    return list(program.ppks_types.values_list("pk", flat=True))


def _area_codes(program: Program) -> list[str]:
    return list(program.areas.values_list("code", flat=True))


def _region_rules(program: Program, field_name: str = "wilayah_id") -> Q:
    condition = Q()
    if program.wilayah_id:
        condition &= area_condition(field_name, [program.wilayah_id])
    areas = _area_codes(program)
    if areas:
        condition &= area_condition(field_name, areas)
    return condition


def eligible_candidates(
    program: Program,
    user: User,
    area: str | None = None,
    *,
    ppks_type: int | None = None,
    proposed: bool = False,
) -> QuerySet[Any]:
    """Households (or residents, by the programme's target unit) visible to `user` that meet
    every rule of the programme and are not already in it. `area` narrows to a kecamatan or a
    desa; `ppks_type` (a PPKS type id) to those with that active status; `proposed` to those
    the village proposed for this programme and the bupati approved.

    Rules: the household's desil at most the maximum (no desil: not eligible when the rule is
    set); an active PPKS status of one of the types (on the household or any current member
    for a household programme; on the person for an individual one); an age in the range (any
    current member, or the person); the programme's region and areas."""
    rows: QuerySet[Any]
    if program.target_unit == TargetUnit.HOUSEHOLD:
        rows = _eligible_households(program, user, area, ppks_type)
    else:
        rows = _eligible_people(program, user, area, ppks_type)
    if proposed:
        rows = rows.filter(pk__in=approved_aid(program).values(_subject_field(program)))
    return rows


def approved_aid(program: Program) -> QuerySet[Proposal]:
    """The village's aid proposals for `program` that the bupati approved."""
    return Proposal.objects.filter(
        program=program, kind=ProposalKind.AID, status=ProposalStatus.APPROVED
    )


def _subject_field(program: Program) -> str:
    return "keluarga_id" if program.target_unit == TargetUnit.HOUSEHOLD else "individu_id"


def _eligible_households(
    program: Program, user: User, area: str | None, ppks_type: int | None
) -> QuerySet[Keluarga]:
    rows = Keluarga.objects.visible_to(user, Perm.VIEW_PEOPLE).filter(_region_rules(program))
    if area:
        rows = rows.within(area)
    members = residents().filter(keluarga=OuterRef("pk"))
    # A household with nobody living in it any more is nobody's candidate.
    rows = rows.filter(Exists(members))
    if program.max_desil is not None:
        rows = rows.filter(desil__isnull=False, desil__lte=program.max_desil)
    types = _ppks_type_ids(program)
    if types:
        rows = rows.filter(_household_ppks(types))
    if ppks_type is not None:
        rows = rows.filter(_household_ppks([ppks_type]))
    age = age_condition(program)
    if age:
        rows = rows.filter(Exists(members.filter(age)))
    enrolled = Enrolment.objects.filter(
        program=program, keluarga=OuterRef("pk"), status__in=ENROLLED
    )
    return rows.exclude(Exists(enrolled)).select_related("wilayah").order_by("wilayah_id", "pk")


def _household_ppks(types: list[int]) -> Q:
    """Households with an active status of one of `types`, their own or a current member's.
    One `IN` over the statuses (a few thousand rows in a district), not two `EXISTS` joined by
    OR: PostgreSQL misjudges that OR by orders of magnitude (a count took 2.4 s instead of
    45 ms on 340,000 residents, most of it spent compiling the query for its JIT)."""
    statuses = (
        PpksStatus.objects.active()
        .filter(ppks_type__in=types)
        .filter(
            Q(keluarga__isnull=False)
            | Q(
                individu__merged_into__isnull=True,
                individu__is_deceased=False,
                individu__moved_out=False,
            )
        )
        .annotate(household=Coalesce("keluarga_id", "individu__keluarga_id"))
        .values("household")
    )
    return Q(pk__in=statuses)


def _eligible_people(
    program: Program, user: User, area: str | None, ppks_type: int | None
) -> QuerySet[Individu]:
    rows = (
        Individu.objects.visible_to(user, Perm.VIEW_PEOPLE)
        .alive()
        .filter(moved_out=False)
        .filter(_region_rules(program))
    )
    if area:
        rows = rows.within(area)
    if program.max_desil is not None:
        rows = rows.filter(keluarga__desil__isnull=False, keluarga__desil__lte=program.max_desil)
    statuses = PpksStatus.objects.active().filter(individu=OuterRef("pk"))
    types = _ppks_type_ids(program)
    if types:
        rows = rows.filter(Exists(statuses.filter(ppks_type__in=types)))
    if ppks_type is not None:
        rows = rows.filter(Exists(statuses.filter(ppks_type=ppks_type)))
    age = age_condition(program)
    if age:
        rows = rows.filter(age)
    enrolled = Enrolment.objects.filter(
        program=program, individu=OuterRef("pk"), status__in=ENROLLED
    )
    return (
        rows.exclude(Exists(enrolled))
        .select_related("wilayah", "keluarga")
        .order_by("wilayah_id", "name_key", "pk")
    )


def candidate_page_rows(program: Program, rows: Iterable[Any]) -> list[Any]:
    """A page of candidates with what the page shows: for households the head of family and
    the active PPKS statuses; for people their own statuses; the approved aid proposal for the
    programme, if the village proposed them. Three queries per page."""
    rows = list(rows)
    statuses = PpksStatus.objects.active().select_related("ppks_type").order_by("ppks_type__number")
    if program.target_unit == TargetUnit.HOUSEHOLD:
        heads = residents().filter(relation=Relation.KEPALA)
        prefetch_related_objects(
            rows,
            Prefetch("members", queryset=heads, to_attr="heads"),
            Prefetch("ppks", queryset=statuses, to_attr="active_ppks"),
        )
        for row in rows:
            row.head = row.heads[0] if row.heads else None
    else:
        prefetch_related_objects(rows, Prefetch("ppks", queryset=statuses, to_attr="active_ppks"))
    subject = _subject_field(program)
    approved = {
        getattr(p, subject): p
        for p in approved_aid(program)
        .filter(**{f"{subject}__in": [row.pk for row in rows]})
        .order_by("approved_on")
    }
    for row in rows:
        row.approved_proposal = approved.get(row.pk)
    return rows


def eligibility_problems(program: Program, subject: Keluarga | Individu) -> list[str]:
    """Why `subject` does not meet the programme's rules (empty: it does), each reason in
    words a PSM understands. Used by the services for one participant at a time."""
    problems: list[str] = []
    is_household = isinstance(subject, Keluarga)
    if is_household != (program.target_unit == TargetUnit.HOUSEHOLD):
        problems.append(
            _("%(program)s is for households; choose a household, not a person.")
            % {"program": program.name}
            if program.target_unit == TargetUnit.HOUSEHOLD
            else _("%(program)s is for individual people; choose a person, not a household.")
            % {"program": program.name}
        )
        return problems
    if isinstance(subject, Individu):
        if subject.merged_into_id or subject.is_deceased or subject.moved_out:
            problems.append(_("%(name)s is not a current resident.") % {"name": subject.name})
            return problems
        keluarga = subject.keluarga
        members = residents().filter(pk=subject.pk)
    else:
        keluarga = subject
        members = residents().filter(keluarga=subject)
        if not members.exists():
            problems.append(_("Nobody lives in this household any more."))
            return problems
    code = subject.wilayah_id
    areas = _area_codes(program)
    if (program.wilayah_id and not is_within(code, program.wilayah_id)) or (
        areas and not any(is_within(code, area) for area in areas)
    ):
        problems.append(_("The programme does not run in this desa."))
    if program.max_desil is not None and (
        keluarga.desil is None or keluarga.desil > program.max_desil
    ):
        problems.append(
            _("The household's desil is %(desil)s; the programme takes desil %(max)s or lower.")
            % {"desil": keluarga.desil or _("not recorded"), "max": program.max_desil}
        )
    types = _ppks_type_ids(program)
    if types:
        statuses = PpksStatus.objects.active().filter(ppks_type__in=types)
        if isinstance(subject, Keluarga):
            found = statuses.filter(Q(keluarga=subject) | Q(individu__in=members)).exists()
        else:
            found = statuses.filter(individu=subject).exists()
        if not found:
            names = ", ".join(str(t) for t in program.ppks_types.order_by("number"))
            problems.append(
                _("No active PPKS status of the programme's categories (%(types)s).")
                % {"types": names}
            )
    age = age_condition(program)
    if age and not members.filter(age).exists():
        problems.append(
            _("Nobody in the household is aged %(range)s.") % {"range": age_range(program)}
            if isinstance(subject, Keluarga)
            else _("The person is not aged %(range)s.") % {"range": age_range(program)}
        )
    return problems


def age_range(program: Program) -> str:
    if program.min_age is not None and program.max_age is not None:
        return _("%(min)s to %(max)s years") % {"min": program.min_age, "max": program.max_age}
    if program.min_age is not None:
        return _("%(min)s years or older") % {"min": program.min_age}
    if program.max_age is not None:
        return _("%(max)s years or younger") % {"max": program.max_age}
    return ""


# --- conflicts -----------------------------------------------------------------------------


def conflicting_enrolments(program: Program, subject: Keluarga | Individu) -> list[Enrolment]:
    """The participant's active enrolments in programmes that conflict with `program`: the
    household's own and its current members' for a household, the person's own and their
    household's for a person."""
    conflicts = list(program.conflicts.values_list("pk", flat=True))
    if not conflicts:
        return []
    if isinstance(subject, Keluarga):
        whose = Q(keluarga=subject) | Q(individu__in=residents().filter(keluarga=subject))
    else:
        whose = Q(individu=subject) | Q(keluarga_id=subject.keluarga_id)
    return list(
        Enrolment.objects.active()
        .filter(whose, program__in=conflicts)
        .select_related("program", "individu")
        .order_by("program__name")
    )


# --- quotas --------------------------------------------------------------------------------


@dataclass
class QuotaUsage:
    wilayah: Wilayah
    quota: int | None
    enrolled: int
    children: list["QuotaUsage"] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.quota is not None and self.enrolled > self.quota

    @property
    def full(self) -> bool:
        return self.quota is not None and self.enrolled >= self.quota

    @property
    def left(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.enrolled, 0)

    @property
    def bar_percent(self) -> int:
        """How full, 0-100, for the chart (no quota: a full bar when anyone is enrolled)."""
        if self.quota is None:
            return 100 if self.enrolled else 0
        if self.quota == 0:
            return 100 if self.enrolled else 0
        return min(100, round(100 * self.enrolled / self.quota))


def active_counts_by_desa(program: Program, user: User | None = None) -> dict[str, int]:
    rows = (
        Enrolment.objects.all()
        if user is None
        else Enrolment.objects.visible_to(user, Perm.VIEW_REGIONS)
    )
    return dict(
        rows.active()
        .filter(program=program)
        .values_list("wilayah")
        .annotate(n=Count("pk"))
        .values_list("wilayah", "n")
    )


def quota_usage(*, program: Program, fetched_by: User, kecamatan: str = "") -> list[QuotaUsage]:
    """Active participants against the quota, per kecamatan (each with its desa), inside the
    user's areas; with `kecamatan`, only that one. Regions with neither a quota nor a
    participant are left out. Three queries."""
    counts = active_counts_by_desa(program, fetched_by)
    quotas = dict(
        Quota.objects.visible_to(fetched_by, Perm.VIEW_REGIONS)
        .filter(program=program)
        .values_list("wilayah", "quota")
    )
    codes = set(counts) | set(quotas)
    codes |= {code.rsplit(".", 1)[0] for code in codes if code.count(".") == 3}
    if kecamatan:
        codes = {code for code in codes if is_within(code, kecamatan)}
    regions = {
        w.code: w for w in Wilayah.objects.filter(code__in=codes, level__gte=Level.KECAMATAN)
    }
    by_kecamatan: dict[str, QuotaUsage] = {}
    villages: dict[str, list[QuotaUsage]] = defaultdict(list)
    for code in sorted(regions):
        region = regions[code]
        if region.level == Level.KECAMATAN:
            by_kecamatan[code] = QuotaUsage(region, quotas.get(code), 0)
        else:
            villages[region.parent_id or ""].append(
                QuotaUsage(region, quotas.get(code), counts.get(code, 0))
            )
    for code, usage in by_kecamatan.items():
        usage.children = villages.get(code, [])
        usage.enrolled = sum(v.enrolled for v in usage.children)
        if usage.quota is None and any(v.quota is not None for v in usage.children):
            usage.quota = sum(v.quota or 0 for v in usage.children)
    return list(by_kecamatan.values())


def quota_limits(program: Program, desa_code: str) -> list[tuple[Quota, int]]:
    """The quotas that bound an enrolment in desa `desa_code` (the desa's and its kecamatan's)
    with the number of active participants each already holds."""
    regions = [desa_code, *ancestors(desa_code)]
    limits = []
    for quota in (
        Quota.objects.filter(program=program, wilayah__in=regions)
        .select_related("wilayah")
        .order_by("-wilayah__level")
    ):
        enrolled = Enrolment.objects.active().filter(program=program).within(quota.wilayah_id)
        limits.append((quota, enrolled.count()))
    return limits
