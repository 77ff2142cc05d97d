"""Writes about distributions (penyaluran): planning the rows of a period, recording what
happened to one of them, and recording many at once, from a list selection or an uploaded file.

The status moves only forward: a scheduled distribution is delivered, failed or returned; a
delivered one may still be returned. Every change is a `DistributionEvent` (who, when, from,
to, why) and an audited update with optimistic locking. Recording needs RECORD_DISTRIBUTIONS
in the distribution's desa; planning a period needs MANAGE_PROGRAMS and plans only the
participants inside the planner's areas.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record, audited_update
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.nik import normalise_digits
from garda.core.uploads import PHOTO, clean_upload
from garda.pilar.models import PSM, Pilar
from garda.pilar.models import Status as PilarStatus
from garda.registry.models import Individu, Keluarga
from garda.registry.services import nik_hash, no_kk_hash
from garda.reports import xlsx

from ..models import (
    Channel,
    Distribution,
    DistributionEvent,
    DistributionStatus,
    Enrolment,
    Period,
    Program,
)

S = DistributionStatus

# Where a distribution may go from each status. Failed and returned are final.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.DELIVERED, S.FAILED, S.RETURNED}),
    S.DELIVERED: frozenset({S.RETURNED}),
    S.FAILED: frozenset(),
    S.RETURNED: frozenset(),
}
NEEDS_REASON = frozenset({S.FAILED, S.RETURNED})
MAX_UPLOAD_ROWS = 20_000

# The columns of an uploaded file (normalised header names), and the other names accepted.
UPLOAD_COLUMNS = ("nik", "no_kk", "periode", "status", "tanggal", "saluran", "alasan")
COLUMN_ALIASES = {
    "period": "periode",
    "tahap": "periode",
    "date": "tanggal",
    "channel": "saluran",
    "reason": "alasan",
    "keterangan": "alasan",
    "nomor_kk": "no_kk",
    "nokk": "no_kk",
}


def can_record(actor: User, distribution: Distribution) -> bool:
    return actor.can_in(Perm.RECORD_DISTRIBUTIONS, distribution.wilayah_id)


def next_statuses(distribution: Distribution) -> list[str]:
    """The statuses this distribution may move to, in the order of the choices."""
    allowed = NEXT_STATUSES.get(distribution.status, frozenset())
    return [value for value in S.values if value in allowed]


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    created: int
    existing: int


@transaction.atomic
def distribution_plan(*, actor: User, period: Period, within: str | None = None) -> Planned:
    """Create the scheduled distribution of `period` for every active participant of its
    programme inside the actor's areas (and inside `within`, a region code, if given), worth
    the programme's benefit. Participants who have their row already are skipped, so planning
    again creates only the rows of participants enrolled since."""
    if not actor.has_garda_perm(Perm.MANAGE_PROGRAMS):
        raise NotAllowed(_("Your role does not allow planning distributions."))
    program: Program = period.program
    enrolments = (
        Enrolment.objects.visible_to(actor, Perm.MANAGE_PROGRAMS)
        .active()
        .filter(program=program)
        .exclude(distributions__period=period)
    )
    if within:
        enrolments = enrolments.within(within)
    existing = (
        Distribution.objects.visible_to(actor, Perm.MANAGE_PROGRAMS).filter(period=period).count()
    )
    rows = [
        Distribution(enrolment_id=pk, period=period, wilayah_id=code, amount=program.benefit_amount)
        for pk, code in enrolments.values_list("pk", "wilayah_id").iterator(chunk_size=5000)
    ]
    try:
        with transaction.atomic():
            Distribution.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError as error:  # another planner of the same period at the same moment
        raise GardaError(
            _(
                "Someone planned this period at the same moment. Plan again: nothing is "
                "created twice."
            )
        ) from error
    DistributionEvent.objects.bulk_create(
        [
            DistributionEvent(
                distribution_id=row.pk, actor=actor, from_status="", to_status=S.SCHEDULED
            )
            for row in rows
        ],
        batch_size=2000,
    )
    new_ids = rows
    if new_ids:
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type="programs.distribution",
            object_repr=str(period)[:200],
            wilayah_code=within or _planner_area(actor) or program.wilayah_id or "",
            changes={"period": [None, str(period.pk)], "created": [None, len(new_ids)]},
            reason=_("Distributions planned"),
        )
    return Planned(created=len(new_ids), existing=existing)


def _planner_area(actor: User) -> str:
    """The planner's one area (the audit trail's region), if they have exactly one."""
    areas = actor.areas_for(Perm.MANAGE_PROGRAMS)
    return areas[0] if len(areas) == 1 else ""


# --- recording one ---------------------------------------------------------------------------


def _check_recorder(actor: User, distribution: Distribution) -> None:
    if not can_record(actor, distribution):
        raise NotAllowed(_("You may only record distributions inside your own area."))


def _check_companion(pilar: Pilar, distribution: Distribution) -> None:
    if (
        pilar.jenis.code != PSM
        or pilar.status != PilarStatus.AKTIF
        or pilar.wilayah_id != distribution.wilayah_id
    ):
        raise GardaError(
            _("The accompanying PSM must be an active PSM of this village."),
            field="accompanied_by",
        )


def _image(upload: UploadedFile | None, field_name: str) -> UploadedFile | None:
    if upload is None:
        return None
    try:
        return clean_upload(upload, PHOTO)
    except ValidationError as error:
        raise GardaError(" ".join(error.messages), field=field_name) from error


def check_record(
    *,
    distribution: Distribution,
    status: str,
    distributed_on: datetime.date | None,
    channel: str,
    reason: str,
) -> None:
    """The status rules, the same for the form, the list and the file. Raises GardaError."""
    if status not in S.values:
        raise GardaError(_("This is not a distribution status."), field="status")
    if status == distribution.status:
        raise InvalidState(
            _("This distribution is already recorded as %(status)s.") % {"status": S(status).label},
            field="status",
        )
    if status not in NEXT_STATUSES.get(distribution.status, frozenset()):
        raise InvalidState(
            _("A distribution that is %(current)s cannot become %(status)s.")
            % {"current": S(distribution.status).label, "status": S(status).label},
            field="status",
        )
    if status in NEEDS_REASON and not reason.strip():
        message = (
            _("Say why the distribution failed.")
            if status == S.FAILED
            else _("Say why the distribution was returned.")
        )
        raise GardaError(message, field="reason")
    if status == S.DELIVERED and distributed_on is None:
        raise GardaError(_("Give the date the aid was handed over."), field="distributed_on")
    if distributed_on is not None and distributed_on > timezone.localdate():
        raise GardaError(_("The date cannot be in the future."), field="distributed_on")
    if status == S.DELIVERED and not channel:
        raise GardaError(_("Say how the aid was handed over."), field="channel")
    if channel and channel not in Channel.values:
        raise GardaError(_("This is not a distribution channel."), field="channel")


@transaction.atomic
def distribution_record(
    *,
    actor: User,
    distribution: Distribution,
    status: str,
    distributed_on: datetime.date | None = None,
    channel: str = "",
    reason: str = "",
    accompanied_by: Pilar | None = None,
    proof_photo: UploadedFile | None = None,
    signature: UploadedFile | None = None,
    expected_version: int | None = None,
) -> DistributionEvent:
    """Record what happened to one distribution: its new status with the date, channel and
    reason, the PSM who accompanied it and the proof (photo, signature image). Refused if
    someone recorded it after `expected_version` was read."""
    _check_recorder(actor, distribution)
    reason = " ".join(reason.split())
    check_record(
        distribution=distribution,
        status=status,
        distributed_on=distributed_on,
        channel=channel,
        reason=reason,
    )
    if accompanied_by is not None:
        _check_companion(accompanied_by, distribution)
    data: dict[str, Any] = {"status": status, "reason": reason}
    if distributed_on is not None:
        data["distributed_on"] = distributed_on
    if channel:
        data["channel"] = channel
    if accompanied_by is not None:
        data["accompanied_by"] = accompanied_by
    if photo := _image(proof_photo, "proof_photo"):
        data["proof_photo"] = photo
    if image := _image(signature, "signature"):
        data["signature"] = image
    before = distribution.status
    audited_update(
        distribution,
        actor=actor,
        data=data,
        reason=reason,
        expected_version=expected_version,
    )
    return DistributionEvent.objects.create(
        distribution=distribution,
        actor=actor,
        from_status=before,
        to_status=status,
        note=reason,
    )


# --- recording many --------------------------------------------------------------------------


@dataclass
class Problem:
    """One bad row of a bulk record: its row number (in the file, or on the list) and why."""

    row: int | str
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class BulkRefused(GardaError):
    """Some rows were bad, so nothing was written; `problems` says which and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        count = len(problems)
        super().__init__(
            _("Nothing was saved: %(count)s rows have a problem. Correct them and try again.")
            % {"count": count}
        )
        self.problems = list(problems)


@dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0


@dataclass
class Change:
    """One wanted change: which distribution, to what. `row` names it in messages."""

    row: int | str
    distribution: Distribution
    status: str
    distributed_on: datetime.date | None = None
    channel: str = ""
    reason: str = ""


def _same(change: Change) -> bool:
    """Whether the distribution is already as the change wants it (a re-upload)."""
    d = change.distribution
    return (
        d.status == change.status
        and (change.distributed_on is None or d.distributed_on == change.distributed_on)
        and (not change.channel or d.channel == change.channel)
        and (not change.reason or d.reason == " ".join(change.reason.split()))
    )


def _check_changes(
    *, actor: User, changes: Sequence[Change], accompanied_by: Pilar | None = None
) -> tuple[list[Change], int, list[Problem]]:
    """The changes still to make, how many are made already (a re-upload), and the problems
    of the others: every change is checked, so every bad row is reported at once."""
    todo: list[Change] = []
    unchanged = 0
    problems: list[Problem] = []
    seen: dict[Any, int | str] = {}
    for change in changes:
        d = change.distribution
        if d.pk in seen:
            problems.append(
                Problem(
                    change.row,
                    "",
                    _("Row %(other)s is about the same distribution.") % {"other": seen[d.pk]},
                )
            )
            continue
        seen[d.pk] = change.row
        if not can_record(actor, d):
            problems.append(Problem(change.row, "", _("This distribution is outside your area.")))
            continue
        if _same(change):
            unchanged += 1
            continue
        try:
            check_record(
                distribution=d,
                status=change.status,
                distributed_on=change.distributed_on,
                channel=change.channel,
                reason=change.reason,
            )
            if accompanied_by is not None:
                _check_companion(accompanied_by, d)
        except GardaError as error:
            problems.append(Problem(change.row, error.field or "", error.message))
            continue
        todo.append(change)
    return todo, unchanged, problems


