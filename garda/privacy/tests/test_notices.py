"""The notices: the letter to the authority (PDF, read back with pdftotext) names nobody and
gives the numbers; the list for the notice to data subjects (XLSX) masks the NIK for a reader
who may not reveal identifiers. Each download is in the audit trail."""

import io

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.nik import mask_identifier
from garda.core.testing import BANGKA, BINTET, LUMUT, client_for, make_user
from garda.core.tests.test_pdf import needs_pdftotext, pdf_text
from garda.registry.tests.factories import register_individu

from .. import services
from ..models import Incident, Status
from .factories import HOUR, advance, privacy_admin, record_incident


@pytest.fixture
def traced(bangka):
    """An incident whose suspect account opened two residents of Lumut and one of Bintet;
    five more people were in a leaked file; contained and the subjects notified."""
    admin = privacy_admin(BANGKA)
    suspect = make_user(Role.STAF_DINAS, BANGKA)
    people = [register_individu(code=code) for code in (LUMUT, LUMUT, BINTET)]
    start = timezone.now() - HOUR
    client = client_for(suspect)
    for person in people:
        client.get(reverse("registry:individu_detail", args=[person.pk]))
    incident = record_incident(
        actor=admin,
        description="Akun staf dipakai orang lain dari warnet.",
        measures="Akun dinonaktifkan, kata sandi diganti.",
        other_subjects=5,
        other_subjects_note="daftar undangan rapat",
    )
    services.affected_find(
        actor=admin, incident=incident, account=suspect, start=start, end=timezone.now()
    )
    advance(incident, Status.CONTAINED, actor=admin)
    advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
    incident.refresh_from_db()
    return incident, people, admin


def exports_of(incident: Incident) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(incident).filter(action=Action.EXPORT))


@needs_pdftotext
@override_settings(GARDA_HEAD_NAME="Drs. Ahmad Fauzi", GARDA_HEAD_NIP="197001011990031001")
def test_the_letter_gives_numbers_and_measures_and_names_nobody(traced, tmp_path):
    incident, people, _admin = traced
    head = make_user(Role.PIMPINAN, BANGKA)
    response = client_for(head).get(reverse("privacy:letter_pdf", args=[incident.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "pdp-1901-" in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "DINAS SOSIAL KABUPATEN BANGKA" in text
    assert incident.number in text
    assert "Akun staf dipakai orang lain dari warnet." in text
    assert "Akun dinonaktifkan, kata sandi diganti." in text
    assert "Lumut Belinyu 2" in text and "Bintet Belinyu 1" in text
    assert "daftar undangan rapat" in text
    assert " 8 " in f" {text} "  # 3 residents + 5 others
    assert "Drs. Ahmad Fauzi" in text and "197001011990031001" in text
    for person in people:
        assert person.name not in text
    [export] = exports_of(incident)
    assert (export.actor, export.changes, export.wilayah_code) == (
        head,
        {"people": [None, 8]},
        BANGKA,
    )


def sheet_rows(content: bytes, title_index: int = 0) -> list[tuple]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return list(book.worksheets[title_index].iter_rows(values_only=True))


def test_the_list_masks_the_nik_for_a_reader_who_may_not_reveal(traced):
    incident, people, _admin = traced
    head = make_user(Role.PIMPINAN, BANGKA)  # reads incidents, may not reveal identifiers
    response = client_for(head).get(reverse("privacy:subjects_xlsx", args=[incident.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    _header, *rows = sheet_rows(response.content)
    assert len(rows) == 3
    assert {row[1] for row in rows} == {mask_identifier(p.nik) for p in people}
    assert {row[2] for row in rows} == {p.name for p in people}
    assert all(row[10] for row in rows) and not any(row[11] for row in rows)  # read, not revealed
    by_desa = sheet_rows(response.content, 1)[1:]
    assert [(row[1], row[3]) for row in by_desa] == [("Lumut", 2), ("Bintet", 1)]
    [export] = exports_of(incident)
    assert export.changes == {"rows": [None, 3], "identifiers_revealed": [None, 0]}


def test_the_list_shows_the_full_nik_to_an_administrator(traced):
    incident, people, admin = traced
    response = client_for(admin).get(reverse("privacy:subjects_xlsx", args=[incident.pk]))
    _header, *rows = sheet_rows(response.content)
    assert {row[1] for row in rows} == {p.nik for p in people}
    [export] = exports_of(incident)
    assert export.changes["identifiers_revealed"] == [None, 3]


def test_a_resident_found_by_two_searches_is_one_row(bangka):
    admin = privacy_admin(BANGKA)
    first, second = make_user(Role.STAF_DINAS, BANGKA), make_user(Role.STAF_DINAS, BANGKA)
    person = register_individu(code=LUMUT)
    start = timezone.now() - HOUR
    for account in (first, second):
        client_for(account).get(reverse("registry:individu_detail", args=[person.pk]))
    incident = record_incident(actor=admin)
    for account in (first, second):
        services.affected_find(
            actor=admin, incident=incident, account=account, start=start, end=timezone.now()
        )
    response = client_for(admin).get(reverse("privacy:subjects_xlsx", args=[incident.pk]))
    _header, *rows = sheet_rows(response.content)
    assert [row[2] for row in rows] == [person.name]
