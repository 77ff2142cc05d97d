"""Placeholder: filled by the distributions capability."""

urlpatterns: list = []
