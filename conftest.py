import pytest

from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
from garda.wilayah.models import Kind, Level, Wilayah


@pytest.fixture
def bangka(db) -> None:
    """Kabupaten Bangka (8 kecamatan, 81 desa) and, as "another district", Bangka Barat 19.02.

    Loaded again when a transactional test has flushed the database.
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
