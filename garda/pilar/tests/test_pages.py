"""The registry pages: the scoping contract on every view, then what each page does."""

import datetime
import itertools
import re
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from garda.accounts.models import RoleAssignment
from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    SUNGAILIAT,
    ScopedViewContract,
    client_for,
    make_user,
    menu_urls,
)
from garda.pilar.models import PSM, Decree, Pilar, Placement, Status, StatusEvent, Training
from garda.pilar.services import nik_hash

from .factories import (
    SUNGAILIAT_DESA,
    account_of,
    add_decree,
    add_training,
    appoint,
    dinas_admin,
    jpeg_upload,
    next_nik,
    pdf_upload,
    psm_with_account,
    register,
    register_psm,
)

LIST = reverse("pilar:list")
_names = itertools.count(1)


# --- The scoping contract -------------------------------------------------------------------


class PsmContract(ScopedViewContract):
    """The issue's yardstick: a PSM of Lumut reaches nothing of Bintet; a viewer (aggregates
    only) reaches no person at all."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return register_psm(code=code)


class CoordinatorContract(PsmContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    own_area = BINTET
    other_area = SUNGAILIAT_DESA


class DinasContract(PsmContract):
    """Dinas staff of Bangka manage Bangka's members and must not reach another district's."""

    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA


class UserAdminContract(DinasContract):
    """Accounts and roles are user management: the administrator, not the staff."""

    allowed = (Role.ADMIN_DINAS, BANGKA)
    wrong_role = (Role.STAF_DINAS, BANGKA)


class PostContract:
    """A POST with valid data: the own-area answer is the redirect back to the profile."""

    method: ClassVar[str] = "post"
    ok_status: ClassVar[int] = 302
    current: Any = None

    def payload(self, obj: Any) -> dict[str, Any]:
        return {}

    def url_for(self, obj: Any) -> str:
        self.current = obj
        return self.path_for(obj)

    def path_for(self, obj: Any) -> str:
        raise NotImplementedError

    def request(self, client: Client, url: str):
        return client.post(url, self.payload(self.current))


def detail_url(pilar: Pilar) -> str:
    return reverse("pilar:detail", args=[pilar.pk])


class TestDetailForPsm(PsmContract):
    def url_for(self, obj):
        return detail_url(obj)


class TestDetailForCoordinator(CoordinatorContract):
    def url_for(self, obj):
        return detail_url(obj)


class TestDetailForDinas(DinasContract):
    wrong_role = (Role.VIEWER, BANGKA)

    def url_for(self, obj):
        return detail_url(obj)


class TestUpdatePage(DinasContract):
    wrong_role = (Role.OPERATOR_DESA, LUMUT)  # sees the profile, may not edit it

    def url_for(self, obj):
        return reverse("pilar:update", args=[obj.pk])


class TestUpdatePost(PostContract, DinasContract):
    wrong_role = (Role.OPERATOR_DESA, LUMUT)

    def path_for(self, obj):
        return reverse("pilar:update", args=[obj.pk])

    def payload(self, obj):
        return {**profile_form(obj), "phone": "081299990000"}


class TestRevealNik(DinasContract):
    method = "post"
    wrong_role = (Role.KOORDINATOR, BELINYU)  # sees the profile, not the full NIK

    def url_for(self, obj):
        return reverse("pilar:reveal_nik", args=[obj.pk])


def action_url(name: str):
    def url_for(self, obj):
        return reverse(f"pilar:{name}", args=[obj.pk])

    return url_for


class TestStatusPage(DinasContract):
    url_for = action_url("status")


class TestStatusPost(PostContract, DinasContract):
    path_for = action_url("status")

    def payload(self, obj):
        return {"status": Status.NONAKTIF, "effective_on": "2025-02-01", "reason": "Sakit lama"}


class TestMovePage(DinasContract):
    url_for = action_url("move")


class TestMovePost(PostContract, DinasContract):
    path_for = action_url("move")

    def payload(self, obj):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        return {"wilayah": BINTET, "start": tomorrow.isoformat(), "reason": "Pindah rumah"}


class TestDecreePage(DinasContract):
    url_for = action_url("decree_add")


class TestDecreePost(PostContract, DinasContract):
    path_for = action_url("decree_add")

    def payload(self, obj):
        return decree_form()


class TestTrainingPage(DinasContract):
    wrong_role = (Role.PSM, LUMUT)  # a colleague in the same desa, not the member
    url_for = action_url("training_add")


class TestTrainingPost(PostContract, DinasContract):
    path_for = action_url("training_add")

    def payload(self, obj):
        return training_form()


class TestOfficerPage(DinasContract):
    url_for = action_url("officer_appoint")


class TestOfficerPost(PostContract, DinasContract):
    path_for = action_url("officer_appoint")

    def payload(self, obj):
        return {"wilayah": BELINYU, "position": "sekretaris", "term_start": "2024-01-01"}


class TestAccountPage(UserAdminContract):
    url_for = action_url("account_create")


class TestAccountPost(PostContract, UserAdminContract):
    path_for = action_url("account_create")

    def payload(self, obj):
        return {"username": f"psm.baru{next(_names)}"}


class TestGrantCoordinator(PostContract, UserAdminContract):
    def make_object(self, code):
        pilar = psm_with_account(code=code)
        return appoint(pilar, code=code.rsplit(".", 1)[0])

    def path_for(self, obj):
        return reverse("pilar:officer_grant_coordinator", args=[obj.pk])


class TestPhotoFile(PsmContract):
    def make_object(self, code):
        return register_psm(code=code, photo=jpeg_upload())

    def url_for(self, obj):
        return reverse("pilar:file", args=[obj.pk, "photo", obj.pk])


class TestDecreeFile(PsmContract):
    def make_object(self, code):
        return add_decree(register_psm(code=code))

    def url_for(self, obj):
        return reverse("pilar:file", args=[obj.pilar_id, "decree", obj.pk])


class TestCertificateFile(CoordinatorContract):
    def make_object(self, code):
        return add_training(register_psm(code=code))

    def url_for(self, obj):
        return reverse("pilar:file", args=[obj.pilar_id, "certificate", obj.pk])


# --- Helpers ---------------------------------------------------------------------------------


def profile_form(pilar: Pilar, **changes: Any) -> dict[str, Any]:
    """The edit form as the page sends it back unchanged (the NIK field stays empty)."""
    form = (
        client_for(dinas_admin(pilar.wilayah_id))
        .get(reverse("pilar:update", args=[pilar.pk]))
        .context["form"]
    )
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and name != "photo"
    }
    data["nik"] = ""
    for name in ("birth_date", "joined_on"):
        if data.get(name):
            data[name] = str(data[name])  # a date: ISO, as the date input sends it
    return {**data, **changes}


def decree_form(**changes: Any) -> dict[str, Any]:
    return {
        "number": "188.45/12/DINSOS/2024",
        "issued_on": "2024-01-10",
        "signed_by": "Kepala Dinas Sosial",
        "valid_from": "2024-01-10",
        "valid_until": "2026-12-31",
        "scan": pdf_upload(),
        **changes,
    }


def training_form(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "bimtek_dasar",
        "organiser": "Dinas Sosial Kabupaten Bangka",
        "start": "2023-05-02",
        "end": "2023-05-04",
        **changes,
    }


def registration(**changes: Any) -> dict[str, Any]:
    return {
        "jenis": "1",  # replaced below by the PSM type's id
        "wilayah": LUMUT,
        "status": Status.AKTIF,
        "name": "Siti Aminah",
        "nik": "1901 0245 0790 0001",
        "sex": "P",
        "birth_place": "Belinyu",
        "birth_date": "1990-07-05",
        "phone": "081234567890",
        **changes,
    }


def psm_type_id() -> str:
    from garda.pilar.models import PilarType

    return str(PilarType.objects.get(code=PSM).pk)


@pytest.fixture
def staff(bangka):
    return make_user(Role.STAF_DINAS, BANGKA, name="Staf Dinas")


# --- The list --------------------------------------------------------------------------------


class TestList:
    def test_psm_sees_own_desa_only(self, bangka):
        register_psm(code=LUMUT, name="Siti Lumut")
        register_psm(code=BINTET, name="Budi Bintet")
        response = client_for(make_user(Role.PSM, LUMUT)).get(LIST)
        assert [p.name for p in response.context["object_list"]] == ["Siti Lumut"]

    def test_columns_show_masked_nik_never_the_full_one(self, bangka):
        pilar = register_psm(code=LUMUT, name="Siti Lumut", phone="081234567890")
        body = client_for(make_user(Role.KOORDINATOR, BELINYU)).get(LIST).content.decode()
        assert pilar.nik_masked in body
        assert pilar.nik not in body
        assert "081234567890" in body
        assert "Desa Lumut" in body

    def test_viewer_and_anonymous_are_refused(self, bangka):
        assert client_for(make_user(Role.VIEWER, BANGKA)).get(LIST).status_code == 403
        response = Client().get(LIST)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))

    def test_each_filter_works(self, staff):
        siti = register_psm(code=LUMUT, name="Siti Aminah", phone="081234567890")
        budi = register_psm(code=BINTET, name="Budi Santoso", status=Status.CALON)
        rina = register_psm(code=SUNGAILIAT_DESA, name="Rina Wati", phone="082100001111")
        tksk = register(code=BELINYU, jenis="tksk", name="Tono TKSK")
        add_training(siti)
        client = client_for(staff)

        def names(**params):
            response = client.get(LIST, params)
            assert response.status_code == 200
            return sorted(p.name for p in response.context["object_list"])

        assert names() == ["Budi Santoso", "Rina Wati", "Siti Aminah", "Tono TKSK"]
        assert names(q="amin") == ["Siti Aminah"]
        assert names(q="0821") == ["Rina Wati"]
        assert names(q="0812-3456") == ["Siti Aminah"]
        assert names(q=" ".join([budi.nik[:4], budi.nik[4:8], budi.nik[8:]])) == ["Budi Santoso"]
        assert names(q=budi.nik[:10]) == []  # part of a NIK finds nothing: it is encrypted
        assert names(jenis="tksk") == [tksk.name]
        assert names(status=Status.CALON) == ["Budi Santoso"]
        assert names(wilayah=BELINYU) == ["Budi Santoso", "Siti Aminah", "Tono TKSK"]
        assert names(wilayah=BINTET) == ["Budi Santoso"]
        assert names(wilayah=SUNGAILIAT) == [rina.name]
        assert names(trained="yes") == ["Siti Aminah"]
        assert names(trained="no") == ["Budi Santoso", "Rina Wati", "Tono TKSK"]

    def test_coverage_page_link_is_understood(self, staff):
        register_psm(code=LUMUT, name="Siti Aktif")
        register_psm(code=LUMUT, name="Calon Lumut", status=Status.CALON)
        register_psm(code=BINTET, name="Budi Bintet")
        response = client_for(staff).get("/pilar/?jenis=psm&status=aktif&wilayah=19.01.02.2007")
        assert [p.name for p in response.context["object_list"]] == ["Siti Aktif"]

    def test_region_outside_the_area_shows_nothing_and_says_so(self, bangka):
        register_psm(code=LUMUT)
        register_psm(code=BINTET)
        response = client_for(make_user(Role.PSM, LUMUT)).get(LIST, {"wilayah": BINTET})
        assert list(response.context["object_list"]) == []
        assert response.context["filter_form"].errors["wilayah"]

    def test_htmx_filter_returns_only_the_results_partial(self, staff):
        response = client_for(staff).get(LIST, {"q": "x"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="results">')
        assert "<html" not in body

    def test_list_query_count_is_pinned(self, staff, django_assert_num_queries):
        actor = dinas_admin()
        for index in range(3):
            register_psm(code=LUMUT, name=f"PSM {index:02}", actor=actor)
        client = client_for(staff)
        client.get(LIST)  # warm the session
        # session, user, roles, my profile, count, page rows, the two filter choice lists,
        # and the session save in a savepoint (3): the same for 30 rows as for 3
        with django_assert_num_queries(11):
            response = client.get(LIST)
        assert len(response.context["object_list"]) == 3
        for index in range(3, 30):
            register_psm(code=BINTET if index % 2 else LUMUT, name=f"PSM {index:02}", actor=actor)
        with django_assert_num_queries(11):
            response = client.get(LIST)
        assert len(response.context["object_list"]) == 25

    def test_own_profile_link_for_the_member(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        client = client_for(account_of(pilar))
        assert client.get(LIST).context["my_profile"] == pilar
        assert client.get(reverse("pilar:mine"))["Location"] == detail_url(pilar)
        assert client_for(make_user(Role.PSM, LUMUT)).get(reverse("pilar:mine")).status_code == 404

    def test_menu_has_the_registry_for_people_viewers_only(self, bangka):
        assert LIST in menu_urls(make_user(Role.PSM, LUMUT))
        assert LIST not in menu_urls(make_user(Role.VIEWER, BANGKA))


# --- The profile -----------------------------------------------------------------------------


class TestProfile:
    def test_shows_histories_documents_and_masked_nik(self, staff):
        pilar = psm_with_account(code=LUMUT, name="Siti Aminah", username="siti.lumut")
        decree = add_decree(pilar)
        training = add_training(pilar)
        appoint(pilar, code=LUMUT)
        response = client_for(staff).get(detail_url(pilar))
        body = response.content.decode()
        assert pilar.nik_masked in body
        assert pilar.nik not in body
        assert decree.number in body
        assert reverse("pilar:file", args=[pilar.pk, "decree", decree.pk]) in body
        assert reverse("pilar:file", args=[pilar.pk, "certificate", training.pk]) in body
        assert "siti.lumut" in body
        assert [e.to_status for e in response.context["status_events"]] == [Status.AKTIF]
        assert [p.wilayah_id for p in response.context["placements"]] == [LUMUT]

    def test_opening_a_profile_is_logged_once(self, staff):
        pilar = register_psm(code=LUMUT)
        client_for(staff).get(detail_url(pilar))
        events = AuditEvent.objects.filter(action=Action.VIEW, object_id=str(pilar.pk))
        assert [(e.actor, e.wilayah_code) for e in events] == [(staff, LUMUT)]

    def test_history_only_for_those_who_read_the_trail(self, staff):
        pilar = register_psm(code=LUMUT)
        assert client_for(staff).get(detail_url(pilar)).context["history"] is None
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        history = client_for(admin).get(detail_url(pilar)).context["history"]
        assert [e.action for e in history] == [Action.CREATE]  # openings are not listed

    def test_buttons_follow_what_the_user_may_do(self, staff):
        member = psm_with_account(code=LUMUT)
        colleague = psm_with_account(code=LUMUT)
        update = reverse("pilar:update", args=[member.pk])
        status = reverse("pilar:status", args=[member.pk])
        reveal = reverse("pilar:reveal_nik", args=[member.pk])

        response = client_for(account_of(member)).get(detail_url(member))
        own = response.content.decode()
        assert response.context["is_self"]
        assert update in own
        assert reverse("pilar:training_add", args=[member.pk]) in own
        assert status not in own and reveal not in own

        other = client_for(account_of(colleague)).get(detail_url(member)).content.decode()
        assert update not in other and status not in other

        dinas = client_for(staff).get(detail_url(member)).content.decode()
        assert update in dinas and status in dinas and reveal in dinas
        assert reverse("pilar:account_create", args=[member.pk]) not in dinas  # has one


class TestNikReveal:
    def test_reveal_returns_the_fragment_and_is_logged(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).post(
            reverse("pilar:reveal_nik", args=[pilar.pk]), HTTP_HX_REQUEST="true"
        )
        body = response.content.decode()
        assert pilar.nik in body
        assert "<html" not in body
        event = AuditEvent.objects.get(action=Action.REVEAL)
        assert (event.actor, event.object_id, event.wilayah_code) == (staff, str(pilar.pk), LUMUT)

    def test_get_is_not_allowed(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).get(reverse("pilar:reveal_nik", args=[pilar.pk]))
        assert response.status_code == 405
        assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


# --- Create and edit -------------------------------------------------------------------------


class TestRegister:
    def test_dinas_registers_a_psm_with_photo(self, staff):
        response = client_for(staff).post(
            reverse("pilar:create"),
            registration(jenis=psm_type_id(), photo=jpeg_upload("wajah.png")),
        )
        pilar = Pilar.objects.get(name="Siti Aminah")
        assert response["Location"] == detail_url(pilar)
        assert pilar.nik == "1901024507900001"
        assert pilar.nik_hash == nik_hash("1901024507900001")
        assert pilar.status == Status.AKTIF
        assert re.fullmatch(r"pilar/foto/\w+\.jpg", str(pilar.photo.name))
        assert Placement.objects.get(pilar=pilar).wilayah_id == LUMUT
        assert StatusEvent.objects.get(pilar=pilar).to_status == Status.AKTIF

    def test_region_choices_stay_inside_the_area(self, staff):
        form = client_for(staff).get(reverse("pilar:create")).context["form"]
        codes = set(form.fields["wilayah"].queryset.values_list("code", flat=True))
        assert {BANGKA, BELINYU, LUMUT} <= codes
        assert "19.02" not in codes and "19" not in codes

    def test_psm_may_not_register(self, bangka):
        client = client_for(make_user(Role.PSM, LUMUT))
        assert client.get(reverse("pilar:create")).status_code == 403

    def test_duplicate_nik_links_to_the_existing_profile(self, staff):
        existing = register_psm(code=BINTET, nik="1901024507900001", name="Siti Lama")
        response = client_for(staff).post(
            reverse("pilar:create"), registration(jenis=psm_type_id())
        )
        assert response.status_code == 200
        errors = response.context["form"].errors["nik"]
        assert "Siti Lama" in errors[0]
        assert f'href="{detail_url(existing)}"' in response.content.decode()
        assert Pilar.objects.count() == 1

    def test_duplicate_outside_the_area_is_refused_without_naming_it(self, bangka):
        register_psm(code=OTHER_DESA, nik="1901024507900001", name="Siti Barat")
        response = client_for(make_user(Role.STAF_DINAS, BANGKA)).post(
            reverse("pilar:create"), registration(jenis=psm_type_id())
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert response.context["form"].errors["nik"]
        assert "Siti Barat" not in body
        assert Pilar.objects.count() == 1

    def test_nik_warning_needs_a_note(self, staff):
        client = client_for(staff)
        data = registration(jenis=psm_type_id(), sex="L")  # the NIK is a woman's
        response = client.post(reverse("pilar:create"), data)
        assert response.status_code == 200
        form = response.context["form"]
        assert "nik_note" in form.fields
        assert form.errors["nik_note"]
        assert not Pilar.objects.exists()
        note = "Jenis kelamin di KTP salah cetak; sudah dicek di Dukcapil."
        response = client.post(reverse("pilar:create"), {**data, "nik_note": note})
        assert response.status_code == 302
        assert Pilar.objects.get().nik_note == note

    def test_bad_nik_is_a_field_error(self, staff):
        response = client_for(staff).post(
            reverse("pilar:create"), registration(jenis=psm_type_id(), nik="12345")
        )
        assert response.context["form"].errors["nik"]

    def test_organisation_needs_no_nik(self, staff):
        from garda.pilar.models import PilarType

        karang_taruna = PilarType.objects.get(code="karang_taruna")
        response = client_for(staff).post(
            reverse("pilar:create"),
            {
                "jenis": karang_taruna.pk,
                "wilayah": LUMUT,
                "status": Status.AKTIF,
                "name": "Karang Taruna Lumut Jaya",
                "contact_person": "Andi",
            },
        )
        assert response.status_code == 302
        assert Pilar.objects.get().nik_hash is None


class TestEdit:
    def test_member_edits_own_phone_but_not_status_or_nik(self, bangka):
        pilar = psm_with_account(code=LUMUT, name="Siti Aminah")
        nik, version = pilar.nik, pilar.version
        client = client_for(account_of(pilar))
        url = reverse("pilar:update", args=[pilar.pk])
        form = client.get(url).context["form"]
        assert set(form.fields) == {
            "phone",
            "email",
            "religion",
            "education",
            "occupation",
            "home_wilayah",
            "dusun",
            "rt",
            "rw",
            "address",
            "photo",
            "version",
        }
        response = client.post(
            url,
            {
                "phone": "085211112222",
                "version": version,
                "status": Status.BERHENTI,
                "nik": next_nik(),
                "name": "Nama Lain",
                "ipsm_number": "IPSM-1",
            },
        )
        assert response.status_code == 302
        pilar.refresh_from_db()
        assert pilar.phone == "085211112222"
        assert (pilar.status, pilar.nik, pilar.name, pilar.ipsm_number) == (
            Status.AKTIF,
            nik,
            "Siti Aminah",
            "",
        )

    def test_colleague_in_the_same_desa_gets_403(self, bangka):
        member = psm_with_account(code=LUMUT)
        colleague = psm_with_account(code=LUMUT)
        url = reverse("pilar:update", args=[member.pk])
        client = client_for(account_of(colleague))
        assert client.get(url).status_code == 403
        assert client.post(url, {"phone": "0800", "version": 1}).status_code == 403
        assert client.post(reverse("pilar:training_add", args=[member.pk])).status_code == 403

    def test_empty_nik_keeps_the_stored_one_and_a_new_one_replaces_it(self, staff):
        pilar = register_psm(code=LUMUT)
        old = pilar.nik
        client = client_for(staff)
        url = reverse("pilar:update", args=[pilar.pk])
        page = client.get(url).content.decode()
        assert old not in page  # the edit form does not reveal the NIK
        assert client.post(url, profile_form(pilar, occupation="Guru")).status_code == 302
        pilar.refresh_from_db()
        assert (pilar.nik, pilar.occupation) == (old, "Guru")
        new = next_nik()
        assert client.post(url, profile_form(pilar, nik=new)).status_code == 302
        pilar.refresh_from_db()
        assert (pilar.nik, pilar.nik_hash) == (new, nik_hash(new))

    def test_stale_form_is_refused(self, staff):
        pilar = register_psm(code=LUMUT)
        url = reverse("pilar:update", args=[pilar.pk])
        opened = profile_form(pilar)
        other = make_user(Role.ADMIN_DINAS, BANGKA, name="Admin Dua")
        assert client_for(other).post(url, {**opened, "phone": "0811"}).status_code == 302
        response = client_for(staff).post(url, {**opened, "phone": "0822"})
        assert response.status_code == 200
        assert "Admin Dua" in " ".join(response.context["form"].non_field_errors())
        pilar.refresh_from_db()
        assert pilar.phone == "0811"

    def test_duplicate_nik_on_edit_links_to_the_other_profile(self, staff):
        first = register_psm(code=LUMUT)
        second = register_psm(code=BINTET)
        url = reverse("pilar:update", args=[second.pk])
        response = client_for(staff).post(url, profile_form(second, nik=first.nik))
        assert response.status_code == 200
        assert f'href="{detail_url(first)}"' in response.content.decode()

    def test_photo_upload_by_the_member_is_reencoded(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        url = reverse("pilar:update", args=[pilar.pk])
        response = client_for(account_of(pilar)).post(
            url, {"version": pilar.version, "photo": jpeg_upload("x.png")}
        )
        assert response.status_code == 302
        pilar.refresh_from_db()
        assert str(pilar.photo.name).endswith(".jpg")

    def test_not_an_image_is_a_clear_error(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        response = client_for(account_of(pilar)).post(
            reverse("pilar:update", args=[pilar.pk]),
            {"version": pilar.version, "photo": SimpleUploadedFile("a.jpg", b"<script>")},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["photo"]


# --- Dinas actions ---------------------------------------------------------------------------


class TestActions:
    def test_status_change_needs_a_reason(self, staff):
        pilar = register_psm(code=LUMUT)
        url = reverse("pilar:status", args=[pilar.pk])
        client = client_for(staff)
        today = timezone.localdate().isoformat()
        response = client.post(url, {"status": Status.NONAKTIF, "effective_on": today})
        assert response.context["form"].errors["reason"]
        response = client.post(
            url, {"status": Status.NONAKTIF, "effective_on": today, "reason": "Sakit"}
        )
        assert response.status_code == 302
        pilar.refresh_from_db()
        assert pilar.status == Status.NONAKTIF
        event = pilar.status_events.get(to_status=Status.NONAKTIF)
        assert (event.from_status, event.reason, event.actor) == (Status.AKTIF, "Sakit", staff)

    def test_status_form_offers_only_a_different_status(self, staff):
        pilar = register_psm(code=LUMUT)
        form = client_for(staff).get(reverse("pilar:status", args=[pilar.pk])).context["form"]
        assert Status.AKTIF not in dict(form.fields["status"].choices)

    def test_move_keeps_the_old_place_in_the_history(self, staff):
        pilar = register_psm(code=LUMUT)
        start = timezone.localdate() + datetime.timedelta(days=10)
        response = client_for(staff).post(
            reverse("pilar:move", args=[pilar.pk]),
            {"wilayah": BINTET, "start": start.isoformat(), "reason": "Pindah"},
        )
        assert response.status_code == 302
        pilar.refresh_from_db()
        assert pilar.wilayah_id == BINTET
        assert [(p.wilayah_id, p.end is None) for p in pilar.placements.all()] == [
            (BINTET, True),
            (LUMUT, False),
        ]

    def test_move_refusal_is_a_form_error(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).post(
            reverse("pilar:move", args=[pilar.pk]),
            {"wilayah": BELINYU, "start": "2030-01-01"},  # a PSM serves in a desa
        )
        assert response.status_code == 200
        assert response.context["form"].errors["wilayah"]

    def test_decree_with_a_bad_scan_is_refused(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).post(
            reverse("pilar:decree_add", args=[pilar.pk]),
            decree_form(scan=SimpleUploadedFile("sk.pdf", b"MZ\x90\x00 not a pdf")),
        )
        assert response.status_code == 200
        assert response.context["form"].errors["scan"]
        assert not Decree.objects.exists()

    def test_decree_dates_are_checked(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).post(
            reverse("pilar:decree_add", args=[pilar.pk]), decree_form(valid_until="2020-01-01")
        )
        assert response.context["form"].errors["valid_until"]

    def test_member_adds_own_training_with_certificate(self, bangka):
        pilar = psm_with_account(code=LUMUT)
        response = client_for(account_of(pilar)).post(
            reverse("pilar:training_add", args=[pilar.pk]),
            training_form(certificate=pdf_upload("sertifikat.pdf")),
        )
        assert response.status_code == 302
        training = Training.objects.get(pilar=pilar)
        assert str(training.certificate.name).endswith(".pdf")

    def test_training_that_ends_before_it_starts(self, staff):
        pilar = register_psm(code=LUMUT)
        response = client_for(staff).post(
            reverse("pilar:training_add", args=[pilar.pk]), training_form(end="2023-01-01")
        )
        assert response.context["form"].errors["end"]

    def test_officer_choices_are_the_members_own_desa_kecamatan_kabupaten(self, staff):
        pilar = register_psm(code=LUMUT)
        form = client_for(staff).get(reverse("pilar:officer_appoint", args=[pilar.pk]))
        codes = list(form.context["form"].fields["wilayah"].queryset.values_list("code", flat=True))
        assert codes == [BANGKA, BELINYU, LUMUT]

    def test_second_chair_for_the_same_term_is_refused(self, staff):
        appoint(register_psm(code=LUMUT), code=BELINYU)
        pilar = register_psm(code=BINTET)
        response = client_for(staff).post(
            reverse("pilar:officer_appoint", args=[pilar.pk]),
            {"wilayah": BELINYU, "position": "ketua", "term_start": "2024-06-01"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["position"]

    def test_account_creation_shows_the_one_time_password(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        pilar = register_psm(code=LUMUT)
        response = client_for(admin).post(
            reverse("pilar:account_create", args=[pilar.pk]),
            {"username": "siti.lumut"},
            follow=True,
        )
        pilar.refresh_from_db()
        assert account_of(pilar).username == "siti.lumut"
        assert account_of(pilar).roles() == {Role.PSM}
        messages = [str(m) for m in response.context["messages"]]
        assert any("siti.lumut" in m for m in messages)

    def test_taken_username_is_a_form_error(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        make_user(username="siti.lumut")
        pilar = register_psm(code=LUMUT)
        response = client_for(admin).post(
            reverse("pilar:account_create", args=[pilar.pk]), {"username": "siti.lumut"}
        )
        assert response.context["form"].errors["username"]

    def test_kecamatan_chair_is_made_coordinator(self, bangka):
        admin = make_user(Role.ADMIN_DINAS, BANGKA)
        pilar = psm_with_account(code=LUMUT)
        officer = appoint(pilar, code=BELINYU)
        page = client_for(admin).get(detail_url(pilar)).context
        assert officer.pk in page["grantable"]
        response = client_for(admin).post(
            reverse("pilar:officer_grant_coordinator", args=[officer.pk])
        )
        assert response["Location"] == detail_url(pilar)
        assert RoleAssignment.objects.filter(
            user=pilar.user, role=Role.KOORDINATOR, wilayah_id=BELINYU
        ).exists()
        assert client_for(admin).get(detail_url(pilar)).context["grantable"] == set()


class TestOfficerList:
    def test_lists_current_officers_in_the_area(self, staff):
        chair = register_psm(code=LUMUT, name="Ketua Belinyu")
        appoint(chair, code=BELINYU)
        old = register_psm(code=BINTET, name="Ketua Lama")
        officer = appoint(old, code=BINTET, term_start=datetime.date(2015, 1, 1))
        officer.term_end = datetime.date(2019, 12, 31)
        officer.save(update_fields=["term_end"])
        client = client_for(staff)
        current = client.get(reverse("pilar:officer_list")).context["object_list"]
        assert [o.pilar.name for o in current] == ["Ketua Belinyu"]
        everything = client.get(reverse("pilar:officer_list"), {"period": "all"})
        assert len(everything.context["object_list"]) == 2

    def test_viewer_is_refused(self, bangka):
        client = client_for(make_user(Role.VIEWER, BANGKA))
        assert client.get(reverse("pilar:officer_list")).status_code == 403

    def test_query_count_is_pinned(self, staff, django_assert_num_queries):
        actor = dinas_admin()
        desa = [LUMUT, BINTET, SUNGAILIAT_DESA]
        for code in desa:
            appoint(register_psm(code=code, actor=actor), code=code, actor=actor)
        client = client_for(staff)
        client.get(reverse("pilar:officer_list"))  # warm the session
        # session, user, roles, count, officers with their member and region, the filter's
        # region choices, and the session save in a savepoint (3)
        with django_assert_num_queries(9):
            client.get(reverse("pilar:officer_list"))
        for code in desa:
            for _ in range(5):
                pilar = register_psm(code=code, actor=actor)
                appoint(pilar, code=code, position="anggota", actor=actor)
        with django_assert_num_queries(9):
            response = client.get(reverse("pilar:officer_list"))
        assert len(response.context["object_list"]) == 18

    def test_psm_sees_officers_of_own_desa_only(self, bangka):
        appoint(register_psm(code=LUMUT), code=LUMUT)
        appoint(register_psm(code=BINTET), code=BINTET)
        client = client_for(make_user(Role.PSM, LUMUT))
        officers = client.get(reverse("pilar:officer_list")).context["object_list"]
        assert [o.wilayah_id for o in officers] == [LUMUT]


# --- Files -----------------------------------------------------------------------------------


class TestFiles:
    def test_decree_scan_is_an_attachment_with_nosniff(self, bangka):
        decree = add_decree(register_psm(code=LUMUT, name="Siti Aminah"))
        response = client_for(make_user(Role.PSM, LUMUT)).get(
            reverse("pilar:file", args=[decree.pilar_id, "decree", decree.pk])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]

    def test_photo_is_shown_inline(self, bangka):
        pilar = register_psm(code=LUMUT, photo=jpeg_upload())
        response = client_for(make_user(Role.PSM, LUMUT)).get(
            reverse("pilar:file", args=[pilar.pk, "photo", pilar.pk])
        )
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline;")
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize("kind", ["decree", "certificate", "photo", "other"])
    def test_file_of_another_member_or_kind_is_404(self, bangka, kind):
        pilar = register_psm(code=LUMUT)
        other = register_psm(code=LUMUT)
        decree = add_decree(other)
        training = add_training(other)
        file_id = {"decree": decree.pk, "certificate": training.pk}.get(kind, other.pk)
        response = client_for(make_user(Role.PSM, LUMUT)).get(
            reverse("pilar:file", args=[pilar.pk, kind, file_id])
        )
        assert response.status_code == 404

    def test_missing_file_is_404(self, bangka):
        decree = add_decree(register_psm(code=LUMUT), scan=False)
        response = client_for(make_user(Role.PSM, LUMUT)).get(
            reverse("pilar:file", args=[decree.pilar_id, "decree", decree.pk])
        )
        assert response.status_code == 404
