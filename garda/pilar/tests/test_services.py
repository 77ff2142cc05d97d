"""The writes of the registry, called as the pages and the import call them."""

import datetime

import pytest
from django.utils import timezone

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Perm, Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, Duplicate, GardaError, NotAllowed
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, OTHER_DESA, make_user
from garda.pilar import services
from garda.pilar.models import (
    PSM,
    IpsmOfficer,
    Pilar,
    PilarType,
    Position,
    Status,
)
from garda.wilayah.models import Wilayah

from .factories import (
    account_of,
    add_decree,
    add_training,
    appoint,
    dinas_admin,
    next_nik,
    psm_with_account,
    register,
    register_psm,
)

TODAY = timezone.localdate


def region(code: str) -> Wilayah:
    return Wilayah.objects.get(code=code)


def psm_type() -> PilarType:
    return PilarType.objects.get(code=PSM)


def person(**data):
    return {
        "name": "  Siti   Aminah ",
        "nik": "1901 0245 0790 0001",
        "sex": "P",
        "birth_date": datetime.date(1990, 7, 5),
        **data,
    }


class TestRegister:
    def test_register_keeps_placement_status_and_an_audited_masked_nik(self, bangka):
        admin = dinas_admin()
        pilar = services.pilar_register(
            actor=admin,
            jenis=psm_type(),
            wilayah=region(LUMUT),
            data=person(joined_on=datetime.date(2021, 3, 1)),
        )
        assert (pilar.name, pilar.nik, pilar.status) == (
            "Siti Aminah",
            "1901024507900001",
            Status.CALON,
        )
        assert pilar.nik_hash == services.nik_hash("1901024507900001")
        placement = pilar.placements.get()
        assert (placement.wilayah_id, placement.start, placement.end) == (
            LUMUT,
            datetime.date(2021, 3, 1),
            None,
        )
        assert pilar.status_events.get().to_status == Status.CALON
        event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(pilar.pk))
        assert event.changes["nik"] == [None, "***"]
        assert event.wilayah_code == LUMUT

    def test_outside_the_area_is_not_allowed(self, bangka):
        with pytest.raises(NotAllowed):
            services.pilar_register(
                actor=make_user(Role.ADMIN_DINAS, "19.02"),
                jenis=psm_type(),
                wilayah=region(LUMUT),
                data=person(),
            )

    @pytest.mark.parametrize("role", [Role.PSM, Role.KOORDINATOR, Role.PIMPINAN])
    def test_only_dinas_staff_register(self, bangka, role):
        code = {Role.PSM: LUMUT, Role.KOORDINATOR: BELINYU}.get(role, BANGKA)
        with pytest.raises(NotAllowed):
            services.pilar_register(
                actor=make_user(role, code), jenis=psm_type(), wilayah=region(LUMUT), data=person()
            )

    def test_psm_serves_in_a_desa_not_a_kecamatan(self, bangka):
        with pytest.raises(GardaError) as refused:
            services.pilar_register(
                actor=dinas_admin(), jenis=psm_type(), wilayah=region(BELINYU), data=person()
            )
        assert refused.value.field == "wilayah"

    def test_duplicate_nik_points_at_the_existing_profile(self, bangka):
        existing = register_psm(code=BINTET, nik="1901024507900001")
        with pytest.raises(Duplicate) as refused:
            services.pilar_register(
                actor=dinas_admin(), jenis=psm_type(), wilayah=region(LUMUT), data=person()
            )
        assert refused.value.existing == existing
        assert refused.value.field == "nik"

    @pytest.mark.parametrize(
        ("nik", "field"),
        [("", "nik"), ("12345", "nik"), ("1901994507900001", "nik"), ("1901024507900000", "nik")],
    )
    def test_bad_nik_is_an_error(self, bangka, nik, field):
        with pytest.raises(GardaError) as refused:
            services.pilar_register(
                actor=dinas_admin(), jenis=psm_type(), wilayah=region(LUMUT), data=person(nik=nik)
            )
        assert refused.value.field == field

    def test_nik_that_disagrees_needs_a_note(self, bangka):
        admin = dinas_admin()
        data = person(birth_date=datetime.date(1990, 8, 5))
        with pytest.raises(GardaError) as refused:
            services.pilar_register(actor=admin, jenis=psm_type(), wilayah=region(LUMUT), data=data)
        assert refused.value.field == "nik_note"
        pilar = services.pilar_register(
            actor=admin,
            jenis=psm_type(),
            wilayah=region(LUMUT),
            data={**data, "nik_note": "Tanggal lahir di KTP berbeda; dicek di Dukcapil."},
        )
        assert pilar.nik_note

    def test_empty_name_is_refused(self, bangka):
        with pytest.raises(GardaError) as refused:
            services.pilar_register(
                actor=dinas_admin(), jenis=psm_type(), wilayah=region(LUMUT), data=person(name=" ")
            )
        assert refused.value.field == "name"

    def test_organisation_has_no_nik(self, bangka):
        pilar = register(code=LUMUT, jenis="karang_taruna", name="Karang Taruna Lumut")
        assert (pilar.nik, pilar.nik_hash) == ("", None)


