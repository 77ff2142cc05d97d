"""Objections (sanggah): filing with photo and GPS against a resident of the same desa, the
14-day deadline, decisions, lapsing by the scheduled task (idempotent), and the pages with the
scoping contract."""

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.testing import (
    BANGKA,
    BINTET,
    LUMUT,
    OTHER_DESA,
    ScopedViewContract,
    client_for,
    make_user,
    other_district,
)
from garda.programs.models import Objection, ObjectionEvent, ObjectionStatus
from garda.programs.services import objections as services
from garda.programs.tasks import objections_lapse
from garda.registry.tests.factories import jpeg_upload, pdf_upload, register_individu

from .factories import make_program


def today() -> datetime.date:
    return timezone.localdate()


def file_objection(code: str = LUMUT, *, actor=None, **data: Any) -> Objection:
    if code.startswith("19.02"):
        other_district()
    subject = data.pop("individu", None) or register_individu(code=code)
    data.setdefault("objector_name", "Pak Rusdi")
    data.setdefault("grounds", "Punya mobil dan toko, tidak layak menerima bantuan.")
    data.setdefault("photo", jpeg_upload())
    data.setdefault("latitude", "-1.6321")
    data.setdefault("longitude", "105.7712")
    return services.objection_file(
        actor=actor or make_user(Role.PSM, code), individu=subject, **data
    )


def staff(code: str = BANGKA):
    return make_user(Role.STAF_DINAS, ".".join(code.split(".")[:2]))