@transaction.atomic
def _write(*, actor: User, todo: Sequence[Change], accompanied_by: Pilar | None = None) -> None:
    """Write every checked change, or none: one refused write rolls back the others."""
    for change in todo:
        try:
            distribution_record(
                actor=actor,
                distribution=change.distribution,
                status=change.status,
                distributed_on=change.distributed_on,
                channel=change.channel,
                reason=change.reason,
                accompanied_by=accompanied_by,
                expected_version=change.distribution.version,
            )
        except GardaError as error:  # changed by someone else since it was read
            raise BulkRefused([Problem(change.row, error.field or "", error.message)]) from error


def distribution_bulk_record(
    *,
    actor: User,
    distributions: Iterable[Distribution],
    status: str,
    distributed_on: datetime.date | None = None,
    channel: str = "",
    reason: str = "",
    accompanied_by: Pilar | None = None,
) -> BulkResult:
    """Record the same outcome for the distributions ticked on a list: all of them, or none
    (BulkRefused lists every one that cannot take it, named by its participant)."""
    changes = [
        Change(
            row=_participant_label(d),
            distribution=d,
            status=status,
            distributed_on=distributed_on,
            channel=channel,
            reason=reason,
        )
        for d in distributions
    ]
    if not changes:
        raise GardaError(_("Tick at least one distribution."))
    todo, unchanged, problems = _check_changes(
        actor=actor, changes=changes, accompanied_by=accompanied_by
    )
    if problems:
        raise BulkRefused(problems)
    _write(actor=actor, todo=todo, accompanied_by=accompanied_by)
    return BulkResult(changed=len(todo), unchanged=unchanged)


def _participant_label(distribution: Distribution) -> str:
    enrolment = distribution.enrolment
    if enrolment.individu_id:
        return enrolment.individu.name  # type: ignore[union-attr]
    return str(enrolment.keluarga)


