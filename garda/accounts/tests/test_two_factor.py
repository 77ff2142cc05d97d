import time

import pyotp
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from garda.accounts import twofactor
from garda.accounts.models import LoginAttempt, TwoFactorDevice, User
from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core import crypto
from garda.core.testing import BANGKA, LUMUT, TEST_PASSWORD, client_for, make_user

HOME = reverse("core:home")
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")


def log_in(client: Client, user: User):
    return client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )


def current_code(user: User, offset_steps: int = 0) -> str:
    secret = crypto.decrypt(TwoFactorDevice.objects.get(user=user).secret_encrypted)
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


@pytest.fixture
def admin(bangka) -> User:
    return make_user(Role.ADMIN_DINAS, BANGKA, username="admin")


class TestSetUpAndLogin:
    def test_dinas_user_must_set_up_an_authenticator_before_anything_else(self, admin):
        client = Client()
        log_in(client, admin)
        response = client.get(HOME)
        assert response["Location"].startswith(SETUP)
        assert client.get(reverse("accounts:user_list"))["Location"].startswith(SETUP)
        page = client.get(SETUP)
        assert page.status_code == 200
        assert page.context["qr"].startswith("data:image/svg+xml;base64,")
        stored = TwoFactorDevice.objects.get(user=admin)
        secret = crypto.decrypt(stored.secret_encrypted)
        assert secret not in stored.secret_encrypted  # encrypted at rest
        assert page.context["secret"].replace(" ", "") == secret
        # Reloading the page keeps the same secret (the QR already scanned stays valid).
        assert client.get(SETUP).context["secret"] == page.context["secret"]

        response = client.post(f"{SETUP}?next=/akun/pengguna/", {"code": current_code(admin)})
        assert response["Location"] == "/akun/pengguna/"
        assert client.get(HOME).status_code == 200
        assert TwoFactorDevice.objects.get(user=admin).confirmed_at is not None
        assert AuditEvent.objects.filter(changes__two_factor=[False, True]).exists()

    def test_next_login_asks_for_the_code_and_refuses_a_reused_one(self, admin):
        twofactor.two_factor_begin(user=admin)
        client = Client()
        log_in(client, admin)
        code = current_code(admin)
        client.post(SETUP, {"code": code})
        client.post(reverse("accounts:logout"))

        again = Client()
        log_in(again, admin)
        assert again.get(HOME)["Location"].startswith(VERIFY)
        response = again.post(VERIFY, {"code": code})  # the code used at set-up
        assert response.status_code == 200
        assert "code" in response.context["form"].errors
        assert again.get(HOME).status_code == 302
        response = again.post(VERIFY, {"code": current_code(admin, offset_steps=1)})
        assert response["Location"] == HOME
        assert again.get(HOME).status_code == 200

    def test_wrong_codes_count_toward_the_lock_out(self, admin):
        twofactor.two_factor_begin(user=admin)
        client = Client()
        log_in(client, admin)
        client.post(SETUP, {"code": current_code(admin)})
        client.post(reverse("accounts:logout"))
        client = Client()
        log_in(client, admin)
        for _ in range(4):
            client.post(VERIFY, {"code": "000000"})
        response = client.post(VERIFY, {"code": "000000"})
        assert response["Location"] == reverse("accounts:login")
        assert LoginAttempt.objects.filter(username="admin").count() == 5
        assert client.get(HOME).status_code == 302  # logged out

    def test_psm_needs_no_second_factor(self, bangka):
        psm = make_user(Role.PSM, LUMUT)
        client = Client()
        log_in(client, psm)
        assert client.get(HOME).status_code == 200

    @override_settings(GARDA_2FA_REQUIRED=False)
    def test_requirement_can_be_switched_off_for_a_laptop_demo(self, admin):
        client = Client()
        log_in(client, admin)
        assert client.get(HOME).status_code == 200


class TestReset:
    def test_admin_resets_a_lost_authenticator(self, admin):
        other = make_user(Role.STAF_DINAS, BANGKA)
        twofactor.two_factor_begin(user=other)
        TwoFactorDevice.objects.filter(user=other).update(confirmed_at="2026-01-01T00:00Z")
        response = client_for(admin).post(
            reverse("accounts:user_reset_two_factor", args=[other.pk])
        )
        assert response.status_code == 302
        assert not TwoFactorDevice.objects.filter(user=other).exists()
        assert AuditEvent.objects.filter(changes__two_factor=[True, False]).exists()

    def test_staff_cannot_reset(self, admin):
        staff = make_user(Role.STAF_DINAS, BANGKA)
        response = client_for(staff).post(
            reverse("accounts:user_reset_two_factor", args=[admin.pk])
        )
        assert response.status_code == 403


def test_django_admin_login_goes_through_garda_login(db):
    response = Client().get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=/django-admin/"


def test_technical_staff_need_a_second_factor_too(bangka):
    staff = make_user(None, BANGKA, is_staff=True)
    assert twofactor.two_factor_required(staff)


def test_a_psm_who_set_up_an_app_is_asked_for_the_code_too(bangka):
    psm = make_user(Role.PSM, LUMUT)
    twofactor.two_factor_begin(user=psm)
    TwoFactorDevice.objects.filter(user=psm).update(confirmed_at="2026-01-01T00:00Z")
    client = Client()
    log_in(client, psm)
    assert client.get(HOME)["Location"].startswith(VERIFY)
