"""What the benchmark scripts share: their throwaway database and settings, COPY and
INSERT ... SELECT into the real tables, timing (load phases, p50/p95), users and clients.

Imported by the scripts in bench/ (run from the repository root); Django is set up by the
script, so the helpers import Django's parts inside the functions that need them.
"""

import base64
import datetime
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- database and settings ---------------------------------------------------------------------


def bench_url(default: str) -> str:
    """BENCH_DATABASE_URL or `default`; PostgreSQL only (DATABASE_URL is never used, so a
    development database is not dropped by mistake)."""
    url = os.environ.get("BENCH_DATABASE_URL", default)
    if not url.startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL (BENCH_DATABASE_URL=postgres://...).")
    return url


def throwaway_environment(url: str) -> None:
    """Production settings (DEBUG off, manifest static files) with keys made for this run."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ["DATABASE_URL"] = url
    os.environ["GARDA_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["GARDA_ENCRYPTION_KEYS"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    os.environ["GARDA_BLIND_INDEX_KEY"] = secrets.token_urlsafe(32)
    os.environ["GARDA_ALLOWED_HOSTS"] = "testserver"
    os.environ["GARDA_SITE_URL"] = "https://testserver"
    os.environ.setdefault("GARDA_STATIC_ROOT", tempfile.mkdtemp(prefix="garda-bench-static-"))
    os.environ["GARDA_LOG_LEVEL"] = "WARNING"


def setup() -> None:
    """django.setup(), with the per-request access log quiet (it would drown the report)."""
    import logging

    import django

    django.setup()
    logging.getLogger("garda.access").setLevel(logging.WARNING)


def _server(url: str, statements: Iterable[str], name: str) -> None:
    import psycopg

    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        for statement in statements:
            connection.execute(statement)


def fresh_database(url: str) -> None:
    """Drop the database `url` names (ending its sessions) and create it empty."""
    name = url.rsplit("/", 1)[1]
    _server(url, [f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'], name)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    _server(url, [f'DROP DATABASE IF EXISTS "{name}"'], name)


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run one statement on Django's connection; its rows (empty when it returns none)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def vacuum_analyze() -> None:
    sql("VACUUM ANALYZE")


def database_size() -> int:
    return sql("SELECT pg_database_size(current_database())")[0][0]


def table_sizes(tables: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{table: (rows, bytes with its indexes and TOAST)}."""
    return {
        t: (
            sql(f'SELECT count(*) FROM "{t}"')[0][0],  # noqa: S608 - our own table names
            sql("SELECT pg_total_relation_size(%s)", [t])[0][0],
        )
        for t in tables
    }


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no constraint."""
    return sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [table],
    )


class BulkLoad:
    """For a bulk load of generated rows: the tables' secondary indexes dropped and rebuilt
    from their own definitions on the way out, and the triggers (foreign-key checks among
    them) off for the session (`session_replication_role = replica`, as a restore does). The
    generated rows reference only rows that exist; a trigger per row would cost more than
    the insert."""

    def __init__(self, *tables: str) -> None:
        self.indexes = [index for table in tables for index in secondary_indexes(table)]

    def start(self) -> None:
        sql("SET maintenance_work_mem = '512MB'")
        sql("SET session_replication_role = replica")
        for name, _definition in self.indexes:
            sql(f'DROP INDEX "{name}"')

    def finish(self) -> None:
        sql("SET session_replication_role = DEFAULT")
        for _name, definition in self.indexes:
            sql(definition)


# --- writing rows ------------------------------------------------------------------------------


def _row_defaults(model: Any) -> dict[str, Any]:
    from django.utils import timezone

    now = timezone.now()
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    defaults |= {"created_at": now, "updated_at": now}
    if "version" in defaults:
        defaults["version"] = 1
    return defaults


def copy_rows(
    model: Any, rows: Iterable[dict[str, Any]], encrypted: dict[str, str] | None = None
) -> None:
    """COPY `rows` into the model's table. Columns not in a row take the field's default;
    `encrypted` maps an encrypted field to the row key holding its ready ciphertext."""
    from django.db import connection

    fields = model._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = _row_defaults(model)
    names = [f.attname for f in fields]
    sources = [(encrypted or {}).get(name, name) for name in names]
    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [row[s] if s in row else defaults[n] for s, n in zip(sources, names, strict=True)]
            )


def insert_select(model: Any, values: dict[str, str], source: str, params: Any = None) -> int:
    """`INSERT INTO <model's table> SELECT ... <source>`: rows generated by the server
    (generate_series, joins), never through Python. `values` maps a field's attname to an SQL
    expression over `source`; other columns take the field's default (now() for the
    timestamps, 1 for `version`). The expressions are plain SQL (a % is a %); so is `source`
    unless `params` are given for its %s. Returns the number of rows written."""
    from django.db import connection
    from django.db.models import AutoField, BigAutoField
    from psycopg.types.json import Jsonb

    unknown = set(values) - {f.attname for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.attname in values or not isinstance(f, AutoField | BigAutoField)
    ]
    constants: list[Any] = []
    expressions = []
    for field in fields:
        if field.attname in values:
            expressions.append(values[field.attname].replace("%", "%%"))
        elif field.attname in ("created_at", "updated_at"):
            expressions.append("now()")
        elif field.attname == "version":
            expressions.append("1")
        else:  # the field's default, else NULL, else the empty string
            default = field.get_default() if field.has_default() else None
            if default is None and not field.null:
                default = ""
            expressions.append("%s")
            constants.append(Jsonb(default) if isinstance(default, dict | list) else default)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) "
            f"SELECT {', '.join(expressions)} {source if params else source.replace('%', '%%')}",
            [*constants, *(params or [])],
        )
        return cursor.rowcount


# --- timing ------------------------------------------------------------------------------------


class Clock:
    """Named phases of a load, for the record (printed on stderr as they finish)."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    def __call__(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        result = function(*args)
        self.phases.append((name, time.perf_counter() - start))
        print(f"  {name}: {self.phases[-1][1]:.1f} s", file=sys.stderr, flush=True)
        return result


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds of samples in seconds; p95 by nearest rank."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(run: Callable[[], Any], runs: int, warm_up: int = 3) -> tuple[float, float]:
    """p50 and p95 (ms) of `runs` calls of `run` after `warm_up` unmeasured ones."""
    for _ in range(warm_up):
        run()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- users and requests ------------------------------------------------------------------------


def make_user(username: str, role: str, code: str) -> Any:
    """An account with one role in region `code` since 2020 (read back: no cached state);
    the existing one when a kept database is measured again."""
    from garda.accounts.models import RoleAssignment, User

    if User.objects.filter(username=username).exists():
        return User.objects.get(username=username)

    user = User.objects.create_user(
        username=username, password=None, name=username, wilayah_id=code
    )
    RoleAssignment.objects.create(
        user=user, role=role, wilayah_id=code, valid_from=datetime.date(2020, 1, 1)
    )
    return User.objects.get(pk=user.pk)


def client_for(user: Any) -> Any:
    """A test client logged in as `user`, past the second factor."""
    from django.test import Client

    from garda.accounts.twofactor import SESSION_VERIFIED

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED] = True
    session.save()
    return client


def request(client: Any, url: str, expect: str) -> Callable[[], int]:
    """One GET of `url` as a callable for `measure`; stops the run on anything but a 200 of
    the expected content type."""

    def run() -> int:
        response = client.get(url, secure=True)
        if response.status_code != 200 or expect not in response["Content-Type"]:
            raise SystemExit(f"{url}: {response.status_code} {response['Content-Type']}")
        return len(response.content)

    return run