def upload_template() -> bytes:
    """An empty workbook with the upload's columns and one example row."""
    workbook = xlsx.new_workbook()
    columns = [xlsx.Column(name, width=20) for name in UPLOAD_COLUMNS]
    example = [
        "1901024507900001",
        "",
        "Tahap 1 2026",
        S.DELIVERED.value,
        "15/03/2026",
        Channel.BANK.value,
        "",
    ]
    xlsx.add_sheet(workbook, title=_("Distributions"), columns=columns, rows=[example])
    return xlsx.workbook_bytes(workbook)


@dataclass
class _Row:
    number: int
    nik: str
    no_kk: str
    period: str
    status: str
    distributed_on: datetime.date | None
    channel: str
    reason: str


def _parse_rows(table: xlsx.Table, problems: list[Problem]) -> list[_Row]:
    rows: list[_Row] = []
    statuses = {value: value for value in S.values} | {
        str(label).lower(): value for value, label in S.choices
    }
    channels = {value: value for value in Channel.values} | {
        str(label).lower(): value for value, label in Channel.choices
    }
    for number, record in table.records():
        record = {COLUMN_ALIASES.get(key, key): value for key, value in record.items()}
        bad = len(problems)
        try:
            nik = normalise_digits(xlsx.digits_value(record.get("nik")))
        except xlsx.CellError as error:
            problems.append(Problem(number, "nik", error.message))
            nik = ""
        try:
            no_kk = normalise_digits(xlsx.digits_value(record.get("no_kk")))
        except xlsx.CellError as error:
            problems.append(Problem(number, "no_kk", error.message))
            no_kk = ""
        if len(problems) == bad and not nik and not no_kk:
            problems.append(
                Problem(number, "nik", _("Give the participant's NIK or family card number."))
            )
        for name, value in (("nik", nik), ("no_kk", no_kk)):
            if value and len(value) != 16:
                problems.append(Problem(number, name, _("The number must have 16 digits.")))
        period = xlsx.text_value(record.get("periode"))
        if not period:
            problems.append(Problem(number, "periode", _("Give the period (tahap).")))
        status_text = xlsx.text_value(record.get("status")).lower()
        status = statuses.get(status_text, "")
        if not status:
            problems.append(
                Problem(
                    number,
                    "status",
                    _("%(value)s is not a status. Write one of: %(allowed)s.")
                    % {"value": status_text or "—", "allowed": ", ".join(S.values)},
                )
            )
        try:
            distributed_on = xlsx.date_value(record.get("tanggal"))
        except xlsx.CellError as error:
            problems.append(Problem(number, "tanggal", error.message))
            distributed_on = None
        channel_text = xlsx.text_value(record.get("saluran")).lower()
        channel = channels.get(channel_text, "")
        if channel_text and not channel:
            problems.append(
                Problem(
                    number,
                    "saluran",
                    _("%(value)s is not a channel. Write one of: %(allowed)s.")
                    % {"value": channel_text, "allowed": ", ".join(Channel.values)},
                )
            )
        reason = xlsx.text_value(record.get("alasan"))
        if len(reason) > 300:
            problems.append(Problem(number, "alasan", _("The reason is longer than 300 letters.")))
        if len(problems) == bad:
            rows.append(_Row(number, nik, no_kk, period, status, distributed_on, channel, reason))
    return rows


