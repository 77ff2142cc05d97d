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
    current: bool = False


@dataclass(frozen=True)
class NavGroup:
    """A heading of the menu and what the user may open under it. Without a label (or with one
    item) its links stand in the bar themselves."""

    label: str | Promise | None
    items: list[NavItem]

    @property
    def current(self) -> bool:
        return any(item.current for item in self.items)


# The menu by kind of work, so a Dinas administrator's eighteen pages fit in one bar.
NAV: list[tuple[str | Promise | None, list[tuple[str | Promise, str, Perm | None]]]] = [
    (None, [(_("Home"), "core:home", None)]),
    (
        _("Field work"),
        [
            (_("New report"), "activities:capture", Perm.REPORT_ACTIVITIES),
            (_("Activities"), "activities:list", Perm.VIEW_PEOPLE),
            (_("Cases"), "cases:list", Perm.VIEW_CASES),
            (_("Referral institutions"), "cases:institution_list", Perm.MANAGE_INSTITUTIONS),
        ],
    ),
    (
        _("Residents and aid"),
        [
            (_("Residents"), "registry:search", Perm.VIEW_PEOPLE),
            (_("Programmes"), "programs:program_list", Perm.VIEW_REGIONS),
            (_("Proposals"), "programs:proposal_list", Perm.VIEW_PEOPLE),
            (_("Objections"), "programs:objection_list", Perm.VIEW_PEOPLE),
            (_("Distributions"), "programs:distribution_list", Perm.RECORD_DISTRIBUTIONS),
            (_("Reconciliation"), "programs:reconciliation", Perm.VIEW_AGGREGATES),
        ],
    ),
    (
        _("Social workers"),
        [
            (_("PSM performance"), "monitoring:dashboard", Perm.VIEW_AGGREGATES),
            (_("My performance"), "monitoring:mine", Perm.REPORT_ACTIVITIES),
            (_("Social workers"), "pilar:list", Perm.VIEW_PEOPLE),
            (_("Coverage"), "pilar:coverage", Perm.VIEW_AGGREGATES),
        ],
    ),
    (
        _("Administration"),
        [
            (_("Regions"), "wilayah:list", Perm.VIEW_REGIONS),
            (_("Users"), "accounts:user_list", Perm.MANAGE_USERS),
            (_("Audit trail"), "audit:list", Perm.VIEW_AUDIT),
            (_("Personal data incidents"), "privacy:list", Perm.VIEW_PRIVACY),
        ],
    ),
    (None, [(_("Notifications"), "notifications:list", Perm.VIEW_REGIONS)]),
]


def navigation(request: HttpRequest) -> dict:
    """The menu a user sees: only what their roles allow somewhere, by group."""
    user = getattr(request, "user", None)
    groups: list[NavGroup] = []
    if user is not None and user.is_authenticated:
        for label, entries in NAV:
            items = [
                NavItem(name, url, request.path == url)
                for name, url in (
                    (name, reverse(route))
                    for name, route, perm in entries
                    if perm is None or user.has_garda_perm(perm)
                )
            ]
            if items:
                groups.append(NavGroup(label, items))
    return {"nav_groups": groups, "office_name": settings.GARDA_OFFICE_NAME}