class TestUpdate:
    def test_member_changes_only_self_editable_fields(self, bangka):
        pilar = psm_with_account(code=LUMUT, name="Siti Aminah")
        nik = pilar.nik
        changed = services.pilar_update(
            actor=account_of(pilar),
            pilar=pilar,
            data={"phone": "0852", "name": "Lain", "nik": next_nik(), "ipsm_number": "X"},
        )
        assert changed == ["phone"]
        pilar.refresh_from_db()
        assert (pilar.phone, pilar.name, pilar.nik, pilar.ipsm_number) == (
            "0852",
            "Siti Aminah",
            nik,
            "",
        )

    def test_colleague_may_not_edit(self, bangka):
        member = register_psm(code=LUMUT)
        colleague = psm_with_account(code=LUMUT)
        with pytest.raises(NotAllowed):
            services.pilar_update(actor=account_of(colleague), pilar=member, data={"phone": "1"})

    def test_stale_version_is_refused(self, bangka):
        pilar = register_psm(code=LUMUT)
        admin = dinas_admin()
        opened = pilar.version
        services.pilar_update(
            actor=admin, pilar=pilar, data={"phone": "0811"}, expected_version=opened
        )
        with pytest.raises(ConcurrentEdit):
            services.pilar_update(
                actor=admin,
                pilar=Pilar.objects.get(pk=pilar.pk),
                data={"phone": "0822"},
                expected_version=opened,
            )

    def test_new_nik_gets_a_new_blind_index(self, bangka):
        pilar = register_psm(code=LUMUT)
        new = next_nik()
        services.pilar_update(actor=dinas_admin(), pilar=pilar, data={"nik": new})
        pilar.refresh_from_db()
        assert pilar.nik_hash == services.nik_hash(new)

    def test_nik_of_another_profile_is_a_duplicate(self, bangka):
        first = register_psm(code=LUMUT)
        second = register_psm(code=BINTET)
        with pytest.raises(Duplicate):
            services.pilar_update(actor=dinas_admin(), pilar=second, data={"nik": first.nik})


