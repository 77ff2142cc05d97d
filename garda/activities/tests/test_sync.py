"""The phone's sync endpoints over HTTP: scoped like every page (the JSON answers 401 to an
anonymous phone instead of a login page), CSRF-protected, and idempotent: the same UUID twice
is one report, a broken photo upload resumes, a version conflict is a 409 with both versions."""

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.testing import BINTET, LUMUT, ScopedViewContract, client_for, make_user

from .. import services
from ..models import Activity, ActivityEvent, Photo
from . import factories as f

SYNC = "/kegiatan/sync/laporan/"


def post_json(client: Client, payload: dict[str, Any]):
    return client.post(SYNC, json.dumps(payload), content_type="application/json")


def payload(code: str = LUMUT, *, key: uuid.UUID | None = None, **data: Any) -> dict[str, Any]:
    return {
        "client_uuid": str(key or uuid.uuid4()),
        "base_version": None,
        "submit": True,
        "data": f.json_data(code, **data),
    }


class JsonContract(ScopedViewContract):
    """Anonymous phones get 401 JSON, not the login page."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.OPERATOR_DESA, LUMUT)
    own_area = LUMUT
    other_area = BINTET

    @pytest.fixture
    def allowed_user(self, bangka):
        _pilar, self.reporter = f.psm(LUMUT)
        return self.reporter

    def test_anonymous_is_sent_to_login(self, bangka) -> None:
        response = self.request(Client(), self.url_for(self.make_object(self.own_area)))
        assert response.status_code == 401
        assert response.json()["message"]


class TestSyncReport(JsonContract):
    method = "post"
    ok_status = 201

    def make_object(self, code: str) -> dict[str, Any]:
        return payload(code)

    def url_for(self, obj: dict[str, Any]) -> Any:
        return obj

    def request(self, client: Client, url: Any):
        return post_json(client, url)


class TestSyncExistingReport(TestSyncReport):
    """A report of another area, sent by UUID: 404 like a missing one."""

    ok_status = 200

    def make_object(self, code: str) -> dict[str, Any]:
        user = getattr(self, "reporter", None) if code == self.own_area else None
        if user is None:
            _pilar, user = f.psm(code)
        activity = f.report(user, code=code)
        body = payload(code, key=activity.client_uuid)
        body["submit"] = False
        return body


class TestPhotoChunk(JsonContract):
    method = "get"

    def make_object(self, code: str) -> Activity:
        user = getattr(self, "reporter", None) if code == self.own_area else None
        if user is None:
            _pilar, user = f.psm(code)
        return f.report(user, code=code)

    def url_for(self, obj: Activity) -> str:
        photo = uuid.uuid4()
        return reverse("activities:sync_photo", args=[photo]) + f"?laporan={obj.client_uuid}"


def test_session_endpoint_gives_a_token_and_refuses_others(bangka):
    url = reverse("activities:sync_session")
    assert Client().get(url).status_code == 401
    assert client_for(make_user(Role.VIEWER, "19.01")).get(url).status_code == 403
    _pilar, user = f.psm(LUMUT)
    body = client_for(user).get(url).json()
    assert body["user"] == user.username and body["csrf"]


def test_the_same_uuid_twice_is_one_report(bangka):
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    body = payload()
    first, second = post_json(client, body), post_json(client, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["outcome"] == "unchanged"
    assert Activity.objects.count() == 1
    assert ActivityEvent.objects.filter(to_status="submitted").count() == 1


def test_a_conflict_answers_409_with_both_versions_and_keeps_the_server_version(bangka):
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    body = payload()
    created = post_json(client, body).json()
    activity = Activity.objects.get(pk=created["id"])
    services.activity_return(
        actor=f.coordinator(), activity=activity, reason="Lengkapi jumlah peserta"
    )
    changed = {**body, "base_version": created["version"]}
    changed["data"] = {**body["data"], "description": "Versi dari HP"}
    response = post_json(client, changed)
    assert response.status_code == 409
    answer = response.json()
    assert answer["server"]["status"] == "returned"
    assert answer["server"]["version"] == created["version"] + 1
    assert answer["yours"]["description"] == "Versi dari HP"
    activity.refresh_from_db()
    assert activity.description != "Versi dari HP"
    # The user chose to keep theirs: sent on top of the version they have now seen.
    chosen = {**changed, "base_version": answer["server"]["version"]}
    assert post_json(client, chosen).status_code == 200
    activity.refresh_from_db()
    assert activity.description == "Versi dari HP" and activity.status == "submitted"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (json.dumps({"data": {}}).encode(), 400),
        (json.dumps({"client_uuid": "x", "data": {}}).encode(), 400),
    ],
)
def test_unreadable_records_are_400(bangka, body, status):
    _pilar, user = f.psm(LUMUT)
    response = client_for(user).post(SYNC, body, content_type="application/json")
    assert response.status_code == status
    assert not Activity.objects.exists()


def test_invalid_fields_are_400_with_the_fields(bangka):
    _pilar, user = f.psm(LUMUT)
    response = post_json(client_for(user), payload(description="", jenis="nope"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"description", "jenis"}


def test_sync_without_the_csrf_token_is_refused(bangka):
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    client.handler.enforce_csrf_checks = True
    assert post_json(client, payload()).status_code == 403
    token = client.get(reverse("activities:sync_session")).json()["csrf"]
    response = client.post(
        SYNC, json.dumps(payload()), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_a_photo_uploaded_in_chunks_resumes_after_a_broken_connection(bangka):
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    report_key = uuid.UUID(post_json(client, payload()).json()["id"])
    activity = Activity.objects.get(pk=report_key)
    photo = uuid.uuid4()
    content = f.jpeg_bytes(exif=True, size=(600, 400))
    total = len(content)
    base = reverse("activities:sync_photo", args=[photo]) + f"?laporan={activity.client_uuid}"

    def send(offset: int, chunk: bytes):
        return client.post(
            f"{base}&offset={offset}&total={total}",
            chunk,
            content_type="application/octet-stream",
        )

    assert client.get(base).json() == {"received": 0, "total": 0, "done": False}
    assert send(0, content[:1000]).json()["received"] == 1000
    # The connection dropped; the phone asks where to resume.
    assert client.get(base).json()["received"] == 1000
    assert send(0, content[:1000]).json()["received"] == 1000  # a stale retry changes nothing
    last = send(1000, content[1000:]).json()
    assert last == {"received": total, "total": total, "done": True}
    assert send(1000, content[1000:]).json()["done"] is True  # answer lost, sent again
    assert Photo.objects.filter(activity=activity).count() == 1
    assert client.get(base).json()["done"] is True


def test_a_photo_for_someone_elses_report_is_404(bangka):
    _pilar, user = f.psm(LUMUT)
    activity = f.report(user)
    _other, colleague = f.psm(LUMUT)
    url = (
        reverse("activities:sync_photo", args=[uuid.uuid4()])
        + f"?laporan={activity.client_uuid}&offset=0&total=3"
    )
    response = client_for(colleague).post(url, b"abc", content_type="application/octet-stream")
    assert response.status_code == 403  # visible in the desa, but not theirs to change
    assert not Photo.objects.exists()
