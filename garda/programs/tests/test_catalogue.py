"""The programme catalogue: programmes with their rules, periods and quotas, who may manage
them, and the pages that show and change them."""

import datetime
from typing import Any

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, NotAllowed
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    OTHER_DISTRICT,
    ScopedViewContract,
    client_for,
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
    make_enrolment,
    make_keluarga_with_members,
    make_period,
    make_program,
    make_quota,
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


@pytest.mark.usefixtures("english")
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


@pytest.mark.usefixtures("english")
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
    # A national programme: quotas only inside the manager's own area.
    with pytest.raises(NotAllowed):
        quota_set(
            actor=admin,
            program=Program.objects.get(code="pkh"),
            wilayah=Wilayah.objects.get(code=OTHER_DESA),
            quota=1,
        )
    assert not Quota.objects.filter(wilayah=OTHER_DESA).exists()


# --- pages: the scoping contract ---------------------------------------------------------------


class ProgramPageContract(ScopedViewContract):
    """Every role reads the catalogue of its area; another district's programme answers 404;
    a user with no role at all is refused."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (None, BANGKA)
    own_area = BANGKA
    other_area = OTHER_DISTRICT

    def make_object(self, code: str) -> Any:
        if code == OTHER_DISTRICT:
            other_district()
        return make_program(wilayah=code)


class TestProgramListContract(ProgramPageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:program_list")

    def test_other_area_answers_404(self, allowed_user) -> None:
        """The list has no object: another district's programme is simply not on it."""
        other = self.make_object(self.other_area)
        response = client_for(allowed_user).get(self.url_for(other))
        assert response.status_code == 200
        assert other.name not in response.content.decode()


class TestProgramDetailContract(ProgramPageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:program_detail", args=[obj.pk])


class ManageContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.KOORDINATOR, BELINYU)
    own_area = BANGKA
    other_area = OTHER_DISTRICT

    def make_object(self, code: str) -> Any:
        if code == OTHER_DISTRICT:
            other_district()
        return make_program(wilayah=code)


