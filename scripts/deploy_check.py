"""`make deploy-check`: bring Garda up on 127.0.0.1 exactly as deploy/ describes it, check it
from the outside, and take everything down again.

What runs is read from deploy/ itself, so the check fails when those files are wrong:

- the environment: deploy/garda.env.example, with every CHANGE-ME value replaced, the paths
  moved into a temporary folder and DATABASE_URL pointing at a throwaway PostgreSQL database;
- the install steps of docs/deploy.md: check --deploy, migrate, createcachetable, the
  Bangka regions, collectstatic, createadmin;
- gunicorn, the worker and every scheduled job: the ExecStartPre/ExecStart lines of
  deploy/systemd/*.service (/srv/garda becomes this repository, %i the instance, %l the
  host name, ${VAR} the environment);
- nginx: deploy/nginx/garda.conf with its host name, ports, certificate and folders replaced
  (a self-signed certificate made with openssl; high ports, so no root is needed for them).

Then, over HTTPS through nginx: /health/, the login page with its security headers, the HTTP
to HTTPS redirect, a static CSS file served by nginx with gzip, no uploaded file reachable, the
first login (2FA set-up with a code computed from the shown key, the forced password change)
and a page behind it, /metrics with and without its token (counts added up across gunicorn's
processes), a background task run by the worker, JSON log lines with the request id, and each
scheduled job once (the backup writes an archive).

Needs PostgreSQL (PG_URL, default postgres://postgres@127.0.0.1:5432/garda: the server is used,
not that database), openssl, and nginx; nginx is installed with apt-get when missing and this
runs as root (as .ci/run installs Chromium). Exit status 0 when every check passed.
"""

import gzip
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import psycopg
import pyotp
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
INSTALLED_AT = "/srv/garda"  # where deploy/ expects the repository
WORKER_INSTANCE = "1"
ADMIN = "admin.dinsos"
TIMEOUT = 60  # seconds to wait for a server to answer or a task to finish


class CheckFailed(Exception):
    pass


