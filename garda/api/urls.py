"""/api/: the REST API v1 under /api/v1/, its OpenAPI schema and docs, the token page."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from . import pages, views

app_name = "api"

DESCRIPTION = """REST API v1 of Garda (Dinas Sosial). Every endpoint shows what the caller's
roles show on the pages: the same areas and permissions.

* **Authentication**: `Authorization: Token <key>` with a personal token made on the page
  /api/token/ (after two-factor authentication), or the browser session. No credentials:
  401; a role without the permission: 403; a record outside the caller's areas: 404.
* **Personal identifiers** (NIK, No KK) are always masked. Holders of the reveal permission
  ask for one full identifier with a reason (`POST .../reveal/`), which is logged.
* **Errors**: `{"detail": "...", "code": "..."}`, plus `errors` (field -> messages) for
  invalid input. Indonesian by default; English with `?lang=en` or `Accept-Language: en`.
* **Paging**: `?limit=` (1-200, default 50) and `?offset=`.
* **Rate limits** per user (and per address without a login): 429 with `Retry-After`.
"""


class Router(DefaultRouter):
    include_root_view = False


router = Router(trailing_slash=True)
router.register("regions", views.RegionViewSet, basename="region")
router.register("workers", views.WorkerViewSet, basename="worker")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("residents", views.ResidentViewSet, basename="resident")
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("enrolments", views.EnrolmentViewSet, basename="enrolment")
router.register("distributions", views.DistributionViewSet, basename="distribution")
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("cases", views.CaseViewSet, basename="case")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("rollups", views.RollupViewSet, basename="rollup")

urlpatterns = [
    path("v1/", include(router.urls)),
    # The schema and docs describe the API, not its data: readable without logging in.
    path(
        "schema/",
        SpectacularAPIView.as_view(
            permission_classes=[AllowAny], custom_settings={"DESCRIPTION": DESCRIPTION}
        ),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema",
            template_name="api/swagger_ui.html",
            permission_classes=[AllowAny],
        ),
        name="docs",
    ),
    path("token/", pages.TokenListView.as_view(), name="tokens"),
    path("token/<int:pk>/cabut/", pages.TokenRevokeView.as_view(), name="token_revoke"),
]
