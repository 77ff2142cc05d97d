from .views import meetings, monthly, proposals, reports, sync

app_name = "activities"
urlpatterns = (
    sync.urlpatterns
    + proposals.urlpatterns
    + meetings.urlpatterns
    + monthly.urlpatterns
    + reports.urlpatterns
)
