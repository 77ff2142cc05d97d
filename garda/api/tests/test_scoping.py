"""Every endpoint answers like the pages: anonymous -> 401, a role without the page's permission
-> 403, a row outside the caller's areas -> 404 (and absent from the list), own area -> 200."""

import pytest
from rest_framework.test import APIClient

from garda.accounts.roles import Role
from garda.core.testing import BELINYU, LUMUT, OTHER_DESA, make_user

from .factories import MAKERS, detail_url, list_url, token_client

# basename -> (allowed role, its region), (a role without the permission, its region)
PEOPLE = ((Role.KOORDINATOR, BELINYU), (Role.VIEWER, "19.01"))
CASES = {
    "region": ((Role.PSM, LUMUT), (None, "19.01")),
    "programme": ((Role.KOORDINATOR, BELINYU), (None, "19.01")),
    "worker": PEOPLE,
    "household": PEOPLE,
    "resident": PEOPLE,
    "enrolment": PEOPLE,
    "distribution": PEOPLE,
    "proposal": PEOPLE,
    "case": ((Role.KOORDINATOR, BELINYU), (Role.OPERATOR_DESA, LUMUT)),
    "activity": PEOPLE,
}


def ids(response, key: str) -> set[str]:
    return {str(row[key]) for row in response.json()["results"]}


@pytest.mark.parametrize("basename", sorted(CASES))
class TestEndpointScoping:
    def test_anonymous_gets_401_with_an_error_body(self, bangka, basename) -> None:
        obj = MAKERS[basename](LUMUT)
        for url in (list_url(basename), detail_url(basename, obj)):
            response = APIClient().get(url)
            assert response.status_code == 401
            assert response.json()["code"] == "not_authenticated"
            assert response["WWW-Authenticate"] == "Token"

    def test_wrong_role_gets_403(self, bangka, basename) -> None:
        obj = MAKERS[basename](LUMUT)
        client = token_client(make_user(*CASES[basename][1]))
        for url in (list_url(basename), detail_url(basename, obj)):
            response = client.get(url)
            assert response.status_code == 403
            assert response.json()["code"] == "permission_denied"

    def test_other_area_is_404_and_not_listed(self, bangka, basename) -> None:
        own, other = MAKERS[basename](LUMUT), MAKERS[basename](OTHER_DESA)
        client = token_client(make_user(*CASES[basename][0]))
        response = client.get(detail_url(basename, other))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        listed = client.get(list_url(basename), {"limit": 200})
        assert listed.status_code == 200
        key = "code" if basename == "region" else "id"
        assert str(getattr(own, key)) in ids(listed, key)
        assert str(getattr(other, key)) not in ids(listed, key)

    def test_own_area_is_served(self, bangka, basename) -> None:
        obj = MAKERS[basename](LUMUT)
        client = token_client(make_user(*CASES[basename][0]))
        response = client.get(detail_url(basename, obj))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["Cache-Control"] == "private, no-store"


def test_a_session_works_like_a_token(bangka) -> None:
    from garda.core.testing import client_for

    obj = MAKERS["household"](LUMUT)
    client = client_for(make_user(Role.KOORDINATOR, BELINYU))
    assert client.get(detail_url("household", obj)).status_code == 200
    assert client.get(detail_url("household", MAKERS["household"](OTHER_DESA))).status_code == 404
