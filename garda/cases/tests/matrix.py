"""Authorization matrix entries of the social cases app (see garda/core/tests/matrix.py).

One case per region, walked through the real services up to a referral (so it has a plan
action, a referral and a document); in Lumut the matrix PSM opened and handles it.
"""

from typing import Any

from garda.accounts.roles import Perm
from garda.cases import services
from garda.cases.models import Case, CaseDocument, Institution, PlanAction, Referral
from garda.cases.tests.factories import assess, institution, open_case, plan, refer, upload
from garda.core.testing import LUMUT
from garda.core.tests.matrix import Ctx, Entry, page, scoped


def case_in(ctx: Ctx) -> Case:
    def make() -> Case:
        actor = ctx.world.psm if ctx.code == LUMUT else None
        case = plan(assess(open_case(code=ctx.code, actor=actor)))
        refer(case)
        case = Case.objects.get(pk=case.pk)
        services.document_add(actor=case.handler, case=case, title="Laporan", file=upload())
        return Case.objects.get(pk=case.pk)

    return ctx.world.once(("case", ctx.code), make)


def case_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": case_in(ctx).pk}


def action_kwargs(ctx: Ctx) -> dict[str, Any]:
    case = case_in(ctx)
    return {"pk": case.pk, "action_id": PlanAction.objects.filter(case=case).get().pk}


def referral_kwargs(ctx: Ctx) -> dict[str, Any]:
    case = case_in(ctx)
    return {"pk": case.pk, "referral_id": Referral.objects.filter(case=case).get().pk}


def document_kwargs(ctx: Ctx) -> dict[str, Any]:
    case = case_in(ctx)
    return {"pk": case.pk, "document_id": CaseDocument.objects.filter(case=case).get().pk}


def institution_kwargs(ctx: Ctx) -> dict[str, Any]:
    made: Institution = ctx.world.once(
        ("institution", ctx.code), lambda: institution(code=ctx.code)
    )
    return {"pk": made.pk}


def area_kwargs(ctx: Ctx) -> dict[str, Any]:
    """The case figures of the object region (a desa: its own figures, no child rows)."""
    return {"_query": f"wilayah={ctx.code}&bulan=2026-09"}


view = Perm.VIEW_CASES
handle = Perm.HANDLE_CASES
institutions = Perm.MANAGE_INSTITUTIONS

ENTRIES: dict[str, Entry] = {
    "cases:targets": page(institutions),
    "cases:institution_list": page(institutions),
    "cases:institution_create": page(institutions),
    "cases:institution_update": scoped(institutions, institution_kwargs),
    "cases:list": page(view),
    "cases:mine": page(view),
    "cases:figures": scoped(view, area_kwargs),
    "cases:figures_xlsx": scoped(view, area_kwargs),
    "cases:create": page(handle),
    "cases:detail": scoped(view, case_kwargs),
    "cases:update": scoped(handle, case_kwargs),
    "cases:subjects": scoped(handle, case_kwargs),
    "cases:assess": scoped(handle, case_kwargs),
    "cases:action_add": scoped(handle, case_kwargs),
    "cases:action_done": scoped(handle, action_kwargs),
    "cases:service_add": scoped(handle, case_kwargs),
    "cases:transfer": scoped(handle, case_kwargs),
    "cases:resolve": scoped(handle, case_kwargs),
    "cases:request_closing": scoped(handle, case_kwargs),
    "cases:decide_closing": scoped(Perm.APPROVE_CASE_CLOSING, case_kwargs),
    "cases:reopen": scoped(handle, case_kwargs),
    "cases:referral_add": scoped(handle, case_kwargs),
    "cases:referral_answer": scoped(handle, referral_kwargs),
    "cases:referral_complete": scoped(handle, referral_kwargs),
    "cases:referral_letter": scoped(view, referral_kwargs),
    "cases:document_add": scoped(handle, case_kwargs),
    "cases:document": scoped(view, document_kwargs),
}
