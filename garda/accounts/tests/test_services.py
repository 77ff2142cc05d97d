import datetime

import pytest
from django.utils import timezone

from garda.accounts import services
from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Perm, Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import GardaError, NotAllowed
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, SUNGAILIAT, make_user
from garda.wilayah.models import Wilayah


@pytest.fixture
def admin(bangka) -> User:
    return make_user(Role.ADMIN_DINAS, BANGKA, name="Admin Dinas")


def region(code: str) -> Wilayah:
    return Wilayah.objects.get(code=code)


def create_psm(admin: User, username: str = "psm.lumut", code: str = LUMUT) -> User:
    user, _ = services.user_create(
        actor=admin,
        username=username,
        name="Siti Hayati",
        wilayah=region(code),
        role=Role.PSM,
        role_wilayah=region(code),
    )
    return user


class TestUserCreate:
    def test_creates_account_with_role_one_time_password_and_trail(self, admin):
        user, password = services.user_create(
            actor=admin,
            username="psm.lumut",
            name="Siti Hayati",
            wilayah=region(LUMUT),
            role=Role.PSM,
            role_wilayah=region(LUMUT),
        )
        assert user.check_password(password)
        assert user.must_change_password
        assert user.roles() == {Role.PSM}
        assert user.areas_for(Perm.VIEW_REGIONS) == [LUMUT]
        created = AuditEvent.objects.get(action=Action.CREATE, object_id=str(user.pk))
        assert created.actor == admin
        assert created.wilayah_code == LUMUT
        assert created.changes["password"] == [None, "***"]
        assert created.changes["name"] == [None, "Siti Hayati"]

    def test_refuses_duplicate_username_regardless_of_case(self, admin):
        create_psm(admin)
        with pytest.raises(GardaError) as error:
            create_psm(admin, username="PSM.Lumut")
        assert error.value.field == "username"
        assert User.objects.filter(username__iexact="psm.lumut").count() == 1

    def test_refuses_outside_the_admins_area_and_writes_nothing(self, bangka):
        kecamatan_admin_like = make_user(Role.ADMIN_DINAS, "19.02")
        with pytest.raises(NotAllowed):
            create_psm(kecamatan_admin_like)
        assert not User.objects.filter(username="psm.lumut").exists()
        assert not AuditEvent.objects.filter(action=Action.CREATE).exists()

    def test_wrong_level_for_role_is_refused_whole(self, admin):
        with pytest.raises(GardaError):
            services.user_create(
                actor=admin,
                username="psm.x",
                name="X",
                wilayah=region(BELINYU),
                role=Role.PSM,  # a PSM serves a desa, not a kecamatan
                role_wilayah=region(BELINYU),
            )
        assert not User.objects.filter(username="psm.x").exists()

    def test_non_admin_cannot_create(self, bangka):
        staff = make_user(Role.STAF_DINAS, BANGKA)
        with pytest.raises(NotAllowed):
            create_psm(staff)


class TestRoles:
    def test_assign_and_end_keeps_history(self, admin):
        user = create_psm(admin)
        extra = services.role_assign(
            actor=admin, user=user, role=Role.OPERATOR_DESA, wilayah=region(LUMUT)
        )
        assert User.objects.get(pk=user.pk).roles() == {Role.PSM, Role.OPERATOR_DESA}
        services.role_end(actor=admin, assignment=extra)
        extra.refresh_from_db()
        assert extra.valid_to == timezone.localdate()
        assert User.objects.get(pk=user.pk).roles() == {Role.PSM}
        assert RoleAssignment.objects.filter(user=user).count() == 2
        with pytest.raises(GardaError):
            services.role_end(actor=admin, assignment=extra)

    def test_same_role_twice_is_refused(self, admin):
        user = create_psm(admin)
        with pytest.raises(GardaError):
            services.role_assign(actor=admin, user=user, role=Role.PSM, wilayah=region(LUMUT))

    def test_future_and_expired_assignments_grant_nothing(self, bangka):
        user = make_user(None, LUMUT)
        today = timezone.localdate()
        RoleAssignment.objects.create(
            user=user, role=Role.PSM, wilayah_id=LUMUT, valid_from=today + datetime.timedelta(1)
        )
        RoleAssignment.objects.create(
            user=user,
            role=Role.PSM,
            wilayah_id=BINTET,
            valid_from=today - datetime.timedelta(30),
            valid_to=today,
        )
        assert user.areas_for(Perm.VIEW_REGIONS) == []

    def test_deactivated_user_has_no_areas(self, admin):
        user = create_psm(admin)
        services.user_set_active(actor=admin, user=user, active=False, reason="berhenti")
        assert User.objects.get(pk=user.pk).areas_for(Perm.VIEW_REGIONS) == []
        event = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(user.pk)).get()
        assert event.changes == {"is_active": [True, False]}
        assert event.reason == "berhenti"

    def test_admin_cannot_deactivate_self(self, admin):
        with pytest.raises(GardaError):
            services.user_set_active(actor=admin, user=admin, active=False, reason="")

    def test_admin_cannot_move_user_out_of_area(self, admin):
        user = create_psm(admin)
        with pytest.raises(NotAllowed):
            services.user_update(actor=admin, user=user, data={"wilayah": region("19.02")})

    def test_password_reset_by_admin_forces_change(self, admin):
        user = create_psm(admin)
        password = services.user_reset_password(actor=admin, user=user)
        user.refresh_from_db()
        assert user.check_password(password)
        assert user.must_change_password


class TestScopeOfAreas:
    def test_coordinator_sees_own_kecamatan_only(self, bangka):
        coordinator = make_user(Role.KOORDINATOR, BELINYU)
        visible = Wilayah.objects.visible_to(coordinator, Perm.VIEW_REGIONS)
        assert visible.filter(code=LUMUT).exists()
        assert visible.filter(code=BELINYU).exists()
        assert not visible.filter(code__startswith=SUNGAILIAT).exists()
        assert not visible.filter(code=BANGKA).exists()
        assert visible.count() == 1 + 12  # the kecamatan and its 12 desa/kelurahan

    def test_viewer_never_gets_people_permission(self, bangka):
        viewer = make_user(Role.VIEWER, BANGKA)
        assert viewer.areas_for(Perm.VIEW_PEOPLE) == []
        assert viewer.areas_for(Perm.VIEW_AGGREGATES) == [BANGKA]
