"""Writes about personal-data incidents: record, correct, move through the steps, and find
whom an incident concerns in the audit trail.

Every service is atomic and audited, checks that the actor runs incidents in the incident's
region (`Perm.MANAGE_PRIVACY`), locks the incident before it looks at its status (two clicks
do one thing), and writes each step as an `IncidentEvent` (ADR 0015). The notices are in
`notices.py`.
"""

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.services import audited_create, audited_delete, audited_update
from garda.core.errors import Duplicate, GardaError, InvalidState, NotAllowed
from garda.registry.models import Individu
from garda.wilayah.models import Level, Wilayah

from . import tracing
from .models import (
    TRACING_STATUSES,
    AffectedPerson,
    AffectedSearch,
    DataKind,
    Incident,
    IncidentEvent,
    Status,
    next_status,
)

# What may be corrected after recording (with the version check).
EDITABLE_FIELDS = (
    "title",
    "discovered_at",
    "reported_by",
    "description",
    "data_kinds",
    "cause",
    "measures",
    "other_subjects",
    "other_subjects_note",
)


# --- checks ---------------------------------------------------------------------------------


def _check_manages(actor: User, code: str) -> None:
    if not actor.can_in(Perm.MANAGE_PRIVACY, code):
        raise NotAllowed(_("Only the Dinas administrators of this area run its data incidents."))


def accounts_of(incident_area: str) -> QuerySet[User]:
    """The accounts an incident of `incident_area` may name (reporter, account searched): every
    account whose home region lies inside it, deactivated ones too (a misused account is
    usually deactivated first)."""
    return User.objects.within(incident_area).order_by("name", "username")


def _check_account(user: User | None, area: str, field: str) -> User:
    if user is None:
        raise GardaError(_("Choose an account."), field=field)
    if not accounts_of(area).filter(pk=user.pk).exists():
        raise NotAllowed(_("Choose an account of this incident's area."), field=field)
    return user


def _clean_text(value: str | None, *, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise GardaError(message, field=field)
    return text


def _check_discovered(value: datetime.datetime | None) -> datetime.datetime:
    if value is None:
        raise GardaError(_("Say when the incident was discovered."), field="discovered_at")
    if value > timezone.now():
        raise GardaError(_("The time of discovery cannot be in the future."), field="discovered_at")
    return value


def _clean_kinds(kinds: Any) -> list[str]:
    chosen = [str(kind) for kind in kinds or []]
    if not chosen:
        raise GardaError(_("Say which data were affected."), field="data_kinds")
    if set(chosen) - set(DataKind.values):
        raise GardaError(_("Choose the data from the list."), field="data_kinds")
    return [kind for kind in DataKind.values if kind in chosen]  # in the list's order


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """The checks that recording and correcting share, on the fields given."""
    cleaned = dict(data)
    if "title" in data:
        cleaned["title"] = " ".join(
            _clean_text(data["title"], field="title", message=_("Give a short title.")).split()
        )
    if "description" in data:
        cleaned["description"] = _clean_text(
            data["description"], field="description", message=_("Describe what happened.")
        )
    if "discovered_at" in data:
        cleaned["discovered_at"] = _check_discovered(data["discovered_at"])
    if "data_kinds" in data:
        cleaned["data_kinds"] = _clean_kinds(data["data_kinds"])
    for name in ("cause", "measures", "other_subjects_note"):
        if name in data:
            cleaned[name] = (data[name] or "").strip()
    if "other_subjects" in data:
        cleaned["other_subjects"] = data["other_subjects"] or 0
        if cleaned["other_subjects"] < 0:
            raise GardaError(_("The number cannot be negative."), field="other_subjects")
    return cleaned


def _locked(incident: Incident) -> Incident:
    """The stored incident, locked for the rest of the transaction."""
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("wilayah")
        .get(pk=incident.pk)
    )


# --- recording and correcting ---------------------------------------------------------------


