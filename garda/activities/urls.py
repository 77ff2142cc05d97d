from .views import meetings, monthly, reports, sync

app_name = "activities"
urlpatterns = sync.urlpatterns + meetings.urlpatterns + monthly.urlpatterns + reports.urlpatterns
