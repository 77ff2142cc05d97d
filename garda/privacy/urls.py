from .views import affected, exports, incidents

app_name = "privacy"
urlpatterns = incidents.urlpatterns + affected.urlpatterns + exports.urlpatterns
