"""The `rupiah` filter, a template builtin (settings TEMPLATES): `{{ amount|rupiah }}`."""

from django import template

from garda.core.money import rupiah

register = template.Library()
register.filter("rupiah", rupiah)
