"""The scoping contract on the user-management pages, and on region pages for a PSM."""

from django.urls import reverse

from garda.accounts.models import RoleAssignment
from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    SUNGAILIAT,
    ScopedViewContract,
    make_user,
)


class UserPageContract(ScopedViewContract):
    """A kecamatan-level admin is not a real role, so the own/other split is by district:
    the admin of Bangka manages Bangka users and must not reach users of Bangka Barat."""

    allowed = (Role.ADMIN_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = "19.02"

    def make_object(self, code):
        return make_user(Role.PSM if len(code) > 10 else Role.STAF_DINAS, code)


class TestUserDetail(UserPageContract):
    def url_for(self, obj):
        return reverse("accounts:user_detail", args=[obj.pk])


class TestUserUpdate(UserPageContract):
    def url_for(self, obj):
        return reverse("accounts:user_update", args=[obj.pk])


class TestAssignmentCreate(UserPageContract):
    def url_for(self, obj):
        return reverse("accounts:assignment_create", args=[obj.pk])


class TestUserSetActive(UserPageContract):
    method = "post"
    ok_status = 302

    def url_for(self, obj):
        return reverse("accounts:user_set_active", args=[obj.pk])


class TestUserResetPassword(UserPageContract):
    method = "post"
    ok_status = 302

    def url_for(self, obj):
        return reverse("accounts:user_reset_password", args=[obj.pk])


class TestAssignmentEnd(UserPageContract):
    method = "post"
    ok_status = 302

    def make_object(self, code):
        return RoleAssignment.objects.get(user=super().make_object(code))

    def url_for(self, obj):
        return reverse("accounts:assignment_end", args=[obj.pk])


class TestRegionDetailForPsm(ScopedViewContract):
    """The issue's yardstick: a PSM of Lumut reaches nothing of Bintet."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (None, LUMUT)  # every role sees regions; only no role at all is refused
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code):
        from garda.wilayah.models import Wilayah

        return Wilayah.objects.get(code=code)

    def url_for(self, obj):
        return reverse("wilayah:detail", args=[obj.code])


class TestRegionDetailForCoordinator(TestRegionDetailForPsm):
    allowed = (Role.KOORDINATOR, BELINYU)
    own_area = BINTET
    other_area = SUNGAILIAT