class TestFiling:
    def test_psm_files_an_objection_with_a_14_day_deadline(self, bangka):
        program = make_program()
        objection = file_objection(program=program, objector_nik="1901024507900001")
        assert objection.status == ObjectionStatus.OPEN
        assert objection.due_on == today() + datetime.timedelta(days=14)
        assert (objection.photo.name or "").endswith(".jpg")  # re-encoded
        assert objection.objector_nik == "1901024507900001"
        assert objection.events.get().to_status == ObjectionStatus.OPEN
        trail = AuditEvent.objects.get(object_id=str(objection.pk))
        assert trail.changes["objector_nik"] == [None, "***"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"photo": None}, "photo"),
            ({"photo": pdf_upload()}, "photo"),
            ({"latitude": ""}, "latitude"),
            ({"longitude": "500"}, "longitude"),
            ({"grounds": "  "}, "grounds"),
            ({"objector_name": ""}, "objector_name"),
            ({"objector_nik": "123"}, "objector_nik"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_saved(self, bangka, change, field):
        with pytest.raises(GardaError) as error:
            file_objection(**change)
        assert error.value.field == field
        assert not Objection.objects.exists()

    def test_only_in_the_own_desa_and_by_a_resident_of_it(self, bangka):
        bintet = register_individu(code=BINTET)
        with pytest.raises(NotAllowed):
            file_objection(individu=bintet, actor=make_user(Role.PSM, LUMUT))
        outsider = register_individu(code=BINTET)
        with pytest.raises(GardaError) as error:
            file_objection(objector_nik=outsider.nik)
        assert error.value.field == "objector_nik"

    def test_the_desa_operator_may_file_too(self, bangka):
        assert file_objection(actor=make_user(Role.OPERATOR_DESA, LUMUT)).pk


class TestDeciding:
    def test_dinas_upholds_or_dismisses_within_the_deadline(self, bangka):
        objection = file_objection()
        services.objection_decide(
            actor=staff(), objection=objection, upheld=True, outcome="Terbukti mampu"
        )
        objection.refresh_from_db()
        assert objection.status == ObjectionStatus.UPHELD
        with pytest.raises(InvalidState):
            services.objection_decide(actor=staff(), objection=objection, upheld=False, outcome="x")
        other = file_objection()
        with pytest.raises(GardaError):
            services.objection_decide(actor=staff(), objection=other, upheld=False, outcome=" ")
        with pytest.raises(NotAllowed):
            services.objection_decide(
                actor=make_user(Role.PSM, LUMUT), objection=other, upheld=False, outcome="x"
            )

    def test_refused_after_the_deadline(self, bangka):
        objection = file_objection()
        late = objection.due_on + datetime.timedelta(days=1)
        with pytest.raises(InvalidState) as error:
            services.objection_decide(
                actor=staff(), objection=objection, upheld=True, outcome="x", today=late
            )
        assert objection.due_on.strftime("%d-%m-%Y") in error.value.message
        # On the last day it may still be decided.
        services.objection_decide(
            actor=staff(), objection=objection, upheld=False, outcome="x", today=objection.due_on
        )


class TestLapse:
    def test_the_task_lapses_overdue_objections_once(self, bangka):
        overdue = file_objection()
        Objection.objects.filter(pk=overdue.pk).update(
            filed_on=today() - datetime.timedelta(days=15),
            due_on=today() - datetime.timedelta(days=1),
        )
        on_time = file_objection()
        decided = file_objection()
        services.objection_decide(actor=staff(), objection=decided, upheld=False, outcome="x")
        Objection.objects.filter(pk=decided.pk).update(due_on=today() - datetime.timedelta(days=1))

        result = objections_lapse.enqueue()
        assert result.return_value == 1
        overdue.refresh_from_db()
        assert overdue.status == ObjectionStatus.LAPSED
        event = overdue.events.get(to_status=ObjectionStatus.LAPSED)
        assert event.actor is None and event.note
        assert Objection.objects.get(pk=on_time.pk).status == ObjectionStatus.OPEN
        assert Objection.objects.get(pk=decided.pk).status == ObjectionStatus.DISMISSED

        assert services.objection_lapse_overdue() == 0  # idempotent
        assert ObjectionEvent.objects.filter(to_status=ObjectionStatus.LAPSED).count() == 1
        with pytest.raises(InvalidState):
            services.objection_decide(actor=staff(), objection=overdue, upheld=True, outcome="x")

    def test_the_command_does_the_same(self, bangka):
        objection = file_objection()
        Objection.objects.filter(pk=objection.pk).update(
            due_on=today() - datetime.timedelta(days=2)
        )
        out = StringIO()
        call_command("lapse_objections", stdout=out)
        assert "1" in out.getvalue()
        call_command("lapse_objections", stdout=StringIO())
        assert ObjectionEvent.objects.filter(to_status=ObjectionStatus.LAPSED).count() == 1


# --- pages -------------------------------------------------------------------------------------


class PsmContract(ScopedViewContract):
    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return file_objection(code)


class TestDetail(PsmContract):
    def url_for(self, obj):
        return reverse("programs:objection_detail", args=[obj.pk])


class TestPhoto(PsmContract):
    def url_for(self, obj):
        return reverse("programs:objection_photo", args=[obj.pk])


class TestDecidePage(PsmContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    other_area = OTHER_DESA

    def url_for(self, obj):
        return reverse("programs:objection_decide", args=[obj.pk])


class TestDecidePost(TestDecidePage):
    method = "post"
    ok_status = 302
    current: Any = None

    def url_for(self, obj):
        self.current = obj
        return super().url_for(obj)

    def request(self, client: Client, url: str):
        return client.post(
            url, {"decision": ObjectionStatus.DISMISSED, "outcome": "x", "version": 1}
        )


LIST = reverse("programs:objection_list")
CREATE = reverse("programs:objection_create")


class TestPages:
    def test_roles_on_the_list_and_the_form(self, bangka):
        assert Client().get(LIST).status_code == 302
        assert client_for(make_user(Role.VIEWER, BANGKA)).get(LIST).status_code == 403
        assert client_for(make_user(Role.PIMPINAN, BANGKA)).get(CREATE).status_code == 403
        assert client_for(make_user(Role.PSM, LUMUT)).get(CREATE).status_code == 200

    def test_psm_files_by_nik_only_in_the_own_desa(self, bangka):
        person = register_individu(code=LUMUT)
        outsider = register_individu(code=BINTET)
        payload = {
            "objector_name": "Bu Ani",
            "grounds": "Sudah pindah ke Jakarta.",
            "latitude": "-1.63",
            "longitude": "105.77",
        }
        client = client_for(make_user(Role.PSM, LUMUT))
        refused = client.post(CREATE, {**payload, "subject": outsider.nik, "photo": jpeg_upload()})
        assert refused.context["form"].errors["subject"]
        response = client.post(CREATE, {**payload, "subject": person.nik, "photo": jpeg_upload()})
        objection = Objection.objects.get()
        assert response["Location"] == objection.get_absolute_url()
        assert objection.individu == person

    def test_list_filters_and_query_count(self, bangka, django_assert_max_num_queries):
        lapsed = file_objection()
        Objection.objects.filter(pk=lapsed.pk).update(status=ObjectionStatus.LAPSED)
        soon = file_objection()
        Objection.objects.filter(pk=soon.pk).update(due_on=today() + datetime.timedelta(days=2))
        file_objection()
        file_objection(BINTET)
        client = client_for(staff())
        client.get(LIST)
        with django_assert_max_num_queries(12) as few:
            response = client.get(LIST)
        assert len(response.context["object_list"]) == 4
        for _index in range(5):
            file_objection(BINTET)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(LIST)
        assert [o.pk for o in client.get(LIST, {"state": "lapsed"}).context["object_list"]] == [
            lapsed.pk
        ]
        assert [o.pk for o in client.get(LIST, {"state": "due_soon"}).context["object_list"]] == [
            soon.pk
        ]
        psm_rows = client_for(make_user(Role.PSM, BINTET)).get(LIST).context["object_list"]
        assert {o.wilayah_id for o in psm_rows} == {BINTET}

    def test_decision_through_the_page(self, bangka):
        objection = file_objection()
        client = client_for(staff())
        client.post(
            reverse("programs:objection_decide", args=[objection.pk]),
            {"decision": ObjectionStatus.UPHELD, "outcome": "Benar", "version": objection.version},
        )
        objection.refresh_from_db()
        assert objection.status == ObjectionStatus.UPHELD
        page = client.get(objection.get_absolute_url())
        assert not page.context["can_decide"]
        assert objection.individu is not None
