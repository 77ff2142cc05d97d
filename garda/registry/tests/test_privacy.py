"""A person's access history and the data-subject export (UU 27/2022): who may see them, what
they hold, that each is logged, and that the PDF reads like the JSON."""

import datetime
import itertools
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_record
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
from garda.core.tests.test_pdf import needs_pdftotext, pdf_text
from garda.registry import privacy, services
from garda.registry.models import (
    DuplicateCandidate,
    Individu,
    Keluarga,
    PpksStatus,
    PpksType,
    Relation,
)
from garda.wilayah.models import Wilayah

_serial = itertools.count(1)


# --- test data, made by the registry's own services --------------------------------------------


def registrar(code: str) -> User:
    """A Dinas administrator of the district holding `code`."""
    district = code[:5]
    if district == "19.02":
        other_district()
    return make_user(Role.ADMIN_DINAS, district)


def _prefix(code: str) -> str:
    return code[:8].replace(".", "")


def next_no_kk(code: str = LUMUT) -> str:
    return f"{_prefix(code)}{next(_serial):010d}"


def next_nik(code: str = LUMUT, *, birth: str = "450790") -> str:
    """A valid NIK of a woman born 05-07-1990 (day + 40), issued in the kecamatan of `code`."""
    return f"{_prefix(code)}{birth}{next(_serial):04d}"


def household(code: str = LUMUT, *, actor: User | None = None, **data: Any) -> Keluarga:
    if code.startswith("19.02"):
        other_district()
    return services.keluarga_register(
        actor=actor or registrar(code),
        no_kk=next_no_kk(code),
        wilayah=Wilayah.objects.get(code=code),
        data={"address": "Jl. Raya Lumut No. 7", "rt": "002", "rw": "001", **data},
    )


def resident(keluarga: Keluarga, *, actor: User | None = None, **data: Any) -> Individu:
    fields = {
        "nik": next_nik(keluarga.wilayah_id),
        "name": f"Warga {next(_serial)}",
        "sex": "P",
        "birth_date": datetime.date(1990, 7, 5),
        "relation": Relation.ANAK,
        **data,
    }
    return services.individu_register(
        actor=actor or registrar(keluarga.wilayah_id), keluarga=keluarga, data=fields
    ).individu


def person(code: str = LUMUT, **data: Any) -> Individu:
    """A head of family in a new household of `code`."""
    data.setdefault("relation", Relation.KEPALA)
    return resident(household(code), **data)


def export(client, individu: Individu, file_format: str = "json", **data: str):
    url = reverse(f"registry:subject_export_{file_format}", args=[individu.pk])
    return client.post(url, {"requester": "Siti Aminah", "reference": "045/PDP/2026", **data})


# --- who may reach the pages --------------------------------------------------------------------


class SubjectPageContract(ScopedViewContract):
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA

    def make_object(self, code: str) -> Individu:
        return person(code)


class TestAccessHistoryContract(SubjectPageContract):
    def url_for(self, obj: Individu) -> str:
        return reverse("registry:access_history", args=[obj.pk])


class TestExportJsonFormContract(SubjectPageContract):
    def url_for(self, obj: Individu) -> str:
        return reverse("registry:subject_export_json", args=[obj.pk])


class TestExportPdfFormContract(SubjectPageContract):
    def url_for(self, obj: Individu) -> str:
        return reverse("registry:subject_export_pdf", args=[obj.pk])


class TestExportDownloadContract(SubjectPageContract):
    method = "post"

    def url_for(self, obj: Individu) -> str:
        return reverse("registry:subject_export_json", args=[obj.pk])

    def request(self, client, url):
        return client.post(url, {"requester": "Siti", "reference": "1/2026"})


@pytest.mark.parametrize(
    ("role", "code", "history", "export_form"),
    [
        (Role.ADMIN_DINAS, BANGKA, 200, 200),
        (Role.STAF_DINAS, BANGKA, 200, 200),
        (Role.PIMPINAN, BANGKA, 200, 403),  # reads audit trails, may not reveal identifiers
        (Role.KOORDINATOR, "19.01.02", 403, 403),
        (Role.PSM, LUMUT, 403, 403),
        (Role.OPERATOR_DESA, LUMUT, 403, 403),
        (Role.VIEWER, BANGKA, 403, 403),
    ],
)
def test_roles(bangka, role, code, history, export_form):
    subject = person()
    client = client_for(make_user(role, code))
    assert client.get(reverse("registry:access_history", args=[subject.pk])).status_code == history
    for file_format in ("json", "pdf"):
        url = reverse(f"registry:subject_export_{file_format}", args=[subject.pk])
        assert client.get(url).status_code == export_form
        assert export(client, subject, file_format).status_code == (
            200 if export_form == 200 else 403
        )


