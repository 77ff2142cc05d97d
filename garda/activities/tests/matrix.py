"""Authorization matrix entries of the field activities app (see garda/core/tests/matrix.py).

Per region: a PSM serving there (in Lumut, the matrix PSM), a draft report of theirs with a
photo, a submitted report, and a meeting with its attendance sheet.
"""

import uuid
from typing import Any

from garda.accounts.roles import Perm, Role
from garda.activities import services
from garda.activities.models import Activity, Meeting, Photo
from garda.activities.tests import factories as f
from garda.core.testing import LUMUT, make_user
from garda.core.tests.matrix import Ctx, Entry, page, public, scoped
from garda.pilar.models import Pilar
from garda.pilar.tests.factories import psm_with_account
from garda.programs.models import Proposal, ProposalKind
from garda.programs.services.proposals import proposal_create
from garda.programs.tests.test_proposals import new_entry_data

JSON_ANONYMOUS = 401


def reporter(ctx: Ctx) -> Pilar:
    if ctx.code == LUMUT:
        return Pilar.objects.get(user=ctx.world.users[Role.PSM])
    return ctx.world.once(("reporter", ctx.code), lambda: psm_with_account(code=ctx.code))


def draft_in(ctx: Ctx) -> Activity:
    def make() -> Activity:
        user = reporter(ctx).user
        assert user is not None
        activity = f.report(user, code=ctx.code)
        services.photo_add(
            actor=user, activity=activity, upload=f.jpeg_upload(), client_uuid=uuid.uuid4()
        )
        return activity

    return ctx.world.once(("draft-report", ctx.code), make)


def submitted_in(ctx: Ctx) -> Activity:
    def make() -> Activity:
        user = reporter(ctx).user
        assert user is not None
        return f.report(user, code=ctx.code, submit=True)

    return ctx.world.once(("submitted-report", ctx.code), make)


def draft_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": draft_in(ctx).pk}


def submitted_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": submitted_in(ctx).pk}


def photo_kwargs(ctx: Ctx) -> dict[str, Any]:
    activity = draft_in(ctx)
    return {"pk": activity.pk, "photo_id": Photo.objects.filter(activity=activity).get().pk}


def chunk_kwargs(ctx: Ctx) -> dict[str, Any]:
    """The upload state of a new photo of the report (the report is named in the query)."""
    return {"file": uuid.UUID(int=1), "_query": f"laporan={draft_in(ctx).client_uuid}"}


def evidence_kwargs(ctx: Ctx) -> dict[str, Any]:
    """The upload state of a house photo of a proposal drafted on a phone (in Lumut, the
    matrix PSM's own)."""

    def make() -> Proposal:
        actor = ctx.world.psm if ctx.code == LUMUT else make_user(Role.PSM, ctx.code)
        return proposal_create(
            actor=actor,
            kind=ProposalKind.NEW_ENTRY,
            data=new_entry_data(ctx.code),
            client_uuid=uuid.uuid4(),
        )

    proposal = ctx.world.once(("phone-proposal", ctx.code), make)
    return {
        "file": uuid.UUID(int=1),
        "_query": f"usulan={proposal.client_uuid}&berkas=photo_front",
    }


def meeting_kwargs(ctx: Ctx) -> dict[str, Any]:
    def make() -> Meeting:
        import datetime

        from django.utils import timezone

        from garda.wilayah.models import Wilayah

        user = reporter(ctx).user
        assert user is not None
        meeting, _ = services.meeting_record(
            actor=user,
            client_uuid=uuid.uuid4(),
            data={
                "wilayah": Wilayah.objects.get(code=ctx.code),
                "held_at": timezone.now() - datetime.timedelta(days=2),
                "place": "Balai desa",
                "agenda": "Koordinasi penyaluran",
            },
            attendees=[],
            tasks=[],
            attendance_sheet=f.jpeg_upload(),
        )
        return meeting

    return {"pk": ctx.world.once(("meeting", ctx.code), make).pk}


def monthly_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": reporter(ctx).pk, "year": 2026, "month": 3}


def summary_kwargs(ctx: Ctx) -> dict[str, Any]:
    """The summary of the object region's kecamatan (summaries are per kecamatan)."""
    return {"code": ".".join(ctx.code.split(".")[:3]), "year": 2026, "month": 3}


people = Perm.VIEW_PEOPLE
report = Perm.REPORT_ACTIVITIES
verify = Perm.VERIFY_ACTIVITIES
propose = Perm.PROPOSE
# A report is edited by whoever wrote it: others who may report are refused.
NOT_THE_REPORTER = {f"{role}:own": 403 for role in (Role.ADMIN_DINAS, Role.KOORDINATOR)}
# "My monthly report" needs a member profile; without one there is nothing to show.
NO_PROFILE: dict[str, int] = dict.fromkeys((Role.ADMIN_DINAS, Role.KOORDINATOR), 404)

ENTRIES: dict[str, Entry] = {
    # The offline app's shell: no data, served to anybody.
    "activities:service_worker": public(),
    "activities:manifest": public(),
    # The offline pages serve who reports activities or drafts proposals.
    "activities:sync_session": page((report, propose), anonymous=JSON_ANONYMOUS),
    "activities:sync_activity": page(report, method="post", ok=400, anonymous=JSON_ANONYMOUS),
    "activities:sync_photo": scoped(report, chunk_kwargs, anonymous=JSON_ANONYMOUS),
    "activities:sync_proposal": page(propose, method="post", ok=400, anonymous=JSON_ANONYMOUS),
    "activities:sync_evidence": scoped(propose, evidence_kwargs, anonymous=JSON_ANONYMOUS),
    "activities:capture_proposal": page(propose),
    "activities:meeting_list": page(people),
    "activities:meeting_create": page(report),
    "activities:meeting_detail": scoped(people, meeting_kwargs),
    "activities:meeting_sheet": scoped(people, meeting_kwargs),
    "activities:monthly_mine": page(report, ok=302, over=NO_PROFILE),
    "activities:monthly": scoped(people, monthly_kwargs),
    "activities:monthly_pdf": scoped(people, monthly_kwargs),
    "activities:monthly_xlsx": scoped(people, monthly_kwargs),
    "activities:summary_mine": page(verify, ok=302),
    "activities:summary": scoped(verify, summary_kwargs),
    "activities:summary_pdf": scoped(verify, summary_kwargs),
    "activities:summary_xlsx": scoped(verify, summary_kwargs),
    "activities:list": page(people),
    "activities:capture": page(report),
    "activities:review": page(verify),
    "activities:detail": scoped(people, draft_kwargs),
    "activities:update": scoped(report, draft_kwargs, over=NOT_THE_REPORTER),
    "activities:submit": scoped(report, draft_kwargs, method="post", ok=302),
    "activities:verify": scoped(verify, submitted_kwargs, method="post", ok=302),
    "activities:return": scoped(verify, submitted_kwargs),
    "activities:photo": scoped(people, photo_kwargs),
}
