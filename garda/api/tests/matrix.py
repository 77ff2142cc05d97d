"""Authorization matrix entries of the REST API (see garda/core/tests/matrix.py).

The matrix visits with a session, like a browser client; anonymous callers get 401 (JSON), not
the login page. Writes (reveal, record) are POSTed as a form, which the JSON-only API refuses
with 415 once the caller has passed the permission and area checks: the matrix checks those.
"""

from typing import Any

from garda.accounts.roles import Perm
from garda.cases.selectors import READ_PERMISSION as CASE_PERMISSION
from garda.core.tests.matrix import Ctx, Entry, page, scoped
from garda.monitoring.tests.factories import distribution, proposal
from garda.pilar.tests.factories import register_psm
from garda.programs.models import DistributionStatus, ProposalStatus
from garda.programs.tests.factories import make_enrolment, make_program
from garda.registry.tests.factories import register_family

UNAUTHORIZED = 401
# A POST the API parsed no further than its media type: permission and area checks passed.
WRITE_OK = (400, 415)


def _household(ctx: Ctx) -> Any:
    return ctx.world.once(("keluarga", ctx.code), lambda: register_family(code=ctx.code, members=1))


def _resident(ctx: Ctx) -> Any:
    return _household(ctx).members.order_by("created_at").first()


def _pk(make: Any) -> Any:
    return lambda ctx: {"pk": make(ctx).pk}


def region(ctx: Ctx) -> dict[str, Any]:
    return {"code": ctx.code}


def worker(ctx: Ctx) -> Any:
    return ctx.world.once(("api-worker", ctx.code), lambda: register_psm(code=ctx.code))


def programme(ctx: Ctx) -> Any:
    """A programme run by the desa itself: visible there and above, invisible next door."""
    return ctx.world.once(
        ("api-programme", ctx.code),
        lambda: make_program(code=f"api-{ctx.world.serial()}", wilayah=ctx.code),
    )


def enrolment(ctx: Ctx) -> Any:
    return ctx.world.once(
        ("api-enrolment", ctx.code),
        lambda: make_enrolment(make_program(code=f"api-e-{ctx.world.serial()}"), _household(ctx)),
    )


def planned(ctx: Ctx) -> Any:
    return ctx.world.once(
        ("api-distribution", ctx.code),
        lambda: distribution(
            _household(ctx), accompanied_by=None, on=None, status=DistributionStatus.SCHEDULED
        ),
    )


def draft(ctx: Ctx) -> Any:
    return ctx.world.once(
        ("api-proposal", ctx.code),
        lambda: proposal(ctx.world.psm, ctx.code, status=ProposalStatus.DRAFT, submitted=None),
    )


def case(ctx: Ctx) -> Any:
    from garda.cases.tests.factories import open_case

    return ctx.world.once(("api-case", ctx.code), lambda: open_case(code=ctx.code))


def activity(ctx: Ctx) -> Any:
    from garda.activities.tests.factories import psm, report

    def make() -> Any:
        _pilar, user = psm(ctx.code)
        return report(user, code=ctx.code)

    return ctx.world.once(("api-activity", ctx.code), make)


def indicator(ctx: Ctx) -> dict[str, Any]:
    from garda.monitoring.models import Indicator

    return {"code": Indicator.objects.filter(is_active=True).order_by("order").first().code}  # type: ignore[union-attr]


def someone_elses_token(ctx: Ctx) -> dict[str, Any]:
    from garda.api.services import api_token_create
    from garda.core.testing import make_user

    def make() -> Any:
        owner = make_user()
        return api_token_create(actor=owner, user=owner, name="matrix")[0]

    return {"pk": ctx.world.once("api-token", make).pk}


people = Perm.VIEW_PEOPLE


def listing(perm: str) -> Entry:
    return page(perm, anonymous=UNAUTHORIZED)


def detail(perm: str, build: Any) -> Entry:
    return scoped(perm, build, anonymous=UNAUTHORIZED)


ENTRIES: dict[str, Entry] = {
    "api:region-list": listing(Perm.VIEW_REGIONS),
    "api:region-detail": detail(Perm.VIEW_REGIONS, region),
    "api:worker-list": listing(people),
    "api:worker-detail": detail(people, _pk(worker)),
    "api:household-list": listing(people),
    "api:household-detail": detail(people, _pk(_household)),
    "api:household-reveal": scoped(
        Perm.REVEAL_IDENTIFIERS,
        _pk(_household),
        method="post",
        ok=WRITE_OK,
        anonymous=UNAUTHORIZED,
    ),
    "api:resident-list": listing(people),
    "api:resident-detail": detail(people, _pk(_resident)),
    "api:resident-reveal": scoped(
        Perm.REVEAL_IDENTIFIERS,
        _pk(_resident),
        method="post",
        ok=WRITE_OK,
        anonymous=UNAUTHORIZED,
    ),
    "api:programme-list": listing(Perm.VIEW_REGIONS),
    "api:programme-detail": detail(Perm.VIEW_REGIONS, _pk(programme)),
    "api:enrolment-list": listing(people),
    "api:enrolment-detail": detail(people, _pk(enrolment)),
    "api:distribution-list": listing(people),
    "api:distribution-detail": detail(people, _pk(planned)),
    "api:distribution-record": scoped(
        Perm.RECORD_DISTRIBUTIONS,
        _pk(planned),
        method="post",
        ok=WRITE_OK,
        anonymous=UNAUTHORIZED,
    ),
    "api:proposal-list": listing(people),
    "api:proposal-detail": detail(people, _pk(draft)),
    "api:case-list": listing(CASE_PERMISSION),
    "api:case-detail": detail(CASE_PERMISSION, _pk(case)),
    "api:activity-list": listing(people),
    "api:activity-detail": detail(people, _pk(activity)),
    "api:indicator-list": listing(Perm.VIEW_AGGREGATES),
    # Indicators are definitions, not area-bound: every holder of the permission reads them.
    "api:indicator-detail": page(Perm.VIEW_AGGREGATES, anonymous=UNAUTHORIZED, build=indicator),
    "api:rollup-list": listing(Perm.VIEW_AGGREGATES),
    # The schema and docs describe the API, not its data: public.
    "api:schema": page(None, anonymous=200),
    "api:docs": page(None, anonymous=200),
    # The token page: any logged-in user (making a token needs the second factor).
    "api:tokens": page(None),
    # Only the owner revokes a token: for everyone else it does not exist.
    "api:token_revoke": page(None, method="post", ok=404, build=someone_elses_token),
}
