"""The programme catalogue: programmes with their rules, periods and quotas, who may manage
them, and the pages that show and change them."""

import datetime
from typing import Any

import pytest

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, NotAllowed
from garda.core.testing import (
    BANGKA,
    BELINYU,
    LUMUT,
    OTHER_DESA,
    OTHER_DISTRICT,
    make_user,
    other_district,
)
from garda.registry.models import PpksType
from garda.wilayah.models import Wilayah

from ..models import BenefitKind, FundSource, Period, Program, Quota, TargetUnit
from ..services.catalogue import (
    period_add,
    period_update,
    program_create,
    program_update,
    quota_set,
)
from .factories import (
    make_program,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def admin(bangka):
    return make_user(Role.ADMIN_DINAS, BANGKA)


def program_data(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "bansos-lansia",
        "name": "Bantuan Lansia Kabupaten",
        "fund_source": FundSource.APBD_KABUPATEN,
        "kind": BenefitKind.CASH,
        "target_unit": TargetUnit.INDIVIDUAL,
        "benefit_amount": 250_000,
        "min_age": 60,
        **overrides,
    }


# --- programmes ------------------------------------------------------------------------------


def test_the_national_programmes_are_seeded_as_data(bangka) -> None:
    codes = set(Program.objects.values_list("code", flat=True))
    assert {"pkh", "sembako", "pbi-jk", "blt-dd", "atensi", "rutilahu"} <= codes
    blt = Program.objects.get(code="blt-dd")
    assert set(blt.conflicts.values_list("code", flat=True)) == {"pkh", "sembako"}


def test_create_a_district_programme_with_rules_audited(admin) -> None:
    program = program_create(
        actor=admin,
        data=program_data(
            wilayah=Wilayah.objects.get(code=BANGKA),
            ppks_types=PpksType.objects.filter(number__in=[8, 9]),
            areas=[Wilayah.objects.get(code=BELINYU)],
            conflicts=[Program.objects.get(code="pkh")],
        ),
    )
    assert program.version == 1
    assert set(program.ppks_types.values_list("number", flat=True)) == {8, 9}
    assert list(program.areas.values_list("code", flat=True)) == [BELINYU]
    # Conflicts go both ways.
    assert program in Program.objects.get(code="pkh").conflicts.all()
    actions = list(AuditEvent.objects.for_object(program).values_list("action", flat=True))
    assert Action.CREATE in actions and Action.UPDATE in actions


def test_a_national_programme_needs_only_the_permission(bangka) -> None:
    staf = make_user(Role.STAF_DINAS, BANGKA)
    program = program_create(actor=staf, data=program_data(wilayah=None))
    assert program.wilayah_id is None
    psm = make_user(Role.PSM, LUMUT)
    with pytest.raises(NotAllowed):
        program_create(actor=psm, data=program_data(code="lain", wilayah=None))


def test_a_regions_programme_only_by_a_manager_of_that_region(admin) -> None:
    other_district()
    other = make_program(wilayah=OTHER_DISTRICT)
    with pytest.raises(NotAllowed):
        program_update(actor=admin, program=other, data={"name": "Diubah"})
    with pytest.raises(NotAllowed):
        program_create(
            actor=admin, data=program_data(wilayah=Wilayah.objects.get(code=OTHER_DISTRICT))
        )
    # The national PKH may be adjusted by any programme manager.
    pkh = Program.objects.get(code="pkh")
    assert program_update(actor=admin, program=pkh, data={"benefit_amount": 800_000}) == [
        "benefit_amount"
    ]


def test_a_programme_is_run_by_a_province_or_a_district(admin) -> None:
    with pytest.raises(GardaError) as refusal:
        program_create(actor=admin, data=program_data(wilayah=Wilayah.objects.get(code=LUMUT)))
    assert refusal.value.field == "wilayah"


def test_rules_are_checked_with_clear_messages(admin) -> None:
    with pytest.raises(GardaError) as refusal:
        program_create(actor=admin, data=program_data(min_age=70, max_age=60))
    assert "minimum age (70) is above the maximum age (60)" in refusal.value.message
    with pytest.raises(GardaError) as refusal:
        program_create(actor=admin, data=program_data(max_desil=11))
    assert refusal.value.field == "max_desil"
    with pytest.raises(GardaError) as refusal:
        program_create(actor=admin, data=program_data(code="pkh"))
    assert refusal.value.field == "code"
    program = make_program(wilayah=BANGKA)
    with pytest.raises(GardaError) as refusal:
        program_update(actor=admin, program=program, data={"conflicts": [program]})
    assert "itself" in refusal.value.message
    other_district()
    with pytest.raises(GardaError) as refusal:
        program_update(
            actor=admin, program=program, data={"areas": [Wilayah.objects.get(code=OTHER_DESA)]}
        )
    assert refusal.value.field == "areas"
    assert not program.areas.exists()


def test_update_with_a_stale_version_is_refused_and_nothing_changes(admin) -> None:
    program = make_program(wilayah=BANGKA, name="Lama")
    program_update(actor=admin, program=program, data={"name": "Baru"}, expected_version=1)
    stale = Program.objects.get(pk=program.pk)
    stale.version = 1
    with pytest.raises(ConcurrentEdit):
        program_update(actor=admin, program=stale, data={"name": "Ketiga"}, expected_version=1)
    # A change of the rules alone is checked too.
    with pytest.raises(ConcurrentEdit):
        program_update(
            actor=admin,
            program=Program.objects.get(pk=program.pk),
            data={"ppks_types": PpksType.objects.filter(number=8)},
            expected_version=1,
        )
    program.refresh_from_db()
    assert (program.name, program.version) == ("Baru", 2)
    assert not program.ppks_types.exists()


def test_changing_only_the_rules_bumps_the_version(admin) -> None:
    program = make_program(wilayah=BANGKA)
    changed = program_update(
        actor=admin,
        program=program,
        data={"ppks_types": PpksType.objects.filter(number=24)},
        expected_version=1,
    )
    assert changed == ["ppks_types"]
    program.refresh_from_db()
    assert program.version == 2


# --- periods ---------------------------------------------------------------------------------


def test_periods_are_ordered_and_do_not_overlap(admin) -> None:
    program = make_program(wilayah=BANGKA)
    first = period_add(
        actor=admin,
        program=program,
        name="Tahap 1",
        starts_on=D(2026, 1, 1),
        ends_on=D(2026, 3, 31),
    )
    with pytest.raises(GardaError) as refusal:
        period_add(
            actor=admin,
            program=program,
            name="Tahap 2",
            starts_on=D(2026, 3, 31),
            ends_on=D(2026, 6, 30),
        )
    assert "Tahap 1" in refusal.value.message and "overlap" in refusal.value.message
    with pytest.raises(GardaError) as refusal:
        period_add(
            actor=admin,
            program=program,
            name="Tahap 2",
            starts_on=D(2026, 6, 30),
            ends_on=D(2026, 4, 1),
        )
    assert refusal.value.field == "ends_on"
    with pytest.raises(GardaError) as refusal:
        period_add(
            actor=admin,
            program=program,
            name="Tahap 1",
            starts_on=D(2026, 7, 1),
            ends_on=D(2026, 9, 30),
        )
    assert refusal.value.field == "name"
    second = period_add(
        actor=admin,
        program=program,
        name="Tahap 2",
        starts_on=D(2026, 4, 1),
        ends_on=D(2026, 6, 30),
    )
    # Another programme's periods do not matter.
    period_add(
        actor=admin,
        program=make_program(wilayah=BANGKA),
        name="Tahap 1",
        starts_on=D(2026, 1, 1),
        ends_on=D(2026, 3, 31),
    )
    with pytest.raises(GardaError):
        period_update(actor=admin, period=second, data={"starts_on": D(2026, 3, 15)})
    assert period_update(actor=admin, period=first, data={"ends_on": D(2026, 3, 30)}) == ["ends_on"]
    assert list(program.periods.values_list("name", flat=True)) == ["Tahap 1", "Tahap 2"]
    assert AuditEvent.objects.for_object(second).filter(action=Action.CREATE).exists()


def test_periods_of_anothers_programme_are_refused(admin) -> None:
    other_district()
    program = make_program(wilayah=OTHER_DISTRICT)
    with pytest.raises(NotAllowed):
        period_add(
            actor=admin, program=program, name="T1", starts_on=D(2026, 1, 1), ends_on=D(2026, 2, 1)
        )
    assert not Period.objects.filter(program=program).exists()


# --- quotas ----------------------------------------------------------------------------------


def test_quota_for_a_desa_or_a_kecamatan(admin) -> None:
    program = make_program(wilayah=BANGKA)
    lumut = Wilayah.objects.get(code=LUMUT)
    quota = quota_set(actor=admin, program=program, wilayah=lumut, quota=3)
    assert quota is not None and quota.quota == 3
    quota_set(actor=admin, program=program, wilayah=Wilayah.objects.get(code=LUMUT), quota=5)
    quota_set(actor=admin, program=program, wilayah=Wilayah.objects.get(code=BELINYU), quota=9)
    assert dict(Quota.objects.filter(program=program).values_list("wilayah", "quota")) == {
        LUMUT: 5,
        BELINYU: 9,
    }
    assert (
        quota_set(actor=admin, program=program, wilayah=Wilayah.objects.get(code=LUMUT), quota=None)
        is None
    )
    assert not Quota.objects.filter(program=program, wilayah=LUMUT).exists()
    with pytest.raises(GardaError) as refusal:
        quota_set(actor=admin, program=program, wilayah=Wilayah.objects.get(code=BANGKA), quota=1)
    assert refusal.value.field == "wilayah"
    other_district()
    with pytest.raises(GardaError):
        quota_set(
            actor=admin, program=program, wilayah=Wilayah.objects.get(code=OTHER_DESA), quota=1
        )
    psm = make_user(Role.PSM, LUMUT)
    with pytest.raises(NotAllowed):
        quota_set(actor=psm, program=program, wilayah=Wilayah.objects.get(code=LUMUT), quota=1)
