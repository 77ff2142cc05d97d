"""The audit trail. Services write through `audited_create` / `audited_update` / `audited_delete`,
so every write records actor, time, object and the changed fields; `audit_view` logs a read."""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from garda.core.errors import ConcurrentEdit
from garda.core.middleware import current_request_context

from .models import Action, AuditEvent

MASK = "***"


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_repr: str = "",
    wilayah_code: str = "",
    changes: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEvent:
    context = current_request_context()
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_user,
        actor_name=(str(actor_user) if actor_user else str(actor or ""))[:150],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(str(obj) if obj is not None else object_repr)[:200],
        wilayah_code=wilayah_code or (region_code_of(obj) if obj is not None else ""),
        changes=changes or {},
        reason=reason[:300],
        ip=context.ip if context else None,
        request_id=context.request_id if context else "",
    )


def region_code_of(obj: models.Model) -> str:
    """The region an object belongs to, for scoping its trail: its own code, its `wilayah`, or
    what its `audit_region_code()` says (records that belong to another record)."""
    if obj._meta.label_lower == "wilayah.wilayah":
        return str(obj.pk)
    if hasattr(obj, "audit_region_code"):
        return str(obj.audit_region_code() or "")
    return str(getattr(obj, "wilayah_id", None) or "")


def audit_view(*, actor: Any, obj: models.Model, reason: str = "") -> AuditEvent:
    """Log that `actor` opened a personal record. One call, from the view that shows it."""
    return audit_record(actor=actor, action=Action.VIEW, obj=obj, reason=reason)


def audited_create[M: models.Model](
    model: type[M], *, actor: Any, reason: str = "", **fields: Any
) -> M:
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        changes = {name: [None, _audit_value(obj, name)] for name in _field_names(obj)}
        audit_record(actor=actor, action=Action.CREATE, obj=obj, changes=changes, reason=reason)
    return obj


def audited_update(
    obj: models.Model,
    *,
    actor: Any,
    data: dict[str, Any],
    reason: str = "",
    expected_version: int | None = None,
) -> list[str]:
    """Set the fields that differ, save only those, and log before/after. Returns changed names.

    With `expected_version` (the version the editor opened), a record saved by someone else in
    between is refused with ConcurrentEdit instead of being overwritten.
    """
    with transaction.atomic():
        if expected_version is not None:
            _check_version(obj, expected_version, data)
        changes: dict[str, list[Any]] = {}
        for name, value in data.items():
            before, raw_before = _audit_value(obj, name), _raw_value(obj, name)
            setattr(obj, name, value)
            if _raw_value(obj, name) != raw_before:
                changes[name] = [before, _audit_value(obj, name)]
        if not changes:
            return []
        obj.full_clean()
        update_fields = [_attname(obj, n) for n in changes]
        concrete = {f.name for f in obj._meta.concrete_fields}
        if "version" in concrete:
            obj.version += 1  # type: ignore[attr-defined]
            update_fields.append("version")
        if "updated_at" in concrete:
            update_fields.append("updated_at")
        obj.save(update_fields=update_fields)
        audit_record(actor=actor, action=Action.UPDATE, obj=obj, changes=changes, reason=reason)
    return list(changes)


def _check_version(obj: models.Model, expected: int, data: dict[str, Any]) -> None:
    stored = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
    if stored.version == expected:  # type: ignore[attr-defined]
        return
    last = AuditEvent.objects.for_object(obj).filter(action=Action.UPDATE).first()
    masked = getattr(obj, "AUDIT_MASKED_FIELDS", ())
    differences = [
        f"{_verbose_name(stored, name)}: "
        + _("saved %(stored)s, yours %(yours)s")
        % {
            "stored": MASK if name in masked else _raw_value(stored, name),
            "yours": MASK if name in masked else value,
        }
        for name, value in data.items()
        if _raw_value(stored, name) != getattr(value, "pk", value)
    ]
    message = _(
        "%(who)s saved this record at %(when)s, after you opened it. Your changes were not "
        "saved, so nothing was overwritten. Check the current values and save again."
    ) % {
        "who": last.actor_name if last else _("Someone"),
        "when": formats.date_format(timezone.localtime(last.at), "DATETIME_FORMAT")
        if last
        else "?",
    }
    raise ConcurrentEdit(" ".join([message, *differences]))


def audited_delete(obj: models.Model, *, actor: Any, reason: str = "") -> None:
    with transaction.atomic():
        changes = {name: [_audit_value(obj, name), None] for name in _field_names(obj)}
        audit_record(actor=actor, action=Action.DELETE, obj=obj, changes=changes, reason=reason)
        obj.delete()


def _field_names(obj: models.Model) -> Iterable[str]:
    skip = {"id", "created_at", "updated_at"}
    return [f.name for f in obj._meta.concrete_fields if f.name not in skip]


def _attname(obj: models.Model, name: str) -> str:
    field = obj._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 - services only write concrete fields
    return field.attname


def _verbose_name(obj: models.Model, name: str) -> str:
    field = obj._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _raw_value(obj: models.Model, name: str) -> Any:
    return getattr(obj, _attname(obj, name))


def _audit_value(obj: models.Model, name: str) -> Any:
    """The value as stored in the trail: JSON-friendly, secrets masked."""
    if name in getattr(obj, "AUDIT_MASKED_FIELDS", ()):
        return MASK
    return _json_value(_raw_value(obj, name))


def _json_value(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value
