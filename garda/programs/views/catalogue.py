"""Placeholder: filled by the catalogue capability."""

urlpatterns: list = []
