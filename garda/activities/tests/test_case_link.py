"""An activity report names the social case it was part of: only a case its author may see
(one outside the area reads exactly like a missing one), shown on the report's page, and the
case's page lists the reports about it."""

import json
import uuid

import pytest
from django.urls import reverse

from garda.cases.tests.factories import open_case
from garda.core.testing import BINTET, LUMUT, client_for

from .. import services
from ..models import Activity, ActivityType
from . import factories as f
from .test_sync import SYNC, payload

pytestmark = pytest.mark.usefixtures("bangka", "english")


def test_a_report_synced_with_a_case_of_the_area_is_linked_and_shown():
    _pilar, user = f.psm(LUMUT)
    case = open_case(code=LUMUT)
    client = client_for(user)
    body = payload(jenis=ActivityType.CASE_HANDLING, case=str(case.pk))
    response = client.post(SYNC, json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.case == case
    page = client.get(activity.get_absolute_url()).content.decode()
    assert case.get_absolute_url() in page and case.number in page


def test_a_case_outside_the_area_is_refused_like_a_missing_one():
    _pilar, user = f.psm(LUMUT)
    client = client_for(user)
    outside = open_case(code=BINTET)
    answers = []
    for key in (outside.pk, uuid.uuid4()):
        body = payload(jenis=ActivityType.CASE_HANDLING, case=str(key))
        response = client.post(SYNC, json.dumps(body), content_type="application/json")
        answers.append((response.status_code, response.json()["errors"]))
    assert answers[0] == answers[1]
    assert answers[0] == (400, {"case": ["Social case: There is no such case in your area."]})
    with pytest.raises(services.NotFound):  # the service checks too, whoever calls it
        f.report(user, case=outside)
    assert not Activity.objects.exists()


def test_the_case_page_lists_its_reports_and_offers_to_report_one():
    _pilar, user = f.psm(LUMUT)
    case = open_case(code=LUMUT, actor=user)
    linked = f.report(user, case=case, description="Pendampingan ke puskesmas")
    f.report(user, description="Kunjungan rumah lain")
    client = client_for(user)
    page = client.get(case.get_absolute_url())
    assert [a.pk for a in page.context["activities"]] == [linked.pk]
    capture = reverse("activities:capture") + f"?kasus={case.pk}"
    assert capture in page.content.decode()

    form = client.get(capture).context["form"]
    assert form.initial["case"] == case and form.initial["jenis"] == ActivityType.CASE_HANDLING
    outside = open_case(code=BINTET)
    assert client.get(reverse("activities:capture") + f"?kasus={outside.pk}").status_code == 404
