"""The demo population: the same on every run, valid identifiers, a second run writes nothing."""

import collections
import re

from django.db import connection

from garda.accounts.demo import build_demo_accounts
from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.nik import nik_birth_date
from garda.core.testing import BANGKA, make_user
from garda.registry.demo import (
    DUPLICATE_PAIRS,
    TODAY,
    build_demo_residents,
    plan_demo_residents,
)
from garda.registry.models import (
    Candidate,
    DuplicateCandidate,
    Individu,
    Keluarga,
    PpksStatus,
    Relation,
)
from garda.registry.search import individu_search
from garda.wilayah.models import Level, Wilayah


def _fingerprint(plan) -> list[tuple]:
    return [
        (h.no_kk, h.wilayah, h.data["desil"], tuple((m.nik, m.name, m.relation) for m in h.members))
        for h in plan
    ]


def test_the_plan_is_the_same_every_time(bangka):
    first, second = plan_demo_residents(), plan_demo_residents()
    assert _fingerprint(first) == _fingerprint(second)
    assert [m.id for h in first for m in h.members] == [m.id for h in second for m in h.members]


def test_the_plan_is_a_plausible_bangka_population(bangka):
    plan = plan_demo_residents()
    people = [m for h in plan for m in h.members]
    assert 2900 <= len(plan) <= 3300
    assert all(2 <= len(h.members) <= 6 for h in plan)
    assert all(sum(m.relation == Relation.KEPALA for m in h.members) == 1 for h in plan)
    desa = set(
        Wilayah.objects.within(BANGKA).filter(level=Level.DESA).values_list("code", flat=True)
    )
    per_desa = collections.Counter(h.wilayah for h in plan)
    assert set(per_desa) == desa == {code for code in desa if per_desa[code] >= 8}
    per_kecamatan = collections.Counter(h.wilayah[:8] for h in plan).most_common()
    assert [code for code, _count in per_kecamatan[:2]] == ["19.01.01", "19.01.02"]
    # identifiers: unique, well formed, the date and sex of the NIK agree with the person
    assert len({m.nik for m in people}) == len(people)
    assert len({h.no_kk for h in plan}) == len(plan)
    kecamatan = {code[-2:] for code in {c[:8] for c in desa}}
    for person in people:
        assert re.fullmatch(r"1901(\d\d)\d{10}", person.nik)
        assert person.nik[4:6] in kecamatan
        assert int(person.nik[12:]) >= 1
        encoded, sex = nik_birth_date(person.nik)
        assert encoded is not None
        assert sex == person.sex
        assert (encoded.day, encoded.month, encoded.year % 100) == (
            person.birth_date.day,
            person.birth_date.month,
            person.birth_date.year % 100,
        )
        assert person.birth_date < TODAY
    for household in plan:
        assert household.no_kk[:6] == "1901" + household.wilayah[6:8]
        assert int(household.no_kk[12:]) >= 1
    # desil skewed to the poor, GPS inside Bangka
    desil = collections.Counter(h.data["desil"] for h in plan if h.data["desil"])
    assert set(desil) == set(range(1, 11))
    assert sum(desil[d] for d in (1, 2, 3, 4)) > sum(desil[d] for d in (7, 8, 9, 10)) * 2
    points = [h.data for h in plan if h.data["latitude"] is not None]
    assert len(points) > len(plan) // 4
    assert all(-2.2 <= p["latitude"] <= -1.5 and 105.7 <= p["longitude"] <= 106.2 for p in points)
    # PPKS in every kecamatan, of several types
    with_ppks = {h.wilayah[:8] for h in plan if h.ppks or any(m.ppks for m in h.members)}
    assert with_ppks == {code[:8] for code in desa}
    types = {n for h in plan for n, *_dates in [*h.ppks, *(p for m in h.members for p in m.ppks)]}
    assert {2, 8, 9, 21, 23, 24} <= types


def test_build_writes_the_population_once(bangka):
    build_demo_accounts()
    result = build_demo_residents()
    assert result.created_households == result.households == Keluarga.objects.count()
    assert result.created_residents == result.residents == Individu.objects.count()
    assert result.created_ppks == PpksStatus.objects.count() > 500
    # every planned pair is in the review queue, and only those
    pairs = {
        frozenset((c.first.name, c.second.name))
        for c in DuplicateCandidate.objects.select_related("first", "second")
    }
    assert pairs == {frozenset((a, b)) for a, b, _sex, _origin in DUPLICATE_PAIRS}
    assert result.duplicates == len(DUPLICATE_PAIRS)
    assert not DuplicateCandidate.objects.exclude(status=Candidate.OPEN).exists()
    # PPKS statuses are assessed by the PSM of the desa (or the coordinator of the kecamatan)
    assert not PpksStatus.objects.filter(assessor__isnull=True).exists()
    # one audit event for the whole load
    events = AuditEvent.objects.filter(object_type="registry.keluarga")
    assert events.count() == 1
    assert events.get().changes["residents"] == [None, result.residents]
    # stored encrypted, found by the search
    with connection.cursor() as cursor:
        cursor.execute("SELECT nik FROM registry_individu")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("gAAAAA") for value in stored)
    staff = make_user(Role.STAF_DINAS, BANGKA)
    found = individu_search(fetched_by=staff, filters={"q": "Muhammad Ridwan Hakim"})
    assert {r.name for r in found} >= {"Muhammad Ridwan Hakim", "Moh. Ridwan Hakim"}

    again = build_demo_residents()
    assert (again.created_households, again.created_residents, again.created_ppks) == (0, 0, 0)
    assert Individu.objects.count() == result.residents
    assert events.count() == 1
    assert DuplicateCandidate.objects.count() == len(DUPLICATE_PAIRS)
