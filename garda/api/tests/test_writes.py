"""Recording a distribution outcome through the API uses the page's service and rules."""

import datetime

from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, LUMUT, OTHER_DESA, make_user
from garda.programs.models import DistributionEvent, DistributionStatus

from .factories import planned_distribution, token_client


def record_url(distribution) -> str:
    return reverse("api:distribution-record", args=[distribution.pk])


def delivered(version: int) -> dict:
    return {
        "status": DistributionStatus.DELIVERED,
        "distributed_on": "2026-08-03",
        "channel": "bank",
        "version": version,
    }


def test_a_coordinator_records_a_delivery(bangka) -> None:
    distribution = planned_distribution(LUMUT)
    client = token_client(make_user(Role.KOORDINATOR, BELINYU))
    response = client.post(record_url(distribution), delivered(distribution.version), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == DistributionStatus.DELIVERED
    distribution.refresh_from_db()
    assert distribution.distributed_on == datetime.date(2026, 8, 3)
    assert DistributionEvent.objects.filter(
        distribution=distribution, to_status=DistributionStatus.DELIVERED
    ).exists()


def test_a_stale_version_is_409_and_nothing_changes(bangka) -> None:
    distribution = planned_distribution(LUMUT)
    client = token_client(make_user(Role.KOORDINATOR, BELINYU))
    assert client.post(record_url(distribution), delivered(1), format="json").status_code == 200
    failed = {"status": DistributionStatus.FAILED, "reason": "Tidak di rumah", "version": 1}
    response = client.post(record_url(distribution), failed, format="json")
    assert response.status_code in {400, 409}
    assert response.json()["code"] in {"concurrent_edit", "invalid_state"}
    distribution.refresh_from_db()
    assert distribution.status == DistributionStatus.DELIVERED


def test_rules_of_the_service_answer_400(bangka) -> None:
    distribution = planned_distribution(LUMUT)
    client = token_client(make_user(Role.KOORDINATOR, BELINYU))
    data = {"status": DistributionStatus.FAILED, "version": distribution.version}
    response = client.post(record_url(distribution), data, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_who_may_record(bangka) -> None:
    here, far = planned_distribution(LUMUT), planned_distribution(OTHER_DESA)
    viewer = token_client(make_user(Role.PIMPINAN, BANGKA))  # reads people, records nothing
    assert viewer.post(record_url(here), delivered(1), format="json").status_code == 403
    coordinator = token_client(make_user(Role.KOORDINATOR, BELINYU))
    assert coordinator.post(record_url(far), delivered(1), format="json").status_code == 404
    here.refresh_from_db()
    assert here.status == DistributionStatus.SCHEDULED
