"""Whom an account's reads concern: the residents whose records it read, revealed or exported
between two moments, found in the audit trail.

This is `garda.registry.privacy.access_history` read backwards. That function starts from a
person and collects the events about the rows holding their data (their record and the
records merged into it, their household, their and their household's PPKS statuses, the
duplicate reviews naming them). Here we start from the events and go back to the people:

- an event about a resident's record concerns that resident, or the record it was merged into
  (`surviving_record`, the registry's own rule);
- about a household: its current members;
- about a PPKS status: its resident, or the current members of its household;
- about a duplicate review: both residents it names.

So a person is found here exactly when their access history holds a read of that account in
that window (a test checks both directions on the same data). Bulk exports that name nobody
(the BNBA list) cannot be traced to people: the officer counts those as subjects outside
the list.
"""

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from garda.accounts.models import User
from garda.audit.models import Action, AuditEvent
from garda.core.retention import READ_ACTIONS
from garda.registry.models import DuplicateCandidate, Individu, Keluarga, PpksStatus
from garda.registry.privacy import surviving_record

INDIVIDU = Individu._meta.label_lower
KELUARGA = Keluarga._meta.label_lower
PPKS = PpksStatus._meta.label_lower
CANDIDATE = DuplicateCandidate._meta.label_lower
PERSON_RECORD_TYPES = (INDIVIDU, KELUARGA, PPKS, CANDIDATE)


@dataclass
class Touch:
    """How an account touched one person's records."""

    first_at: datetime.datetime
    last_at: datetime.datetime
    events: int = 0
    read: bool = False
    revealed: bool = False
    exported: bool = False

    def add(self, action: str, at: datetime.datetime) -> None:
        self.events += 1
        self.first_at, self.last_at = min(self.first_at, at), max(self.last_at, at)
        self.read |= action == Action.VIEW
        self.revealed |= action == Action.REVEAL
        self.exported |= action == Action.EXPORT


def account_reads(
    *, account: User, start: datetime.datetime, end: datetime.datetime, area: str
) -> QuerySet[AuditEvent]:
    """The account's reads of residents' records in [start, end], recorded inside `area`."""
    return AuditEvent.objects.within(area).filter(
        actor=account,
        at__gte=start,
        at__lte=end,
        action__in=READ_ACTIONS,
        object_type__in=PERSON_RECORD_TYPES,
    )


def people_touched(events: QuerySet[AuditEvent]) -> dict[Any, Touch]:
    """Surviving resident id -> how `events` touched them. A few queries, whatever the count."""
    rows = list(events.order_by("at").values_list("action", "object_type", "object_id", "at"))
    ids: dict[str, set[uuid.UUID]] = defaultdict(set)
    for _action, object_type, object_id, _at in rows:
        if (pk := _uuid(object_id)) is not None:
            ids[object_type].add(pk)
    owners = _owners(ids)
    survivors = _survivors({pk for people in owners.values() for pk in people})
    touched: dict[Any, Touch] = {}
    for action, object_type, object_id, at in rows:
        records = owners.get((object_type, _uuid(object_id)), ())
        for pk in {survivors[record] for record in records if record in survivors}:
            touched.setdefault(pk, Touch(first_at=at, last_at=at)).add(action, at)
    return touched


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _owners(ids: dict[str, set[uuid.UUID]]) -> dict[tuple[str, Any], list[Any]]:
    """(record type, record id) -> the residents (record ids, maybe merged) it holds data of."""
    owners: dict[tuple[str, Any], list[Any]] = {(INDIVIDU, pk): [pk] for pk in ids[INDIVIDU]}
    households = set(ids[KELUARGA])
    statuses = list(
        PpksStatus.objects.filter(pk__in=ids[PPKS]).values_list("pk", "individu_id", "keluarga_id")
    )
    households |= {keluarga for _pk, _individu, keluarga in statuses if keluarga}
    members = _current_members(households)
    for pk in ids[KELUARGA]:
        owners[KELUARGA, pk] = members.get(pk, [])
    for pk, individu, keluarga in statuses:
        owners[PPKS, pk] = [individu] if individu else members.get(keluarga, [])
    for pk, first, second in DuplicateCandidate.objects.filter(pk__in=ids[CANDIDATE]).values_list(
        "pk", "first_id", "second_id"
    ):
        owners[CANDIDATE, pk] = [first, second]
    return owners


def _current_members(households: Iterable[Any]) -> dict[Any, list[Any]]:
    members: dict[Any, list[Any]] = defaultdict(list)
    for pk, keluarga in (
        Individu.objects.current().filter(keluarga__in=households).values_list("pk", "keluarga_id")
    ):
        members[keluarga].append(pk)
    return members


def _survivors(ids: set[Any]) -> dict[Any, Any]:
    """Record id -> the id of the record it lives on in (itself unless it was merged)."""
    records = Individu.objects.filter(pk__in=ids).only("pk", "merged_into_id")
    return {
        record.pk: record.pk if record.merged_into_id is None else surviving_record(record).pk
        for record in records
    }
