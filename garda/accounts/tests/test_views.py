import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garda.accounts.middleware import SESSION_LOGIN_AT
from garda.accounts.models import LoginAttempt, User
from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.testing import BANGKA, BELINYU, LUMUT, TEST_PASSWORD, client_for, make_user

LOGIN = reverse("accounts:login")


def log_in(client: Client, username: str, password: str = TEST_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


class TestLogin:
    def test_login_lands_on_home_and_is_audited(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut")
        client = Client()
        response = log_in(client, "psm.lumut")
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home")
        assert AuditEvent.objects.filter(action=Action.LOGIN, wilayah_code=LUMUT).count() == 1
        home = client.get(reverse("core:home"))
        assert home.status_code == 200
        assert "Lumut" in home.content.decode()

    def test_login_page_is_indonesian_by_default(self, db):
        response = Client().get(LOGIN)
        assert response.status_code == 200
        body = response.content.decode()
        assert '<html lang="id">' in body
        assert "Masuk" in body

    def test_bad_password_is_refused_with_clear_message(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut")
        response = log_in(Client(), "psm.lumut", "salah")
        assert response.status_code == 200
        assert "Nama pengguna atau kata sandi salah" in response.content.decode()
        assert LoginAttempt.objects.filter(username="psm.lumut").count() == 1
        assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 1

    def test_five_failures_lock_the_username_even_for_the_right_password(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut")
        client = Client()
        for _ in range(5):
            log_in(client, "psm.lumut", "salah")
        response = log_in(client, "psm.lumut")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
        assert "Terlalu banyak" in response.content.decode()

    def test_lock_expires_after_the_window(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut")
        old = timezone.now() - datetime.timedelta(minutes=16)
        LoginAttempt.objects.bulk_create(
            LoginAttempt(username="psm.lumut", ip="127.0.0.1", at=old) for _ in range(5)
        )
        assert log_in(Client(), "psm.lumut").status_code == 302

    def test_success_clears_earlier_failures(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut")
        client = Client()
        for _ in range(4):
            log_in(client, "psm.lumut", "salah")
        assert log_in(client, "psm.lumut").status_code == 302
        assert not LoginAttempt.objects.filter(username="psm.lumut").exists()

    def test_inactive_user_cannot_log_in(self, bangka):
        make_user(Role.PSM, LUMUT, username="psm.lumut", is_active=False)
        assert log_in(Client(), "psm.lumut").status_code == 200

    def test_logout_needs_post_and_is_audited(self, bangka):
        user = make_user(Role.PSM, LUMUT)
        client = client_for(user)
        assert client.get(reverse("accounts:logout")).status_code == 405
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 302
        assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=user).exists()
        assert client.get(reverse("core:home")).status_code == 302


class TestSessionRules:
    def test_forced_password_change_blocks_other_pages_until_done(self, bangka):
        user = make_user(Role.PSM, LUMUT, must_change_password=True)
        client = client_for(user)
        change = reverse("accounts:password_change")
        assert client.get(reverse("core:home"))["Location"] == change
        response = client.post(
            change,
            {
                "old_password": TEST_PASSWORD,
                "new_password1": "Kata-Sandi-Baru-77",
                "new_password2": "Kata-Sandi-Baru-77",
            },
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert not user.must_change_password
        assert user.check_password("Kata-Sandi-Baru-77")
        assert client.get(reverse("core:home")).status_code == 200
        event = AuditEvent.objects.get(action=Action.UPDATE, object_id=str(user.pk))
        assert event.changes == {"password": ["***", "***"], "must_change_password": [True, False]}

    def test_weak_new_password_is_refused(self, bangka):
        user = make_user(Role.PSM, LUMUT, must_change_password=True)
        response = client_for(user).post(
            reverse("accounts:password_change"),
            {"old_password": TEST_PASSWORD, "new_password1": "123", "new_password2": "123"},
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.check_password(TEST_PASSWORD)

    def test_session_older_than_the_cap_is_ended(self, bangka):
        client = client_for(make_user(Role.PSM, LUMUT))
        session = client.session
        session[SESSION_LOGIN_AT] = (timezone.now() - datetime.timedelta(hours=13)).timestamp()
        session.save()
        response = client.get(reverse("core:home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        assert client.get(reverse("core:home")).status_code == 302

    def test_password_reset_by_email(self, bangka):
        make_user(Role.PSM, LUMUT, email="siti@example.org")
        response = Client().post(reverse("accounts:password_reset"), {"email": "siti@example.org"})
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        assert "/akun/atur-ulang/" in mail.outbox[0].body


class TestUserManagementPages:
    @pytest.fixture
    def admin(self, bangka) -> User:
        return make_user(Role.ADMIN_DINAS, BANGKA)

    def test_create_user_through_the_form(self, admin):
        response = client_for(admin).post(
            reverse("accounts:user_create"),
            {"username": "psm.baru", "name": "Nur Hayati", "role": Role.PSM, "wilayah": LUMUT},
        )
        user = User.objects.get(username="psm.baru")
        assert response["Location"] == user.get_absolute_url()
        assert user.roles() == {Role.PSM}

    def test_bad_input_gets_field_errors_and_writes_nothing(self, admin):
        response = client_for(admin).post(
            reverse("accounts:user_create"),
            {"username": "bad name!", "name": "", "role": Role.PSM, "wilayah": BELINYU},
        )
        assert response.status_code == 200
        assert response.context["form"].errors.keys() >= {"username", "name"}
        assert not User.objects.filter(name="").exists()

    def test_service_refusal_shows_as_form_error(self, admin):
        response = client_for(admin).post(
            reverse("accounts:user_create"),
            {"username": "psm.salah", "name": "Nur", "role": Role.PSM, "wilayah": BELINYU},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["wilayah"]
        assert not User.objects.filter(username="psm.salah").exists()

    def test_region_choices_stay_inside_the_admins_area(self, admin):
        form = client_for(admin).get(reverse("accounts:user_create")).context["form"]
        codes = set(form.fields["wilayah"].queryset.values_list("code", flat=True))
        assert LUMUT in codes
        assert "19.02" not in codes

    def test_list_hides_other_districts_and_filters(self, admin):
        make_user(Role.PSM, LUMUT, name="Siti Lumut")
        make_user(Role.KOORDINATOR, BELINYU, name="Koordinator Belinyu")
        make_user(Role.ADMIN_DINAS, "19.02", name="Admin Bangka Barat")
        client = client_for(admin)
        names = {u.name for u in client.get(reverse("accounts:user_list")).context["object_list"]}
        assert "Siti Lumut" in names
        assert "Admin Bangka Barat" not in names
        filtered = client.get(reverse("accounts:user_list"), {"role": Role.PSM})
        assert [u.name for u in filtered.context["object_list"]] == ["Siti Lumut"]
        searched = client.get(reverse("accounts:user_list"), {"q": "koordinator"})
        assert [u.name for u in searched.context["object_list"]] == ["Koordinator Belinyu"]

    def test_htmx_filter_returns_only_the_results_partial(self, admin):
        response = client_for(admin).get(reverse("accounts:user_list"), HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="results">')
        assert "<html" not in body

    def test_list_query_count_is_pinned(self, admin, django_assert_num_queries):
        for index in range(30):
            make_user(Role.PSM, LUMUT, name=f"PSM {index}")
        client = client_for(admin)
        client.get(reverse("accounts:user_list"))  # warm the session
        # session, user, roles, count, region choices, users, their roles, and the session
        # save wrapped in a savepoint (3): the same for 30 rows as for 3
        with django_assert_num_queries(10):
            response = client.get(reverse("accounts:user_list"))
        assert len(response.context["object_list"]) == 25

    def test_psm_gets_403_on_user_list(self, bangka):
        client = client_for(make_user(Role.PSM, LUMUT))
        assert client.get(reverse("accounts:user_list")).status_code == 403
        assert client.get(reverse("accounts:user_create")).status_code == 403


class TestConcurrentEdits:
    def test_second_save_of_a_stale_form_is_refused_and_shows_the_difference(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA, name="Admin Satu")
        other_admin = make_user(Role.ADMIN_DINAS, BANGKA, name="Admin Dua")
        person = make_user(Role.PSM, LUMUT, name="Siti")
        url = reverse("accounts:user_update", args=[person.pk])
        opened = client_for(admin).get(url).context["form"].initial["version"]
        form = {"name": "Siti Aminah", "email": "", "phone": "", "wilayah": LUMUT}
        first = client_for(other_admin).post(url, {**form, "version": opened})
        assert first.status_code == 302
        second = client_for(admin).post(url, {**form, "name": "Siti Rahma", "version": opened})
        assert second.status_code == 200
        error = " ".join(second.context["form"].non_field_errors())
        assert "Admin Dua" in error
        assert "Siti Aminah" in error and "Siti Rahma" in error
        person.refresh_from_db()
        assert (person.name, person.version) == ("Siti Aminah", opened + 1)


class TestClientAddress:
    @pytest.mark.parametrize(
        ("proxies", "forwarded", "expected"),
        [
            (0, "1.2.3.4", "10.0.0.1"),  # no proxy: the header is the client's own word
            (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # one proxy appended the real address
            (1, "", "10.0.0.1"),
        ],
    )
    def test_forwarded_for_is_trusted_only_from_configured_proxies(
        self, proxies, forwarded, expected, settings
    ):
        from django.test import RequestFactory

        from garda.core.middleware import client_ip

        settings.GARDA_TRUSTED_PROXIES = proxies
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected

    def test_failed_login_of_unknown_user_is_visible_to_the_district(self, bangka):
        log_in(Client(), "tidak.ada", "salah")
        event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
        assert (event.object_repr, event.wilayah_code) == ("tidak.ada", BANGKA)

    def test_admin_password_reset_lifts_the_lock_out(self, bangka):
        from garda.accounts import services

        user = make_user(Role.PSM, LUMUT, username="psm.lumut")
        for _ in range(5):
            log_in(Client(), "psm.lumut", "salah")
        password = services.user_reset_password(
            actor=make_user(Role.ADMIN_DINAS, BANGKA), user=user
        )
        assert log_in(Client(), "psm.lumut", password).status_code == 302


def test_browser_language_does_not_override_indonesian(db):
    response = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="id">' in response.content.decode()