def test_dinas_of_another_district_gets_404(bangka):
    subject = person()
    client = client_for(registrar("19.02.01.2001"))
    assert client.get(reverse("registry:access_history", args=[subject.pk])).status_code == 404
    assert export(client, subject).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_export_service_refuses_without_the_reveal_permission(bangka):
    from garda.core.errors import NotAllowed

    subject = person()
    with pytest.raises(NotAllowed):
        privacy.subject_export(
            actor=make_user(Role.PIMPINAN, BANGKA),
            individu=subject,
            requester="x",
            reference="y",
            file_format="json",
        )


# --- the access history -------------------------------------------------------------------------


@pytest.fixture
def family(bangka):
    """A household of Lumut with a head, a child and a PPKS status each, a household PPKS
    status, a move, a merged duplicate of the head and a few reads."""
    admin = registrar(LUMUT)
    keluarga = household(actor=admin)
    head = resident(
        keluarga,
        actor=admin,
        name="Siti Aminah",
        relation=Relation.KEPALA,
        mother_name="Rohana",
    )
    child = resident(
        keluarga,
        actor=admin,
        name="Budi Santoso",
        relation=Relation.ANAK,
        birth_date=datetime.date(2012, 3, 4),
        nik=next_nik(birth="040312"),
        sex="L",
    )
    lansia = PpksType.objects.get(number=8)
    miskin = PpksType.objects.get(number=24)
    today = datetime.date(2026, 1, 15)
    services.ppks_assign(
        actor=admin, ppks_type=lansia, individu=head, assessed_on=today, note="Tinggal sendiri"
    )
    services.ppks_assign(actor=admin, ppks_type=lansia, individu=child, assessed_on=today)
    services.ppks_assign(actor=admin, ppks_type=miskin, keluarga=keluarga, assessed_on=today)
    services.individu_update(actor=admin, individu=head, data={"occupation": "Petani"})
    # The same woman entered again in another household of Bintet, then merged into `head`.
    elsewhere = household(BINTET, actor=admin)
    duplicate = resident(
        elsewhere, actor=admin, name="Siti Aminah", relation=Relation.KEPALA, mother_name="Rohana"
    )
    candidate = DuplicateCandidate.objects.get(
        first__in=[head, duplicate], second__in=[head, duplicate]
    )
    services.duplicate_merge(actor=admin, candidate=candidate, keep=head)
    services.keluarga_move(
        actor=admin,
        keluarga=keluarga,
        wilayah=Wilayah.objects.get(code=BINTET),
        moved_on=datetime.date(2026, 2, 1),
        reason="Pindah rumah",
    )
    psm = make_user(Role.PSM, BINTET, name="Pak PSM")
    audit_record(actor=psm, action=Action.VIEW, obj=head)
    audit_record(actor=admin, action=Action.REVEAL, obj=head, reason="Verifikasi bansos")
    audit_record(actor=admin, action=Action.VIEW, obj=child)  # about the child only
    head.refresh_from_db()
    child.refresh_from_db()
    return {
        "admin": admin,
        "keluarga": keluarga,
        "head": head,
        "child": child,
        "duplicate": duplicate,
        "elsewhere": elsewhere,
    }


def test_history_lists_every_record_of_the_person_and_nothing_of_others(family):
    head, child = family["head"], family["child"]
    events = list(privacy.access_history(privacy.subject_records(head)))
    about = {(e.object_type, e.object_id) for e in events}
    assert ("registry.individu", str(head.pk)) in about
    assert ("registry.individu", str(family["duplicate"].pk)) in about  # merged into her
    assert ("registry.keluarga", str(family["keluarga"].pk)) in about  # her household
    assert ("registry.individu", str(child.pk)) not in about  # another person
    types = {e.object_type for e in events}
    assert {"registry.ppksstatus", "registry.duplicatecandidate"} <= types
    ppks_ids = {e.object_id for e in events if e.object_type == "registry.ppksstatus"}
    own = {str(s.pk) for s in head.ppks.all()} | {str(s.pk) for s in family["keluarga"].ppks.all()}
    assert ppks_ids == own  # hers and the household's, not the child's
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)


