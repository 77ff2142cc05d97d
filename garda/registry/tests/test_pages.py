"""The registry pages: the scoping contract on every view, then what each page does.

The issue's yardsticks: a PSM of one desa cannot find, open or download anything of a resident
of another desa (404, like a missing record), and the viewer role never sees a NIK (403).
"""

import datetime
from typing import Any, ClassVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.testing import (
    BANGKA,
    BELINYU,
    BINTET,
    LUMUT,
    OTHER_DESA,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.registry import services
from garda.registry.models import Individu, Keluarga, Move, PpksStatus, PpksType, Relation
from garda.wilayah.models import Wilayah

from .factories import (
    SUNGAILIAT_DESA,
    assign_ppks,
    dinas_admin,
    jpeg_upload,
    next_no_kk,
    nik_for,
    pdf_upload,
    register_family,
    register_individu,
)

SEARCH = reverse("registry:search")
CREATE = reverse("registry:keluarga_create")


# --- The scoping contract -------------------------------------------------------------------


class PsmContract(ScopedViewContract):
    """A PSM of Lumut reaches nothing of Bintet; a viewer (aggregates only) reaches no person."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (Role.VIEWER, BANGKA)
    own_area = LUMUT
    other_area = BINTET

    def make_object(self, code: str) -> Any:
        return register_individu(code=code)


class CoordinatorContract(PsmContract):
    allowed = (Role.KOORDINATOR, BELINYU)
    own_area = BINTET
    other_area = SUNGAILIAT_DESA


class DinasContract(PsmContract):
    """Dinas staff of Bangka reach Bangka's residents, not another district's."""

    allowed = (Role.STAF_DINAS, BANGKA)
    other_area = OTHER_DESA


class HouseholdMixin:
    def make_object(self, code: str) -> Any:
        return register_family(code=code)


class WriteMixin(ScopedViewContract):
    """Writing needs MANAGE_RESIDENTS: the head of office sees residents but changes nothing."""

    wrong_role = (Role.PIMPINAN, BANGKA)


class PostContract:
    """A POST with valid data: the own-area answer is the redirect back to the record."""

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


def url(name: str):
    def url_for(self, obj):
        return reverse(f"registry:{name}", args=[obj.pk])

    return url_for


class TestIndividuDetailForPsm(PsmContract):
    url_for = url("individu_detail")


class TestIndividuDetailForCoordinator(CoordinatorContract):
    url_for = url("individu_detail")


class TestIndividuDetailForDinas(DinasContract):
    url_for = url("individu_detail")


class TestKeluargaDetailForPsm(HouseholdMixin, PsmContract):
    url_for = url("keluarga_detail")


class TestKeluargaDetailForDinas(HouseholdMixin, DinasContract):
    url_for = url("keluarga_detail")


class TestIndividuUpdatePage(WriteMixin, PsmContract):
    url_for = url("individu_update")


class TestIndividuUpdatePost(WriteMixin, PostContract, PsmContract):
    path_for = url("individu_update")

    def payload(self, obj):
        return {**person_form(obj), "occupation": "Nelayan"}


class TestKeluargaUpdatePage(WriteMixin, HouseholdMixin, PsmContract):
    url_for = url("keluarga_update")


class TestKeluargaUpdatePost(WriteMixin, PostContract, HouseholdMixin, PsmContract):
    path_for = url("keluarga_update")

    def payload(self, obj):
        return {"version": obj.version, "rt": "004", "desil": "3"}


class TestMovePage(WriteMixin, HouseholdMixin, CoordinatorContract):
    url_for = url("keluarga_move")


class TestMovePost(WriteMixin, PostContract, HouseholdMixin, CoordinatorContract):
    path_for = url("keluarga_move")

    def payload(self, obj):
        to = LUMUT if obj.wilayah_id != LUMUT else BINTET
        return {"wilayah": to, "moved_on": "2025-03-01", "reason": "Pindah rumah"}


class TestMemberAddPage(WriteMixin, HouseholdMixin, PsmContract):
    url_for = url("member_add")


class TestMemberAddPost(WriteMixin, PostContract, HouseholdMixin, PsmContract):
    path_for = url("member_add")

    def payload(self, obj):
        return new_person_form(relation=Relation.ANAK)


class TestIndividuPpksPage(WriteMixin, PsmContract):
    url_for = url("individu_ppks_add")


class TestIndividuPpksPost(WriteMixin, PostContract, PsmContract):
    path_for = url("individu_ppks_add")

    def payload(self, obj):
        return {"ppks_type": ppks_pk(8), "assessed_on": "2025-01-10", "evidence": pdf_upload()}


class TestKeluargaPpksPost(WriteMixin, PostContract, HouseholdMixin, PsmContract):
    path_for = url("keluarga_ppks_add")

    def payload(self, obj):
        return {"ppks_type": ppks_pk(24), "assessed_on": "2025-01-10"}


class StatusMixin:
    def make_object(self, code: str) -> Any:
        return assign_ppks(register_individu(code=code), evidence=True)


class TestPpksResolvePage(WriteMixin, StatusMixin, PsmContract):
    url_for = url("ppks_resolve")


class TestPpksResolvePost(WriteMixin, PostContract, StatusMixin, PsmContract):
    path_for = url("ppks_resolve")

    def payload(self, obj):
        return {"resolved_on": "2025-02-01", "note": "Dapat bantuan ATENSI"}


class TestEvidenceDownload(StatusMixin, PsmContract):
    url_for = url("ppks_evidence")


class RevealContract(PostContract, DinasContract):
    """Only REVEAL_IDENTIFIERS shows a full number: a PSM of the very desa gets 403."""

    ok_status = 200
    wrong_role = (Role.PSM, LUMUT)

    def payload(self, obj):
        return {"reason": "Verifikasi usulan PKH"}


class TestRevealNik(RevealContract):
    path_for = url("reveal_nik")


class TestRevealNoKk(HouseholdMixin, RevealContract):
    path_for = url("reveal_no_kk")


class TestCreatePage:
    def test_anonymous_is_sent_to_login_and_the_head_of_office_refused(self, bangka):
        assert Client().get(CREATE).status_code == 302
        assert client_for(make_user(Role.PIMPINAN, BANGKA)).get(CREATE).status_code == 403
        assert client_for(make_user(Role.VIEWER, BANGKA)).get(CREATE).status_code == 403

    def test_villages_offered_are_the_psms_own(self, bangka):
        form = client_for(make_user(Role.PSM, LUMUT)).get(CREATE).context["form"]
        assert list(form.fields["wilayah"].queryset.values_list("code", flat=True)) == [LUMUT]
        assert form.initial["wilayah"] == LUMUT

    def test_a_desa_outside_the_area_is_refused(self, bangka):
        response = client_for(make_user(Role.PSM, LUMUT)).post(
            CREATE, household_form(wilayah=BINTET)
        )
        assert response.status_code == 200
        assert response.context["form"].errors["wilayah"]
        assert not Keluarga.objects.exists()


# --- Helpers for the forms ------------------------------------------------------------------


def ppks_pk(number: int) -> int:
    return PpksType.objects.get(number=number).pk


BORN = datetime.date(1979, 8, 17)


def new_person_form(**fields: Any) -> dict[str, Any]:
    sex = fields.get("sex", "P")
    born = fields.pop("born", BORN)
    return {
        "name": "Nur Hayati",
        "nik": nik_for(born, sex),
        "nik_note": "",
        "sex": sex,
        "birth_place": "Belinyu",
        "birth_date": born.isoformat(),
        "mother_name": "Aisyah",
        "relation": Relation.ISTRI_SUAMI,
        "marital": "kawin",
        "religion": "islam",
        "education": "sma",
        "occupation": "Ibu rumah tangga",
        "disability": "",
        **fields,
    }


def household_form(**fields: Any) -> dict[str, Any]:
    head = new_person_form(name="Ahmad Fauzi", sex="L", born=datetime.date(1975, 5, 2))
    head.pop("relation")
    return {
        "no_kk": next_no_kk(),
        "wilayah": LUMUT,
        "dusun": "Dusun I",
        "rt": "001",
        "rw": "002",
        "address": "Jl. Pantai Romodong",
        "latitude": "-1.6321",
        "longitude": "105.7712",
        **head,
        **fields,
    }


def person_form(person: Individu) -> dict[str, Any]:
    """The edit form as the page fills it (the NIK stays empty: keep the stored one)."""
    person.refresh_from_db()
    return {
        "version": person.version,
        "name": person.name,
        "nik": "",
        "nik_note": person.nik_note,
        "sex": person.sex,
        "birth_place": person.birth_place,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "mother_name": person.mother_name,
        "relation": person.relation,
        "marital": person.marital,
        "religion": person.religion,
        "education": person.education,
        "occupation": person.occupation,
        "disability": person.disability,
    }


@pytest.fixture
def psm(bangka):
    return make_user(Role.PSM, LUMUT)


@pytest.fixture
def staff(bangka):
    return make_user(Role.STAF_DINAS, BANGKA)


def names(response) -> list[str]:
    return [p.name for p in response.context["object_list"]]


# --- The search -----------------------------------------------------------------------------


class TestSearch:
    def test_viewer_never_sees_a_person(self, bangka):
        viewer = client_for(make_user(Role.VIEWER, BANGKA))
        person = register_individu(code=LUMUT)
        assert viewer.get(SEARCH).status_code == 403
        assert viewer.get(SEARCH, {"q": person.nik}).status_code == 403
        assert viewer.get(person.get_absolute_url()).status_code == 403
        assert viewer.get(person.keluarga.get_absolute_url()).status_code == 403

    def test_psm_finds_only_their_own_desa_even_by_exact_nik(self, psm):
        mine = register_individu(code=LUMUT, name="Siti Lumut")
        theirs = register_individu(code=BINTET, name="Siti Bintet")
        client = client_for(psm)
        assert names(client.get(SEARCH)) == ["Siti Lumut"]
        assert names(client.get(SEARCH, {"q": "Siti"})) == ["Siti Lumut"]
        assert names(client.get(SEARCH, {"q": theirs.nik})) == []
        assert names(client.get(SEARCH, {"q": theirs.keluarga.no_kk})) == []
        assert names(client.get(SEARCH, {"q": mine.nik})) == ["Siti Lumut"]
        assert client.get(theirs.get_absolute_url()).status_code == 404
        assert client.get(theirs.keluarga.get_absolute_url()).status_code == 404

    def test_a_region_outside_the_area_shows_nothing_and_says_so(self, psm):
        register_individu(code=BINTET)
        response = client_for(psm).get(SEARCH, {"wilayah": BINTET})
        assert list(response.context["object_list"]) == []
        assert response.context["filter_form"].errors["wilayah"]

    def test_rows_show_masked_nik_age_desa_household_and_ppks(self, staff):
        person = register_individu(
            code=LUMUT, name="Nur Hayati", sex="P", birth_date=datetime.date(1950, 3, 9)
        )
        assign_ppks(person, number=8)
        assign_ppks(person.keluarga, number=24)
        response = client_for(staff).get(SEARCH, {"q": "Nurhayati"})
        body = response.content.decode()
        [row] = response.context["object_list"]
        assert row == person
        assert person.nik_masked in body and person.nik not in body
        assert person.keluarga.no_kk_masked in body
        assert person.keluarga.get_absolute_url() in body
        assert "Lumut" in body
        assert "Lanjut Usia Terlantar" in body and "Fakir Miskin" in body
        assert row.age >= 75

    def test_filters_by_desa_and_ppks(self, staff):
        lumut = register_individu(code=LUMUT, name="Budi Lumut")
        register_individu(code=BINTET, name="Budi Bintet")
        assign_ppks(lumut, number=9)
        client = client_for(staff)
        assert names(client.get(SEARCH, {"wilayah": LUMUT})) == ["Budi Lumut"]
        assert names(client.get(SEARCH, {"ppks": 9})) == ["Budi Lumut"]
        assert names(client.get(SEARCH, {"ppks": 24})) == []

    def test_merged_records_are_not_listed(self, staff):
        person = register_individu(code=LUMUT, name="Muhammad Ridwan", sex="L")
        other = register_individu(
            code=LUMUT, name="Moh. Ridwan", sex="L", birth_date=person.birth_date
        )
        pair = services.duplicates_queue(individu=other)[0]
        services.duplicate_merge(actor=staff, candidate=pair, keep=person)
        assert names(client_for(staff).get(SEARCH, {"q": "Ridwan"})) == ["Muhammad Ridwan"]

    def test_htmx_search_returns_only_the_results_partial(self, staff):
        response = client_for(staff).get(SEARCH, {"q": "x"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="results">')
        assert "<html" not in body

    def test_query_count_is_pinned(self, staff, django_assert_num_queries):
        actor = dinas_admin()
        for _ in range(3):
            person = register_individu(actor=actor, code=LUMUT)
            assign_ppks(person, actor=actor)
        client = client_for(staff)
        client.get(SEARCH)  # warm the session
        with django_assert_num_queries(SEARCH_QUERIES):
            response = client.get(SEARCH)
        assert len(response.context["object_list"]) == 3
        for index in range(27):
            person = register_individu(actor=actor, code=BINTET if index % 2 else LUMUT)
            assign_ppks(person.keluarga, actor=actor)
        with django_assert_num_queries(SEARCH_QUERIES):
            response = client.get(SEARCH)
        assert len(response.context["object_list"]) == 25


# session, user, roles, count, the page (with desa and household), the active PPKS of the
# people and of their households (one query, see `search`), the two filter choice lists, and
# the session save in a savepoint (3): the same for 25 rows as for 3
SEARCH_QUERIES = 11


# --- Households -----------------------------------------------------------------------------


class TestRegisterHousehold:
    def test_psm_registers_household_and_head_in_one_form(self, psm):
        data = household_form()
        response = client_for(psm).post(CREATE, data)
        keluarga = Keluarga.objects.get()
        assert response["Location"] == keluarga.get_absolute_url()
        head = keluarga.members.get()
        assert (head.name, head.relation, head.wilayah_id) == ("Ahmad Fauzi", "kepala", LUMUT)
        assert (keluarga.no_kk, keluarga.rt, str(keluarga.latitude)) == (
            data["no_kk"],
            "001",
            "-1.632100",
        )

    def test_a_refused_head_leaves_no_household_behind(self, psm):
        response = client_for(psm).post(CREATE, household_form(nik="123"))
        assert response.status_code == 200
        assert response.context["form"].errors["nik"]
        assert not Keluarga.objects.exists()

    def test_no_kk_already_registered_links_to_the_household(self, psm):
        existing = register_family(code=LUMUT)
        response = client_for(psm).post(CREATE, household_form(no_kk=existing.no_kk))
        errors = " ".join(response.context["form"].errors["no_kk"])
        assert existing.get_absolute_url() in errors

    def test_no_kk_registered_elsewhere_says_nothing_about_the_household(self, psm):
        existing = register_family(code=BINTET)
        response = client_for(psm).post(CREATE, household_form(no_kk=existing.no_kk))
        errors = " ".join(response.context["form"].errors["no_kk"])
        assert existing.get_absolute_url() not in errors
        assert Keluarga.objects.count() == 1

    def test_desil_out_of_range_is_a_form_error(self, staff):
        keluarga = register_family(code=LUMUT)
        response = client_for(staff).post(
            reverse("registry:keluarga_update", args=[keluarga.pk]),
            {"version": keluarga.version, "desil": "11"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["desil"]


class TestHouseholdPage:
    def test_shows_members_ppks_moves_and_is_logged(self, staff):
        keluarga = register_family(code=LUMUT, members=2, name="Ahmad Fauzi", sex="L")
        keluarga.refresh_from_db()
        head = keluarga.members.get(relation=Relation.KEPALA)
        services.keluarga_update(
            actor=staff,
            keluarga=keluarga,
            data={"desil": 2, "desil_source": "DTSEN Triwulan I", "roof": "seng"},
        )
        assign_ppks(keluarga, number=24)
        services.keluarga_move(
            actor=staff,
            keluarga=keluarga,
            wilayah=Wilayah.objects.get(code=BINTET),
            moved_on=datetime.date(2025, 3, 1),
            reason="Pindah rumah",
        )
        response = client_for(staff).get(keluarga.get_absolute_url())
        body = response.content.decode()
        assert response.context["members"][0].pk == head.pk
        assert len(response.context["members"]) == 3
        assert keluarga.no_kk_masked in body and keluarga.no_kk not in body
        assert head.nik_masked in body and head.nik not in body
        assert "DTSEN Triwulan I" in body and "seng" in body
        assert "Fakir Miskin" in body
        assert "Pindah rumah" in body and "1 Maret 2025" in body
        assert reverse("registry:reveal_no_kk", args=[keluarga.pk]) in body
        events = AuditEvent.objects.filter(action=Action.VIEW, object_id=str(keluarga.pk))
        assert [(e.actor, e.wilayah_code) for e in events] == [(staff, BINTET)]

    def test_edit_with_a_stale_version_is_refused(self, bangka):
        keluarga = register_family(code=LUMUT)
        first, second = make_user(Role.PSM, LUMUT), make_user(Role.PSM, LUMUT, name="Rina")
        page = reverse("registry:keluarga_update", args=[keluarga.pk])
        opened = client_for(first).get(page).context["form"].initial["version"]
        assert client_for(second).post(page, {"version": opened, "rt": "005"}).status_code == 302
        stale = client_for(first).post(page, {"version": opened, "rt": "009"})
        assert stale.status_code == 200
        assert "Rina" in " ".join(stale.context["form"].non_field_errors())
        assert Keluarga.objects.get(pk=keluarga.pk).rt == "005"

    def test_move_through_the_page_moves_the_members(self, bangka):
        coordinator = make_user(Role.KOORDINATOR, BELINYU)
        keluarga = register_family(code=LUMUT, members=1)
        response = client_for(coordinator).post(
            reverse("registry:keluarga_move", args=[keluarga.pk]),
            {"wilayah": BINTET, "moved_on": "2025-03-01", "reason": "Pindah rumah"},
        )
        assert response["Location"] == keluarga.get_absolute_url()
        assert set(Individu.objects.values_list("wilayah_id", flat=True)) == {BINTET}
        assert Move.objects.get().to_wilayah_id == BINTET

    def test_move_offers_only_other_villages_in_the_area(self, psm):
        keluarga = register_family(code=LUMUT)
        page = client_for(psm).get(reverse("registry:keluarga_move", args=[keluarga.pk]))
        assert list(page.context["form"].fields["wilayah"].queryset) == []

    def test_buttons_follow_what_the_user_may_do(self, bangka):
        keluarga = register_family(code=LUMUT)
        edit = reverse("registry:keluarga_update", args=[keluarga.pk])
        reveal = reverse("registry:reveal_no_kk", args=[keluarga.pk])
        psm_page = client_for(make_user(Role.PSM, LUMUT)).get(keluarga.get_absolute_url())
        assert edit in psm_page.content.decode() and reveal not in psm_page.content.decode()
        head = client_for(make_user(Role.PIMPINAN, BANGKA)).get(keluarga.get_absolute_url())
        assert edit not in head.content.decode()


# --- Residents ------------------------------------------------------------------------------


class TestAddMember:
    def test_member_added_to_the_household(self, psm):
        keluarga = register_family(code=LUMUT)
        response = client_for(psm).post(
            reverse("registry:member_add", args=[keluarga.pk]), new_person_form()
        )
        person = Individu.objects.get(name="Nur Hayati")
        assert response["Location"] == keluarga.get_absolute_url()
        assert (person.keluarga, person.wilayah_id, person.relation) == (
            keluarga,
            LUMUT,
            "pasangan",
        )

    def test_nik_warning_shows_the_note_and_a_note_confirms(self, psm):
        keluarga = register_family(code=LUMUT)
        page = reverse("registry:member_add", args=[keluarga.pk])
        data = new_person_form(birth_date="1979-08-18")  # the NIK says the 17th
        client = client_for(psm)
        warned = client.post(page, data)
        assert warned.status_code == 200
        assert warned.context["form"].errors["nik_note"]
        assert not Individu.objects.filter(name="Nur Hayati").exists()
        confirmed = client.post(page, {**data, "nik_note": "Tanggal di KTP memang 17"})
        assert confirmed.status_code == 302
        assert Individu.objects.get(name="Nur Hayati").nik_note == "Tanggal di KTP memang 17"

    def test_duplicate_nik_links_to_the_existing_record_when_visible(self, psm):
        keluarga = register_family(code=LUMUT)
        existing = register_individu(code=LUMUT)
        response = client_for(psm).post(
            reverse("registry:member_add", args=[keluarga.pk]),
            new_person_form(
                nik=existing.nik, sex=existing.sex, birth_date=str(existing.birth_date)
            ),
        )
        errors = " ".join(response.context["form"].errors["nik"])
        assert existing.get_absolute_url() in errors

    def test_duplicate_nik_elsewhere_names_nobody(self, psm):
        keluarga = register_family(code=LUMUT)
        existing = register_individu(code=BINTET, name="Rahasia Bintet")
        response = client_for(psm).post(
            reverse("registry:member_add", args=[keluarga.pk]),
            new_person_form(
                nik=existing.nik, sex=existing.sex, birth_date=str(existing.birth_date)
            ),
        )
        errors = " ".join(response.context["form"].errors["nik"])
        assert "Rahasia" not in errors and existing.get_absolute_url() not in errors

    def test_look_alike_warns_with_the_review_queue_for_dinas(self, staff):
        first = register_individu(code=LUMUT, name="Muhammad Ridwan", sex="L", birth_date=BORN)
        response = client_for(staff).post(
            reverse("registry:member_add", args=[first.keluarga_id]),
            new_person_form(name="Moh. Ridwan", sex="L", relation=Relation.FAMILI),
            follow=True,
        )
        warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
        assert len(warnings) == 1
        assert reverse("registry:duplicates") in warnings[0]

    def test_look_alike_warns_a_psm_without_the_link(self, psm):
        first = register_individu(code=LUMUT, name="Muhammad Ridwan", sex="L", birth_date=BORN)
        response = client_for(psm).post(
            reverse("registry:member_add", args=[first.keluarga_id]),
            new_person_form(name="Moh. Ridwan", sex="L", relation=Relation.FAMILI),
            follow=True,
        )
        warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
        assert len(warnings) == 1
        assert reverse("registry:duplicates") not in warnings[0]


class TestPersonPage:
    def test_shows_the_record_masked_and_logs_every_opening(self, psm):
        person = register_individu(code=LUMUT, mother_name="Aisyah", occupation="Nelayan")
        client = client_for(psm)
        body = client.get(person.get_absolute_url()).content.decode()
        client.get(person.get_absolute_url())
        assert person.nik_masked in body and person.nik not in body
        assert "Aisyah" in body and "Nelayan" in body
        assert person.keluarga.get_absolute_url() in body
        assert reverse("registry:reveal_nik", args=[person.pk]) not in body  # a PSM may not
        events = AuditEvent.objects.filter(action=Action.VIEW, object_id=str(person.pk))
        assert [(e.actor, e.wilayah_code) for e in events] == [(psm, LUMUT), (psm, LUMUT)]

    def test_edit_keeps_the_nik_when_left_empty(self, psm):
        person = register_individu(code=LUMUT)
        response = client_for(psm).post(
            reverse("registry:individu_update", args=[person.pk]),
            {**person_form(person), "occupation": "Petani"},
        )
        assert response["Location"] == person.get_absolute_url()
        stored = Individu.objects.get(pk=person.pk)
        assert (stored.nik, stored.occupation, stored.version) == (person.nik, "Petani", 2)

    def test_edit_page_never_shows_the_nik(self, psm):
        person = register_individu(code=LUMUT)
        body = client_for(psm).get(reverse("registry:individu_update", args=[person.pk]))
        assert person.nik not in body.content.decode()
        assert person.nik_masked in body.content.decode()

    def test_edit_with_a_stale_version_is_refused(self, bangka):
        person = register_individu(code=LUMUT)
        first, second = make_user(Role.PSM, LUMUT), make_user(Role.PSM, LUMUT, name="Rina")
        page = reverse("registry:individu_update", args=[person.pk])
        data = person_form(person)
        assert client_for(second).post(page, {**data, "occupation": "A"}).status_code == 302
        stale = client_for(first).post(page, {**data, "occupation": "B"})
        assert stale.status_code == 200
        assert "Rina" in " ".join(stale.context["form"].non_field_errors())

    def test_merged_record_points_to_the_one_kept_and_changes_no_more(self, staff):
        kept = register_individu(code=LUMUT, name="Muhammad Ridwan", sex="L", birth_date=BORN)
        other = register_individu(code=BINTET, name="Moh. Ridwan", sex="L", birth_date=BORN)
        pair = services.duplicates_queue(individu=other)[0]
        services.duplicate_merge(actor=staff, candidate=pair, keep=kept)
        client = client_for(staff)
        response = client.get(other.get_absolute_url())
        assert response.context["merged_into"] == kept
        assert kept.get_absolute_url() in response.content.decode()
        assert not response.context["can_manage"]
        page = reverse("registry:individu_update", args=[other.pk])
        assert client.get(page).status_code == 404
        assert list(client.get(kept.get_absolute_url()).context["merged_from"]) == [other]


class TestPpksPages:
    def test_assign_with_an_image_evidence_is_reencoded_then_downloaded(self, psm):
        person = register_individu(code=LUMUT)
        client = client_for(psm)
        response = client.post(
            reverse("registry:individu_ppks_add", args=[person.pk]),
            {
                "ppks_type": ppks_pk(9),
                "assessed_on": "2025-01-10",
                "note": "Kursi roda",
                "evidence": jpeg_upload(),
            },
        )
        assert response["Location"] == person.get_absolute_url()
        status = PpksStatus.objects.get()
        assert (status.evidence.name or "").endswith(".jpg")
        download = client.get(reverse("registry:ppks_evidence", args=[status.pk]))
        assert download.status_code == 200
        assert download["Content-Type"] == "image/jpeg"
        assert download["Cache-Control"] == "private, no-store"
        assert b"".join(download.streaming_content)[:3] == b"\xff\xd8\xff"  # type: ignore[attr-defined]
        assert AuditEvent.objects.filter(action=Action.VIEW, object_id=str(status.pk)).exists()

    def test_a_disguised_file_is_refused(self, psm):
        person = register_individu(code=LUMUT)
        response = client_for(psm).post(
            reverse("registry:individu_ppks_add", args=[person.pk]),
            {
                "ppks_type": ppks_pk(9),
                "assessed_on": "2025-01-10",
                "evidence": SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>"),
            },
        )
        assert response.context["form"].errors["evidence"]
        assert not PpksStatus.objects.exists()

    def test_status_without_evidence_has_nothing_to_download(self, psm):
        status = assign_ppks(register_individu(code=LUMUT))
        response = client_for(psm).get(reverse("registry:ppks_evidence", args=[status.pk]))
        assert response.status_code == 404

    def test_resolve_through_the_page(self, psm):
        person = register_individu(code=LUMUT)
        status = assign_ppks(person)
        client = client_for(psm)
        page = reverse("registry:ppks_resolve", args=[status.pk])
        early = client.post(page, {"resolved_on": "2024-01-01", "note": "x"})
        assert early.context["form"].errors["resolved_on"]
        response = client.post(page, {"resolved_on": "2025-02-01", "note": "Dapat ATENSI"})
        assert response["Location"] == person.get_absolute_url()
        status.refresh_from_db()
        assert status.resolved_on == datetime.date(2025, 2, 1)
        again = client.post(page, {"resolved_on": "2025-03-01", "note": "Lagi"})
        assert again.context["form"].non_field_errors()


# --- Reveal ---------------------------------------------------------------------------------


class TestReveal:
    def test_reveal_nik_needs_a_reason_and_is_logged_with_it(self, staff):
        person = register_individu(code=LUMUT)
        page = reverse("registry:reveal_nik", args=[person.pk])
        client = client_for(staff)
        refused = client.post(page, {"reason": ""}, HTTP_HX_REQUEST="true")
        assert person.nik not in refused.content.decode()
        assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()
        response = client.post(page, {"reason": "Verifikasi PKH"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert person.nik in body
        assert "<html" not in body
        assert response["Cache-Control"] == "private, no-store"
        event = AuditEvent.objects.get(action=Action.REVEAL)
        assert (event.actor, event.object_id, event.wilayah_code, event.reason) == (
            staff,
            str(person.pk),
            LUMUT,
            "Verifikasi PKH",
        )

    def test_reveal_without_javascript_is_a_page(self, staff):
        keluarga = register_family(code=LUMUT)
        response = client_for(staff).post(
            reverse("registry:reveal_no_kk", args=[keluarga.pk]), {"reason": "Cek KK"}
        )
        body = response.content.decode()
        assert keluarga.no_kk in body and "<html" in body
        assert AuditEvent.objects.get(action=Action.REVEAL).object_id == str(keluarga.pk)

    def test_get_is_not_allowed(self, staff):
        person = register_individu(code=LUMUT)
        response = client_for(staff).get(reverse("registry:reveal_nik", args=[person.pk]))
        assert response.status_code == 405
        assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()

    def test_detail_page_offers_the_reveal_and_the_privacy_pages_to_dinas(self, staff):
        person = register_individu(code=LUMUT)
        body = client_for(staff).get(person.get_absolute_url()).content.decode()
        assert reverse("registry:reveal_nik", args=[person.pk]) in body
        assert reverse("registry:access_history", args=[person.pk]) in body
        assert reverse("registry:subject_export_pdf", args=[person.pk]) in body
        assert person.nik not in body
        psm_page = client_for(make_user(Role.PSM, LUMUT)).get(person.get_absolute_url())
        assert reverse("registry:access_history", args=[person.pk]) not in psm_page.content.decode()
