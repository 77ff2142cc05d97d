"""Where uploaded files are written. A full disk becomes a message, not a server error: the
services save the file inside their transaction before the row, so nothing is recorded."""

import errno
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

from .errors import GardaError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(GardaError):
    """The server's disk (or quota) is full; the file was not saved."""


class GardaFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        try:
            return super()._save(name, content)  # type: ignore[misc]  # not in django-stubs
        except OSError as error:
            if error.errno in DISK_FULL:
                raise StorageFull(
                    _(
                        "The server's disk is full, so the file was not saved and nothing was "
                        "recorded. Tell the Dinas administrator, then try again."
                    )
                ) from error
            raise
