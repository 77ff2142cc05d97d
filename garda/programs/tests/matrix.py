"""Authorization matrix entries of the programmes app (see garda/core/tests/matrix.py).

A programme belongs to the region that runs it and is read by everyone below: its "own" object
is run by Kabupaten Bangka, its "other" one by another district (for every role, since the
next desa or kecamatan reads Bangka's programmes too). Participants, distributions, proposals
and objections live in a desa like every other record.
"""

from django.core.files.base import ContentFile

from garda.accounts.roles import Perm
from garda.core.testing import BANGKA, LUMUT, OTHER_DISTRICT
from garda.core.tests.matrix import OTHER, Ctx, Entry, page, scoped
from garda.programs.models import (
    Distribution,
    Objection,
    Period,
    Program,
    Proposal,
    ProposalStatus,
    SubmissionWindow,
)
from garda.programs.tests.factories import make_period, make_program
from garda.programs.tests.test_distributions import make_distribution
from garda.programs.tests.test_objections import file_objection
from garda.programs.tests.test_proposals import make_proposal, proposal_at
from garda.registry.tests.factories import jpeg_upload


def district(ctx: Ctx) -> str:
    return OTHER_DISTRICT if ctx.area == OTHER else BANGKA


def program_in(ctx: Ctx) -> Program:
    """A programme run by Bangka ("own"), or by another district ("other"), with a period."""

    def make() -> Program:
        program = make_program(wilayah=district(ctx))
        make_period(program)
        return program

    return ctx.world.once(("program", district(ctx)), make)


def program_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": program_in(ctx).pk}


def period_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": Period.objects.filter(program=program_in(ctx)).get().pk}


def reconciliation_kwargs(ctx: Ctx) -> dict[str, object]:
    """The reconciliation of a programme's period in the object region (?wilayah=)."""
    program = program_in(ctx)
    period = Period.objects.filter(program=program).get()
    return {"_query": f"program={program.pk}&period={period.pk}&wilayah={ctx.code}"}


def area_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"_query": f"wilayah={ctx.code}"}


def distribution_in(ctx: Ctx) -> Distribution:
    def make() -> Distribution:
        distribution = make_distribution(ctx.code)
        distribution.proof_photo.save("bukti.jpg", ContentFile(jpeg_upload().read()))
        return distribution

    return ctx.world.once(("distribution", ctx.code), make)


def distribution_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": distribution_in(ctx).pk}


def enrolment_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": distribution_in(ctx).enrolment_id}


def distribution_file_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": distribution_in(ctx).pk, "kind": "foto"}


def draft_in(ctx: Ctx) -> Proposal:
    """A draft proposal; in Lumut, the matrix PSM's own."""
    actor = ctx.world.psm if ctx.code == LUMUT else None
    return ctx.world.once(("draft", ctx.code), lambda: make_proposal(ctx.code, actor=actor))


def draft_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": draft_in(ctx).pk}


def draft_file_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": draft_in(ctx).pk, "which": "depan"}


def deliberated_in(ctx: Ctx) -> Proposal:
    return ctx.world.once(
        ("deliberated", ctx.code), lambda: proposal_at(ProposalStatus.DELIBERATED, code=ctx.code)
    )


def deliberated_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": deliberated_in(ctx).pk}


def deliberation_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": deliberated_in(ctx).deliberation_id}


def window_kwargs(ctx: Ctx) -> dict[str, object]:
    def make() -> SubmissionWindow:
        return SubmissionWindow.objects.create(wilayah_id=ctx.code, first_day=16, last_day=24)

    return {"pk": ctx.world.once(("window", ctx.code), make).pk}


def objection_kwargs(ctx: Ctx) -> dict[str, object]:
    objection: Objection = ctx.world.once(("objection", ctx.code), lambda: file_objection(ctx.code))
    return {"pk": objection.pk}


people = Perm.VIEW_PEOPLE
manage = Perm.MANAGE_PROGRAMS
enrol = Perm.ENROL
record = Perm.RECORD_DISTRIBUTIONS
propose = Perm.PROPOSE
verify = Perm.VERIFY_PROPOSALS

ENTRIES: dict[str, Entry] = {
    "programs:program_list": page(Perm.VIEW_REGIONS),
    "programs:program_create": page(manage),
    "programs:program_detail": scoped(Perm.VIEW_REGIONS, program_kwargs),
    "programs:program_update": scoped(manage, program_kwargs),
    "programs:period_add": scoped(manage, program_kwargs),
    "programs:period_update": scoped(manage, period_kwargs),
    "programs:quota_set": scoped(manage, program_kwargs),
    "programs:candidates": scoped(enrol, program_kwargs),
    "programs:enrolment_list": scoped(people, program_kwargs),
    "programs:enrolment_detail": scoped(people, enrolment_kwargs),
    "programs:enrolment_suspend": scoped(enrol, enrolment_kwargs),
    "programs:enrolment_resume": scoped(enrol, enrolment_kwargs),
    "programs:enrolment_end": scoped(enrol, enrolment_kwargs),
    "programs:distribution_list": scoped(people, area_kwargs),
    "programs:distribution_bulk": page(record, method="post", ok=302),
    "programs:distribution_upload": page(record),
    "programs:distribution_upload_template": page(record),
    # A period of a programme the user does not manage answers 404 (found by this matrix).
    "programs:distribution_plan": scoped(manage, period_kwargs, method="post", ok=302),
    "programs:distribution_detail": scoped(people, distribution_kwargs),
    "programs:distribution_record": scoped(record, distribution_kwargs),
    "programs:distribution_file": scoped(people, distribution_file_kwargs),
    "programs:reconciliation": scoped(Perm.VIEW_AGGREGATES, reconciliation_kwargs),
    "programs:reconciliation_pdf": scoped(Perm.VIEW_AGGREGATES, reconciliation_kwargs),
    "programs:reconciliation_xlsx": scoped(Perm.VIEW_AGGREGATES, reconciliation_kwargs),
    "programs:proposal_list": page(people),
    "programs:proposal_create": page(propose),
    "programs:proposal_create_kind": page(propose, build=lambda ctx: {"kind": "baru"}),
    "programs:proposal_approve": page(verify),
    "programs:proposal_export": page(verify),
    "programs:proposal_detail": scoped(people, draft_kwargs),
    "programs:proposal_update": scoped(propose, draft_kwargs),
    "programs:proposal_submit": scoped(propose, draft_kwargs, method="post", ok=302),
    "programs:proposal_verify": scoped(verify, deliberated_kwargs),
    "programs:proposal_file": scoped(people, draft_file_kwargs),
    "programs:deliberation_create": page(Perm.RECORD_DELIBERATION),
    "programs:deliberation_detail": scoped(people, deliberation_kwargs),
    "programs:deliberation_minutes": scoped(people, deliberation_kwargs),
    "programs:window_list": page(manage),
    "programs:window_create": page(manage),
    "programs:window_update": scoped(manage, window_kwargs),
    "programs:window_delete": scoped(manage, window_kwargs, method="post", ok=302),
    "programs:objection_list": page(people),
    "programs:objection_create": page(propose),
    "programs:objection_detail": scoped(people, objection_kwargs),
    "programs:objection_photo": scoped(people, objection_kwargs),
    "programs:objection_decide": scoped(verify, objection_kwargs),
}
