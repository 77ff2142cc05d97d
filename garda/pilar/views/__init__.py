"""Pages of the social pillars registry, one module per capability; each exposes `urlpatterns`."""
