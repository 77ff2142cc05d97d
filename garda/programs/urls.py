from .views import catalogue, distributions, enrolment, objections, proposals

app_name = "programs"
urlpatterns = (
    catalogue.urlpatterns
    + enrolment.urlpatterns
    + distributions.urlpatterns
    + proposals.urlpatterns
    + objections.urlpatterns
)
