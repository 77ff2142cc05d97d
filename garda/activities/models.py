"""Placeholder: the models arrive with the capability."""
