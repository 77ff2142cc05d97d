"""Writes about social cases: intake, corrections, assessment, plan, services, referrals,
hand-overs, resolving, closing with the coordinator's approval, reopening, documents.

Every service is atomic and audited, locks the case row before it looks at the status (two
clicks on the same button do one thing), and writes the change as a `CaseEvent`.
Notifications go out when the transaction commits.
"""

import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.accounts.selectors import permission_holders
from garda.audit.services import audited_create, audited_update
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.scoping import area_condition
from garda.notifications.models import Kind
from garda.notifications.services import notify, office_language
from garda.pilar.models import Pilar
from garda.registry.models import Individu, PpksType
from garda.wilayah.models import Level, Wilayah

from .models import (
    ACTIVE_STATUSES,
    Assessment,
    Case,
    CaseDocument,
    CaseEvent,
    EventKind,
    Institution,
    Need,
    PlanAction,
    Referral,
    ReferralStatus,
    ReferralTarget,
    Service,
    SlaTarget,
    Status,
    Urgency,
)
from .targets import sla_for

# Fields of the intake that the handler may correct later (with the version check).
EDITABLE_FIELDS = (
    "title",
    "source",
    "ppks_type",
    "urgency",
    "narrative",
    "unidentified_description",
    "consent",
    "consent_note",
    "follow_up_on",
)


# --- Checks ---------------------------------------------------------------------------------


def _check_handles(actor: User, code: str) -> None:
    if not actor.can_in(Perm.HANDLE_CASES, code):
        raise NotAllowed(_("You may only handle cases in your own area."))


def _check_approves(actor: User, case: Case) -> None:
    if not actor.can_in(Perm.APPROVE_CASE_CLOSING, case.wilayah_id):
        raise NotAllowed(
            _("Only the kecamatan coordinator or Dinas Sosial may approve closing this case.")
        )


def _locked(case: Case) -> Case:
    """The stored case, locked for the rest of the transaction."""
    return Case.objects.select_for_update(of=("self",)).select_related("wilayah").get(pk=case.pk)


def _require(case: Case, allowed: tuple[str, ...], doing: str) -> None:
    if case.status not in allowed:
        raise InvalidState(
            _("This case is %(status)s: you cannot %(doing)s now.")
            % {"status": case.get_status_display(), "doing": doing}
        )


def handler_candidates(code: str) -> list[User]:
    """Active users who may handle a case of region `code`: its PSM, the kecamatan
    coordinator, Dinas staff; ordered from the nearest to the farthest."""
    seen: dict[Any, User] = {}
    for assignment in permission_holders(Perm.HANDLE_CASES, code):
        seen.setdefault(assignment.user_id, assignment.user)
    return list(seen.values())


def _check_handler(handler: User, code: str) -> None:
    if not handler.is_active or not handler.can_in(Perm.HANDLE_CASES, code):
        raise GardaError(
            _("%(name)s cannot handle cases in this desa. Choose someone of the area.")
            % {"name": handler},
            field="handler",
        )


def _pilar_of(user: User) -> Pilar | None:
    return Pilar.objects.filter(user=user).first()


# --- Events and notices ---------------------------------------------------------------------


def _event(
    case: Case,
    *,
    actor: User,
    kind: str,
    from_status: str = "",
    note: str = "",
    referral: Referral | None = None,
    at: datetime.datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        kind=kind,
        from_status=from_status or case.status,
        to_status=case.status,
        note=note,
        referral=referral,
        at=at or timezone.now(),
    )


def _move(case: Case, *, actor: User, to: str, extra: dict[str, Any] | None = None) -> str:
    """Set the status (and `extra` fields) through the audited update; returns the old status."""
    before = case.status
    audited_update(case, actor=actor, data={"status": to, **(extra or {})})
    return before


def _tell(
    user: User | None, actor: User, *, kind: str, text: str, case: Case, key: str = ""
) -> None:
    if user is None or user.pk == actor.pk:
        return
    notify(user, kind=kind, text=text, link=case.get_absolute_url(), key=key)


def _after_response(case: Case, *, actor: User) -> None:
    """A response sets the next follow-up date from the case's target."""
    follow_up = timezone.localdate() + sla_for(case.urgency).follow_up
    if case.follow_up_on is None or case.follow_up_on < follow_up:
        audited_update(case, actor=actor, data={"follow_up_on": follow_up})


