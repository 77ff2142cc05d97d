"""Placeholder: filled by the enrolment capability."""

urlpatterns: list = []
