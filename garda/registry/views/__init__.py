"""Pages of the residents registry, one module per capability; each exposes `urlpatterns`."""
