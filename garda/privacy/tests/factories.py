"""Incidents made by the real services, by a Dinas administrator of the district."""

import datetime
from typing import Any

from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import OTHER_DISTRICT, make_user, other_district
from garda.wilayah.models import Wilayah

from .. import services
from ..models import DataKind, Incident

HOUR = datetime.timedelta(hours=1)


def district_of(code: str) -> str:
    return ".".join(code.split(".")[:2])


def privacy_admin(code: str) -> User:
    """A Dinas administrator of the district holding `code`."""
    district = district_of(code)
    if district == OTHER_DISTRICT:
        other_district()
    return make_user(Role.ADMIN_DINAS, district)


def record_incident(code: str = "19.01", *, actor: User | None = None, **fields: Any) -> Incident:
    """An incident of the district holding `code`, discovered an hour ago."""
    actor = actor or privacy_admin(code)
    data: dict[str, Any] = {
        "title": "HP PSM hilang di Belinyu",
        "discovered_at": timezone.now() - HOUR,
        "reported_by": actor,
        "description": "HP dinas PSM Lumut hilang di pasar; akun Garda masih masuk.",
        "data_kinds": [DataKind.NAMES_ADDRESSES, DataKind.IDENTITY_NUMBERS],
        **fields,
    }
    return services.incident_record(
        actor=actor, wilayah=Wilayah.objects.get(code=district_of(code)), **data
    )


def advance(incident: Incident, to_status: str, *, actor: User, **kwargs: Any) -> Incident:
    incident.refresh_from_db()
    kwargs.setdefault("note", "Selesai.")
    return services.incident_advance(
        actor=actor,
        incident=incident,
        to_status=to_status,
        expected_version=incident.version,
        **kwargs,
    )
