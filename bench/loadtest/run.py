"""Load test: 50 users on gunicorn + PostgreSQL with production settings (issue 9 item 8), and
the same on N app servers and N task workers (issue 10 item 3). Run from the repository root:

    .venv/bin/python bench/loadtest/run.py                          # 1 server, 1 worker
    .venv/bin/python bench/loadtest/run.py --servers 2 --workers 2  # 2 servers, 2 workers

Everything listens on 127.0.0.1 only. In a fresh database (BENCH_DATABASE_URL, default
garda_bench_load; dropped at the end unless --keep) it loads the Bangka demo, makes one Dinas
account per Dinas user (with its authenticator), collects the static files, and starts
`--servers` gunicorn servers (ports 8101, 8102...; `--processes` sync workers each) and
`--workers` `manage.py db_worker` processes, with bench/loadtest/settings.py (production over
plain HTTP). Then, with locust (bench/requirements.txt, installed into var/loadtest-venv):

1. the baseline: `--users` users asking for a bare Django view without pause (`--baseline`
   seconds), on the same servers;
2. the mix: `--users` users (PSMs, coordinators, Dinas staff; see locustfile.py) with 2 to 8
   seconds of thought between pages, for `--minutes`;
3. the same mix without pause (`--saturation` seconds; 0 skips it): what the servers can do.

Every request goes to the next server in turn. Afterwards: the shared cache (API rate limits
counted across servers: the 301st request of one token in a minute must be refused, whichever
server gets it), then every background task ran exactly once (one worker id each, none failed
or left), every applied import wrote its residents once, and every activity report the
client saw accepted is in the database once. Prints Markdown for docs/benchmarks.md.
"""