def closing_approvers(case: Case) -> list[User]:
    """Who is asked to approve closing: the kecamatan coordinator(s); Dinas if there is none."""
    assignments = permission_holders(Perm.APPROVE_CASE_CLOSING, case.wilayah_id)
    if not assignments:
        return []
    nearest = assignments[0].wilayah_id
    return list({a.user_id: a.user for a in assignments if a.wilayah_id == nearest}.values())


# --- Intake and corrections -----------------------------------------------------------------


def _next_number(year: int) -> str:
    prefix = f"KS/{year}/"
    last = (
        Case.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
    ).first()
    serial = int(last.rsplit("/", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


@transaction.atomic
def case_open(
    *,
    actor: User,
    wilayah: Wilayah,
    source: str,
    urgency: str,
    title: str,
    narrative: str,
    consent: str,
    handler: User,
    ppks_type: PpksType | None = None,
    subjects: list[Individu] | None = None,
    unidentified_description: str = "",
    consent_note: str = "",
    reported_at: datetime.datetime | None = None,
) -> Case:
    """Open a case in `wilayah` (a desa or kelurahan), handled by `handler`."""
    _check_handles(actor, wilayah.code)
    if wilayah.level != Level.DESA:
        raise GardaError(_("A case belongs to a desa or kelurahan."), field="wilayah")
    subjects = subjects or []
    if not subjects and not unidentified_description.strip():
        raise GardaError(
            _("Name the people concerned, or describe the person if they are not known."),
            field="unidentified_description",
        )
    visible = Individu.objects.visible_to(actor, Perm.VIEW_PEOPLE)
    if subjects and visible.filter(pk__in=[s.pk for s in subjects]).count() != len(subjects):
        raise NotAllowed(_("You may only name residents of your own area."), field="subjects")
    if consent in ("not_possible", "refused") and not consent_note.strip():
        raise GardaError(_("Say why consent could not be recorded."), field="consent_note")
    if not narrative.strip():
        raise GardaError(_("Describe what happened."), field="narrative")
    _check_handler(handler, wilayah.code)
    reported = reported_at or timezone.now()
    for attempt in range(5):
        try:
            with transaction.atomic():
                case = audited_create(
                    Case,
                    actor=actor,
                    number=_next_number(timezone.localtime(reported).year),
                    wilayah=wilayah,
                    source=source,
                    urgency=urgency,
                    title=" ".join(title.split()),
                    narrative=narrative.strip(),
                    ppks_type=ppks_type,
                    unidentified_description=unidentified_description.strip(),
                    consent=consent,
                    consent_note=consent_note.strip(),
                    handler=handler,
                    handler_pilar=_pilar_of(handler),
                    reported_at=reported,
                    response_due=reported + sla_for(urgency).response,
                )
            break
        except IntegrityError:  # another case took the number at the same moment
            if attempt == 4:
                raise
    case.subjects.set(subjects)
    _event(case, actor=actor, kind=EventKind.OPENED, from_status="", at=reported)
    with office_language():
        text = _("Case %(number)s (%(title)s) in %(desa)s is assigned to you.") % {
            "number": case.number,
            "title": case.title,
            "desa": wilayah,
        }
    _tell(handler, actor, kind=Kind.ASSIGNED, text=text, case=case)
    return case


@transaction.atomic
def case_update(
    *, actor: User, case: Case, data: dict[str, Any], expected_version: int
) -> list[str]:
    """Correct the intake. Someone else's save since `expected_version` refuses the change
    (ConcurrentEdit) instead of overwriting it."""
    _check_handles(actor, case.wilayah_id)
    data = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    if "title" in data:
        data["title"] = " ".join(str(data["title"]).split())
    changed = audited_update(case, actor=actor, data=data, expected_version=expected_version)
    if changed:
        labels = [
            str(getattr(Case._meta.get_field(name), "verbose_name", name)) for name in changed
        ]
        _event(case, actor=actor, kind=EventKind.EDITED, note=", ".join(labels))
    return changed


@transaction.atomic
def case_set_subjects(*, actor: User, case: Case, subjects: list[Individu]) -> None:
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    if case.status == Status.CLOSED:
        raise InvalidState(_("The case is closed: reopen it to change it."))
    visible = Individu.objects.visible_to(actor, Perm.VIEW_PEOPLE)
    if visible.filter(pk__in=[s.pk for s in subjects]).count() != len(subjects):
        raise NotAllowed(_("You may only name residents of your own area."), field="subjects")
    if not subjects and not case.unidentified_description:
        raise GardaError(
            _("Name the people concerned, or describe the person if they are not known."),
            field="keep",
        )
    case.subjects.set(subjects)
    _event(case, actor=actor, kind=EventKind.EDITED, note=", ".join(s.name for s in subjects))


# --- Assessment, plan, services -------------------------------------------------------------


@transaction.atomic
def case_assess(
    *,
    actor: User,
    case: Case,
    needs: list[str],
    risk: str,
    notes: str,
    has_caregiver: bool = False,
    income_source: str = "",
    assessed_on: datetime.date | None = None,
) -> Assessment:
    """Record an assessment; an open case becomes assessed. A case being worked on may be
    assessed again."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    _require(case, ACTIVE_STATUSES, _("assess it"))
    unknown = set(needs) - set(Need.values)
    if not needs or unknown:
        raise GardaError(_("Choose at least one need."), field="needs")
    if not notes.strip():
        raise GardaError(_("Write what the assessment found."), field="notes")
    assessment = audited_create(
        Assessment,
        actor=actor,
        case=case,
        assessed_on=assessed_on or timezone.localdate(),
        assessed_by=actor,
        needs=list(needs),
        risk=risk,
        has_caregiver=has_caregiver,
        income_source=income_source.strip(),
        notes=notes.strip(),
    )
    before = case.status
    if case.status == Status.OPEN:
        _move(case, actor=actor, to=Status.ASSESSED)
    _event(case, actor=actor, kind=EventKind.ASSESSED, from_status=before)
    _after_response(case, actor=actor)
    return assessment


PLANNING = (Status.ASSESSED, Status.PLAN_ACTIVE, Status.REFERRED)


@transaction.atomic
def plan_action_add(
    *, actor: User, case: Case, description: str, owner: str, due_on: datetime.date
) -> PlanAction:
    """Add an action to the plan; the first action of an assessed case starts the plan."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    if case.status == Status.OPEN:
        raise InvalidState(_("Assess the case before you plan actions."))
    _require(case, PLANNING, _("plan actions"))
    if due_on < case.reported_at.date():
        raise GardaError(_("The due date is before the case was reported."), field="due_on")
    action = audited_create(
        PlanAction,
        actor=actor,
        case=case,
        description=" ".join(description.split()),
        owner=" ".join(owner.split()),
        due_on=due_on,
    )
    before = case.status
    if case.status == Status.ASSESSED:
        _move(case, actor=actor, to=Status.PLAN_ACTIVE)
    _event(
        case, actor=actor, kind=EventKind.ACTION_ADDED, from_status=before, note=action.description
    )
    _after_response(case, actor=actor)
    return action


@transaction.atomic
def plan_action_complete(
    *, actor: User, action: PlanAction, done_on: datetime.date, note: str = ""
) -> PlanAction:
    _check_handles(actor, action.case.wilayah_id)
    case = _locked(action.case)
    _require(case, PLANNING, _("record actions"))
    action = PlanAction.objects.select_for_update().get(pk=action.pk)
    if action.done_on is not None:
        raise InvalidState(_("This action is already done."))
    if done_on > timezone.localdate():
        raise GardaError(_("The date is in the future."), field="done_on")
    audited_update(action, actor=actor, data={"done_on": done_on, "done_note": note.strip()})
    _event(
        case,
        actor=actor,
        kind=EventKind.ACTION_DONE,
        note=f"{action.description}: {note}".strip(": "),
    )
    return action


@transaction.atomic
def service_record(
    *,
    actor: User,
    case: Case,
    kind: str,
    description: str,
    provided_on: datetime.date | None = None,
) -> Service:
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    _require(case, ACTIVE_STATUSES, _("record services"))
    provided_on = provided_on or timezone.localdate()
    if provided_on > timezone.localdate():
        raise GardaError(_("The date is in the future."), field="provided_on")
    service = audited_create(
        Service,
        actor=actor,
        case=case,
        kind=kind,
        description=" ".join(description.split()),
        provided_on=provided_on,
        provided_by=actor,
    )
    _event(case, actor=actor, kind=EventKind.SERVICE, note=service.description)
    _after_response(case, actor=actor)
    return service


# --- Referrals ------------------------------------------------------------------------------


def institutions_for(case: Case) -> Any:
    """Institutions a case may be referred to: active ones of the case's district, or of the
    province (a provincial mental hospital)."""
    district = ".".join(case.wilayah_id.split(".")[:2])
    province = district.split(".")[0]
    return Institution.objects.filter(is_active=True).filter(
        Q(wilayah_id=province) | area_condition("wilayah_id", [district])
    )


@transaction.atomic
def referral_send(
    *,
    actor: User,
    case: Case,
    target: str,
    reason: str,
    institution: Institution | None = None,
    pilar: Pilar | None = None,
) -> Referral:
    """Refer the case; a case with an active plan becomes referred."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    if case.status in (Status.OPEN, Status.ASSESSED):
        raise InvalidState(_("Plan at least one action before you refer the case."))
    _require(case, (Status.PLAN_ACTIVE, Status.REFERRED), _("refer it"))
    if not reason.strip():
        raise GardaError(_("Say why the case is referred."), field="reason")
    if target == ReferralTarget.INSTITUTION:
        if institution is None or not institutions_for(case).filter(pk=institution.pk).exists():
            raise GardaError(
                _("Choose an active institution of the district."), field="institution"
            )
        pilar = None
    elif target == ReferralTarget.PILAR:
        visible = Pilar.objects.visible_to(actor, Perm.VIEW_PEOPLE).active()
        district = ".".join(case.wilayah_id.split(".")[:2])
        if pilar is None or not (
            visible.filter(pk=pilar.pk).exists() or pilar.wilayah_id.startswith(district)
        ):
            raise GardaError(_("Choose an active social pillar of the district."), field="pilar")
        institution = None
    elif target == ReferralTarget.DINAS:
        institution = pilar = None
    else:
        raise GardaError(_("Choose where the case is referred to."), field="target")
    if case.referrals.filter(
        status__in=(ReferralStatus.SENT, ReferralStatus.ACCEPTED),
        target=target,
        institution=institution,
        pilar=pilar,
    ).exists():
        raise InvalidState(_("The case is already referred there and the referral is open."))
    referral = audited_create(
        Referral,
        actor=actor,
        case=case,
        number=f"{case.number}/R{case.referrals.count() + 1}",
        target=target,
        institution=institution,
        pilar=pilar,
        purpose=reason.strip(),
        sent_by=actor,
    )
    before = case.status
    if case.status == Status.PLAN_ACTIVE:
        _move(case, actor=actor, to=Status.REFERRED)
    _event(
        case,
        actor=actor,
        kind=EventKind.REFERRED,
        from_status=before,
        note=referral.target_name,
        referral=referral,
    )
    _after_response(case, actor=actor)
    if pilar is not None and pilar.user is not None:
        with office_language():
            text = _("Case %(number)s is referred to you.") % {"number": case.number}
        _tell(pilar.user, actor, kind=Kind.REFERRAL, text=text, case=case)
    return referral


def _locked_referral(referral: Referral) -> tuple[Case, Referral]:
    case = _locked(referral.case)
    return case, Referral.objects.select_for_update(of=("self",)).select_related(
        "institution", "pilar"
    ).get(pk=referral.pk)


@transaction.atomic
def referral_answer(*, actor: User, referral: Referral, accepted: bool, note: str = "") -> Referral:
    """Record the answer of the place the case was referred to."""
    _check_handles(actor, referral.case.wilayah_id)
    case, referral = _locked_referral(referral)
    if referral.status != ReferralStatus.SENT:
        raise InvalidState(
            _("This referral is %(status)s already.") % {"status": referral.get_status_display()}
        )
    if not accepted and not note.strip():
        raise GardaError(_("Say why the referral was refused."), field="note")
    to = ReferralStatus.ACCEPTED if accepted else ReferralStatus.REFUSED
    audited_update(
        referral,
        actor=actor,
        data={"status": to, "answered_at": timezone.now(), "response_note": note.strip()},
    )
    kind = EventKind.REFERRAL_ACCEPTED if accepted else EventKind.REFERRAL_REFUSED
    _event(
        case,
        actor=actor,
        kind=kind,
        note=f"{referral.target_name}: {note}".strip(": "),
        referral=referral,
    )
    with office_language():
        text = (
            _("%(target)s accepted the referral of case %(number)s.")
            if accepted
            else _("%(target)s refused the referral of case %(number)s.")
        ) % {"target": referral.target_name, "number": case.number}
    _tell(case.handler, actor, kind=Kind.REFERRAL, text=text, case=case)
    return referral


@transaction.atomic
def referral_complete(*, actor: User, referral: Referral, note: str) -> Referral:
    _check_handles(actor, referral.case.wilayah_id)
    case, referral = _locked_referral(referral)
    if referral.status != ReferralStatus.ACCEPTED:
        raise InvalidState(_("Only an accepted referral can be completed."))
    if not note.strip():
        raise GardaError(_("Write the outcome of the referral."), field="note")
    audited_update(
        referral,
        actor=actor,
        data={
            "status": ReferralStatus.COMPLETED,
            "completed_at": timezone.now(),
            "outcome_note": note.strip(),
        },
    )
    _event(
        case,
        actor=actor,
        kind=EventKind.REFERRAL_COMPLETED,
        note=f"{referral.target_name}: {note.strip()}",
        referral=referral,
    )
    with office_language():
        text = _("The referral of case %(number)s to %(target)s is completed.") % {
            "number": case.number,
            "target": referral.target_name,
        }
    _tell(case.handler, actor, kind=Kind.REFERRAL, text=text, case=case)
    return referral


# --- Hand-over, resolving, closing, reopening ------------------------------------------------


@transaction.atomic
def case_transfer(*, actor: User, case: Case, handler: User, note: str) -> Case:
    """Hand the case to another PSM, up to the coordinator or to Dinas. The history stays."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    _require(case, (*ACTIVE_STATUSES, Status.RESOLVED), _("hand it over"))
    if handler.pk == case.handler_id:
        raise GardaError(_("This person already handles the case."), field="handler")
    _check_handler(handler, case.wilayah_id)
    if not note.strip():
        raise GardaError(_("Say why the case is handed over."), field="note")
    previous = case.handler
    audited_update(
        case, actor=actor, data={"handler": handler, "handler_pilar": _pilar_of(handler)}
    )
    _event(
        case,
        actor=actor,
        kind=EventKind.TRANSFERRED,
        note=f"{previous} → {handler}: {note.strip()}",
    )
    with office_language():
        text = _("Case %(number)s (%(title)s) is handed over to you by %(actor)s.") % {
            "number": case.number,
            "title": case.title,
            "actor": actor,
        }
    _tell(handler, actor, kind=Kind.ASSIGNED, text=text, case=case)
    return case


@transaction.atomic
def case_resolve(*, actor: User, case: Case, note: str) -> Case:
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    if case.status in (Status.OPEN, Status.ASSESSED):
        raise InvalidState(_("A case is resolved after a plan: plan and carry out actions first."))
    _require(case, (Status.PLAN_ACTIVE, Status.REFERRED), _("resolve it"))
    pending = [
        r.target_name for r in case.referrals.select_related("institution", "pilar") if r.is_pending
    ]
    if pending:
        raise InvalidState(
            _("Record the outcome of the open referral (%(targets)s) before resolving.")
            % {"targets": ", ".join(pending)}
        )
    if not note.strip():
        raise GardaError(_("Say how the case was resolved."), field="note")
    before = _move(case, actor=actor, to=Status.RESOLVED)
    _event(case, actor=actor, kind=EventKind.RESOLVED, from_status=before, note=note.strip())
    return case


@transaction.atomic
def case_request_closing(*, actor: User, case: Case, note: str = "") -> Case:
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    _require(case, (Status.RESOLVED,), _("ask to close it"))
    before = _move(case, actor=actor, to=Status.CLOSING)
    _event(
        case, actor=actor, kind=EventKind.CLOSING_REQUESTED, from_status=before, note=note.strip()
    )
    with office_language():
        text = _("%(actor)s asks you to approve closing case %(number)s (%(title)s).") % {
            "actor": actor,
            "number": case.number,
            "title": case.title,
        }
    for approver in closing_approvers(case):
        _tell(approver, actor, kind=Kind.CLOSING, text=text, case=case)
    return case


@transaction.atomic
def case_decide_closing(*, actor: User, case: Case, approve: bool, note: str = "") -> Case:
    """The coordinator (or Dinas) closes the case, or sends it back as resolved with a note."""
    _check_approves(actor, case)
    case = _locked(case)
    _require(case, (Status.CLOSING,), _("decide on closing it"))
    if not approve and not note.strip():
        raise GardaError(
            _("Say what is still missing before the case can be closed."), field="note"
        )
    if approve:
        before = _move(case, actor=actor, to=Status.CLOSED, extra={"closed_at": timezone.now()})
        _event(case, actor=actor, kind=EventKind.CLOSED, from_status=before, note=note.strip())
    else:
        before = _move(case, actor=actor, to=Status.RESOLVED)
        _event(
            case, actor=actor, kind=EventKind.CLOSING_REFUSED, from_status=before, note=note.strip()
        )
    with office_language():
        text = (
            _("Case %(number)s is closed.")
            if approve
            else _("Closing case %(number)s was not approved: %(note)s")
        ) % {"number": case.number, "note": note.strip()}
    _tell(case.handler, actor, kind=Kind.CLOSING, text=text, case=case)
    return case


@transaction.atomic
def case_reopen(*, actor: User, case: Case, reason: str) -> Case:
    """A resolved or closed case starts again from open, with a new first-response target."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    _require(case, (Status.RESOLVED, Status.CLOSED), _("reopen it"))
    if not reason.strip():
        raise GardaError(_("Say why the case is reopened."), field="reason")
    before = _move(
        case,
        actor=actor,
        to=Status.OPEN,
        extra={
            "closed_at": None,
            "follow_up_on": None,
            "response_due": timezone.now() + sla_for(case.urgency).response,
        },
    )
    _event(case, actor=actor, kind=EventKind.REOPENED, from_status=before, note=reason.strip())
    return case


# --- Documents ------------------------------------------------------------------------------


@transaction.atomic
def document_add(
    *,
    actor: User,
    case: Case,
    title: str,
    file: UploadedFile,
    referral: Referral | None = None,
) -> CaseDocument:
    """Attach a checked file (see core.uploads.clean_upload) to the case or a referral of it."""
    _check_handles(actor, case.wilayah_id)
    case = _locked(case)
    if case.status == Status.CLOSED:
        raise InvalidState(_("The case is closed: reopen it to add documents."))
    if referral is not None and referral.case_id != case.pk:
        raise GardaError(_("The referral belongs to another case."), field="referral")
    document = audited_create(
        CaseDocument,
        actor=actor,
        case=case,
        referral=referral,
        title=" ".join(title.split()),
        file=file,
        uploaded_by=actor,
    )
    _event(case, actor=actor, kind=EventKind.DOCUMENT, note=document.title, referral=referral)
    return document


# --- Institutions ---------------------------------------------------------------------------


def _check_manages_institutions(actor: User, code: str) -> None:
    if not actor.can_in(Perm.MANAGE_INSTITUTIONS, code):
        raise NotAllowed(_("You may only manage institutions of your own area."), field="wilayah")


@transaction.atomic
def institution_create(*, actor: User, data: dict[str, Any]) -> Institution:
    wilayah = data["wilayah"]
    _check_manages_institutions(actor, wilayah.code)
    name = " ".join(str(data.get("name") or "").split())
    if Institution.objects.filter(name__iexact=name, wilayah=wilayah).exists():
        raise GardaError(_("An institution of this name is already listed here."), field="name")
    return audited_create(Institution, actor=actor, **{**data, "name": name})


@transaction.atomic
def institution_update(
    *, actor: User, institution: Institution, data: dict[str, Any], expected_version: int | None
) -> list[str]:
    _check_manages_institutions(actor, institution.wilayah_id)
    if "wilayah" in data:
        _check_manages_institutions(actor, data["wilayah"].code)
    if "name" in data:
        data = {**data, "name": " ".join(str(data["name"]).split())}
    return audited_update(institution, actor=actor, data=data, expected_version=expected_version)


# --- Follow-up targets ----------------------------------------------------------------------


@transaction.atomic
def sla_targets_set(*, actor: User, values: dict[str, tuple[int, int]]) -> list[str]:
    """Set the follow-up targets, {urgency: (response hours, follow-up days)}: office-wide
    settings, for Dinas (who manage institutions at district level). Returns changed urgencies."""
    district_wide = any(code.count(".") <= 1 for code in actor.areas_for(Perm.MANAGE_INSTITUTIONS))
    if not district_wide:
        raise NotAllowed(_("Only Dinas Sosial may change the follow-up targets."))
    changed = []
    for urgency, (hours, days) in values.items():
        if urgency not in Urgency.values or hours < 1 or days < 1:
            raise GardaError(_("Targets are whole numbers of at least 1."))
        current = sla_for(urgency)
        if (current.response_hours, current.follow_up_days) == (hours, days):
            continue
        row = SlaTarget.objects.filter(urgency=urgency).first()
        if row is None:
            audited_create(
                SlaTarget, actor=actor, urgency=urgency, response_hours=hours, follow_up_days=days
            )
        else:
            audited_update(row, actor=actor, data={"response_hours": hours, "follow_up_days": days})
        changed.append(urgency)
    return changed
