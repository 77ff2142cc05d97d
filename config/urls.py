from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("garda.core.urls")),
    path("", include("garda.ops.urls")),  # /health/ and /metrics
    path("akun/", include("garda.accounts.urls")),
    path("wilayah/", include("garda.wilayah.urls")),
    path("audit/", include("garda.audit.urls")),
    path("pilar/", include("garda.pilar.urls")),
    path("warga/", include("garda.registry.urls")),
    path("program/", include("garda.programs.urls")),
    path("kasus/", include("garda.cases.urls")),
    path("notifikasi/", include("garda.notifications.urls")),
    path("kegiatan/", include("garda.activities.urls")),
    path("kinerja/", include("garda.monitoring.urls")),
    path("privasi/insiden/", include("garda.privacy.urls")),
    path("api/", include("garda.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Technical admins log in through Garda's own login (throttled, audited, 2FA), not Django's.
    path(
        f"{settings.GARDA_ADMIN_PATH}/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path(f"{settings.GARDA_ADMIN_PATH}/", admin.site.urls),
]

handler403 = "garda.core.views.permission_denied"
handler404 = "garda.core.views.page_not_found"
handler500 = "garda.core.views.server_error"