def step(message: str) -> None:
    print(f"[deploy-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"  ok: {message}", flush=True)


# --- Preparing ----------------------------------------------------------------------------


def ensure_nginx() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(nginx).exists():
        return nginx
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise CheckFailed("nginx is not installed: apt-get install nginx (as root)")
    step("installing Debian's nginx")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    return "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new empty database on the PostgreSQL server of `server_url`, dropped afterwards."""
    name = f"garda_deploy_check_{os.getpid()}"
    maintenance = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads them (comments, quotes)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[key] = value
    return values


@dataclass(frozen=True)
class Site:
    tmp: Path
    app_port: int
    https_port: int
    http_port: int

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def folder(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def server_environment(site: Site, database_url: str) -> dict[str, str]:
    """The environment file of deploy/, made real for this machine; like systemd, nothing of
    the calling shell's environment but PATH."""
    env = read_env_file(DEPLOY / "garda.env.example")
    env.update(
        GARDA_SECRET_KEY=secrets.token_urlsafe(50),
        GARDA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        GARDA_BLIND_INDEX_KEY=secrets.token_urlsafe(48),
        GARDA_ALLOWED_HOSTS="127.0.0.1",
        GARDA_SITE_URL=site.https,
        DATABASE_URL=database_url,
        GARDA_STATIC_ROOT=str(site.folder("static")),
        GARDA_MEDIA_ROOT=str(site.folder("media")),
        GARDA_BACKUP_DIR=str(site.folder("backups")),
        GARDA_BIND=f"127.0.0.1:{site.app_port}",
        GARDA_WEB_WORKERS="2",  # several processes: the metrics must add them up
        GARDA_METRICS_TOKEN=secrets.token_urlsafe(24),
    )
    unchanged = sorted(key for key, value in env.items() if "CHANGE-ME" in value)
    if unchanged:
        raise CheckFailed(f"garda.env.example has placeholders the check does not set: {unchanged}")
    return {**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(site.tmp)}


# --- Running what deploy/ describes -------------------------------------------------------


def unit_lines(unit: str, key: str, env: dict[str, str]) -> list[list[str]]:
    """The command lines `key` (ExecStart, ExecStartPre) of a unit in deploy/systemd, for this
    repository and environment."""
    specifiers = {"%i": WORKER_INSTANCE, "%l": socket.gethostname().split(".")[0], "%%": "%"}
    commands = []
    for line in (UNITS / unit).read_text().splitlines():
        if not line.startswith(f"{key}="):
            continue
        command = line.split("=", 1)[1].replace(INSTALLED_AT, str(REPO))
        for specifier, value in specifiers.items():
            command = command.replace(specifier, value)
        command = re.sub(r"\$\{(\w+)\}", lambda match: env[match.group(1)], command)
        commands.append(shlex.split(command))
    if not commands:
        raise CheckFailed(f"{unit} has no {key}=")
    return commands


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CheckFailed(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Processes:
    """Long-running servers, started in their own process group and stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Path:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.running.append((name, process))
        return log

    def check_alive(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                raise CheckFailed(f"{name} stopped (exit {process.returncode}); see its log")

    def stop_all(self) -> None:
        for _name, process in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_site(site: Site, env: dict[str, str], cert: Path, key: Path) -> str:
    """deploy/nginx/garda.conf for 127.0.0.1: each replaced text must be in the file."""
    text = (DEPLOY / "nginx" / "garda.conf").read_text()
    replacements = [
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{site.http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{site.https_port} ssl http2;"),
        ("/etc/letsencrypt/live/garda.example.go.id/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/garda.example.go.id/privkey.pem", str(key)),
        ("server_name garda.example.go.id;", "server_name 127.0.0.1;"),
        ("server 127.0.0.1:8000;", f"server {env['GARDA_BIND']};"),
        ("alias /srv/garda/var/static/;", f"alias {env['GARDA_STATIC_ROOT']}/;"),
        ("root /var/www/html;", f"root {site.folder('acme')};"),
        # Not on port 443: the redirect and the host Garda sees must carry the port.
        ("https://$host$request_uri", f"https://$host:{site.https_port}$request_uri"),
        ("proxy_set_header Host $host;", "proxy_set_header Host $http_host;"),
    ]
    for old, new in replacements:
        if old not in text:
            raise CheckFailed(f"deploy/nginx/garda.conf no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def nginx_main_config(site: Site, site_conf: Path) -> str:
    temp = site.folder("nginx-temp")
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp folder
    return f"""{user}daemon off;
worker_processes 1;
pid {site.tmp}/nginx.pid;
error_log {site.tmp}/logs/nginx-error.log warn;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {site.tmp}/logs/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site_conf};
}}
"""


# --- Talking to it ------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def form_token(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        if match is None:
            raise CheckFailed("no CSRF token in the form")
        return match.group(1)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """A client with cookies that trusts only the check's certificate and follows nothing."""

    def __init__(self, site: Site, cert: Path) -> None:
        self.site = site
        context = ssl.create_default_context(cafile=str(cert))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPSHandler(context=context),
            NoRedirects(),
        )

    def request(
        self, url: str, *, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        if url.startswith("/"):
            url = self.site.https + url
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        all_headers = {"Origin": self.site.https, **(headers or {})} if data else headers or {}
        request = urllib.request.Request(url, data=body, headers=all_headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def location(self, answer: Answer) -> str:
        return urllib.parse.urlsplit(answer.headers["Location"]).path


def wait_for(what: str, ready: Callable[[], bool], processes: Processes) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise CheckFailed(f"{what}: nothing after {TIMEOUT} s")


def metric_value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        found = series[len(name) :].strip("{}")
        if ",".join(sorted(found.split(","))) == wanted:
            return float(value)
    return 0.0


# --- The checks ---------------------------------------------------------------------------


def check_front_door(browser: Browser, site: Site, env: dict[str, str]) -> None:
    step("front door: HTTPS, redirect, headers, static files, no uploaded files")
    login = browser.request("/akun/masuk/")
    expect(login.status == 200, "the login page answers 200 over HTTPS through nginx")
    hsts = login.headers.get("Strict-Transport-Security", "")
    expect("max-age=31536000" in hsts, f"HSTS on pages ({hsts})")
    csp = login.headers.get("Content-Security-Policy", "")
    expect("default-src 'self'" in csp, "a Content-Security-Policy on pages")
    expect(login.headers.get("X-Content-Type-Options") == "nosniff", "nosniff on pages")
    expect(bool(login.headers.get("X-Request-ID")), "a request id on every answer")

    plain = browser.request(f"{site.http}/akun/masuk/?next=/kasus/")
    expect(
        plain.status == 301
        and plain.headers["Location"] == f"{site.https}/akun/masuk/?next=/kasus/",
        f"HTTP redirects to HTTPS with the path and query ({plain.headers['Location']})",
    )

    challenge = site.folder("acme/.well-known/acme-challenge") / "token-123"
    challenge.write_text("certbot was here")
    answer = browser.request(f"{site.http}/.well-known/acme-challenge/token-123")
    expect(
        answer.status == 200 and answer.text == "certbot was here",
        "certbot's challenge is answered over HTTP (certificate renewal)",
    )

    css_url = re.search(r'href="(/static/[^"]+\.css)"', login.text)
    if css_url is None:
        raise CheckFailed("the login page links no stylesheet under /static/")
    css = browser.request(css_url.group(1), headers={"Accept-Encoding": "gzip"})
    collected = Path(env["GARDA_STATIC_ROOT"]) / css_url.group(1).removeprefix("/static/")
    expect(
        css.status == 200
        and css.headers.get("Content-Encoding") == "gzip"
        and css.headers.get_content_type() == "text/css"
        and gzip.decompress(css.body) == collected.read_bytes(),
        f"{css_url.group(1)} served gzipped by nginx from GARDA_STATIC_ROOT",
    )

    secret_file = Path(env["GARDA_MEDIA_ROOT"]) / "pilar" / "sk" / "rahasia.pdf"
    secret_file.parent.mkdir(parents=True)
    secret_file.write_bytes(b"%PDF-1.7 not for strangers")
    for path in ("/media/pilar/sk/rahasia.pdf", "/pilar/sk/rahasia.pdf"):
        answer = browser.request(path)
        expect(
            answer.status in (302, 404) and b"not for strangers" not in answer.body,
            f"an uploaded file is not reachable at {path} ({answer.status})",
        )


def check_first_login(browser: Browser, password: str) -> str:
    """The first administrator's first login: password, authenticator set-up, new password,
    then a page of Garda. Returns that page's request id."""
    step("first login of the administrator made by createadmin")
    form = browser.request("/akun/masuk/")
    answer = browser.request(
        "/akun/masuk/",
        data={"csrfmiddlewaretoken": form.form_token(), "username": ADMIN, "password": password},
    )
    expect(answer.status == 302, "the one-time password logs in")
    setup = browser.request("/akun/verifikasi/aktifkan/")
    key = re.search(r"<code>([A-Z2-7 ]+)</code>", setup.text)
    if setup.status != 200 or key is None:
        raise CheckFailed(f"the 2FA set-up page shows no key ({setup.status})")
    code = pyotp.TOTP(key.group(1).replace(" ", "")).now()
    answer = browser.request(
        "/akun/verifikasi/aktifkan/", data={"csrfmiddlewaretoken": setup.form_token(), "code": code}
    )
    expect(answer.status == 302, "a code from the shown key activates 2FA (encryption keys work)")
    home = browser.request("/")
    expect(
        home.status == 302 and browser.location(home) == "/akun/kata-sandi/",
        "the one-time password must be changed first",
    )
    change = browser.request("/akun/kata-sandi/")
    new_password = f"Tanjung-{secrets.token_hex(4)}-Kelayang"
    answer = browser.request(
        "/akun/kata-sandi/",
        data={
            "csrfmiddlewaretoken": change.form_token(),
            "old_password": password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    expect(answer.status == 302, "the new password is accepted")
    home = browser.request("/")
    expect(
        home.status == 200 and "Bangka" in home.text, "the home page of the district opens (200)"
    )
    return home.headers["X-Request-ID"]


def check_health_and_metrics(browser: Browser, env: dict[str, str], health_calls: int) -> None:
    step("health and metrics")
    for _ in range(6):  # spread over gunicorn's processes
        health = browser.request("/health/")
        health_calls += health.status == 200
    report = json.loads(health.body)
    expect(health.status == 200 and report["status"] == "ok", f"/health/ is ok: {report}")
    expect(browser.request("/metrics").status == 401, "/metrics without the token: 401")
    token = {"Authorization": f"Bearer {env['GARDA_METRICS_TOKEN']}"}
    metrics = browser.request("/metrics", headers=token)
    expect(metrics.status == 200, "/metrics with the token: 200")
    counted = metric_value(
        metrics.text, "garda_http_requests_total", view="ops:health", method="GET", status="200"
    )
    expect(
        counted == health_calls,
        f"every /health/ request counted once across gunicorn's processes ({counted:g})",
    )
    expect("garda_tasks_waiting" in metrics.text, "the task queue depth is reported")
    expect("garda_sync_photo_uploads_incomplete" in metrics.text, "the sync backlog is reported")


def check_worker(env: dict[str, str]) -> None:
    step("a background task through the worker")
    manage(env, "refresh_rollups", "--enqueue")
    worker_id = f"{socket.gethostname().split('.')[0]}-{WORKER_INSTANCE}"
    query = (
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s ORDER BY enqueued_at DESC LIMIT 1"
    )
    deadline = time.monotonic() + TIMEOUT
    status, workers = None, []
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(query, ["%refresh_rollups%"]).fetchone()
            if row is not None:
                status, workers = row
                if status in ("SUCCESSFUL", "FAILED"):
                    break
            time.sleep(0.5)
    expect(
        status == "SUCCESSFUL" and workers == [worker_id],
        f"the queued rollup refresh ran in garda-worker@{WORKER_INSTANCE} ({status}, {workers})",
    )


def check_logs(web_log: Path, request_id: str) -> None:
    step("structured logs")
    lines = [line for line in web_log.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise CheckFailed(f"a log line of gunicorn is not JSON: {line}") from None
    expect(bool(records), f"gunicorn and Garda wrote {len(records)} JSON log lines")
    home = [r for r in records if r.get("request_id") == request_id and r.get("path") == "/"]
    expect(
        bool(home) and home[0].get("user_id") and home[0].get("status") == 200,
        "the home page's access line has the request id, the user id and the status",
    )
    expect(
        not [r for r in records if str(r.get("path", "")).startswith("/static/")],
        "static files never reached gunicorn",
    )
    expect(ADMIN not in web_log.read_text(), "no username in the logs")


def check_scheduled_jobs(env: dict[str, str]) -> None:
    step("every scheduled job once, as its unit runs it")
    for timer in sorted(UNITS.glob("garda-*.timer")):
        service = timer.with_suffix(".service").name
        for command in unit_lines(service, "ExecStart", env):
            result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
            expect(
                result.returncode == 0,
                f"{service}: {' '.join(command[1:3])} exits 0 {result.stderr[-2000:]}".strip(),
            )
    archives = list(Path(env["GARDA_BACKUP_DIR"]).glob("garda-backup-*.tar.gz"))
    expect(len(archives) == 1, "the backup wrote one archive into GARDA_BACKUP_DIR")


def show_logs(folder: Path, lines: int = 25) -> None:
    for log in sorted(folder.glob("*.log")):
        print(f"--- last lines of {log.name}", file=sys.stderr)
        print("\n".join(log.read_text(errors="replace").splitlines()[-lines:]), file=sys.stderr)


# --- The whole run ------------------------------------------------------------------------


def run(pg_url: str) -> None:
    started = time.monotonic()
    nginx = ensure_nginx()
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="garda-deploy-check-"))
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        tmp.chmod(0o755)
        site = Site(tmp, free_port(), free_port(), free_port())
        logs = site.folder("logs")
        database_url = stack.enter_context(throwaway_database(pg_url))
        env = server_environment(site, database_url)

        step("install steps of docs/deploy.md")
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        manage(env, "migrate", "--no-input")
        manage(env, "createcachetable")
        manage(env, "wilayah_load", "--bangka")
        manage(env, "collectstatic", "--no-input")
        printed = manage(env, "createadmin", ADMIN, "--name", "Admin Dinsos", "--wilayah", "19.01")
        password = printed.strip().splitlines()[-1].rsplit(" ", 1)[-1]

        step("starting gunicorn, one worker and nginx from deploy/")
        processes = Processes(logs)
        stack.callback(processes.stop_all)
        web_env = {**env, "RUNTIME_DIRECTORY": str(site.folder("run-web"))}
        [web_command] = unit_lines("garda-web.service", "ExecStart", env)
        web_log = processes.start("gunicorn", web_command, web_env)
        for command in unit_lines("garda-worker@.service", "ExecStartPre", env):
            subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        [worker_command] = unit_lines("garda-worker@.service", "ExecStart", env)
        processes.start("worker", worker_command, env)
        cert, key = self_signed_certificate(site.folder("tls"))
        site_conf = tmp / "garda-site.conf"
        site_conf.write_text(nginx_site(site, env, cert, key))
        main_conf = tmp / "nginx.conf"
        main_conf.write_text(nginx_main_config(site, site_conf))
        subprocess.run([nginx, "-t", "-q", "-c", str(main_conf)], check=True)
        processes.start("nginx", [nginx, "-c", str(main_conf)], env)

        browser = Browser(site, cert)
        health_calls = 0

        def healthy() -> bool:
            nonlocal health_calls
            answer = browser.request("/health/")
            health_calls += answer.status == 200
            return answer.status == 200

        try:
            wait_for("https /health/ through nginx", healthy, processes)
            check_front_door(browser, site, env)
            request_id = check_first_login(browser, password)
            check_health_and_metrics(browser, env, health_calls)
            check_worker(env)
            check_logs(web_log, request_id)
            check_scheduled_jobs(env)
            processes.check_alive()
        except Exception:
            show_logs(logs)
            raise
        step("tearing down")
    step(f"all checks passed in {time.monotonic() - started:.0f} s")


def main() -> int:
    pg_url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/garda")
    try:
        run(pg_url)
    except (CheckFailed, subprocess.CalledProcessError) as error:
        print(f"deploy-check FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
