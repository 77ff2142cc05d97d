"""Pages of field activities, one module per capability; each exposes `urlpatterns`."""