class TestProgramCreateContract(ManageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:program_create")

    def test_other_area_answers_404(self, allowed_user) -> None:
        """Creating has no object; a region outside the area is not offered."""
        response = client_for(allowed_user).get(self.url_for(None))
        regions = [w.code for w in response.context["form"].fields["wilayah"].queryset]
        assert BANGKA in regions and OTHER_DISTRICT not in regions


class TestProgramUpdateContract(ManageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:program_update", args=[obj.pk])


class TestPeriodAddContract(ManageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:period_add", args=[obj.pk])


class TestPeriodUpdateContract(ManageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:period_update", args=[make_period(obj).pk])


class TestQuotaSetContract(ManageContract):
    def url_for(self, obj: Any) -> str:
        return reverse("programs:quota_set", args=[obj.pk])


# --- pages: what they do -------------------------------------------------------------------------


def test_list_shows_counts_inside_the_users_area_in_few_queries(
    bangka, django_assert_max_num_queries
) -> None:
    program = make_program(name="Bantuan Uji", benefit_amount=1_250_000)
    make_period(program)
    make_period(program)
    for code in (LUMUT, LUMUT, BINTET):
        make_enrolment(program, make_keluarga_with_members(code=code))
    for _ in range(5):
        make_program()
    psm = make_user(Role.PSM, LUMUT)
    client = client_for(psm)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("programs:program_list"))
    row = next(p for p in response.context["programs"] if p.pk == program.pk)
    assert (row.active_count, row.period_count) == (2, 2)
    html = response.content.decode()
    assert "Rp 1.250.000" in html
    assert "Program Keluarga Harapan (PKH)" in html
    staf = client_for(make_user(Role.STAF_DINAS, BANGKA))
    row = next(
        p
        for p in staf.get(reverse("programs:program_list")).context["programs"]
        if p.pk == program.pk
    )
    assert row.active_count == 3


def test_detail_shows_rules_periods_and_quota_chart(bangka) -> None:
    program = make_program(max_desil=4, ppks=[8], min_age=60, areas=[BELINYU])
    make_period(program, name="Tahap 1 2026")
    make_quota(program, LUMUT, 4)
    make_enrolment(program, make_keluarga_with_members(code=LUMUT))
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    response = client.get(program.get_absolute_url())
    html = response.content.decode()
    assert "Tahap 1 2026" in html and "Lanjut Usia Terlantar" in html
    assert "60 years or older" in html or "60 tahun" in html
    assert [row.wilayah.code for row in response.context["rows"]] == [BELINYU]
    drill = client.get(program.get_absolute_url(), {"kecamatan": BELINYU})
    rows = drill.context["rows"]
    assert [(r.wilayah.code, r.enrolled, r.quota) for r in rows] == [(LUMUT, 1, 4)]
    assert 'width="25"' in drill.content.decode()  # 1 of 4: a quarter of the bar


def test_create_a_programme_through_the_form(bangka) -> None:
    client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
    response = client.post(
        reverse("programs:program_create"),
        {
            "code": "lansia-bangka",
            "name": "Bantuan Lansia Bangka",
            "wilayah": BANGKA,
            "fund_source": FundSource.APBD_KABUPATEN,
            "kind": BenefitKind.CASH,
            "target_unit": TargetUnit.INDIVIDUAL,
            "benefit_amount": "300000",
            "min_age": "60",
            "ppks_types": [str(PpksType.objects.get(number=8).pk)],
            "areas": [BELINYU],
            "is_active": "on",
        },
    )
    program = Program.objects.get(code="lansia-bangka")
    assert response.status_code == 302 and response["Location"] == program.get_absolute_url()
    assert list(program.areas.values_list("code", flat=True)) == [BELINYU]
    assert program.ppks_types.get().number == 8


def test_bad_input_is_shown_on_the_form_not_a_500(bangka) -> None:
    client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
    response = client.post(
        reverse("programs:program_create"),
        {
            "code": "x y",
            "name": "",
            "fund_source": "nope",
            "kind": BenefitKind.CASH,
            "target_unit": TargetUnit.HOUSEHOLD,
            "benefit_amount": "-5",
            "min_age": "70",
            "max_age": "60",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"code", "name", "fund_source", "benefit_amount", "max_age"} <= set(errors)


def test_edit_with_a_stale_version_says_so(bangka) -> None:
    program = make_program(wilayah=BANGKA, name="Lama")
    client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
    form = client.get(reverse("programs:program_update", args=[program.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "id"}
    data.update(
        {
            "wilayah": BANGKA,
            "ppks_types": [],
            "areas": [],
            "conflicts": [],
            "is_active": "on",
            "name": "Baru",
        }
    )
    program_update(actor=make_user(Role.ADMIN_DINAS, BANGKA), program=program, data={"name": "X"})
    response = client.post(reverse("programs:program_update", args=[program.pk]), data)
    assert response.status_code == 200
    assert "setelah Anda membukanya" in str(response.context["form"].non_field_errors())
    program.refresh_from_db()
    assert program.name == "X"


def test_period_and_quota_forms(bangka) -> None:
    program = make_program(wilayah=BANGKA)
    client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
    url = reverse("programs:period_add", args=[program.pk])
    ok = client.post(url, {"name": "Tahap 1", "starts_on": "2026-01-01", "ends_on": "2026-03-31"})
    assert ok.status_code == 302
    overlap = client.post(
        url, {"name": "Tahap 2", "starts_on": "2026-03-01", "ends_on": "2026-06-30"}
    )
    assert overlap.status_code == 200
    assert "Tahap 1" in str(overlap.context["form"].errors["starts_on"])
    quota_url = reverse("programs:quota_set", args=[program.pk])
    assert client.post(quota_url, {"wilayah": LUMUT, "quota": "7"}).status_code == 302
    assert Quota.objects.get(program=program).quota == 7
    refused = client.post(quota_url, {"wilayah": LUMUT, "quota": "-1"})
    assert refused.status_code == 200 and "quota" in refused.context["form"].errors
    assert client.post(quota_url, {"wilayah": LUMUT, "quota": ""}).status_code == 302
    assert not Quota.objects.filter(program=program).exists()
