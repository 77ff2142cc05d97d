import importlib

import pytest
from django.apps import apps

from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
from garda.wilayah.models import Kind, Level, Wilayah

# Reference data that migrations put in (pillar types, PPKS types). A transactional test
# (the browser journeys) empties every table afterwards, so it is put back with the regions.
REFERENCE_DATA = (
    "garda.pilar.migrations.0002_pilar_types",
    "garda.registry.migrations.0002_ppks_types",
)


@pytest.fixture
def bangka(db) -> None:
    """Kabupaten Bangka (8 kecamatan, 81 desa) and, as "another district", Bangka Barat 19.02,
    with the reference data. Loaded again when a transactional test has flushed the database.
    """
    if not Wilayah.objects.filter(code="19.01").exists():
        wilayah_load(source=BANGKA_SOURCE, scope="19.01")
        Wilayah.objects.create(
            code="19.02",
            name="Kabupaten Bangka Barat",
            level=Level.KABUPATEN,
            kind=Kind.KABUPATEN,
            parent_id="19",
        )
        for module in REFERENCE_DATA:
            importlib.import_module(module).add_types(apps, None)
