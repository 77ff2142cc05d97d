"""Authorization matrix entries of the monitoring app (see garda/core/tests/matrix.py).

The dashboards are about a region named in ?wilayah=: "own" asks for Lumut, "other" for the
region just outside the visitor's area.
"""

from typing import Any

from garda.accounts.roles import Perm, Role
from garda.core.testing import LUMUT
from garda.core.tests.matrix import Ctx, Entry, page, scoped
from garda.monitoring.models import FollowUpAction, Indicator, MonitoringVisit
from garda.monitoring.tests.test_pages import action_in, visit_in
from garda.pilar.models import Pilar
from garda.pilar.tests.factories import register_psm

MONTH = "2026-09"


def area_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"_query": f"wilayah={ctx.code}&bulan={MONTH}"}


def kecamatan_kwargs(ctx: Ctx) -> dict[str, Any]:
    """Recognition and the report cover a kecamatan or more: the object region's kecamatan."""
    return {"_query": f"wilayah={'.'.join(ctx.code.split('.')[:3])}&bulan={MONTH}"}


def psm_kwargs(ctx: Ctx) -> dict[str, Any]:
    if ctx.code == LUMUT:
        pilar = Pilar.objects.get(user=ctx.world.users[Role.PSM])
    else:
        pilar = ctx.world.once(("pilar", ctx.code), lambda: register_psm(code=ctx.code))
    return {"pk": pilar.pk}


def visit_kwargs(ctx: Ctx) -> dict[str, Any]:
    """A visit of the object region's kecamatan (visits are to a kecamatan or a PSM)."""
    kecamatan = ".".join(ctx.code.split(".")[:3])
    visit: MonitoringVisit = ctx.world.once(("visit", kecamatan), lambda: visit_in(kecamatan))
    return {"pk": visit.pk}


def action_kwargs(ctx: Ctx) -> dict[str, Any]:
    kecamatan = ".".join(ctx.code.split(".")[:3])
    action: FollowUpAction = ctx.world.once(("follow-up", kecamatan), lambda: action_in(kecamatan))
    return {"pk": action.pk}


def indicator_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": Indicator.objects.order_by("pk").first().pk}  # type: ignore[union-attr]


aggregates = Perm.VIEW_AGGREGATES
people = Perm.VIEW_PEOPLE
manage = Perm.MANAGE_MONITORING
# Desa roles hold no kecamatan: the pages for a kecamatan or more find nothing for them.
DESA_ROLES_FIND_NOTHING = {f"{role}:own": 404 for role in (Role.PSM, Role.OPERATOR_DESA)}

ENTRIES: dict[str, Entry] = {
    "monitoring:dashboard": scoped(aggregates, area_kwargs),
    "monitoring:recognition": scoped(people, kecamatan_kwargs, over=DESA_ROLES_FIND_NOTHING),
    "monitoring:points": scoped(people, area_kwargs),
    # Without aggregates (the village operator), only one's own page.
    "monitoring:psm": scoped(people, psm_kwargs, over={f"{Role.OPERATOR_DESA}:own": 404}),
    # A PSM lands on their page, coordinators and Dinas on their area's board; a village
    # operator has neither.
    "monitoring:mine": page(people, ok=302, over={str(Role.OPERATOR_DESA): 404}),
    "monitoring:visits": page(aggregates),
    "monitoring:visit_create": page(manage),
    "monitoring:visit_detail": scoped(aggregates, visit_kwargs),
    "monitoring:follow_up_add": scoped(manage, visit_kwargs, method="post", ok=302),
    "monitoring:follow_up_status": scoped(manage, action_kwargs, method="post", ok=302),
    "monitoring:targets": page(manage),
    "monitoring:indicator_update": page(manage, build=indicator_kwargs),
    "monitoring:report_pdf": scoped(aggregates, kecamatan_kwargs),
    "monitoring:report_xlsx": scoped(aggregates, kecamatan_kwargs),
}
