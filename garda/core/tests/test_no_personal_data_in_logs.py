"""No personal data in the logs (issue 9): the main flows are driven with every logger at
DEBUG, and neither the records nor what the configured handlers write hold a NIK, a No KK, a
name, a phone number, an email address or a password.

SQL logging (`django.db.backends`) is left as configured: Django writes it only with DEBUG on,
which production never has (`check --deploy` refuses it), and it would show the names stored
in clear in the statements' parameters.
"""

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.redaction import HIDDEN, redact
from garda.core.testing import BANGKA, BINTET, TEST_PASSWORD, client_for, make_user
from garda.notifications.services import notify
from garda.registry import services
from garda.registry.models import Individu
from garda.registry.tests.test_import import IMPORT, csv_file, family
from garda.registry.tests.test_pages import household_form

WRONG_PASSWORD = "Salah-Tebak-4471"
STAFF = {"name": "Siti Aminah", "email": "siti.aminah@example.org", "phone": "081277884321"}
SQL = "django.db.backends"


@pytest.fixture
def written(caplog):
    """Every record at DEBUG (caplog.records) and what the configured handlers write."""
    buffer = io.StringIO()
    streams = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    saved = [(h, h.setStream(buffer)) for h in streams]
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(logger, logger.level) for logger in loggers if logger.name != SQL]
    for logger, _level in levels:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield buffer
    for logger, level in levels:
        logger.setLevel(level)
    for handler, stream in saved:
        handler.setStream(stream)


def logged_text(caplog, buffer: io.StringIO) -> str:
    formatter = logging.Formatter()
    parts = [buffer.getvalue()]
    for record in caplog.records:
        parts += [record.getMessage(), record.exc_text or "", record.stack_info or ""]
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


def a_bug_that_loses_the_household(*, actor, keluarga, data):
    """Writes the resident without its household: PostgreSQL's error quotes the whole row."""
    with transaction.atomic():
        Individu(name=data["name"], nik=data["nik"]).save()


def test_main_flows_log_no_personal_data(
    bangka, written, caplog, monkeypatch, settings, django_capture_on_commit_callbacks
):
    staff = make_user(Role.STAF_DINAS, BANGKA, username="staf.siti", **STAFF)
    secrets = [WRONG_PASSWORD, TEST_PASSWORD, *STAFF.values()]

    # A wrong password, then the Dinas staff at work.
    Client().post(reverse("accounts:login"), {"username": "staf.siti", "password": WRONG_PASSWORD})
    client = client_for(staff)
    client.raise_request_exception = False

    form = household_form()
    secrets += [form["no_kk"], form["nik"], form["name"], form["mother_name"]]
    assert client.post(reverse("registry:keluarga_create"), form).status_code == 302
    person = Individu.objects.get(name=form["name"])
    reveal = reverse("registry:reveal_nik", args=[person.pk])
    assert client.post(reveal, {"reason": "verifikasi"}).status_code == 200
    for query in (form["nik"], form["name"], form["no_kk"]):
        assert client.get(reverse("registry:search"), {"q": query}).status_code == 200

    # A DTKS file with a bad row; the import reports it, row by row.
    rows = family(7)
    rows[1] |= {"NIK": "12345"}
    secrets += [rows[0]["NIK"], rows[0]["No_KK"], rows[0]["Nama"], rows[1]["Nama"]]
    upload = SimpleUploadedFile("dtks.csv", csv_file(rows))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(IMPORT, {"file": upload}).status_code == 302

    # The API refusing a bad filter, and a resident outside the caller's area.
    api = reverse("api:resident-list")
    assert client.get(api, {"household": form["name"]}).status_code == 400
    outsider = client_for(make_user(Role.PSM, BINTET))
    assert outsider.get(reverse("api:resident-detail", args=[person.pk])).status_code == 404

    # A notification whose email cannot be sent (the mail server is down).
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        notify(staff, text="Usulan baru menunggu verifikasi")

    # A server error: a view whose service fails in the database.
    monkeypatch.setattr(services, "individu_register", a_bug_that_loses_the_household)
    second = household_form(name="Rahmat Hidayat")
    secrets += [second["no_kk"], second["nik"], second["name"]]
    assert client.post(reverse("registry:keluarga_create"), second).status_code == 500

    text = logged_text(caplog, written)
    # The flows were logged, the server error with its exception: the check means something.
    assert "Internal Server Error" in written.getvalue()
    assert "IntegrityError" in written.getvalue()
    leaked = [value for value in secrets if value and value in text]
    assert not leaked, text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("DETAIL:  Failing row contains (1, Siti Aminah).", f"DETAIL: {HIDDEN}"),
        (
            'invalid input syntax for type uuid: "Siti"',
            f"invalid input syntax for type uuid: {HIDDEN}",
        ),
        ("to siti.aminah@example.org failed", f"to {HIDDEN} failed"),
        ("NIK 1901024507900003, KK 1901020101230004", f"NIK {HIDDEN}, KK {HIDDEN}"),
        ("call 0812-7788-4321 or +62 812 7788 4321", f"call {HIDDEN} or {HIDDEN}"),
        ("job 7c9e6679-7425-40de-944b-e07fc1f90ae7 took 1200 ms", None),  # ids stay
        ("2026-11-28 21:48:38.835719+00 row 1234567890123", None),
    ],
)
def test_redact_masks_what_identifies_a_person(text, masked):
    assert redact(text) == (text if masked is None else masked)
