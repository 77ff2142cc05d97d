"""Authorization matrix entries of the personal-data incidents (see garda/core/tests/matrix.py).

An incident belongs to a district: "own" is the district of Lumut, "other" the district of
the object region (another district for the Dinas roles; every other role is refused with 403
whatever the region, since only Dinas administrators and the head of office hold the
permissions).
"""

from typing import Any

from django.utils import timezone

from garda.accounts.roles import Perm
from garda.core.tests.matrix import Ctx, Entry, page, scoped

from .. import services
from ..models import AffectedSearch, Incident
from .factories import HOUR, district_of, privacy_admin, record_incident

READ = Perm.VIEW_PRIVACY
MANAGE = Perm.MANAGE_PRIVACY


def incident_in(ctx: Ctx) -> Incident:
    district = district_of(ctx.code)
    return ctx.world.once(("incident", district), lambda: record_incident(district))


def incident_kwargs(ctx: Ctx) -> dict[str, Any]:
    return {"pk": incident_in(ctx).pk}


def search_kwargs(ctx: Ctx) -> dict[str, Any]:
    incident = incident_in(ctx)

    def search() -> AffectedSearch:
        actor = privacy_admin(incident.wilayah_id)
        return services.affected_find(
            actor=actor,
            incident=incident,
            account=actor,
            start=timezone.now() - HOUR,
            end=timezone.now(),
        )

    made: AffectedSearch = ctx.world.once(("incident search", incident.pk), search)
    return {"incident": incident.pk, "pk": made.pk}


ENTRIES: dict[str, Entry] = {
    "privacy:list": page(READ),
    "privacy:create": page(MANAGE),
    "privacy:detail": scoped(READ, incident_kwargs),
    "privacy:update": scoped(MANAGE, incident_kwargs),
    "privacy:step": scoped(MANAGE, incident_kwargs),
    "privacy:find": scoped(MANAGE, incident_kwargs),
    # Removing needs a reason: without one it answers with a message and the page (302).
    "privacy:search_remove": scoped(MANAGE, search_kwargs, method="post", ok=302),
    "privacy:letter_pdf": scoped(READ, incident_kwargs),
    "privacy:subjects_xlsx": scoped(READ, incident_kwargs),
}
