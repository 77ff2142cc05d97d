"""Error bodies ({"detail", "code"}), the answer language, rate limits."""

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, make_user

from .factories import detail_url, household, list_url, token_client

RATES = {
    "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
}


def rest_framework(**changes):
    from django.conf import settings

    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, **changes})


@pytest.fixture
def staff(bangka):
    return token_client(make_user(Role.STAF_DINAS, BANGKA))


def missing_url() -> str:
    return reverse("api:household-detail", args=["00000000-0000-0000-0000-000000000000"])


def test_not_found_is_indonesian_by_default(staff) -> None:
    response = staff.get(missing_url())
    assert response.status_code == 404
    assert response.json() == {"detail": "Data tidak ditemukan.", "code": "not_found"}
    assert response["Content-Language"] == "id"


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"lang": "en"}, {}), ({}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9,id;q=0.5"})],
)
def test_english_on_request(staff, query, headers) -> None:
    response = staff.get(missing_url(), query, **headers)
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert response["Content-Language"] == "en"


def test_lang_parameter_wins_over_the_header(staff) -> None:
    response = staff.get(missing_url(), {"lang": "id"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "id"


def test_a_garbled_or_unknown_token_is_401(bangka) -> None:
    for header in ("Token nope", "Token", "Token a b", "Bearer garda_x"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(list_url("region"))
        assert response.status_code == 401, header
        assert response.json()["code"] == "authentication_failed"


def test_wrong_method_and_bad_json(staff) -> None:
    response = staff.post(list_url("household"), {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    keluarga = household(LUMUT)
    response = staff.post(
        reverse("api:household-reveal", args=[keluarga.pk]),
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_bad_detail_id_is_404_not_500(staff) -> None:
    response = staff.get("/api/v1/households/not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_users_are_rate_limited_with_a_clear_429(bangka) -> None:
    client = token_client(make_user(Role.STAF_DINAS, BANGKA))
    with rest_framework(**RATES):
        answers = [client.get(list_url("region")) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    body = answers[-1].json()
    assert body["code"] == "throttled"
    assert "detik" in body["detail"] or "seconds" in body["detail"]
    assert int(answers[-1]["Retry-After"]) > 0


def test_limits_are_per_user(bangka) -> None:
    first = token_client(make_user(Role.STAF_DINAS, BANGKA))
    second = token_client(make_user(Role.STAF_DINAS, BANGKA))
    with rest_framework(**RATES):
        for _ in range(3):
            first.get(list_url("region"))
        assert first.get(list_url("region")).status_code == 429
        assert second.get(list_url("region")).status_code == 200


def test_anonymous_callers_are_limited_by_address(bangka) -> None:
    with rest_framework(**RATES):
        answers = [APIClient().get(reverse("api:schema")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]


def test_the_household_detail_shape(staff) -> None:
    keluarga = household(LUMUT)
    body = staff.get(detail_url("household", keluarga)).json()
    assert body["id"] == str(keluarga.pk)
    assert body["wilayah"] == LUMUT
