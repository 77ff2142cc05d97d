"""`/metrics`: the Prometheus text for the scraper with the token, 401 for everyone else."""

import datetime
import uuid

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from garda.accounts.roles import Role
from garda.activities.models import PhotoUpload
from garda.activities.tests.factories import psm, report
from garda.core.testing import BANGKA, client_for, make_user
from garda.ops.tests.test_health import waiting_task

TOKEN = "metrics-token-for-tests"
pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.GARDA_METRICS_TOKEN = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["no-token", "wrong-token", "not-bearer"],
)
def test_without_the_token_nobody_gets_metrics(client, token, headers):
    response = client.get(reverse("ops:metrics"), headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"garda_" not in response.content


def test_no_configured_token_means_no_metrics(client, settings):
    settings.GARDA_METRICS_TOKEN = ""
    response = client.get(reverse("ops:metrics"), headers={"Authorization": "Bearer "})
    assert response.status_code == 401


def test_a_logged_in_administrator_needs_the_token_too(district):
    admin = make_user(Role.ADMIN_DINAS, BANGKA)
    assert client_for(admin).get(reverse("ops:metrics")).status_code == 401


def test_requests_latency_queue_and_sync_backlog(client, token, district):
    before = samples(client.get(reverse("ops:metrics"), headers=token))
    login = (("method", "GET"), ("status", "200"), ("view", "accounts:login"))
    client.get(reverse("accounts:login") + "?next=/kasus/")
    client.get("/no-such-page/")
    _pilar, user = psm()
    activity = report(user)
    PhotoUpload.objects.create(
        activity=activity, client_uuid=uuid.uuid4(), total=1000, received=400, part="x.part"
    )
    waiting_task(waited=datetime.timedelta(minutes=2))

    response = client.get(reverse("ops:metrics"), headers=token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    after = samples(response)
    requests = "garda_http_requests_total"
    assert after[requests, login] == before.get((requests, login), 0) + 1
    unresolved = (("method", "GET"), ("status", "404"), ("view", "<unresolved>"))
    assert after[requests, unresolved] >= 1
    assert after["garda_http_request_duration_seconds_count", (("view", "accounts:login"),)] >= 1
    assert after["garda_tasks_waiting", ()] == 1
    assert after["garda_task_oldest_wait_seconds", ()] >= 120
    assert after["garda_sync_photo_uploads_incomplete", ()] == 1
    assert after["garda_sync_photo_bytes_outstanding", ()] == 600
    assert user.username not in response.content.decode()
