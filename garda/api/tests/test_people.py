"""Personal identifiers are masked in every answer; the full value only through the logged
reveal endpoint, for holders of the reveal permission. Viewers never reach people."""

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.activities.tests.factories import report
from garda.audit.models import Action, AuditEvent
from garda.cases.tests.factories import open_case
from garda.core.testing import BANGKA, BELINYU, LUMUT, OTHER_DESA, make_user
from garda.pilar.tests.factories import account_of, psm_with_account

from .factories import MAKERS, detail_url, household, list_url, resident, token_client

PEOPLE_ENDPOINTS = [
    "worker",
    "household",
    "resident",
    "enrolment",
    "distribution",
    "proposal",
    "case",
    "activity",
]


@pytest.mark.parametrize("role", [Role.STAF_DINAS, Role.KOORDINATOR])
def test_nik_and_no_kk_are_masked_even_for_those_who_may_reveal(bangka, role) -> None:
    person = resident(LUMUT)
    client = token_client(make_user(role, BANGKA if role == Role.STAF_DINAS else BELINYU))
    for url in (detail_url("resident", person), list_url("resident")):
        body = client.get(url).content.decode()
        assert person.nik not in body
        assert person.nik_masked in body
    keluarga = person.keluarga
    body = client.get(detail_url("household", keluarga)).content.decode()
    assert keluarga.no_kk not in body
    assert keluarga.no_kk_masked in body


def test_worker_nik_is_masked(bangka) -> None:
    pilar = MAKERS["worker"](LUMUT)
    body = token_client(make_user(Role.STAF_DINAS, BANGKA)).get(detail_url("worker", pilar))
    assert pilar.nik not in body.content.decode()
    assert body.json()["nik_masked"] == pilar.nik_masked


def test_reveal_gives_the_full_nik_and_logs_it(bangka) -> None:
    person = resident(LUMUT)
    staff = make_user(Role.STAF_DINAS, BANGKA)
    url = reverse("api:resident-reveal", args=[person.pk])
    response = token_client(staff).post(url, {"reason": "Verifikasi SIKS-NG"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"value": person.nik}
    event = AuditEvent.objects.get(action=Action.REVEAL, object_id=str(person.pk))
    assert event.actor == staff
    assert event.reason == "Verifikasi SIKS-NG"


def test_reveal_of_no_kk(bangka) -> None:
    keluarga = household(LUMUT)
    url = reverse("api:household-reveal", args=[keluarga.pk])
    response = token_client(make_user(Role.STAF_DINAS, BANGKA)).post(
        url, {"reason": "Cocokkan data bansos"}, format="json"
    )
    assert response.json() == {"value": keluarga.no_kk}


def test_reveal_needs_a_reason(bangka) -> None:
    person = resident(LUMUT)
    url = reverse("api:resident-reveal", args=[person.pk])
    response = token_client(make_user(Role.STAF_DINAS, BANGKA)).post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "reason" in response.json()["errors"]
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_reveal_without_the_permission_is_403_and_outside_the_area_404(bangka) -> None:
    person, far = resident(LUMUT), resident(OTHER_DESA)
    psm_like = token_client(make_user(Role.KOORDINATOR, BELINYU))
    response = psm_like.post(
        reverse("api:resident-reveal", args=[person.pk]), {"reason": "ingin tahu"}, format="json"
    )
    assert response.status_code == 403
    staff = token_client(make_user(Role.STAF_DINAS, BANGKA))
    response = staff.post(
        reverse("api:resident-reveal", args=[far.pk]), {"reason": "ingin tahu"}, format="json"
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_a_viewer_sees_aggregates_but_never_people(bangka) -> None:
    client = token_client(make_user(Role.VIEWER, BANGKA))
    for basename in PEOPLE_ENDPOINTS:
        obj = MAKERS[basename](LUMUT)
        assert client.get(list_url(basename)).status_code == 403, basename
        assert client.get(detail_url(basename, obj)).status_code == 403, basename
    for basename in ("region", "programme", "indicator", "rollup"):
        assert client.get(list_url(basename)).status_code == 200, basename


def test_case_answers_leave_the_narrative_out(bangka) -> None:
    case = MAKERS["case"](LUMUT)
    body = token_client(make_user(Role.KOORDINATOR, BELINYU)).get(detail_url("case", case))
    assert body.status_code == 200
    assert case.narrative not in body.content.decode()
    assert body.json()["number"] == case.number


def test_a_report_names_its_case_only_to_those_who_may_read_cases(bangka) -> None:
    user = account_of(psm_with_account(code=LUMUT))
    linked = report(user, code=LUMUT, case=open_case(code=LUMUT))
    plain = report(user, code=LUMUT)
    staff = token_client(make_user(Role.STAF_DINAS, BANGKA))
    operator = token_client(make_user(Role.OPERATOR_DESA, LUMUT))  # people, but not cases
    assert staff.get(detail_url("activity", linked)).json()["case"] == str(linked.case_id)
    assert staff.get(detail_url("activity", plain)).json()["case"] is None
    assert operator.get(detail_url("activity", linked)).status_code == 200
    assert operator.get(detail_url("activity", linked)).json()["case"] is None
    listed = {row["id"]: row["case"] for row in staff.get(list_url("activity")).json()["results"]}
    assert listed == {str(linked.pk): str(linked.case_id), str(plain.pk): None}