def _next_number(code: str, year: int) -> str:
    prefix = f"PDP/{code}/{year}/"
    last = (
        Incident.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("/", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:03d}"


@transaction.atomic
def incident_record(
    *,
    actor: User,
    wilayah: Wilayah,
    title: str,
    discovered_at: datetime.datetime | None,
    reported_by: User | None,
    description: str,
    data_kinds: list[str],
    cause: str = "",
    measures: str = "",
    other_subjects: int = 0,
    other_subjects_note: str = "",
) -> Incident:
    """Record an incident of the Dinas of `wilayah` (its district or province). The 72 hours
    run from `discovered_at`."""
    _check_manages(actor, wilayah.code)
    if wilayah.level not in (Level.PROVINSI, Level.KABUPATEN):
        raise GardaError(
            _("An incident belongs to the Dinas's district or province."), field="wilayah"
        )
    fields = _clean(
        {
            "title": title,
            "discovered_at": discovered_at,
            "description": description,
            "data_kinds": data_kinds,
            "cause": cause,
            "measures": measures,
            "other_subjects": other_subjects,
            "other_subjects_note": other_subjects_note,
        }
    )
    fields["reported_by"] = _check_account(reported_by, wilayah.code, "reported_by")
    year = timezone.localtime(fields["discovered_at"]).year
    for attempt in range(5):
        try:
            with transaction.atomic():
                incident = audited_create(
                    Incident,
                    actor=actor,
                    number=_next_number(wilayah.code, year),
                    wilayah=wilayah,
                    **fields,
                )
            break
        except IntegrityError:  # another incident took the number at the same moment
            if attempt == 4:
                raise
    IncidentEvent.objects.create(
        incident=incident, actor=actor, from_status="", to_status=Status.RECORDED
    )
    return incident


@transaction.atomic
def incident_update(
    *, actor: User, incident: Incident, data: dict[str, Any], expected_version: int
) -> list[str]:
    """Correct what was recorded. Someone else's save since `expected_version` refuses the
    change (ConcurrentEdit) instead of overwriting it."""
    _check_manages(actor, incident.wilayah_id)
    locked = _locked(incident)
    if locked.status == Status.CLOSED:
        raise InvalidState(_("This incident is closed: it can no longer be changed."))
    data = _clean({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    if "reported_by" in data:
        data["reported_by"] = _check_account(data["reported_by"], locked.wilayah_id, "reported_by")
    moved = "discovered_at" in data and data["discovered_at"] != locked.discovered_at
    if moved and locked.status not in TRACING_STATUSES:
        raise InvalidState(
            _("The notices were judged against the time of discovery: it cannot change now."),
        )
    changed = audited_update(locked, actor=actor, data=data, expected_version=expected_version)
    incident.refresh_from_db()
    return changed


# --- the steps ------------------------------------------------------------------------------


def _check_step(incident: Incident, to_status: str) -> None:
    expected = next_status(incident.status)
    if expected is None:
        raise InvalidState(_("This incident is closed."))
    if to_status != expected:
        raise InvalidState(
            _("This incident is %(status)s: the next step is “%(next)s”.")
            % {
                "status": incident.get_status_display(),
                "next": dict(Status.choices)[expected],
            }
        )


def _check_ready(incident: Incident, to_status: str) -> None:
    """What the step's paper needs before it can be recorded as done."""
    if to_status == Status.AUTHORITY_NOTIFIED and not incident.measures:
        raise GardaError(
            _("Write the measures taken first: the letter to the authority states them.")
        )
    if to_status == Status.CLOSED and not incident.cause:
        raise GardaError(_("Write the cause first: closing records what went wrong."))


def _check_step_time(incident: Incident, at: datetime.datetime) -> None:
    if at > timezone.now():
        raise GardaError(_("The time cannot be in the future."), field="at")
    if at < incident.discovered_at:
        raise GardaError(_("The time cannot be before the discovery."), field="at")
    # Recording is not a step taken about the incident: an account stopped before the incident
    # was written down was stopped then.
    steps = incident.events.exclude(to_status=Status.RECORDED)
    last = steps.order_by("-at").values_list("at", flat=True).first()
    if last is not None and at < last:
        raise GardaError(_("The time cannot be before the previous step."), field="at")


@transaction.atomic
def incident_advance(
    *,
    actor: User,
    incident: Incident,
    to_status: str,
    note: str,
    expected_version: int,
    at: datetime.datetime | None = None,
) -> Incident:
    """Record the next step (contained, subjects notified, authority notified, closed) with a
    note saying what was done, and when it was done (now unless given). The notice times
    decide whether the 72 hours were kept."""
    _check_manages(actor, incident.wilayah_id)
    if to_status not in Status.values:
        raise GardaError(_("Choose a step."), field="to_status")
    locked = _locked(incident)
    _check_step(locked, to_status)
    note = _clean_text(note, field="note", message=_("Write a note: what was done at this step."))
    _check_ready(locked, to_status)
    at = at or timezone.now()
    _check_step_time(locked, at)
    data: dict[str, Any] = {"status": to_status}
    if to_status == Status.SUBJECTS_NOTIFIED:
        data["subjects_notified_at"] = at
    if to_status == Status.AUTHORITY_NOTIFIED:
        data["authority_notified_at"] = at
    before = locked.status
    audited_update(locked, actor=actor, data=data, reason=note, expected_version=expected_version)
    IncidentEvent.objects.create(
        incident=locked, actor=actor, from_status=before, to_status=to_status, note=note, at=at
    )
    incident.refresh_from_db()
    return incident


# --- whom it concerns -----------------------------------------------------------------------


def _check_tracing(incident: Incident) -> None:
    if incident.status not in TRACING_STATUSES:
        raise InvalidState(
            _(
                "The data subjects have been notified: the list stays what they were told. "
                "Record a new incident for people found later."
            )
        )


@transaction.atomic
def affected_find(
    *,
    actor: User,
    incident: Incident,
    account: User | None,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    client_uuid: uuid.UUID | None = None,
) -> AffectedSearch:
    """Find the residents whose records `account` read, revealed or exported between `start`
    and `end` (both included), in the incident's area, and add them to its list. The same
    search, or the same form sent twice (`client_uuid`), is refused with `Duplicate`."""
    _check_manages(actor, incident.wilayah_id)
    locked = _locked(incident)
    _check_tracing(locked)
    account = _check_account(account, locked.wilayah_id, "account")
    if start is None:
        raise GardaError(_("Give the start of the period."), field="start")
    if end is None:
        raise GardaError(_("Give the end of the period."), field="end")
    if start >= end:
        raise GardaError(_("The end must come after the start."), field="end")
    if end > timezone.now():
        raise GardaError(_("The period cannot end in the future."), field="end")
    same = Q(incident=locked, account=account, start=start, end=end)
    if client_uuid is not None:
        same |= Q(client_uuid=client_uuid)
    existing = AffectedSearch.objects.filter(same).first()
    if existing is not None:
        raise Duplicate(
            _("This search was made already: its residents are on the list."), existing=existing
        )
    events = tracing.account_reads(account=account, start=start, end=end, area=locked.wilayah_id)
    touched = tracing.people_touched(events)
    search = audited_create(
        AffectedSearch,
        actor=actor,
        incident=locked,
        account=account,
        start=start,
        end=end,
        run_by=actor,
        client_uuid=client_uuid,
        events=events.count(),
        people=len(touched),
    )
    desa = dict(Individu.objects.filter(pk__in=touched).values_list("pk", "wilayah_id"))
    AffectedPerson.objects.bulk_create(
        AffectedPerson(
            search=search,
            incident=locked,
            individu_id=pk,
            wilayah_id=desa[pk],
            read=touch.read,
            revealed=touch.revealed,
            exported=touch.exported,
            first_at=touch.first_at,
            last_at=touch.last_at,
            events=touch.events,
        )
        for pk, touch in touched.items()
    )
    return search


@transaction.atomic
def affected_search_remove(*, actor: User, search: AffectedSearch, reason: str) -> None:
    """Take a search and the residents it found off the list (the wrong account, the wrong
    period), while nobody has been notified yet."""
    _check_manages(actor, search.incident.wilayah_id)
    _check_tracing(_locked(search.incident))
    reason = _clean_text(reason, field="reason", message=_("Say why the search is removed."))
    audited_delete(search, actor=actor, reason=reason)
