"""The load test's users (locust), started by bench/loadtest/run.py; not a Django module.

Every request goes to the next app server in turn (LOAD_SERVERS), as a load balancer without
stickiness would send it: the session, the CSRF token and the API rate limits must hold across
servers. Each user logs in once, with its own account (LOAD_ACCOUNTS, written by run.py), and
the Dinas accounts give their authenticator code (TOTP) as in production.

- `PsmUser`: the capture page, then an activity report sent the way the phone's queue sends it
  (sync POST, JSON, its own client UUID); their reports, performance, home page, a search.
- `CoordinatorUser`: the kecamatan dashboard, reports to verify, residents, programmes.
- `DinasUser`: the resident list and searches by name and NIK, dashboards, programmes,
  distributions, proposals, the API; now and then a small DTKS import (one file in three with
  a bad row): upload, wait for the background check, apply. Imports are the run's
  background tasks, which run.py counts afterwards.
- `BareUser`: the baseline, a bare Django view.

LOAD_WAIT is the think time in seconds ("2,8"; "0,0" for a saturation run). With
LOAD_MEASURE_AFTER_LOGIN=1 the users wait for each other after logging in and the statistics
start then: a run without pause measures the pages, not 50 password hashes at once.
"""

import csv
import datetime
import io
import itertools
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import gevent
import gevent.event
import pyotp
from locust import HttpUser, between, task

SERVERS = os.environ["LOAD_SERVERS"].split(",")
_next_server = itertools.cycle(SERVERS)
ACCOUNTS: dict[str, Any] = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
WAIT = [float(part) for part in os.environ.get("LOAD_WAIT", "2,8").split(",")]
IMPORT_DESA = ("Kepulauan Bangka Belitung", "Kabupaten Bangka", "Belinyu", "Lumut", "190102")
IMPORT_HEADER = [
    *("ID DTKS", "PROVINSI", "Kabupaten", "kecamatan", "DESA", "Alamat", "Dusun", "RT", "RW"),
    *("No_KK", "NIK", "Nama", "Tempat Lahir", "TANGGAL_LAHIR", "Jenis Kelamin"),
    *("Nama Ibu Kandung", "Hubungan Keluarga", "Desil"),
]
MEASURE_AFTER_LOGIN = os.environ.get("LOAD_MEASURE_AFTER_LOGIN") == "1"
# Users of every run of the test are numbered apart (run.py), so their imports differ.
_user_numbers = itertools.count(int(os.environ.get("LOAD_FIRST_USER", "1")))


class GardaUser(HttpUser):
    abstract = True
    host = SERVERS[0]
    wait_time = between(*WAIT)
    pool: ClassVar[list[dict[str, Any]]]

    logged_in: ClassVar[list["GardaUser"]] = []
    everyone_in = gevent.event.Event()

    def on_start(self) -> None:
        self.number = next(_user_numbers)
        self.account = type(self).pool.pop(0)  # an account to itself: a TOTP code works once
        self.log_in()
        if MEASURE_AFTER_LOGIN:
            self.wait_for_everyone()

    def wait_for_everyone(self) -> None:
        GardaUser.logged_in.append(self)
        if len(GardaUser.logged_in) == self.environment.runner.target_user_count:
            self.environment.stats.reset_all()
            GardaUser.everyone_in.set()
        GardaUser.everyone_in.wait()

    def url(self, path: str) -> str:
        return next(_next_server) + path

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def expect(self, method: str, path: str, status: int, name: str | None = None, **kw: Any):
        """A request that fails unless it answers `status` (redirects are not followed)."""
        with self.client.request(
            method,
            self.url(path),
            name=name or path,
            allow_redirects=False,
            catch_response=True,
            **kw,
        ) as response:
            if response.status_code != status:
                where = response.headers.get("Location", "")
                response.failure(f"{response.status_code} (expected {status}) {where}")
            return response

    def page(self, path: str, name: str | None = None, **params: str) -> Any:
        return self.expect("GET", path, 200, name=name, params=params or None)

    def form(self, path: str, data: dict[str, Any], name: str | None = None, **kw: Any) -> Any:
        headers = {"Referer": self.url(path)}
        body = {"csrfmiddlewaretoken": self.csrf(), **data}
        return self.expect("POST", path, 302, name=name, data=body, headers=headers, **kw)

    def log_in(self) -> None:
        self.page("/akun/masuk/")
        credentials = {"username": self.account["username"], "password": self.account["password"]}
        self.form("/akun/masuk/", credentials)
        if "totp" in self.account:  # the Dinas roles: the authenticator's code
            self.form("/akun/verifikasi/", {"code": pyotp.TOTP(self.account["totp"]).now()})


