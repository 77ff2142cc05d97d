"""Proposals drafted on a phone: the sync endpoint checks them with the web page's proposal
form (so scoped exactly like it), writes a draft once per client UUID, refuses bad data with
the reasons and writes nothing; their evidence arrives in resumable chunks like report photos.
"""

import datetime
import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from garda.core.testing import BINTET, LUMUT, client_for
from garda.programs.models import Proposal, ProposalEvent, ProposalStatus
from garda.programs.services.proposals import proposal_update
from garda.programs.tests.test_proposals import psm_of
from garda.registry.models import Relation
from garda.registry.tests.factories import nik_for

from . import factories as f

pytestmark = pytest.mark.usefixtures("bangka", "english")

SYNC = reverse("activities:sync_proposal")
BORN = datetime.date(1979, 8, 17)


def new_entry(code: str = LUMUT, **data: Any) -> dict[str, Any]:
    """A new registry entry as the phone's proposal form sends it."""
    return {
        "wilayah": code,
        "name": "Rahmat Hidayat",
        "nik": nik_for(BORN, "L"),
        "no_kk": "1901020103150777",
        "sex": "L",
        "birth_place": "Belinyu",
        "birth_date": BORN.isoformat(),
        "mother_name": "Siti Aminah",
        "relation": Relation.KEPALA,
        "address": "Jl. Pantai Lumut",
        "justification": "Rumah tidak layak huni, tidak ada penghasilan tetap.",
        "latitude": "-1.633210",
        "longitude": "105.771020",
        **data,
    }


def send(client: Client, data: dict[str, Any], *, key: uuid.UUID, base_version: int | None = None):
    body = {"client_uuid": str(key), "kind": "baru", "base_version": base_version, "data": data}
    return client.post(SYNC, json.dumps(body), content_type="application/json")


def test_the_same_uuid_twice_is_one_draft_and_a_change_updates_it():
    client = client_for(psm_of(LUMUT))
    key, data = uuid.uuid4(), new_entry()
    first, again = send(client, data, key=key), send(client, data, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["outcome"] == "unchanged" and again.json()["id"] == first.json()["id"]
    proposal = Proposal.objects.get()
    assert (proposal.client_uuid, proposal.status) == (key, ProposalStatus.DRAFT)
    assert ProposalEvent.objects.filter(proposal=proposal).count() == 1

    changed = {**data, "justification": "Atap bocor, dinding papan lapuk."}
    response = send(client, changed, key=key, base_version=first.json()["version"])
    assert (response.status_code, response.json()["outcome"]) == (200, "updated")
    proposal.refresh_from_db()
    assert proposal.justification == "Atap bocor, dinding papan lapuk."
    assert Proposal.objects.count() == 1


def test_a_draft_changed_on_the_server_meanwhile_comes_back_with_both_versions():
    user = psm_of(LUMUT)
    client = client_for(user)
    key, data = uuid.uuid4(), new_entry()
    version = send(client, data, key=key).json()["version"]
    proposal = Proposal.objects.get()
    on_the_web = {**data, "justification": "Diperbaiki di kantor desa."}
    on_the_web["wilayah"] = proposal.wilayah
    proposal_update(actor=user, proposal=proposal, data=on_the_web, expected_version=version)
    mine = {**data, "justification": "Atap bocor, dinding papan lapuk."}
    response = send(client, mine, key=key, base_version=version)
    assert response.status_code == 409
    body = response.json()
    assert body["message"].startswith("This proposal was changed on the server")
    assert body["server"]["justification"] == "Diperbaiki di kantor desa."
    assert body["server"]["version"] == version + 1
    assert body["yours"]["justification"] == "Atap bocor, dinding papan lapuk."
    assert body["server"]["subject"] == body["yours"]["subject"] == "Rahmat Hidayat"
    assert data["nik"] not in response.content.decode()  # no full NIK in either version
    proposal.refresh_from_db()
    assert proposal.justification == "Diperbaiki di kantor desa."  # nothing overwritten
    # "Keep mine": sent again on top of the server's version, it is applied.
    kept = send(client, mine, key=key, base_version=body["server"]["version"])
    assert (kept.status_code, kept.json()["outcome"]) == (200, "updated")


def test_a_desa_outside_the_area_is_refused_and_another_areas_proposal_is_not_found():
    client = client_for(psm_of(LUMUT))
    response = send(client, new_entry(BINTET), key=uuid.uuid4())
    assert response.status_code == 404
    assert response.json()["message"] == (
        "You may only make proposals for residents of your own area."
    )
    theirs = uuid.uuid4()
    assert send(client_for(psm_of(BINTET)), new_entry(BINTET), key=theirs).status_code == 201
    assert send(client, new_entry(), key=theirs).status_code == 404  # their UUID, from Lumut
    assert Proposal.objects.filter(wilayah_id=LUMUT).count() == 0


def test_invalid_data_is_400_with_the_reasons_and_nothing_is_written():
    client = client_for(psm_of(LUMUT))
    response = send(client, new_entry(sex="X", justification=""), key=uuid.uuid4())
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"sex", "justification"}  # the web form's checks...
    assert errors["justification"] == ["justification: This field is required."]
    response = send(client, new_entry(nik="1234"), key=uuid.uuid4())
    assert response.status_code == 400  # ...and the service's
    assert set(response.json()["errors"]) == {"nik"}
    data = new_entry()
    assert send(client, data, key=uuid.uuid4()).status_code == 201
    duplicate = send(client, data, key=uuid.uuid4())  # another draft for the same NIK
    assert duplicate.status_code == 400
    assert duplicate.json()["message"] == "This NIK is already in an open proposal."
    assert Proposal.objects.count() == 1


def test_evidence_arrives_in_chunks_once_and_only_for_a_draft():
    user = psm_of(LUMUT)
    client = client_for(user)
    key = uuid.uuid4()
    send(client, new_entry(), key=key)
    photo = uuid.uuid4()
    content = f.jpeg_bytes(size=(600, 400))
    total = len(content)
    base = reverse("activities:sync_evidence", args=[photo])
    base += f"?usulan={key}&berkas=photo_front"

    def chunk(offset: int, part: bytes):
        url = f"{base}&offset={offset}&total={total}"
        return client.post(url, part, content_type="application/octet-stream").json()

    assert chunk(0, content[:1000]) == {"received": 1000, "total": total, "done": False}
    assert client.get(base).json()["received"] == 1000  # where to resume
    assert chunk(1000, content[1000:])["done"] is True
    proposal = Proposal.objects.get()
    stored, version = proposal.photo_front.name, proposal.version
    assert chunk(1000, content[1000:])["done"] is True  # the answer was lost: sent again
    assert client.get(base).json()["done"] is True
    proposal.refresh_from_db()
    assert (proposal.photo_front.name, proposal.version) == (stored, version)

    def other_file(field: str):
        url = reverse("activities:sync_evidence", args=[uuid.uuid4()])
        url += f"?usulan={key}&berkas={field}&offset=0&total=3"
        return client.post(url, b"abc", content_type="application/octet-stream")

    assert other_file("nik").json()["message"] == "This proposal has no such evidence."
    # Submitted meanwhile (on the web, with the rest of its evidence): it takes no more.
    Proposal.objects.filter(pk=proposal.pk).update(status=ProposalStatus.SUBMITTED)
    refused = other_file("photo_inside")
    assert refused.status_code == 400 and "draft" in refused.json()["message"]
