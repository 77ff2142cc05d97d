"""Rupiah is written one way everywhere: grouped as the reader's language groups numbers."""

import pytest
from django.template import engines
from django.utils import translation

from garda.core.money import rupiah


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("id", 1_500_000, "Rp 1.500.000"),
        ("en", 1_500_000, "Rp 1,500,000"),
        ("id", 750, "Rp 750"),
        ("id", 0, "Rp 0"),
        ("id", None, "—"),
    ],
)
def test_rupiah_groups_as_the_language_does(language, value, expected):
    with translation.override(language):
        assert rupiah(value) == expected


def test_every_template_has_the_filter_without_loading_it():
    template = engines["django"].from_string("{{ amount|rupiah }}")
    with translation.override("id"):
        assert template.render({"amount": 300_000}) == "Rp 300.000"
