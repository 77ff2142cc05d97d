from .views import dashboards, psm, reports, targets, visits

app_name = "monitoring"
urlpatterns = (
    dashboards.urlpatterns
    + psm.urlpatterns
    + visits.urlpatterns
    + targets.urlpatterns
    + reports.urlpatterns
)
