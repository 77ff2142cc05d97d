import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Chunked uploads keep their parts on disk under MEDIA_ROOT: a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
