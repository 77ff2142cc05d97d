from .views import duplicates, imports, privacy, residents

app_name = "registry"
urlpatterns = (
    residents.urlpatterns + duplicates.urlpatterns + privacy.urlpatterns + imports.urlpatterns
)
