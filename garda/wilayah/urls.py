from django.urls import path

from . import views

app_name = "wilayah"
urlpatterns = [
    path("", views.WilayahListView.as_view(), name="list"),
    path("<str:pk>/", views.WilayahDetailView.as_view(), name="detail"),
]