class TestStatus:
    def test_change_is_a_row_with_its_reason(self, bangka):
        pilar = register_psm(code=LUMUT)
        admin = dinas_admin()
        event = services.pilar_set_status(
            actor=admin, pilar=pilar, status=Status.NONAKTIF, reason=" Sakit "
        )
        assert (event.from_status, event.to_status, event.reason, event.actor) == (
            Status.AKTIF,
            Status.NONAKTIF,
            "Sakit",
            admin,
        )
        pilar.refresh_from_db()
        assert pilar.status == Status.NONAKTIF

    def test_reason_is_required_and_same_status_refused(self, bangka):
        pilar = register_psm(code=LUMUT)
        with pytest.raises(GardaError) as refused:
            services.pilar_set_status(
                actor=dinas_admin(), pilar=pilar, status=Status.NONAKTIF, reason=" "
            )
        assert refused.value.field == "reason"
        with pytest.raises(GardaError):
            services.pilar_set_status(
                actor=dinas_admin(), pilar=pilar, status=Status.AKTIF, reason="x"
            )

    def test_deceased_is_final(self, bangka):
        pilar = register_psm(code=LUMUT)
        admin = dinas_admin()
        services.pilar_set_status(actor=admin, pilar=pilar, status=Status.MENINGGAL, reason="x")
        with pytest.raises(GardaError):
            services.pilar_set_status(actor=admin, pilar=pilar, status=Status.AKTIF, reason="y")

    def test_member_may_not_change_own_status(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        with pytest.raises(NotAllowed):
            services.pilar_set_status(
                actor=account_of(pilar), pilar=pilar, status=Status.BERHENTI, reason="x"
            )


class TestMove:
    def test_old_place_ends_the_day_before(self, bangka):
        pilar = register_psm(code=LUMUT, joined_on=datetime.date(2020, 1, 1))
        services.pilar_move(
            actor=dinas_admin(),
            pilar=pilar,
            wilayah=region(BINTET),
            start=datetime.date(2024, 6, 1),
            reason="Pindah",
        )
        pilar.refresh_from_db()
        assert pilar.wilayah_id == BINTET
        old, new = pilar.placements.order_by("start")
        assert (old.wilayah_id, old.end) == (LUMUT, datetime.date(2024, 5, 31))
        assert (new.wilayah_id, new.end) == (BINTET, None)

    def test_start_must_follow_the_current_placement(self, bangka):
        pilar = register_psm(code=LUMUT, joined_on=datetime.date(2020, 1, 1))
        with pytest.raises(GardaError) as refused:
            services.pilar_move(
                actor=dinas_admin(),
                pilar=pilar,
                wilayah=region(BINTET),
                start=datetime.date(2020, 1, 1),
                reason="",
            )
        assert refused.value.field == "start"

    def test_same_place_or_wrong_level_is_refused(self, bangka):
        pilar = register_psm(code=LUMUT)
        for code in (LUMUT, BELINYU):
            with pytest.raises(GardaError) as refused:
                services.pilar_move(
                    actor=dinas_admin(),
                    pilar=pilar,
                    wilayah=region(code),
                    start=TODAY() + datetime.timedelta(days=1),
                    reason="",
                )
            assert refused.value.field == "wilayah"

    def test_move_out_of_the_area_is_not_allowed(self, bangka):
        pilar = register_psm(code=LUMUT)
        register_psm(code=OTHER_DESA)  # loads the other district's test desa
        with pytest.raises(NotAllowed):
            services.pilar_move(
                actor=dinas_admin(),
                pilar=pilar,
                wilayah=region(OTHER_DESA),
                start=TODAY() + datetime.timedelta(days=1),
                reason="",
            )


class TestDecreesAndTrainings:
    def test_decree_is_stored_with_its_scan(self, bangka):
        decree = add_decree(register_psm(code=LUMUT))
        assert str(decree.scan.name).startswith("pilar/sk/")
        assert decree.is_valid_today == (
            decree.valid_until is None or decree.valid_until >= TODAY()
        )

    def test_decree_cannot_end_before_it_starts(self, bangka):
        with pytest.raises(GardaError) as refused:
            services.decree_add(
                actor=dinas_admin(),
                pilar=register_psm(code=LUMUT),
                number="1",
                issued_on=datetime.date(2024, 1, 1),
                signed_by="Kadis",
                valid_from=datetime.date(2024, 1, 1),
                valid_until=datetime.date(2023, 1, 1),
            )
        assert refused.value.field == "valid_until"

    def test_member_may_not_add_a_decree(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        with pytest.raises(NotAllowed):
            add_decree(pilar, actor=account_of(pilar))

    def test_member_adds_own_training_but_not_a_colleagues(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        assert add_training(pilar, actor=account_of(pilar)).pilar == pilar
        colleague = psm_with_account(code=LUMUT)
        with pytest.raises(NotAllowed):
            add_training(pilar, actor=account_of(colleague))

    def test_trained_members_are_found(self, bangka):
        trained = register_psm(code=LUMUT)
        add_training(trained)
        add_training(trained)
        untrained = register_psm(code=LUMUT)
        assert list(Pilar.objects.trained()) == [trained]
        assert list(Pilar.objects.trained(False)) == [untrained]


class TestOfficers:
    def test_one_chair_per_region_and_term_members_without_limit(self, bangka):
        appoint(register_psm(code=LUMUT), code=BELINYU)
        with pytest.raises(GardaError) as refused:
            appoint(register_psm(code=BINTET), code=BELINYU)
        assert refused.value.field == "position"
        for code in (LUMUT, BINTET):
            appoint(register_psm(code=code), code=BELINYU, position=Position.ANGGOTA)
        assert IpsmOfficer.objects.filter(wilayah_id=BELINYU).count() == 3

    def test_a_later_term_may_have_its_own_chair(self, bangka):
        admin = dinas_admin()
        services.officer_appoint(
            actor=admin,
            pilar=register_psm(code=LUMUT),
            wilayah=region(BELINYU),
            position=Position.KETUA,
            term_start=datetime.date(2019, 1, 1),
            term_end=datetime.date(2023, 12, 31),
        )
        appoint(register_psm(code=BINTET), code=BELINYU, actor=admin)
        assert IpsmOfficer.objects.filter(wilayah_id=BELINYU).current().count() == 1

    def test_only_a_psm_is_an_officer(self, bangka):
        with pytest.raises(GardaError):
            appoint(register(code=BELINYU, jenis="tksk"), code=BELINYU)

    def test_chair_of_a_kecamatan_becomes_coordinator(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        officer = appoint(pilar, code=BELINYU)
        services.officer_grant_coordinator(
            actor=make_user(Role.ADMIN_DINAS, BANGKA), officer=officer
        )
        assert (
            account_of(pilar).assignments.filter(role=Role.KOORDINATOR, wilayah_id=BELINYU).exists()
        )

    def test_coordinator_needs_a_kecamatan_chair_with_an_account(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        desa_chair = appoint(psm_with_account(code=LUMUT), code=LUMUT)
        with pytest.raises(GardaError):
            services.officer_grant_coordinator(actor=admin, officer=desa_chair)
        no_account = appoint(register_psm(code=BINTET), code=BELINYU)
        with pytest.raises(GardaError):
            services.officer_grant_coordinator(actor=admin, officer=no_account)

    def test_granting_roles_is_user_management(self, bangka):
        officer = appoint(psm_with_account(code=LUMUT), code=BELINYU)
        with pytest.raises(NotAllowed):
            services.officer_grant_coordinator(
                actor=make_user(Role.STAF_DINAS, BANGKA), officer=officer
            )


class TestOfficerRules:
    def test_an_officer_must_be_active_and_serve_inside_the_region(self, bangka):
        with pytest.raises(GardaError):
            appoint(register_psm(code=LUMUT, status=Status.CALON), code=BELINYU)
        with pytest.raises(GardaError) as refused:
            appoint(register_psm(code="19.01.01.1001"), code=BELINYU)
        assert refused.value.field == "wilayah"

    def test_a_chair_whose_term_is_over_gets_no_coordinator_role(self, bangka):
        officer = services.officer_appoint(
            actor=dinas_admin(),
            pilar=psm_with_account(code=LUMUT),
            wilayah=region(BELINYU),
            position=Position.KETUA,
            term_start=datetime.date(2019, 1, 1),
            term_end=datetime.date(2023, 12, 31),
        )
        with pytest.raises(GardaError):
            services.officer_grant_coordinator(
                actor=make_user(Role.ADMIN_DINAS, BANGKA), officer=officer
            )

    def test_moving_a_psm_moves_the_account_role_and_keeps_history(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        user = account_of(pilar)
        services.pilar_move(
            actor=dinas_admin(),
            pilar=pilar,
            wilayah=region(BINTET),
            start=TODAY() + datetime.timedelta(days=1),
            reason="x",
        )
        user = User.objects.get(pk=user.pk)
        assert user.areas_for(Perm.VIEW_PEOPLE) == [BINTET]
        assert user.assignments.filter(role=Role.PSM).count() == 2

    def test_a_phone_change_does_not_recheck_an_old_nik_warning(self, bangka):
        pilar = register_psm(code=LUMUT)
        Pilar.objects.filter(pk=pilar.pk).update(sex="L")  # legacy data: NIK says woman
        pilar.refresh_from_db()
        services.pilar_update(actor=dinas_admin(), pilar=pilar, data={"phone": "0812"})
        assert Pilar.objects.get(pk=pilar.pk).phone == "0812"


def test_an_organisation_given_a_nik_gets_it_checked(bangka):
    with pytest.raises(GardaError) as refused:
        register(code=LUMUT, jenis="karang_taruna", nik="123")
    assert refused.value.field == "nik"


class TestAccounts:
    def test_psm_gets_the_psm_role_in_their_desa(self, bangka):
        pilar = register_psm(code=LUMUT, phone="0812")
        user, password = services.pilar_account_create(
            actor=make_user(Role.ADMIN_DINAS, BANGKA), pilar=pilar, username="siti"
        )
        assert password and user.must_change_password
        assert (user.name, user.phone, user.wilayah_id) == (pilar.name, "0812", LUMUT)
        assert user.roles() == {Role.PSM}
        assert user.can_in(Perm.VIEW_PEOPLE, LUMUT)
        pilar.refresh_from_db()
        assert pilar.user == user

    def test_tksk_gets_the_coordinator_role_in_their_kecamatan(self, bangka):
        tksk = register(code=BELINYU, jenis="tksk")
        user, _ = services.pilar_account_create(
            actor=make_user(Role.ADMIN_DINAS, BANGKA), pilar=tksk, username="tksk.belinyu"
        )
        assert list(RoleAssignment.objects.filter(user=user).values_list("role", "wilayah")) == [
            (Role.KOORDINATOR, BELINYU)
        ]

    def test_one_account_per_member_and_only_psm_or_tksk(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        pilar = psm_with_account(code=LUMUT)
        with pytest.raises(GardaError):
            services.pilar_account_create(actor=admin, pilar=pilar, username="dua")
        tagana = register(code=BANGKA, jenis="tagana")
        with pytest.raises(GardaError):
            services.pilar_account_create(actor=admin, pilar=tagana, username="tagana")


class TestProblemsFoundWhileBuildingThePages:
    """Problems found while building the pages, now fixed: each test guards its fix."""

    def test_decree_audit_event_is_visible_in_the_members_region(self, bangka):
        decree = add_decree(register_psm(code=LUMUT))
        event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(decree.pk))
        assert event.wilayah_code == LUMUT

    def test_concurrent_edit_message_does_not_show_the_nik(self, bangka):
        pilar = register_psm(code=LUMUT)
        stored_nik, admin = pilar.nik, dinas_admin()
        services.pilar_update(actor=admin, pilar=pilar, data={"phone": "1"})
        new_nik = next_nik()
        with pytest.raises(ConcurrentEdit) as refused:
            services.pilar_update(
                actor=admin,
                pilar=Pilar.objects.get(pk=pilar.pk),
                data={"nik": new_nik},
                expected_version=1,
            )
        assert stored_nik not in refused.value.message
        assert new_nik not in refused.value.message

    def test_moved_member_still_sees_own_profile(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        services.pilar_move(
            actor=dinas_admin(),
            pilar=pilar,
            wilayah=region(BINTET),
            start=TODAY() + datetime.timedelta(days=1),
            reason="Pindah",
        )
        assert (
            Pilar.objects.visible_to(account_of(pilar), Perm.VIEW_PEOPLE)
            .filter(pk=pilar.pk)
            .exists()
        )

    def test_duplicate_message_does_not_name_a_profile_outside_the_area(self, bangka):
        register_psm(code=OTHER_DESA, nik="1901024507900001", name="Siti Barat")
        with pytest.raises(Duplicate) as refused:
            services.pilar_register(
                actor=dinas_admin(), jenis=psm_type(), wilayah=region(LUMUT), data=person()
            )
        assert "Siti Barat" not in refused.value.message
