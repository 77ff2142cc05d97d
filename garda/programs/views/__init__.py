"""Pages of the aid programmes, one module per capability; each exposes `urlpatterns`."""