import argparse
import csv
import datetime
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _common import drop_database, fresh_database, load_average, make_user  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
LOCUST_VENV = ROOT / "var" / "loadtest-venv"
FIRST_PORT = 8101
MIX = ["PsmUser", "CoordinatorUser", "DinasUser"]
DINAS_SHARE = 6 / 25  # DinasUser's weight among the three (locustfile.py)
# name, user classes, think time (s), users (None: --users), spawn rate (0: all at once).
PHASES = [
    # Every gunicorn process loads the views and compiles the templates it serves.
    ("warm-up", MIX, "0,2", 10, 5),
    ("baseline", ["BareUser"], "0,0", None, 0),
    # Logins cost a password hash each (about a second of one core): one a second.
    ("mix", MIX, "2,8", None, 1),
    # Measured from the moment every user has logged in (locustfile.py).
    ("saturation", MIX, "0,0", None, 5),
]
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied before the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=1, help="gunicorn app servers")
    parser.add_argument("--workers", type=int, default=1, help="db_worker task workers")
    parser.add_argument(
        "--processes",
        type=int,
        help="gunicorn workers per server (default: deploy/'s, 2 x cores + 1)",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--baseline", type=int, default=60, help="seconds of the bare view")
    parser.add_argument(
        "--saturation", type=int, default=150, help="seconds of the mix without pause"
    )
    parser.add_argument("--cache", choices=["redis", "database"], default="redis")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/garda_bench_load"
    )
    work = ROOT / "var" / "loadtest" / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    env = bench_environment(url, work, args.cache)
    locust_venv()
    print(f"Work folder: {work}\nLoad average before: {load_average()}", flush=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        prepare(env, url, work, args)
        servers = [f"http://127.0.0.1:{FIRST_PORT + n}" for n in range(args.servers)]
        processes = start(env, work, servers, args)
        results = phases(env, work, servers, args)
        throttle = shared_rate_limit(servers)
        checks = verify(results)
        print(f"Load average after: {load_average()}", flush=True)
        report(args, results, throttle, checks)
    finally:
        stop(processes)
        if not args.keep:
            drop_database(url)
            for folder in [work / "static", work / "media", *work.glob("run-*")]:
                shutil.rmtree(folder, ignore_errors=True)  # the logs and statistics stay


# --- setting up --------------------------------------------------------------------------------


def bench_environment(url: str, work: Path, cache: str) -> dict[str, str]:
    """The environment of every process of the run: the bench settings, its own secret key."""
    env = {
        **os.environ,
        **laptop_keys(),
        "DJANGO_SETTINGS_MODULE": "bench.loadtest.settings",
        "DATABASE_URL": url,
        "GARDA_SECRET_KEY": secrets.token_urlsafe(50),
        "GARDA_ALLOWED_HOSTS": "127.0.0.1",
        "GARDA_SITE_URL": "https://127.0.0.1",
        "GARDA_STATIC_ROOT": str(work / "static"),
        "GARDA_MEDIA_ROOT": str(work / "media"),
        "GARDA_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "GARDA_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    if cache == "redis":
        env["GARDA_REDIS_URL"] = REDIS_URL
    else:
        env.pop("GARDA_REDIS_URL", None)
    os.environ.update(env)  # this process reads and checks the database with the same settings
    return env


def laptop_keys() -> dict[str, str]:
    """The encryption and blind-index keys a laptop derives (config.settings.local). The demo
    picks some Lumut households in blind-index order and stops with other keys (reported);
    the database is thrown away, so these keys protect nothing real. Read in a process of
    its own: importing the settings here would fix this process's settings before the run's."""
    script = (
        "import json; from config.settings import local as s; print(json.dumps({"
        "'GARDA_ENCRYPTION_KEYS': ','.join(s.GARDA_ENCRYPTION_KEYS),"
        "'GARDA_BLIND_INDEX_KEY': s.GARDA_BLIND_INDEX_KEY}))"
    )
    laptop = {k: v for k, v in os.environ.items() if not k.startswith(("GARDA_", "DATABASE"))}
    found = subprocess.run(  # noqa: S603 - this repository's settings
        [PYTHON, "-c", script], cwd=ROOT, env=laptop, capture_output=True, text=True, check=True
    )
    return json.loads(found.stdout)


def locust_venv() -> None:
    """var/loadtest-venv with bench/requirements.txt (never the project's own venv)."""
    if not (LOCUST_VENV / "bin" / "locust").exists():
        run([PYTHON, "-m", "venv", LOCUST_VENV])
    uv = ROOT / ".venv" / "bin" / "uv"
    requirements = ROOT / "bench" / "requirements.txt"
    venv_python = LOCUST_VENV / "bin" / "python"
    run([uv, "pip", "install", "-q", "--python", venv_python, "-r", requirements])


def run(command: list[Any], **options: Any) -> None:
    subprocess.run(command, check=True, **options)  # noqa: S603 - our own programs and files


def manage(env: dict[str, str], *command: str, settings: str | None = None) -> None:
    run_env = {**env, "DJANGO_SETTINGS_MODULE": settings} if settings else env
    run([PYTHON, "manage.py", *command], cwd=ROOT, env=run_env)


def prepare(env: dict[str, str], url: str, work: Path, args: argparse.Namespace) -> None:
    clock = time.perf_counter()
    fresh_database(url)
    manage(env, "migrate", "--no-input", "-v", "0")
    # The demo refuses production settings; the laptop's settings load it with the same keys.
    manage(env, "demo", settings="config.settings.local")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    if args.cache == "database":
        manage(env, "createcachetable")
    else:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    dinas = dinas_accounts_per_run(args.users) * len(PHASES)
    (work / "accounts.json").write_text(json.dumps(accounts(dinas)))
    print(f"Prepared in {time.perf_counter() - clock:.0f} s", flush=True)


@cache
def django_ready() -> None:
    """Django in this process, with the run's settings (for preparing and checking)."""
    import django

    django.setup()


def accounts(dinas: int) -> dict[str, Any]:
    """Who the users log in as: the demo's PSMs and coordinators, and new Dinas staff with
    their authenticator's secret; names and NIKs of demo residents to search for."""
    django_ready()
    import pyotp
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections

    from garda.accounts.demo import DEMO_PASSWORD
    from garda.accounts.models import RoleAssignment
    from garda.accounts.roles import Role
    from garda.accounts.twofactor import STEP_SECONDS, two_factor_begin, two_factor_confirm
    from garda.registry.models import Individu

    def holders(role: str) -> list[dict[str, str]]:
        rows = RoleAssignment.objects.filter(role=role).select_related("user").order_by("pk")
        return [
            {"username": a.user.username, "password": DEMO_PASSWORD, "desa": a.wilayah_id}
            for a in rows
        ]

    staff = []
    password = make_password(DEMO_PASSWORD)  # one hash for all: a second of CPU each
    for number in range(1, dinas + 1):
        user = make_user(f"bench.staf.{number:03d}", Role.STAF_DINAS, "19.01")
        user.password = password
        user.save(update_fields=["password"])
        secret = two_factor_begin(user=user)
        # The code of the previous time step: the user's own login, in this step, still works.
        code = pyotp.TOTP(secret).at(time.time() - STEP_SECONDS)
        two_factor_confirm(user=user, code=code, session=SessionStore())
        staff.append({"username": user.username, "password": DEMO_PASSWORD, "totp": secret})
    residents = list(Individu.objects.order_by("pk")[:20])
    found = {
        "psm": holders(Role.PSM),
        "koordinator": holders(Role.KOORDINATOR),
        "dinas": staff,
        "names": [r.name for r in residents],
        "niks": [r.nik for r in residents if r.nik],
    }
    connections.close_all()
    return found


def start(
    env: dict[str, str], work: Path, servers: list[str], args: argparse.Namespace
) -> list[subprocess.Popen[bytes]]:
    processes = []
    for number, server in enumerate(servers, start=1):
        # The deployment's own gunicorn configuration (deploy/), one runtime folder each.
        server_env = {
            **env,
            "GARDA_BIND": server.removeprefix("http://"),
            "RUNTIME_DIRECTORY": str(work / f"run-{number}"),
            **({"GARDA_WEB_WORKERS": str(args.processes)} if args.processes else {}),
        }
        command = [
            ROOT / ".venv" / "bin" / "gunicorn",
            "--config",
            ROOT / "deploy" / "gunicorn.conf.py",
        ]
        processes.append(spawn(command, server_env, work / f"server-{number}.log"))
    for number in range(1, args.workers + 1):
        # As deploy/systemd/garda-worker@.service starts it, with an id of its own.
        command = [
            PYTHON,
            "manage.py",
            "db_worker",
            "--worker-id",
            f"bench-{number}",
            "--no-reload",
        ]
        processes.append(spawn(command, env, work / f"worker-{number}.log"))
    for server in servers:
        wait_until_up(server)
    return processes


def spawn(command: list[Any], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - gunicorn and manage.py of this repository
            command, cwd=ROOT, env=env, stdout=output, stderr=output
        )


def wait_until_up(server: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{server}/akun/masuk/", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{server} did not answer within a minute")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ends the processes this run started (by their own process ids), workers last."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Phase:
    started: datetime.datetime
    ended: datetime.datetime
    stats: dict[str, dict[str, str]]  # locust's statistics by request name ("Aggregated": all)


def dinas_accounts_per_run(users: int) -> int:
    return round(users * DINAS_SHARE) + 1


def phases(
    env: dict[str, str], work: Path, servers: list[str], args: argparse.Namespace
) -> dict[str, Phase]:
    """The locust runs of PHASES, in order; a phase of 0 seconds is left out."""
    seconds = {
        "warm-up": 30,
        "baseline": args.baseline,
        "mix": int(args.minutes * 60),
        "saturation": args.saturation,
    }
    results = {}
    for index, (name, user_classes, wait, users, spawn_rate) in enumerate(PHASES):
        if not seconds[name]:
            continue
        count = users or args.users
        options = [
            *("--users", str(count), "--spawn-rate", str(spawn_rate or count)),
            *("--run-time", f"{seconds[name]}s", *user_classes),
        ]
        phase_env = {
            **env,
            "LOAD_SERVERS": ",".join(servers),
            "LOAD_ACCOUNTS": str(work / "accounts.json"),
            "LOAD_WAIT": wait,
            "LOAD_FIRST_USER": str(1 + 100 * index),  # users of each run numbered apart
            # Dinas accounts of its own: a TOTP code is accepted once per 30-second step.
            "LOAD_DINAS_FROM": str(index * dinas_accounts_per_run(args.users)),
            "LOAD_MEASURE_AFTER_LOGIN": "1" if name == "saturation" else "",
        }
        print(f"{name}: {count} users, {seconds[name]} s, load {load_average()}", flush=True)
        results[name] = locust(phase_env, work, name, options)
    return results


def locust(env: dict[str, str], work: Path, name: str, options: list[str]) -> Phase:
    """One headless locust run."""
    started = datetime.datetime.now(datetime.UTC)
    run(
        [LOCUST_VENV / "bin" / "locust", "-f", HERE / "locustfile.py", "--headless",
         "--stop-timeout", "30", "--csv", work / name, "--only-summary",
         "--loglevel", "WARNING", "--exit-code-on-error", "0", *options],
        cwd=HERE, env=env,
    )  # fmt: skip
    ended = datetime.datetime.now(datetime.UTC)
    with (work / f"{name}_stats.csv").open() as stats:
        return Phase(started, ended, {row["Name"]: row for row in csv.DictReader(stats)})


def shared_rate_limit(servers: list[str]) -> dict[str, Any]:
    """One API token's requests spread over every server: refused from the 301st in a minute
    only if the servers count in one shared cache."""
    django_ready()
    from django.db import connections
    from rest_framework.settings import api_settings

    from garda.accounts.roles import Role
    from garda.api.services import api_token_create

    user = make_user("bench.api", Role.STAF_DINAS, "19.01")
    _token, key = api_token_create(actor=None, user=user, name="rate limit check")
    connections.close_all()
    limit = int(api_settings.DEFAULT_THROTTLE_RATES["user"].split("/")[0])
    statuses = []
    for number in range(limit + 1):
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{servers[number % len(servers)]}/api/v1/regions/?page_size=1",
            headers={"Authorization": f"Token {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    counted = Counter(statuses)
    shared = statuses[-1] == 429 and counted[429] == 1
    return {"limit": limit, "statuses": dict(counted), "shared": shared}


def verify(results: dict[str, Phase]) -> dict[str, Any]:
    """Every task ran once; what the run wrote is there once."""
    django_ready()
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    from garda.activities.models import Activity
    from garda.audit.models import AuditEvent
    from garda.registry.models import ImportJob, ImportState, Individu

    deadline = time.monotonic() + 300
    while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("The task queue did not drain within 5 minutes")
        time.sleep(2)
    started, mix = results["warm-up"].started, results["mix"]
    tasks = list(DBTaskResult.objects.filter(enqueued_at__gte=started))
    jobs = ImportJob.objects.filter(created_at__gte=started)
    done = jobs.filter(status=ImportState.DONE)
    writes_done = AuditEvent.objects.filter(
        object_type="registry.importjob",
        object_id__in=[str(pk) for pk in done.values_list("pk", flat=True)],
        changes__status=[ImportState.WRITING, ImportState.DONE],
    ).count()
    reports = mix.stats.get("/kegiatan/sync/laporan/", {})
    accepted = int(reports.get("Request Count", 0)) - int(reports.get("Failure Count", 0))
    stored = Activity.objects.filter(created_at__range=(mix.started, mix.ended)).count()
    checks = {
        "tasks": len(tasks),
        "tasks by status": dict(Counter(t.status for t in tasks)),
        "tasks run more than once": sum(len(t.worker_ids) != 1 for t in tasks),
        "workers that ran tasks": len({w for t in tasks for w in t.worker_ids}),
        "imports by status": dict(Counter(jobs.values_list("status", flat=True))),
        "import writes recorded per applied job": f"{writes_done} for {done.count()}",
        "residents written / expected": (
            f"{Individu.objects.filter(name__startswith='Warga Beban').count()}"
            f" / {sum(done.values_list('new_count', flat=True))}"
        ),
        # A report still in flight when the run stops is stored, its answer never read; a
        # client UUID is stored once (unique constraint), so a retry cannot add a second one.
        "activity reports of the mix stored / accepted by the client": f"{stored} / {accepted}",
    }
    connections.close_all()
    return checks


# --- the result --------------------------------------------------------------------------------


def report(args: argparse.Namespace, results: dict[str, Phase], throttle: Any, checks: Any) -> None:
    print(
        f"\n{args.servers} server(s) x {args.processes or 'deploy/ default'} gunicorn workers, "
        f"{args.workers} db_worker(s), {args.users} users, cache {args.cache}\n"
    )
    print("| phase | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for phase, result in results.items():
        row = result.stats["Aggregated"]
        print(
            f"| {phase} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    print("\n| request (mix) | count | failures | p50 ms | p95 ms |")
    print("|---|---|---|---|---|")
    for name, row in sorted(results["mix"].stats.items()):
        if name != "Aggregated":
            print(
                f"| {row['Type']} {name} | {row['Request Count']} | {row['Failure Count']} | "
                f"{row['50%']} | {row['95%']} |"
            )
    print(f"\nShared rate limit: {throttle}")
    for name, value in checks.items():
        print(f"- {name}: {value}")


if __name__ == "__main__":
    main()
