from .views import cases, documents, figures, institutions, referrals, workflow

app_name = "cases"
urlpatterns = (
    institutions.urlpatterns
    + cases.urlpatterns
    + workflow.urlpatterns
    + referrals.urlpatterns
    + documents.urlpatterns
    + figures.urlpatterns
)