def test_history_page_shows_who_what_why_and_logs_itself(family):
    head = family["head"]
    client = client_for(make_user(Role.STAF_DINAS, BANGKA, name="Bu Staf"))
    response = client.get(reverse("registry:access_history", args=[head.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Pak PSM" in body
    assert "Verifikasi bansos" in body
    assert "Petani" in body  # the change, from what to what
    assert head.nik not in body  # identifiers stay out of the trail
    first = response.context["rows"][0]
    assert (first.actor, first.action) == ("Bu Staf", Action.VIEW)  # this very visit, on top
    assert response.context["can_export"] is True
    logged = AuditEvent.objects.for_object(head).filter(action=Action.VIEW, actor_name="Bu Staf")
    assert logged.count() == 1


def test_a_dismissed_duplicate_review_does_not_name_the_other_person(bangka):
    admin = registrar(LUMUT)
    subject = person(LUMUT, name="Siti Aminah", mother_name="Rohana")
    other = person(BINTET, name="Rohaya Binti Ali", mother_name="Rohana")  # same birth date
    candidate = DuplicateCandidate.objects.get(first__in=[subject, other])
    services.duplicate_dismiss(actor=admin, candidate=candidate)
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    response = client.get(reverse("registry:access_history", args=[subject.pk]))
    assert any(row.record_type == "registry.duplicatecandidate" for row in response.context["rows"])
    assert "Rohaya" not in response.content.decode()
    assert "Rohaya" not in export(client, subject).content.decode()


def test_head_of_office_reads_the_history_without_the_export_buttons(family):
    client = client_for(make_user(Role.PIMPINAN, BANGKA))
    response = client.get(reverse("registry:access_history", args=[family["head"].pk]))
    assert response.status_code == 200
    assert response.context["can_export"] is False
    assert reverse("registry:subject_export_json", args=[family["head"].pk]) not in (
        response.content.decode()
    )


def test_a_merged_record_sends_to_the_one_it_lives_on_in(family):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    for name in ("registry:access_history", "registry:subject_export_pdf"):
        response = client.get(reverse(name, args=[family["duplicate"].pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse(name, args=[family["head"].pk])


def test_history_is_paginated(family):
    head = family["head"]
    for _index in range(60):
        audit_record(actor=family["admin"], action=Action.VIEW, obj=head)
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("registry:access_history", args=[head.pk])
    first = client.get(url)
    assert len(first.context["rows"]) == 50
    assert first.context["page_obj"].has_next()
    assert client.get(url, {"page": 2}).status_code == 200


def test_history_query_count_is_pinned(family, django_assert_num_queries):
    head, admin, keluarga = family["head"], family["admin"], family["keluarga"]
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("registry:access_history", args=[head.pk])
    client.get(url)  # warm the session
    # session, user, roles, the person, the logged view, records merged into her (2 levels: one
    # found, then none), PPKS ids, duplicate-review ids, count, page rows, the names of the
    # regions and of the users that changes point to (2), session save (3)
    with django_assert_num_queries(16):
        client.get(url)
    status = head.ppks.first()
    for _index in range(40):
        audit_record(actor=admin, action=Action.VIEW, obj=head)
        move = {"wilayah": [LUMUT, BINTET]}
        audit_record(actor=admin, action=Action.UPDATE, obj=keluarga, changes=move)
        assessor = {"assessor": [None, str(admin.pk)]}
        audit_record(actor=admin, action=Action.UPDATE, obj=status, changes=assessor)
    with django_assert_num_queries(16):
        response = client.get(url)
    rows = response.context["rows"]
    assert len(rows) == 50
    shown = {(c.label, c.after) for row in rows for c in row.shown_changes}
    with translation.override("id"):  # the language the pages speak by default
        region = Wilayah.objects.select_related("parent").get(code=BINTET)
        assert (labels(Keluarga, "wilayah"), f"{region}, {region.parent}") in shown
        assert (labels(PpksStatus, "assessor"), str(admin)) in shown


def labels(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


# --- the data-subject export --------------------------------------------------------------------


def test_export_form_asks_who_and_why_and_records_nothing_until_sent(family):
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("registry:subject_export_json", args=[family["head"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"requester", "reference"}
    assert "no-store" in response["Cache-Control"]
    incomplete = client.post(url, {"requester": "Siti Aminah"})
    assert incomplete.status_code == 200
    assert incomplete.context["form"].errors["reference"]
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_get_with_parameters_exports_nothing(family):
    """Only a POST exports: a link (or a prefetch) cannot produce the file."""
    client = client_for(make_user(Role.STAF_DINAS, BANGKA))
    url = reverse("registry:subject_export_json", args=[family["head"].pk])
    response = client.get(url, {"requester": "x", "reference": "y"})
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_json_export_holds_everything_about_the_person(family):
    head, child, keluarga = family["head"], family["child"], family["keluarga"]
    client = client_for(make_user(Role.STAF_DINAS, BANGKA, name="Bu Staf"))
    response = export(client, head, "json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="data-subjek-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)

    assert data["format"] == privacy.EXPORT_FORMAT
    assert data["legal_basis"] == str(privacy.LEGAL_BASIS)
    assert data["purpose"] == str(privacy.PURPOSE)
    assert data["request"] == {
        "requester": "Siti Aminah",
        "reference": "045/PDP/2026",
        "exported_by": "Bu Staf",
        "format": "json",
    }
    person_data = data["person"]
    assert person_data["nik"] == head.nik  # in full: it is for the person
    assert person_data["name"] == "Siti Aminah"
    assert person_data["occupation"] == "Petani"
    assert person_data["birth_date"] == "1990-07-05"
    assert person_data["sex"] == "P"
    assert person_data["wilayah"]["code"] == BINTET  # moved with her household
    assert data["household"]["no_kk"] == keluarga.no_kk
    assert [(m["name"], m["relation"]) for m in data["household"]["other_members"]] == [
        ("Budi Santoso", "anak")
    ]
    assert child.nik not in response.content.decode()  # other members: names, not NIKs
    assert {(s["type"].split(". ")[0], s["of"]) for s in data["ppks_statuses"]} == {
        ("8", "person"),
        ("24", "household"),
    }
    assert [(m["from"]["code"], m["to"]["code"]) for m in data["moves"]] == [(LUMUT, BINTET)]
    assert [r["nik"] for r in data["merged_records"]] == [family["duplicate"].nik]
    trail = data["processing_trail"]
    assert trail[0]["action"] == Action.EXPORT  # the export lists itself
    assert "045/PDP/2026" in trail[0]["reason"]
    assert {"view", "reveal", "update", "create", "export"} <= {e["action"] for e in trail}

    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert event.object_id == str(head.pk)
    assert event.actor_name == "Bu Staf"
    assert "Siti Aminah" in event.reason and "045/PDP/2026" in event.reason


def english_client(user: User):
    client = client_for(user)
    client.cookies["django_language"] = "en"
    session = client.session
    session["_language"] = "en"
    session.save()
    return client


def test_labels_are_in_the_office_language_whatever_the_user_chose(family):
    from garda.core.choices import Sex

    client = english_client(make_user(Role.STAF_DINAS, BANGKA))
    data = json.loads(export(client, family["head"]).content)
    with translation.override("id"):
        assert data["person"]["sex_label"] == str(Sex.P.label)
        assert data["legal_basis"] == str(privacy.LEGAL_BASIS)


def test_each_export_is_recorded(family):
    client = client_for(make_user(Role.ADMIN_DINAS, BANGKA))
    export(client, family["head"], "json")
    export(client, family["head"], "pdf", reference="046/PDP/2026")
    events = AuditEvent.objects.for_object(family["head"]).filter(action=Action.EXPORT)
    assert [fmt in e.reason for e, fmt in zip(events, ("PDF", "JSON"), strict=True)] == [
        True,
        True,
    ]


def test_pdf_export(family):
    head = family["head"]
    client = client_for(make_user(Role.STAF_DINAS, BANGKA, name="Bu Staf"))
    response = export(client, head, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF")


@needs_pdftotext
def test_pdf_export_text_matches_the_json(family, tmp_path):
    head, keluarga = family["head"], family["keluarga"]
    client = english_client(make_user(Role.STAF_DINAS, BANGKA, name="Bu Staf"))
    text = pdf_text(export(client, head, "pdf").content, tmp_path)
    for expected in (
        "DINAS SOSIAL KABUPATEN BANGKA",
        "Siti Aminah",
        head.nik,
        keluarga.no_kk,
        family["duplicate"].nik,
        "Budi Santoso",
        "045/PDP/2026",
        "Lanjut Usia Terlantar",
        "Pindah rumah",
        "Verifikasi bansos",
        "Pak PSM",
        "5 Juli 1990",  # Indonesian dates, though this user reads Garda in English
        "WIB",
    ):
        assert expected in text, expected
    with translation.override("id"):
        page = _("Page %(page)s of %(pages)s") % {"page": 1, "pages": ""}
    assert page.strip() in text
    assert family["child"].nik not in text
