"""Pages of the social cases, one module per capability; each exposes `urlpatterns`."""