def _find(
    *, actor: User, program: Program, rows: list[_Row], problems: list[Problem]
) -> list[Change]:
    """The distribution of each row, found by the blind index of the NIK or No KK: three
    queries however many rows. A NIK finds the person's own distribution, or their
    household's in a programme for households; a No KK finds the household's, or its one
    member's in a programme for people."""
    niks = {nik_hash(r.nik): r.nik for r in rows if r.nik}
    kks = {no_kk_hash(r.no_kk): r.no_kk for r in rows if r.no_kk}
    person_by_nik = {
        niks[digest]: (pk, keluarga_id)
        for pk, keluarga_id, digest in Individu.objects.current()
        .filter(nik_hash__in=list(niks))
        .values_list("pk", "keluarga_id", "nik_hash")
    }
    household_by_kk = {
        kks[digest]: pk
        for pk, digest in Keluarga.objects.filter(no_kk_hash__in=list(kks)).values_list(
            "pk", "no_kk_hash"
        )
    }
    people = {pk for pk, _k in person_by_nik.values()}
    households = {k for _p, k in person_by_nik.values()} | set(household_by_kk.values())
    candidates = (
        Distribution.objects.filter(period__program=program)
        .filter(
            Q(enrolment__individu_id__in=people)
            | Q(enrolment__keluarga_id__in=households)
            | Q(enrolment__individu__keluarga_id__in=set(household_by_kk.values()))
        )
        .select_related("period", "enrolment")
        .annotate(member_of=F("enrolment__individu__keluarga_id"))
    )
    of_person: dict[tuple[Any, str], list[Distribution]] = defaultdict(list)
    of_household: dict[tuple[Any, str], list[Distribution]] = defaultdict(list)
    of_members: dict[tuple[Any, str], list[Distribution]] = defaultdict(list)
    for d in candidates:
        period_key = d.period.name.casefold()
        if d.enrolment.individu_id:
            of_person[(d.enrolment.individu_id, period_key)].append(d)
            of_members[(d.member_of, period_key)].append(d)  # type: ignore[attr-defined]
        else:
            of_household[(d.enrolment.keluarga_id, period_key)].append(d)
    period_names = {p.casefold() for p in program.periods.values_list("name", flat=True)}
    changes: list[Change] = []
    for row in rows:
        period_key = row.period.casefold()
        if period_key not in period_names:
            problems.append(
                Problem(
                    row.number,
                    "periode",
                    _("The programme has no period named %(name)s.") % {"name": row.period},
                )
            )
            continue
        found: list[Distribution] = []
        if row.nik and row.nik in person_by_nik:
            person, household = person_by_nik[row.nik]
            found = of_person[(person, period_key)] or of_household[(household, period_key)]
        elif row.no_kk and row.no_kk in household_by_kk:
            household = household_by_kk[row.no_kk]
            found = of_household[(household, period_key)] or of_members[(household, period_key)]
        visible = [d for d in found if can_record(actor, d)]
        if not visible:
            problems.append(
                Problem(
                    row.number,
                    "nik" if row.nik else "no_kk",
                    _(
                        "No distribution of this programme in %(period)s for this participant "
                        "in your area."
                    )
                    % {"period": row.period},
                )
            )
            continue
        if len(visible) > 1:
            problems.append(
                Problem(
                    row.number,
                    "no_kk",
                    _("Several members of this household are in the programme: give the NIK."),
                )
            )
            continue
        changes.append(
            Change(
                row=row.number,
                distribution=visible[0],
                status=row.status,
                distributed_on=row.distributed_on,
                channel=row.channel,
                reason=row.reason,
            )
        )
    return changes


def distribution_upload(*, actor: User, program: Program, content: bytes) -> BulkResult:
    """Record the outcomes listed in an uploaded XLSX or CSV file (one row per participant and
    period: NIK or No KK, period, status, date, channel, reason). Every row is checked first;
    any bad row refuses the whole file (BulkRefused, with each row's number and reason).
    Uploading the same file again changes nothing."""
    if not actor.has_garda_perm(Perm.RECORD_DISTRIBUTIONS):
        raise NotAllowed(_("Your role does not allow recording distributions."))
    table = xlsx.read_table(content, max_rows=MAX_UPLOAD_ROWS)
    columns = {COLUMN_ALIASES.get(name, name) for name in table.columns}
    missing = [name for name in ("periode", "status") if name not in columns]
    if "nik" not in columns and "no_kk" not in columns:
        missing.insert(0, "nik / no_kk")
    if missing:
        raise GardaError(
            _("The file lacks the columns %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if not table.rows:
        raise GardaError(_("The file has no rows below the column names."))
    problems: list[Problem] = []
    rows = _parse_rows(table, problems)
    changes = _find(actor=actor, program=program, rows=rows, problems=problems)
    todo, unchanged, more = _check_changes(actor=actor, changes=changes)
    problems += more
    if problems:
        raise BulkRefused(sorted(problems, key=lambda p: (str(p.row).zfill(9), p.column)))
    _write(actor=actor, todo=todo)
    return BulkResult(changed=len(todo), unchanged=unchanged)


def describe(result: BulkResult) -> str:
    return _("%(changed)s distributions recorded, %(unchanged)s already as given.") % {
        "changed": formats.number_format(result.changed, force_grouping=True),
        "unchanged": formats.number_format(result.unchanged, force_grouping=True),
    }
