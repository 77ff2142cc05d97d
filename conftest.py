import importlib

import pytest
from django.apps import apps
from django.utils import translation

from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
from garda.wilayah.models import Kind, Level, Wilayah

# Reference data that migrations put in (pillar types, PPKS types). A transactional test
# (the browser journeys) empties every table afterwards, so it is put back with the regions.
REFERENCE_DATA = (
    ("garda.pilar.migrations.0002_pilar_types", "add_types"),
    ("garda.registry.migrations.0002_ppks_types", "add_types"),
    ("garda.programs.migrations.0002_national_programmes", "add_programmes"),
    ("garda.activities.migrations.0002_activity_types", "add_types"),
    ("garda.monitoring.migrations.0002_indicators", "add_indicators"),
)


@pytest.fixture
def bangka(db) -> None:
    """Kabupaten Bangka (8 kecamatan, 81 desa) and, as "another district", Bangka Barat 19.02,
    with the reference data. Loaded again when a transactional test has flushed the database.
    """
    load_bangka()


def load_bangka() -> None:
    """What the `bangka` fixture loads, for module-scoped fixtures that build once."""
    if not Wilayah.objects.filter(code="19.01").exists():
        wilayah_load(source=BANGKA_SOURCE, scope="19.01")
        Wilayah.objects.create(
            code="19.02",
            name="Kabupaten Bangka Barat",
            level=Level.KABUPATEN,
            kind=Kind.KABUPATEN,
            parent_id="19",
        )
        for module, function in REFERENCE_DATA:
            getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def english(settings):
    """For modules that assert Garda's English wording (the msgids) of pages and refusals:
    `pytestmark = pytest.mark.usefixtures("english")`. The Indonesian catalogue is checked as a
    whole by garda/core/tests/test_translations.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
