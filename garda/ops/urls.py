from . import views

app_name = "ops"
urlpatterns = views.urlpatterns
