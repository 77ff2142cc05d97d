"""A full disk while saving an upload is a message for the user, and nothing is written."""

import errno

import pytest
from django.core.files.base import ContentFile

from garda.core.storage import GardaFileSystemStorage, StorageFull


def test_a_full_disk_is_a_clear_refusal(tmp_path, monkeypatch):
    storage = GardaFileSystemStorage(location=tmp_path)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("django.core.files.storage.filesystem.os.open", no_space)
    with pytest.raises(StorageFull) as refused:
        storage.save("foto.jpg", ContentFile(b"\xff\xd8\xff photo"))
    assert "penuh" in refused.value.message or "full" in refused.value.message
    assert list(tmp_path.iterdir()) == []


def test_other_file_errors_are_not_hidden(tmp_path, monkeypatch):
    storage = GardaFileSystemStorage(location=tmp_path)

    def denied(*args, **kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("django.core.files.storage.filesystem.os.open", denied)
    with pytest.raises(PermissionError):
        storage.save("foto.jpg", ContentFile(b"data"))
