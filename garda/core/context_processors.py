from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from garda.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    permission: str | None


NAV = [
    (_("Home"), "core:home", None),
    (_("Regions"), "wilayah:list", Perm.VIEW_REGIONS),
    (_("New report"), "activities:capture", Perm.REPORT_ACTIVITIES),
    (_("Activities"), "activities:list", Perm.VIEW_PEOPLE),
    (_("Residents"), "registry:search", Perm.VIEW_PEOPLE),
    (_("Cases"), "cases:list", Perm.VIEW_CASES),
    (_("Referral institutions"), "cases:institution_list", Perm.MANAGE_INSTITUTIONS),
    (_("Programmes"), "programs:program_list", Perm.VIEW_REGIONS),
    (_("Proposals"), "programs:proposal_list", Perm.VIEW_PEOPLE),
    (_("Objections"), "programs:objection_list", Perm.VIEW_PEOPLE),
    (_("Distributions"), "programs:distribution_list", Perm.RECORD_DISTRIBUTIONS),
    (_("Reconciliation"), "programs:reconciliation", Perm.VIEW_AGGREGATES),
    (_("PSM performance"), "monitoring:dashboard", Perm.VIEW_AGGREGATES),
    (_("My performance"), "monitoring:mine", Perm.REPORT_ACTIVITIES),
    (_("Social workers"), "pilar:list", Perm.VIEW_PEOPLE),
    (_("Coverage"), "pilar:coverage", Perm.VIEW_AGGREGATES),
    (_("Users"), "accounts:user_list", Perm.MANAGE_USERS),
    (_("Audit trail"), "audit:list", Perm.VIEW_AUDIT),
    (_("Notifications"), "notifications:list", Perm.VIEW_REGIONS),
]


def navigation(request: HttpRequest) -> dict:
    """The menu a user sees: only what their roles allow somewhere."""
    user = getattr(request, "user", None)
    items: list[NavItem] = []
    if user is not None and user.is_authenticated:
        items = [
            NavItem(label, reverse(name), perm)
            for label, name, perm in NAV
            if perm is None or user.has_garda_perm(perm)
        ]
    return {"nav_items": items, "office_name": settings.GARDA_OFFICE_NAME}
