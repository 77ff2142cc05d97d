"""Writes of monitoring: targets, indicator weights, monitoring visits and their follow-up
actions. Keyword-only, atomic, audited; a follow-up's status changes are event rows."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.audit.services import audited_create, audited_update
from garda.core.errors import Duplicate, GardaError, InvalidState, NotAllowed
from garda.pilar.models import PSM, Pilar
from garda.wilayah.models import Level, Wilayah

from . import rollups
from .models import (
    DIMENSION_FIELDS,
    FollowUpAction,
    FollowUpEvent,
    FollowUpStatus,
    Indicator,
    MonitoringVisit,
    Target,
)
from .permissions import MANAGE


def _check_manages(actor: User, code: str) -> None:
    if not actor.can_in(MANAGE, code):
        raise NotAllowed(_("You may manage monitoring only in your own area."))


# --- Targets and indicators -------------------------------------------------------------------


@transaction.atomic
def target_set(
    *,
    actor: User,
    indicator: Indicator,
    year: int,
    month: int,
    value: Decimal,
    wilayah: Wilayah | None = None,
) -> Target:
    """Create or change the target of an indicator for a period (and region); the scores of
    the affected months are recomputed from the rollups."""
    area = wilayah.code if wilayah else _home_area(actor)
    _check_manages(actor, area)
    if not 0 <= month <= 12:
        raise GardaError(_("Choose a month, or the whole year."), field="month")
    if value < 0:
        raise GardaError(_("A target cannot be negative."), field="value")
    existing = (
        Target.objects.select_for_update()
        .filter(indicator=indicator, year=year, month=month, wilayah=wilayah)
        .first()
    )
    if existing is not None:
        audited_update(existing, actor=actor, data={"value": value})
        target = existing
    else:
        try:
            with transaction.atomic():
                target = audited_create(
                    Target,
                    actor=actor,
                    indicator=indicator,
                    year=year,
                    month=month,
                    wilayah=wilayah,
                    value=value,
                )
        except IntegrityError as error:
            raise Duplicate(_("This target was just saved by someone else.")) from error
    _rescore(year, month, wilayah.code if wilayah else None)
    return target


def _home_area(actor: User) -> str:
    areas = actor.areas_for(MANAGE)
    if not areas:
        raise NotAllowed(_("You may manage monitoring only in your own area."))
    return areas[0]


def _rescore(year: int, month: int, wilayah: str | None) -> None:
    months = [month] if month else list(range(1, 13))
    today = rollups.first_of_month(timezone.localdate())
    for number in months:
        first = datetime.date(year, number, 1)
        if first <= today:
            rollups.scores_refresh(first, wilayah)


@transaction.atomic
def indicator_update(*, actor: User, indicator: Indicator, data: dict[str, Any]) -> Indicator:
    """Change an indicator's name, weight, direction, parameters or whether it counts. Dinas
    of a whole district only (the definitions apply everywhere); this month's scores follow."""
    if not any(len(code) <= 5 for code in actor.areas_for(MANAGE)):
        raise NotAllowed(_("Only Dinas may change the indicators."))
    allowed = {"name", "description", "weight", "direction", "is_active", "parameters"}
    audited_update(indicator, actor=actor, data={k: v for k, v in data.items() if k in allowed})
    rollups.scores_refresh(rollups.first_of_month(timezone.localdate()))
    return indicator


# --- Monitoring visits -------------------------------------------------------------------------


def _visit_region(wilayah: Wilayah | None, pilar: Pilar | None) -> Wilayah:
    if pilar is not None:
        if pilar.jenis.code != PSM:
            raise GardaError(_("Choose a social worker (PSM)."), field="pilar")
        return pilar.wilayah
    if wilayah is None or wilayah.level != Level.KECAMATAN:
        raise GardaError(_("Choose the kecamatan visited, or a social worker."), field="wilayah")
    return wilayah


def _clean_scores(data: dict[str, Any]) -> dict[str, int]:
    scores = {}
    for name in DIMENSION_FIELDS:
        try:
            score = int(data.get(name))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            raise GardaError(_("Give a score from 1 to 5."), field=name)
        scores[name] = score
    return scores


@transaction.atomic
def visit_record(
    *,
    actor: User,
    visited_on: datetime.date,
    team: str,
    scores: dict[str, Any],
    findings: str,
    recommendations: str = "",
    wilayah: Wilayah | None = None,
    pilar: Pilar | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> MonitoringVisit:
    """Record a monitoring visit to a kecamatan or to one PSM, with its follow-up actions."""
    region = _visit_region(wilayah, pilar)
    _check_manages(actor, region.code)
    if visited_on > timezone.localdate():
        raise GardaError(_("The visit cannot be in the future."), field="visited_on")
    if not team.strip():
        raise GardaError(_("Name the team that visited."), field="team")
    if not findings.strip():
        raise GardaError(_("Write what the team found."), field="findings")
    visit = audited_create(
        MonitoringVisit,
        actor=actor,
        wilayah=region,
        pilar=pilar,
        visited_on=visited_on,
        team=team.strip(),
        findings=findings.strip(),
        recommendations=recommendations.strip(),
        recorded_by=actor,
        **_clean_scores(scores),  # type: ignore[arg-type]
    )
    for action in actions or []:
        follow_up_add(actor=actor, visit=visit, **action)
    return visit


@transaction.atomic
def follow_up_add(
    *, actor: User, visit: MonitoringVisit, description: str, owner: str, due_on: datetime.date
) -> FollowUpAction:
    _check_manages(actor, visit.wilayah_id)
    if not description.strip():
        raise GardaError(_("Say what must be done."), field="description")
    if not owner.strip():
        raise GardaError(_("Say who does it."), field="owner")
    if due_on < visit.visited_on:
        raise GardaError(_("The due date cannot be before the visit."), field="due_on")
    action = audited_create(
        FollowUpAction,
        actor=actor,
        visit=visit,
        description=description.strip(),
        owner=owner.strip(),
        due_on=due_on,
    )
    FollowUpEvent.objects.create(
        action=action, actor=actor, from_status="", to_status=FollowUpStatus.OPEN
    )
    return action


@transaction.atomic
def follow_up_set_status(
    *,
    actor: User,
    action: FollowUpAction,
    status: str,
    note: str = "",
    done_on: datetime.date | None = None,
) -> FollowUpAction:
    """Mark an action done (with the date and the result), cancelled (with the reason), or
    open again."""
    _check_manages(actor, action.visit.wilayah_id)
    locked = FollowUpAction.objects.select_for_update().get(pk=action.pk)
    if status not in FollowUpStatus.values:
        raise GardaError(_("Choose a status."), field="status")
    if locked.status == status:
        raise InvalidState(
            _("This action is already %(status)s.") % {"status": locked.get_status_display()}
        )
    note = (note or "").strip()
    data: dict[str, Any] = {"status": status, "note": note}
    if status == FollowUpStatus.DONE:
        done_on = done_on or timezone.localdate()
        if done_on > timezone.localdate():
            raise GardaError(_("The date cannot be in the future."), field="done_on")
        if not note:
            raise GardaError(_("Write what was done."), field="note")
        data["done_on"] = done_on
    else:
        if status == FollowUpStatus.CANCELLED and not note:
            raise GardaError(_("Say why the action is cancelled."), field="note")
        data["done_on"] = None
    before = locked.status
    audited_update(locked, actor=actor, data=data, reason=note)
    FollowUpEvent.objects.create(
        action=locked, actor=actor, from_status=before, to_status=status, note=note
    )
    action.refresh_from_db()
    return action
