from .views import cases, documents, institutions, referrals, workflow

app_name = "cases"
urlpatterns = (
    institutions.urlpatterns
    + cases.urlpatterns
    + workflow.urlpatterns
    + referrals.urlpatterns
    + documents.urlpatterns
)
