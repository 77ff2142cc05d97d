"""Typed errors raised by services. Views turn them into messages; nothing else catches them."""

from typing import Any

from django.core.exceptions import ValidationError


class GardaError(Exception):
    """A refusal that the user can understand and act on; the message is already translated."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_validation_error(self) -> ValidationError:
        if self.field:
            return ValidationError({self.field: self.message})
        return ValidationError(self.message)


class NotAllowed(GardaError):
    """The actor may not do this here (outside their area or beyond their role)."""


class InvalidState(GardaError):
    """The step is not allowed from the object's current state."""


class ConcurrentEdit(GardaError):
    """Someone saved the record after this user opened it; nothing of theirs was overwritten."""


class SyncConflict(ConcurrentEdit):
    """A record sent from a phone changed on the server since the phone last saw it: both
    versions attached (plain JSON values), for the person to choose which to keep."""

    def __init__(self, message: str, *, server: dict[str, Any], yours: dict[str, Any]) -> None:
        super().__init__(message)
        self.server = server
        self.yours = yours


class Duplicate(GardaError):
    """The record exists already; `existing` is it, for a link to the existing profile."""

    def __init__(self, message: str, *, field: str | None = None, existing: object = None) -> None:
        super().__init__(message, field=field)
        self.existing = existing