class PsmUser(GardaUser):
    weight = 15
    pool = ACCOUNTS["psm"]

    @task(4)
    def report_an_activity(self) -> None:
        self.page("/kegiatan/catat/")
        token = self.expect("GET", "/kegiatan/sync/sesi/", 200).json()["csrf"]
        report = {
            "client_uuid": str(uuid.uuid4()),
            "base_version": None,
            "submit": True,
            "data": {
                "jenis": "kunjungan_rumah",
                "wilayah": self.account["desa"],
                "occurred_at": time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 1800)),
                "latitude": "-1.612345",
                "longitude": "105.771234",
                "accuracy_m": "9",
                "description": "Kunjungan rumah warga lanjut usia, pendampingan bantuan.",
                "participants": "3",
                "program": None,
                "households": [],
                "individuals": [],
            },
        }
        self.expect(
            "POST",
            "/kegiatan/sync/laporan/",
            201,
            data=json.dumps(report),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )

    @task(2)
    def my_reports(self) -> None:
        self.page("/kegiatan/")

    @task(1)
    def my_performance(self) -> None:
        own_page = self.expect("GET", "/kinerja/saya/", 302).headers.get("Location", "")
        self.page(own_page, name="/kinerja/psm/[id]/")

    @task(1)
    def home(self) -> None:
        self.page("/")

    @task(1)
    def search_residents(self) -> None:
        self.page("/warga/", name="/warga/?q=[name]", q="Siti")


class CoordinatorUser(GardaUser):
    weight = 4
    pool = ACCOUNTS["koordinator"]

    @task(3)
    def dashboard(self) -> None:
        self.page("/kinerja/")

    @task(2)
    def reports_to_verify(self) -> None:
        self.page("/kegiatan/verifikasi/")

    @task(1)
    def reports(self) -> None:
        self.page("/kegiatan/")

    @task(1)
    def residents(self) -> None:
        self.page("/warga/")

    @task(1)
    def programmes(self) -> None:
        self.page("/program/")


class DinasUser(GardaUser):
    weight = 6
    pool = ACCOUNTS["dinas"][int(os.environ.get("LOAD_DINAS_FROM", "0")) :]
    imports = 0

    @task(2)
    def resident_list(self) -> None:
        self.page("/warga/")

    @task(2)
    def search_by_name(self) -> None:
        name = ACCOUNTS["names"][self.number % len(ACCOUNTS["names"])]
        self.page("/warga/", name="/warga/?q=[name]", q=name)

    @task(1)
    def search_by_nik(self) -> None:
        nik = ACCOUNTS["niks"][self.number % len(ACCOUNTS["niks"])]
        self.page("/warga/", name="/warga/?q=[nik]", q=nik)

    @task(2)
    def dashboard(self) -> None:
        self.page("/kinerja/")

    @task(1)
    def programmes(self) -> None:
        self.page("/program/")

    @task(1)
    def distributions(self) -> None:
        self.page("/program/penyaluran/")

    @task(1)
    def proposals(self) -> None:
        self.page("/program/usulan/")

    @task(1)
    def workers(self) -> None:
        self.page("/pilar/")

    @task(1)
    def api_residents(self) -> None:
        self.page("/api/v1/residents/")

    @task(1)
    def dtks_import(self) -> None:
        self.imports += 1
        bad = self.imports % 3 == 0
        upload = {"file": ("dtks.csv", dtks_file(self.number, self.imports, bad=bad), "text/csv")}
        answer = self.form("/warga/impor/", {}, files=upload)
        job = answer.headers.get("Location", "")
        apply = job + "terapkan/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the page polls the same way (htmx, every 2 s)
            body = self.page(job, name="/warga/impor/[id]/").text
            if f'action="{apply}"' in body:
                self.form(apply, {}, name="/warga/impor/[id]/terapkan/")
                return
            if 'hx-trigger="every 2s"' not in body:
                return  # checked, and refused (the file with a bad row)
            gevent.sleep(2)
        self.environment.events.request.fire(
            request_type="CHECK",
            name="import checked in time",
            response_time=120_000,
            response_length=0,
            exception=TimeoutError(job),
        )


class BareUser(HttpUser):
    host = SERVERS[0]
    wait_time = between(*WAIT)

    @task
    def bare(self) -> None:
        self.client.get(next(_next_server) + "/bench/bare/", name="/bench/bare/")


def dtks_file(user: int, number: int, *, bad: bool) -> bytes:
    """Three households of three people in Desa Lumut; their NIKs, No KK and names unique to
    this user and file (the NIK holds the person's birth date and a serial)."""
    province, kabupaten, kecamatan, desa, code = IMPORT_DESA
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(IMPORT_HEADER)
    for household in range(3):
        family = (user * 1000 + number) * 3 + household
        for member, relation in enumerate(("Kepala Keluarga", "Istri", "Anak")):
            person = family * 3 + member
            born = datetime.date(1950, 1, 1) + datetime.timedelta(days=person // 9000)
            sex = "P" if member == 1 else "L"
            day = born.day + (40 if sex == "P" else 0)
            nik = f"{code}{day:02d}{born:%m%y}{1000 + person % 9000}"
            writer.writerow(
                [
                    *(f"DTKSB{family:08d}", province, kabupaten, kecamatan, desa),
                    *(f"Jl. Beban No. {family}", "Dusun I", "001", "002"),
                    f"{code}{9 * 10**9 + family}",  # No KK: numbers the demo does not use
                    "12345" if bad and member == 2 else nik,
                    f"Warga Beban {family} {member}",
                    *("Belinyu", born.strftime("%d/%m/%Y"), sex, f"Ibu Beban {family}"),
                    *(relation, 2),
                ]
            )
    return buffer.getvalue().encode()
