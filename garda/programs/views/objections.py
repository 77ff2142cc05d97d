"""Placeholder: filled by the objections capability."""

urlpatterns: list = []
