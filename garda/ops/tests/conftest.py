import pytest

from garda.core.testing import BANGKA, BELINYU, LUMUT
from garda.wilayah.models import Kind, Level, Wilayah


@pytest.fixture
def district(db) -> None:
    """Only the regions these tests name (the province, Bangka, Belinyu, Lumut): loading the
    whole district, as the `bangka` fixture does, costs more than the tests themselves."""
    for code, name, level, kind, parent in (
        ("19", "Kepulauan Bangka Belitung", Level.PROVINSI, Kind.PROVINSI, None),
        (BANGKA, "Kabupaten Bangka", Level.KABUPATEN, Kind.KABUPATEN, "19"),
        (BELINYU, "Belinyu", Level.KECAMATAN, Kind.KECAMATAN, BANGKA),
        (LUMUT, "Lumut", Level.DESA, Kind.DESA, BELINYU),
    ):
        Wilayah.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "kind": kind, "parent_id": parent}
        )
