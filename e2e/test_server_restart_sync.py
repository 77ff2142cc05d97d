"""Issue 7's journey (b): the server stops in the middle of a phone's sync and starts again.

A PSM files three reports with a photo each and drafts a proposal with a house photo, all
without a connection. When the connection returns the phone sends the queue; twice the server
process is killed after it has written what it was sent but before it could answer (a report,
then the proposal's photo), and is started again. The phone tries again by itself. The
proposal was first refused (its NIK does not match the birth date): the phone shows why, the
PSM corrects it and it goes. In the end every report exists once with its photo, and the
proposal once with its photo; nothing is left half uploaded.

The server is a separate process (`e2e/sync_server.py`) on the test database, so it can really
be killed; it needs PostgreSQL, where the browser journeys run.
"""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, Route, expect

from garda.activities.models import Activity, Photo, PhotoUpload
from garda.core.testing import LUMUT, TEST_PASSWORD
from garda.pilar.tests.factories import psm_with_account
from garda.programs.models import Proposal
from garda.registry.tests.factories import nik_for

from .conftest import PHONE, TIMEOUT_MS
from .helpers import log_in
from .test_activity_offline_journey import CAPTURE, file_report, photo_file

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parent.parent
BORN = datetime.date(1984, 2, 9)


class RestartableServer:
    """Garda in a process of its own (see e2e/sync_server.py), killed and started on demand."""

    def __init__(self, media: Path, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.media = media
        settings = connection.settings_dict
        database = (
            f"postgres://{quote(settings['USER'])}:{quote(settings['PASSWORD'] or '')}"
            f"@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        self.log = log.open("w")
        # Our own server module, started while the test prepares its data (it loads Django).
        self.parent = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "e2e.sync_server", str(self.port), str(media)],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.child: int | None = None

    def start(self) -> None:
        assert self.parent.stdin is not None and self.parent.stdout is not None
        self.parent.stdin.write("start\n")
        self.parent.stdin.flush()
        answer = self.parent.stdout.readline().split()
        assert answer[:1] == ["serving"], f"the server did not start: {answer}"
        self.child = int(answer[1])

    def kill(self) -> None:
        """SIGKILL, then wait until the process is gone and its port free (it is the parent's
        child, which reaps it at once)."""
        assert self.child is not None
        os.kill(self.child, signal.SIGKILL)
        for _attempt in range(200):
            try:
                os.kill(self.child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        self.child = None

    def close(self) -> None:
        if self.child is not None:
            self.kill()
        self.parent.kill()
        self.parent.wait()
        self.log.close()


@pytest.fixture
def server(transactional_db, bangka, tmp_path) -> Iterator[RestartableServer]:
    if connection.vendor != "postgresql":
        pytest.skip("another process opens the test database: PostgreSQL only")
    running = RestartableServer(tmp_path / "media", tmp_path / "server.log")
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def phone(browser: Browser, server: RestartableServer) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    yield context.new_page()
    context.close()


def draft_proposal(page: Page, photo: Path, nik: str) -> None:
    """A new registry entry on the phone's proposal page, with a photo of the house."""
    form = page.locator("form[data-kind=baru]")
    form.locator("[name=name]").fill("Rahmat Hidayat")
    form.locator("[name=nik]").fill(nik)
    form.locator("[name=no_kk]").fill("1901020103150777")
    form.locator("[name=sex]").select_option("L")
    form.locator("[name=birth_date]").fill(BORN.isoformat())
    form.locator("[name=justification]").fill("Rumah tidak layak huni, tanpa penghasilan tetap.")
    form.locator("[name=photo_front]").set_input_files(str(photo))
    expect(form.locator("ul.file-list li")).to_have_count(1)
    form.locator("button[type=submit]").click()
    expect(form.locator("[name=name]")).to_have_value("")


def test_the_server_stops_mid_sync_and_nothing_is_lost_or_doubled(
    phone: Page, server: RestartableServer, tmp_path
):
    pilar = psm_with_account(code=LUMUT, username="psm.lumut", name="Siti Hayati")
    assert pilar.user is not None
    pilar.user.set_password(TEST_PASSWORD)
    pilar.user.save(update_fields=["password"])
    server.start()
    log_in(phone, "psm.lumut")
    phone.goto(CAPTURE)
    assert phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    phone.reload()  # from now on the service worker serves the offline pages

    phone.context.set_offline(True)
    for number in (1, 2, 3):
        file_report(phone, photo_file(tmp_path, number), f"Kunjungan rumah nomor {number}")
    phone.goto("/kegiatan/usulan/")  # opened without a connection
    wrong_nik = nik_for(BORN.replace(year=1990), "L")  # disagrees with the birth date
    draft_proposal(phone, photo_file(tmp_path, 4), wrong_nik)
    expect(phone.locator("#queue-count")).to_have_text("4")

    killed: list[str] = []

    def kill_before_the_answer(route: Route) -> None:
        """The server writes what it was sent, then dies before answering; it comes back."""
        route.fetch()
        server.kill()
        killed.append(route.request.url)
        route.abort("connectionreset")
        server.start()

    reports_sent: list[str] = []

    def second_report(route: Route) -> None:
        reports_sent.append(route.request.url)
        if len(reports_sent) == 2:
            kill_before_the_answer(route)
        else:
            route.continue_()

    phone.route("**/kegiatan/sync/laporan/", second_report)
    phone.route(
        lambda url: "/sync/berkas/" in url and "offset=" in url and len(killed) == 1,
        kill_before_the_answer,
    )
    phone.context.set_offline(False)

    refused = phone.locator("#queue-list li[data-state=refused]")
    expect(refused).to_have_count(1, timeout=30_000)  # the reports went; the proposal waits
    expect(refused).to_contain_text("NIK")
    refused.locator("button[data-action=edit]").click()
    form = phone.locator("form[data-kind=baru]")
    expect(form.locator("[name=nik]")).to_have_value(wrong_nik)
    right_nik = nik_for(BORN, "L")
    form.locator("[name=nik]").fill(right_nik)
    form.locator("button[type=submit]").click()
    expect(phone.locator("#queue-count")).to_have_text("0", timeout=30_000)

    assert len(killed) == 2
    reports = Activity.objects.filter(pilar=pilar)
    assert sorted(reports.values_list("description", flat=True)) == [
        f"Kunjungan rumah nomor {n}" for n in (1, 2, 3)
    ]
    for report in reports:
        photos = Photo.objects.filter(activity=report)
        assert photos.count() == 1
        assert (server.media / str(photos.get().file.name)).is_file()
    proposal = Proposal.objects.get()
    assert proposal.name == "Rahmat Hidayat" and proposal.nik == right_nik
    assert (server.media / str(proposal.photo_front.name)).is_file()
    assert not PhotoUpload.objects.exists()
