"""The demo's social pillars: the coverage names exactly the desa left uncovered, the data is
consistent (history rows, accounts, officers, decrees, NIKs), and a second run adds nothing."""

import re
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, Max, Q

from conftest import load_bangka
from garda.accounts.demo import build_demo_accounts
from garda.accounts.models import User
from garda.audit.models import AuditEvent
from garda.core.nik import check_nik
from garda.core.testing import BANGKA, BELINYU, client_for
from garda.wilayah.models import Level, Wilayah

from ..coverage import coverage_by_area
from ..demo import SK_SIGNED_BY, UNCOVERED_DESA, build_demo_pillars, demo_plan
from ..models import (
    PSM,
    TKSK,
    Decree,
    IpsmOfficer,
    Pilar,
    Placement,
    Position,
    Status,
    StatusEvent,
    Training,
    TrainingKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The pillars' part of the demo built once for the module, twice (the second run must add
    nothing), then removed."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_bangka()
        build_demo_accounts()
        first = build_demo_pillars()
        counts = _counts()
        second = build_demo_pillars()
        yield first, second, counts
        transaction.set_rollback(True)


@pytest.fixture
def demo(built):
    return User.objects.get(username="admin")


def _counts() -> tuple[int, ...]:
    models = (Pilar, StatusEvent, Placement, Decree, Training, IpsmOfficer, AuditEvent)
    return tuple(model.objects.count() for model in models)


def test_coverage_names_exactly_the_uncovered_desa(demo):
    response = client_for(demo).get("/pilar/cakupan/")
    [section] = response.context["sections"]
    assert {u.desa.code for u in section.uncovered} == set(UNCOVERED_DESA)
    assert (section.total.villages, section.total.covered) == (81, 81 - len(UNCOVERED_DESA))
    summary = response.content.decode().split('class="uncovered-list"')[1].split("</p>")[0]
    named = re.findall(r'<span class="uncovered">([^<]+)</span>', summary)
    assert sorted(named) == sorted(UNCOVERED_DESA.values())
    by_kecamatan = {row.area.name: row.uncovered for row in section.rows if row.uncovered}
    assert by_kecamatan == {"Merawang": 1, "Mendo Barat": 2, "Riau Silip": 2}


def test_coordinator_of_belinyu_sees_every_desa_covered(demo):
    coordinator = User.objects.get(username="koord.belinyu")
    [section] = coverage_by_area(user=coordinator, areas=[Wilayah.objects.get(code=BELINYU)])
    assert section.uncovered == []
    assert section.total.covered == 12


def test_members_have_consistent_history(demo):
    members = Pilar.objects.annotate(
        events=Count("status_events", distinct=True),
        open_places=Count("placements", filter=Q(placements__end__isnull=True), distinct=True),
    )
    assert members.count() == len(demo_plan())
    assert all(m.events >= 1 and m.open_places == 1 for m in members)
    for member in Pilar.objects.exclude(status=Status.AKTIF).exclude(jenis__code="karang_taruna"):
        last = member.status_events.order_by("-effective_on", "-created_at").first()
        assert last is not None and last.to_status == member.status and last.reason
    statuses = Counter(Pilar.objects.filter(jenis__code=PSM).values_list("status", flat=True))
    assert statuses[Status.CALON] >= 1
    assert statuses[Status.NONAKTIF] >= 1
    assert statuses[Status.BERHENTI] >= 1
    placements = Placement.objects.filter(end__isnull=True).values_list("pilar__wilayah", "wilayah")
    assert all(a == b for a, b in placements)


def test_psm_profiles_accounts_and_decrees(demo):
    active = Pilar.objects.filter(jenis__code=PSM, status=Status.AKTIF)
    per_desa = Counter(active.values_list("wilayah_id", flat=True))
    assert sum(1 for n in per_desa.values() if n == 2) >= 3
    for user in User.objects.filter(username__startswith="psm."):
        profile = Pilar.objects.get(user=user)
        assert (profile.jenis.code, profile.status) == (PSM, Status.AKTIF)
        assert profile.wilayah_id == user.wilayah_id and profile.name == user.name
    decrees = Decree.objects.filter(pilar__in=active)
    assert decrees.count() == active.count()
    assert set(decrees.values_list("signed_by", flat=True)) == {SK_SIGNED_BY}
    assert all(
        re.fullmatch(r"188\.45/\d+/DINSOS/2025", number)
        for number in decrees.values_list("number", flat=True)
    )
    assert not Decree.objects.exclude(pilar__in=active).exists()
    assert not Decree.objects.exclude(scan="").exists()
    trainings = active.annotate(n=Count("trainings"))
    assert 0 < trainings.filter(n=0).count() <= 5
    assert Training.objects.filter(kind=TrainingKind.BSD).exists()
    assert Training.objects.filter(kind=TrainingKind.BIMTEK_DASAR).count() > 60


def test_other_pillars_and_officers(demo):
    tksk = Pilar.objects.filter(jenis__code=TKSK)
    assert sorted(tksk.values_list("wilayah_id", flat=True)) == sorted(
        Wilayah.objects.filter(level=Level.KECAMATAN, parent_id=BANGKA).values_list(
            "code", flat=True
        )
    )
    assert not tksk.filter(user__isnull=False).exists()
    tagana_levels = {p.wilayah.level for p in Pilar.objects.filter(jenis__code="tagana")}
    assert tagana_levels == {Level.KABUPATEN, Level.KECAMATAN}
    karang_taruna = Pilar.objects.filter(jenis__code="karang_taruna")
    assert karang_taruna.count() >= 10
    assert not karang_taruna.exclude(nik="").exists()
    officers = IpsmOfficer.objects.select_related("pilar__user", "pilar__jenis")
    district = officers.filter(wilayah_id=BANGKA)
    assert set(district.values_list("position", flat=True)) == {
        Position.KETUA,
        Position.SEKRETARIS,
        Position.BENDAHARA,
    }
    chairs = officers.filter(wilayah__level=Level.KECAMATAN, position=Position.KETUA)
    assert chairs.count() == 8
    for chair in chairs:
        assert chair.pilar.jenis.code == PSM
        assert chair.pilar.wilayah.parent_id == chair.wilayah_id
        assert chair.pilar.user is not None and chair.pilar.user.username.startswith("koord.")


def test_niks_are_valid_bangka_niks_and_unique(demo):
    people = Pilar.objects.exclude(nik="")
    niks = [p.nik for p in people]
    assert len(set(niks)) == len(niks) == people.count()
    for person in people:
        assert person.nik.startswith("1901")
        check = check_nik(person.nik, birth_date=person.birth_date, sex=person.sex)
        assert (check.errors, check.warnings) == ([], []), person.nik
    assert people.aggregate(last=Max("birth_date"))["last"].year < 2008


def test_running_twice_creates_nothing(built):
    first, second, counts_after_first = built
    assert first.created == first.members > 0
    assert (second.created, second.members) == (0, first.members)
    assert _counts() == counts_after_first


def test_plan_is_deterministic(bangka):
    first = [(m.jenis, m.wilayah.code, m.data["name"], m.data.get("nik")) for m in demo_plan()]
    second = [(m.jenis, m.wilayah.code, m.data["name"], m.data.get("nik")) for m in demo_plan()]
    assert first == second
