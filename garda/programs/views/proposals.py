"""Placeholder: filled by the proposals capability."""

urlpatterns: list = []
