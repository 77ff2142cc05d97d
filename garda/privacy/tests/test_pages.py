"""The incident pages: who reaches them, what they show, and the forms through to the
services (a refusal is a message, never a 500; a second click does nothing more)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from garda.accounts.roles import Role
from garda.core.testing import (
    BANGKA,
    LUMUT,
    OTHER_DESA,
    OTHER_DISTRICT,
    ScopedViewContract,
    client_for,
    make_user,
    menu_urls,
)
from garda.registry.tests.factories import register_individu

from ..forms import FindForm
from ..models import AffectedSearch, DataKind, Incident, Status
from .factories import HOUR, advance, district_of, privacy_admin, record_incident

pytestmark = pytest.mark.usefixtures("english")

LIST = reverse("privacy:list")
CREATE = reverse("privacy:create")


def local(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%dT%H:%M}"


@pytest.fixture
def admin(bangka):
    return privacy_admin(BANGKA)


class IncidentContract(ScopedViewContract):
    allowed = (Role.ADMIN_DINAS, BANGKA)
    wrong_role = (Role.STAF_DINAS, BANGKA)
    own_area = LUMUT
    other_area = OTHER_DESA

    def make_object(self, code: str) -> Incident:
        return record_incident(district_of(code))


class TestDetailContract(IncidentContract):
    allowed = (Role.PIMPINAN, BANGKA)

    def url_for(self, obj: Incident) -> str:
        return obj.get_absolute_url()


class TestStepContract(IncidentContract):
    wrong_role = (Role.PIMPINAN, BANGKA)  # reads incidents, moves none

    def url_for(self, obj: Incident) -> str:
        return reverse("privacy:step", args=[obj.pk])


class TestFindContract(IncidentContract):
    def url_for(self, obj: Incident) -> str:
        return reverse("privacy:find", args=[obj.pk])


class TestLetterContract(IncidentContract):
    allowed = (Role.PIMPINAN, BANGKA)
    wrong_role = (Role.PSM, LUMUT)

    def url_for(self, obj: Incident) -> str:
        return reverse("privacy:letter_pdf", args=[obj.pk])


class TestList:
    def test_only_dinas_administrators_and_the_head_of_office(self, bangka):
        for role, code, status in [
            (Role.ADMIN_DINAS, BANGKA, 200),
            (Role.PIMPINAN, BANGKA, 200),
            (Role.STAF_DINAS, BANGKA, 403),
            (Role.KOORDINATOR, "19.01.02", 403),
            (Role.PSM, LUMUT, 403),
            (Role.VIEWER, BANGKA, 403),
        ]:
            assert client_for(make_user(role, code)).get(LIST).status_code == status, role

    def test_menu_entry_for_those_who_read_incidents(self, bangka):
        assert LIST in menu_urls(make_user(Role.PIMPINAN, BANGKA))
        assert LIST in menu_urls(make_user(Role.ADMIN_DINAS, BANGKA))
        assert LIST not in menu_urls(make_user(Role.STAF_DINAS, BANGKA))

    def test_open_first_nearest_deadline_first_overdue_flagged(self, admin):
        now = timezone.now()
        late = record_incident(actor=admin, title="Lama", discovered_at=now - 80 * HOUR)
        fresh = record_incident(actor=admin, title="Baru", discovered_at=now - HOUR)
        closed = record_incident(actor=admin, title="Selesai", measures="m", cause="c")
        for status in Status.values[1:]:
            closed = advance(closed, status, actor=admin)
        outside = record_incident(OTHER_DISTRICT, title="Bangka Barat")
        page = client_for(make_user(Role.PIMPINAN, BANGKA)).get(LIST)
        assert [i.pk for i in page.context["object_list"]] == [late.pk, fresh.pk, closed.pk]
        body = page.content.decode()
        # Hours over are counted up (the hour that has begun), hours left down.
        assert "overdue by 9 hours" in body and "70 hours left" in body
        assert outside.title not in body

    def test_query_count_is_pinned(self, admin, django_assert_num_queries):
        for _ in range(35):
            record_incident(actor=admin)
        client = client_for(admin)
        client.get(LIST)  # warm the session and the user's assignments
        with django_assert_num_queries(8):
            assert client.get(LIST).status_code == 200


class TestRecordAndCorrect:
    def data(self, admin, **extra):
        return {
            "wilayah": BANGKA,
            "title": "Berkas BNBA terkirim ke grup WA",
            "discovered_at": local(timezone.now() - HOUR),
            "reported_by": str(admin.pk),
            "description": "Berkas BNBA Oktober terkirim ke grup yang salah.",
            "data_kinds": [DataKind.IDENTITY_NUMBERS, DataKind.NAMES_ADDRESSES],
            "other_subjects": "12",
            **extra,
        }

    def test_record_through_the_page(self, admin):
        response = client_for(admin).post(CREATE, self.data(admin))
        incident = Incident.objects.get()
        assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
        assert incident.other_subjects == 12 and incident.reported_by == admin
        page = client_for(admin).get(incident.get_absolute_url()).content.decode()
        assert "Berkas BNBA Oktober" in page and "70 hours left" in page

    def test_a_future_discovery_is_a_message_and_nothing_is_written(self, admin):
        future = local(timezone.now() + 2 * HOUR)
        response = client_for(admin).post(CREATE, self.data(admin, discovered_at=future))
        assert response.status_code == 200
        assert "cannot be in the future" in response.content.decode()
        assert not Incident.objects.exists()

    def test_missing_fields_are_messages(self, admin):
        response = client_for(admin).post(CREATE, self.data(admin, description="", data_kinds=[]))
        assert response.status_code == 200
        assert response.context["form"].errors.keys() == {"description", "data_kinds"}
        assert not Incident.objects.exists()

    def test_a_stale_correction_is_refused_and_nothing_is_lost(self, admin):
        incident = record_incident(actor=admin)
        url = reverse("privacy:update", args=[incident.pk])
        form = client_for(admin).get(url).context["form"]
        data = {
            **{k: v for k, v in form.initial.items() if v is not None},
            "discovered_at": local(incident.discovered_at),
            "reported_by": str(admin.pk),
            "measures": "Akun dinonaktifkan",
        }
        assert client_for(admin).post(url, data).status_code == 302
        again = client_for(admin).post(url, {**data, "measures": "Kata sandi diganti"})
        assert again.status_code == 200 and "after you opened it" in again.content.decode()
        incident.refresh_from_db()
        assert incident.measures == "Akun dinonaktifkan" and incident.version == 2

    def test_an_unchanged_minute_keeps_the_time_of_discovery(self, admin):
        incident = record_incident(actor=admin, measures="m")
        advance(incident, Status.CONTAINED, actor=admin)
        advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
        incident.refresh_from_db()
        url = reverse("privacy:update", args=[incident.pk])
        form = client_for(admin).get(url).context["form"]
        data = {
            **{k: v for k, v in form.initial.items() if v is not None},
            "discovered_at": local(incident.discovered_at),
            "reported_by": str(admin.pk),
            "cause": "Kata sandi ditulis di HP",
        }
        assert client_for(admin).post(url, data).status_code == 302
        changed = Incident.objects.get()
        assert changed.cause == "Kata sandi ditulis di HP"
        assert changed.discovered_at == incident.discovered_at


class TestSteps:
    def test_a_step_through_the_page_and_the_second_click(self, admin):
        incident = record_incident(actor=admin)
        url = reverse("privacy:step", args=[incident.pk])
        data = {"to_status": "contained", "note": "Akun dinonaktifkan", "version": 1}
        assert client_for(admin).post(url, data).status_code == 302
        again = client_for(admin).post(url, data)
        assert again.status_code == 200 and "next step" in again.content.decode()
        assert incident.events.count() == 2

    def test_the_step_form_carries_the_next_step_and_the_version(self, admin):
        incident = record_incident(actor=admin)
        page = client_for(admin).get(reverse("privacy:step", args=[incident.pk]))
        assert page.context["form"].initial == {"to_status": "contained", "version": 1}
        assert 'name="to_status" value="contained"' in page.content.decode()

    def test_the_page_offers_the_next_step(self, admin):
        incident = record_incident(actor=admin)
        body = client_for(admin).get(incident.get_absolute_url()).content.decode()
        assert "Record: contained" in body
        head = client_for(make_user(Role.PIMPINAN, BANGKA)).get(incident.get_absolute_url())
        assert reverse("privacy:step", args=[incident.pk]) not in head.content.decode()


class TestFind:
    def test_the_period_is_in_whole_minutes_up_to_now(self, admin):
        incident = record_incident(actor=admin)

        def end(value: str) -> datetime.datetime:
            form = FindForm(
                {"account": str(admin.pk), "start": "2026-01-05T08:00", "end": value},
                incident=incident,
            )
            assert form.is_valid(), form.errors
            return form.cleaned_data["end"]

        until = end("2026-01-05T10:15")
        assert f"{timezone.localtime(until):%H:%M:%S.%f}" == "10:15:59.999999"
        before = timezone.now()
        assert before <= end("") <= timezone.now()
        assert before <= end(local(timezone.now())) <= timezone.now()

    def test_find_through_the_page_and_the_counts_by_desa(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        person = register_individu(code=LUMUT)
        start = timezone.now() - HOUR
        client_for(suspect).get(reverse("registry:individu_detail", args=[person.pk]))
        incident = record_incident(actor=admin, other_subjects=3)
        url = reverse("privacy:find", args=[incident.pk])
        form = client_for(admin).get(url).context["form"]
        data = {
            "account": str(suspect.pk),
            "start": local(start),
            "end": "",  # up to now
            "client_uuid": str(form.initial["client_uuid"]),
        }
        response = client_for(admin).post(url, data, follow=True)
        assert "1 residents found in 1 audit events" in response.content.decode()
        again = client_for(admin).post(url, data, follow=True)
        assert "made already" in again.content.decode()
        assert AffectedSearch.objects.count() == 1
        affected = again.context["affected"]
        assert (affected.residents, affected.others, affected.total) == (1, 3, 4)
        assert [(row.desa.name, row.people) for row in affected.by_desa] == [("Lumut", 1)]
        assert person.name not in again.content.decode()  # names only in the list for notices

    def test_remove_a_search_through_the_page(self, admin):
        incident = record_incident(actor=admin)
        search = AffectedSearch.objects.create(
            incident=incident,
            account=admin,
            start=timezone.now() - HOUR,
            end=timezone.now(),
            run_by=admin,
        )
        url = reverse("privacy:search_remove", args=[incident.pk, search.pk])
        assert client_for(admin).post(url, {}).status_code == 302
        assert AffectedSearch.objects.exists()  # no reason, nothing removed
        client_for(admin).post(url, {"reason": "akun salah"})
        assert not AffectedSearch.objects.exists()

    def test_a_search_of_another_incident_answers_404(self, admin):
        incident, other = record_incident(actor=admin), record_incident(actor=admin)
        search = AffectedSearch.objects.create(
            incident=other, account=admin, start=timezone.now() - HOUR, end=timezone.now()
        )
        url = reverse("privacy:search_remove", args=[incident.pk, search.pk])
        assert client_for(admin).post(url, {"reason": "x"}).status_code == 404
