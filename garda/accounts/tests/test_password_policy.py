"""The password policy (ADR 0019) as configured in the settings: each rule refuses with its
message, good passwords pass, and the two pages that set a password apply it."""

import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from conftest import load_bangka
from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import LUMUT, TEST_PASSWORD, client_for, make_user
from garda.pilar.models import PSM, Pilar, PilarType

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NIK = "1901024507900003"


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """The district and Siti, made once for the module, removed at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_bangka()
        yield make_siti()
        transaction.set_rollback(True)


@pytest.fixture
def siti(built) -> User:
    return User.objects.get(pk=built.pk)


def make_siti() -> User:
    """A PSM of Desa Lumut (Kecamatan Belinyu) with her social worker's profile."""
    user = make_user(
        Role.PSM,
        LUMUT,
        username="psm.siti",
        name="Siti Aminah",
        email="aminah.s@example.org",
        phone="+62 812-7788-4321",
        must_change_password=True,
    )
    Pilar.objects.create(
        jenis=PilarType.objects.get(code=PSM),
        wilayah_id=LUMUT,
        user=user,
        name=user.name,
        nik=NIK,
        birth_date=datetime.date(1990, 7, 5),
        birth_place="Sungailiat",
    )
    return User.objects.get(pk=user.pk)


def refusal(password: str, user: User | None) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Kopi-7", "too short. It must contain at least 10 characters"),
        ("1902847561", "entirely numeric"),
        ("password123", "too common"),
        ("Bismillah2024!", "“bismillah” is one of the words people use most"),
        ("b1sm1llah-99", "“bismillah” is one of the words"),
        ("SAYANGKU.123", "“sayangku” is one of the words"),
        ("indonesia1945", "“indonesia” is one of the words"),
        ("garda#2024#", "“garda” is one of the words"),
        ("aaaa1111aaaa", "at least 5 different characters"),
        ("psm.siti-77x", "your name, username or email (“psmsiti”)"),
        ("Aminah-kuat-sekali", "your name, username or email (“aminah”)"),
        ("Am1nah-kuat-sekali", "your name, username or email (“aminah”)"),
        ("rumah-di-lumut-9", "your region or office (“lumut”)"),
        ("Belinyu-jaya-2026", "your region or office (“belinyu”)"),
        ("kerja-sosial-itu-baik", "your region or office (“sosial”)"),
        ("lahir-di-Sungailiat", "your region or office (“sungailiat”)"),
        ("kopi-pagi-884321", "your phone number"),
        ("kopi-pagi-45079000", "your NIK or part of it"),
        ("kopi-pagi-05071990", "your date of birth"),
        (TEST_PASSWORD, "must differ from the current one"),
    ],
)
def test_each_rule_refuses_with_its_message(siti, password, message):
    assert message in refusal(password, siti)


@pytest.mark.parametrize(
    "password",
    ["Jalan-Kaki-Ke-Sawah-7", "kopi pagi di warung Yanti", "Bismillah-rezeki-lancar-7"],
)
def test_a_password_of_ones_own_words_is_accepted(siti, password):
    validate_password(password, siti)  # raises when refused


def test_without_a_user_the_common_words_and_the_office_still_count(built):
    assert "“bismillah”" in refusal("bismillah123", None)
    assert "your region or office (“bangka”)" in refusal("Bangka-kuat-2026", None)
    validate_password("Jalan-Kaki-Ke-Sawah-7", None)


class TestPages:
    def test_forced_change_refuses_with_the_rule_then_accepts(self, siti):
        client = client_for(siti)
        change = reverse("accounts:password_change")
        for new, message in (
            ("rumah-di-lumut-9", "your region or office"),
            (TEST_PASSWORD, "must differ from the current one"),
        ):
            response = client.post(
                change, {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new}
            )
            assert response.status_code == 200
            assert message in response.content.decode()
        siti.refresh_from_db()
        assert siti.check_password(TEST_PASSWORD) and siti.must_change_password

        good = "Jalan-Kaki-Ke-Sawah-7"
        response = client.post(
            change, {"old_password": TEST_PASSWORD, "new_password1": good, "new_password2": good}
        )
        assert response.status_code == 302
        siti.refresh_from_db()
        assert siti.check_password(good) and not siti.must_change_password

    def test_the_form_lists_the_rules(self, siti):
        page = client_for(siti).get(reverse("accounts:password_change")).content.decode()
        assert "such as “bismillah”" in page
        assert "phone number, NIK, date of birth" in page

    def test_reset_by_email_link_applies_the_rules(self, siti):
        client = Client()
        uid = urlsafe_base64_encode(force_bytes(siti.pk))
        token = default_token_generator.make_token(siti)
        link = reverse("accounts:password_reset_confirm", args=[uid, token])
        form_url = client.get(link)["Location"]  # Django moves the token into the session
        refused = client.post(
            form_url, {"new_password1": "Bismillah2024!", "new_password2": "Bismillah2024!"}
        )
        assert refused.status_code == 200
        assert "“bismillah” is one of the words" in refused.content.decode()
        good = "Jalan-Kaki-Ke-Sawah-7"
        accepted = client.post(form_url, {"new_password1": good, "new_password2": good})
        assert accepted.status_code == 302
        siti.refresh_from_db()
        assert siti.check_password(good)
