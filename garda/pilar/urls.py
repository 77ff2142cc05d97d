from .views import coverage, imports, profiles

app_name = "pilar"
urlpatterns = profiles.urlpatterns + imports.urlpatterns + coverage.urlpatterns
