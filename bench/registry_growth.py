"""Benchmark: how the registry's reads grow with the size of the registry, at 100,000,
1,000,000 and 10,000,000 residents on PostgreSQL: the resident search (NIK, name, typo, one
common word, no query) and the BNBA export of a desa and a kecamatan, through the real code,
each against a raw SQL baseline in the same run; the load, and the storage per row.

    .venv/bin/python bench/registry_growth.py                       # 100k, 1M, 10M
    .venv/bin/python bench/registry_growth.py --sizes 100000,1000000 --queries 50 --keep

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/garda_bench_growth) names a
dedicated database, created anew and dropped at the end unless --keep. Production settings with
throwaway keys (bench/_common.py). Needs the national region list (--regions, the
idn-area-data 4.0.1 tarball: `npm pack idn-area-data@4.0.1`).

The first size is a real population made as bench/registry_search.py makes it (Kabupaten
Bangka, names from the demo's lists, every NIK and No KK encrypted, blind indexes, name
keys), with 1 % of the residents in an approved proposal of last month (the BNBA rows). Each
larger size adds copies of it, written by the server (INSERT ... SELECT), each copy in 81 desa
of other kabupaten across Indonesia: new ids, new blind indexes (the copies' NIKs are never
looked up; the ciphertexts are the originals'), same names (a country has many people of the
same name), households and proposals copied along. So Bangka's users see the same people at
every size while the tables grow around them: what a district's search and export cost in a
national database. The copies are loaded as a restore would (secondary indexes dropped and
rebuilt, triggers off); that load is timed ("COPY-level"). The import through the importer
is bench/registry_import.py.

Measured at each size, as Dinas staff of the district and as the PSM of one desa, --queries
queries of each kind (p50, p95), as bench/registry_search.py does; the BNBA workbook of last
month for one desa and one kecamatan, --runs requests each; raw baselines as in
registry_search, and for the export the same rows selected with their residents in raw SQL.
"""

import argparse
import datetime
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    BulkLoad,
    Clock,
    bench_url,
    client_for,
    database_size,
    drop_database,
    fresh_database,
    load_average,
    measure,
    request,
    setup,
    sql,
    table_sizes,
    throwaway_environment,
    vacuum_analyze,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/garda_bench_growth"
DISTRICT = "19.01"
KECAMATAN = "19.01.01"  # Sungailiat
GROWN = [
    "registry_individu",
    "registry_keluarga",
    "programs_proposal",
]
COLUMN_COPIES = {  # what a copy changes; other columns are copied as they are
    "registry_keluarga": {
        "id": "m.new",
        "no_kk_hash": "encode(sha256((m.k || t.no_kk_hash)::bytea), 'hex')",
        "wilayah_id": "m.to_code",
    },
    "registry_individu": {
        "id": "gen_random_uuid()",
        "nik_hash": "encode(sha256((m.k || t.nik_hash)::bytea), 'hex')",
        "wilayah_id": "m.to_code",
        "keluarga_id": "m.new",
    },
}


def last_month() -> datetime.date:
    from django.utils import timezone

    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def base(residents: int, regions: Path, clock: Clock) -> None:
    """The real population of the first size, its proposals, and the tables that place the
    copies."""
    from django.core.management import call_command
    from registry_search import Population, load, protect

    from garda.wilayah.loader import wilayah_load
    from garda.wilayah.models import Level, Wilayah

    clock("migrate", call_command, "migrate", "--verbosity", "0")
    clock("collectstatic", call_command, "collectstatic", "--noinput", "--verbosity", "0")
    clock("regions (national)", lambda: wilayah_load(source=regions))
    codes = list(
        Wilayah.objects.within(DISTRICT)
        .filter(level=Level.DESA)
        .order_by("code")
        .values_list("code", flat=True)
    )
    population = Population(residents, round(residents / 3.33))
    clock("generate", population.build, codes)
    clock("encrypt + blind index + name keys", protect, population)
    load(population, clock)
    clock("approved proposals (1 %)", proposals, f"{DISTRICT}.%")
    sql(
        "CREATE TABLE bench_base_desa AS SELECT row_number() OVER (ORDER BY code) AS n, code "
        "FROM wilayah_wilayah WHERE level = 4 AND code LIKE %s",
        [f"{DISTRICT}.%"],
    )
    sql(
        "CREATE TABLE bench_other_desa AS SELECT row_number() OVER (ORDER BY code) AS n, code "
        "FROM wilayah_wilayah WHERE level = 4 AND code NOT LIKE %s",
        [f"{DISTRICT}.%"],
    )


def proposals(like: str) -> int:
    """1 % of the residents of the desa matching `like`, each in an approved proposal for aid
    (PKH) approved last month: the rows of the BNBA."""
    from _common import insert_select

    from garda.programs.models import Proposal

    program = sql("SELECT id FROM programs_program WHERE code = 'pkh'")[0][0]
    month = last_month()
    return insert_select(
        Proposal,
        {
            "id": "gen_random_uuid()",
            "kind": "'bansos'",
            "status": "'disahkan'",
            "wilayah_id": "i.wilayah_id",
            "program_id": f"'{program}'::uuid",
            "individu_id": "i.id",
            "keluarga_id": "i.keluarga_id",
            "name": "i.name",
            "nik": "i.nik",
            "nik_hash": "i.nik_hash",
            "no_kk": "k.no_kk",
            "justification": "'Keluarga miskin (bench)'",
            "submitted_at": f"'{month}'::timestamptz",
            "approved_on": f"'{month}'::date + (abs(hashtext(i.id::text)) % 25)",
            "decree_number": "'SK/bench/1'",
        },
        "FROM registry_individu i JOIN registry_keluarga k ON k.id = i.keluarga_id "
        "WHERE i.wilayah_id LIKE %s AND abs(hashtext(i.id::text)) %% 100 = 0",
        [like],
    )


def columns(table: str) -> list[str]:
    return [
        name
        for (name,) in sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            [table],
        )
    ]


def copy_table(table: str, source: str) -> int:
    """Copy `table`'s rows through `source` (which names the row `t` and the copy map `m`)."""
    from django.db import connection

    names = columns(table)
    changes = COLUMN_COPIES[table]
    values = ", ".join(changes.get(name, f't."{name}"') for name in names)
    listed = ", ".join(f'"{name}"' for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({listed}) SELECT {values} {source}")
        return cursor.rowcount


def grow(first: int, last: int) -> int:
    """Copies `first`..`last` of the base population (households, residents, proposals), each
    in 81 desa of other kabupaten. Returns the residents written."""
    other = sql("SELECT count(*) FROM bench_other_desa")[0][0]
    base_desa = sql("SELECT count(*) FROM bench_base_desa")[0][0]
    sql(
        "CREATE TABLE bench_copy AS SELECT k, b.code AS from_code, o.code AS to_code "
        "FROM generate_series(%s, %s) k CROSS JOIN bench_base_desa b "
        "JOIN bench_other_desa o ON o.n = 1 + ((k - 1) * %s + b.n - 1) %% %s",
        [first, last, base_desa, other],
    )
    sql(
        "CREATE TABLE bench_kk AS SELECT c.k, h.id AS old, gen_random_uuid() AS new, c.to_code "
        "FROM registry_keluarga h JOIN bench_copy c ON c.from_code = h.wilayah_id"
    )
    sql("CREATE INDEX ON bench_kk (old)")
    copy_table("registry_keluarga", "FROM registry_keluarga t JOIN bench_kk m ON m.old = t.id")
    written = copy_table(
        "registry_individu", "FROM registry_individu t JOIN bench_kk m ON m.old = t.keluarga_id"
    )
    sql("DROP TABLE bench_kk")
    sql("DROP TABLE bench_copy")
    return written


def grow_to(size: int, base_size: int, done: int, clock: Clock) -> int:
    """Copies up to `size` residents in all; returns the number of copies made so far."""
    wanted = size // base_size - 1
    if wanted <= done:
        return done
    load = BulkLoad(*GROWN)
    load.start()
    clock(f"copies {done + 1}-{wanted}: households and residents", grow, done + 1, wanted)
    clock(f"rebuild {len(load.indexes)} indexes", load.finish)
    clock("approved proposals of the copies (1 %)", proposals, "%")
    sql(
        "DELETE FROM programs_proposal p USING programs_proposal q WHERE p.individu_id = "
        "q.individu_id AND p.id > q.id"
    )  # the base's residents were drawn again: one proposal each
    clock("VACUUM ANALYZE", vacuum_analyze)
    return wanted


# --- measurements ------------------------------------------------------------------------------


def raw_bnba(area: str, month: datetime.date) -> Callable[[], int]:
    def run() -> int:
        return len(
            sql(
                "SELECT p.*, i.birth_date, i.sex, i.mother_name, i.relation FROM "
                "programs_proposal p JOIN registry_individu i ON i.id = p.individu_id "
                "WHERE p.status = 'disahkan' AND p.approved_on >= %s AND p.approved_on < %s "
                "AND p.wilayah_id >= %s AND p.wilayah_id < %s "
                "ORDER BY p.wilayah_id, p.approved_on, p.name",
                [month, month + datetime.timedelta(days=31), area, area + "/"],
            )
        )

    return run


def measure_size(args: argparse.Namespace, staff: Any, psm: Any) -> list[tuple[Any, ...]]:
    """Every kind of query and the exports, as registry_search and the export view run them."""
    import registry_search as rs
    from django.urls import reverse

    rng = random.Random(rs.SEED + 2)  # noqa: S311 - benchmark data
    n = args.queries
    everyone, in_desa, _kk = rs.samples(n, rng)
    few = max(n // 5, 20)
    words = [rs.COMMON_WORDS[i % len(rs.COMMON_WORDS)] for i in range(few)]
    searches = [
        ("NIK", "Dinas", staff, [p.nik for p in everyone], rs.raw_nik),
        ("NIK", "PSM", psm, [p.nik for p in in_desa], rs.raw_nik),
        ("name", "Dinas", staff, [p.name for p in everyone], rs.raw_name),
        ("name", "PSM", psm, [p.name for p in in_desa], rs.raw_name),
        ("name with a typo", "Dinas", staff, [rs.typo(p.name, rng) for p in everyone], rs.raw_name),
        ("one common word", "Dinas", staff, words, rs.raw_name),
        ("no query (count + first page)", "Dinas", staff, [""] * few, rs.raw_everyone),
    ]
    results = []
    for what, who, user, queries, baseline in searches:
        ours = rs.measure(rs.page_of(user), queries, warm_up=min(30, len(queries) // 2))
        raw = rs.measure(baseline, queries, warm_up=min(30, len(queries) // 2))
        results.append((f"search: {what}", who, len(queries), ours, raw))
        print(f"    {what} as {who}: p50 {ours[0]:.1f} ms", file=sys.stderr, flush=True)
    month = last_month()
    export = reverse("programs:proposal_export")
    dinas = client_for(staff)
    for label, area in (("desa", rs.PSM_DESA), ("kecamatan", KECAMATAN)):
        url = f"{export}?month={month:%Y-%m}&wilayah={area}"
        ours = measure(request(dinas, url, "spreadsheetml"), args.runs)
        raw = measure(raw_bnba(area, month), args.runs)
        rows = raw_bnba(area, month)()
        results.append(
            (f"BNBA XLSX export, one {label} ({rows} rows)", "Dinas", args.runs, ours, raw)
        )
        print(f"    export {label}: p50 {ours[0]:.1f} ms", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10, help="requests per export")
    parser.add_argument("--regions", type=Path, default=Path("idn-area-data-4.0.1.tgz"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = bench_url(DEFAULT_URL)
    throwaway_environment(url)
    fresh_database(url)
    setup()
    import registry_search as rs

    started = time.perf_counter()
    clock = Clock()
    report: list[tuple[int, dict[str, tuple[int, int]], int, str, list[tuple[Any, ...]]]] = []
    try:
        base(sizes[0], args.regions, clock)
        staff, psm = rs.users()
        copies = 0
        for size in sizes:
            copies = grow_to(size, sizes[0], copies, clock)
            print(f"  measuring at {size:,}", file=sys.stderr, flush=True)
            before = load_average()
            results = measure_size(args, staff, psm)
            sizes_now = table_sizes(GROWN)
            report.append((size, sizes_now, database_size(), before, results))
    finally:
        if not args.keep:
            drop_database(url)
    print_report(report, clock, time.perf_counter() - started)


def print_report(
    report: list[tuple[int, dict[str, tuple[int, int]], int, str, list[tuple[Any, ...]]]],
    clock: Clock,
    seconds: float,
) -> None:
    print("Load: " + "; ".join(f"{n} {s:.1f} s" for n, s in clock.phases) + ".\n")
    print("| size | table | rows | size with indexes | bytes per row | database |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, tables, whole, _before, _results in report:
        for table, (rows, size_bytes) in tables.items():
            print(
                f"| {size:,} | {table} | {rows:,} | {size_bytes / 2**20:,.0f} MiB "
                f"| {size_bytes / max(rows, 1):,.0f} | {whole / 2**30:.2f} GiB |"
            )
    print()
    header = " | ".join(f"{size:,}: p50 / p95 ms (raw p50)" for size, *_ in report)
    print(f"| what | as | {header} | p50 at the largest / at the smallest |")
    print("|---|---|" + "---:|" * (len(report) + 1))
    for index, (what, who, *_rest) in enumerate(report[0][4]):
        cells = []
        for _size, _tables, _whole, _before, results in report:
            _w, _u, _n, ours, raw = results[index]
            cells.append(f"{ours[0]:.1f} / {ours[1]:.1f} ({raw[0]:.1f})")
        ratio = report[-1][4][index][3][0] / report[0][4][index][3][0]
        print(f"| {what} | {who} | {' | '.join(cells)} | {ratio:.2f} |")
    print()
    for size, *_rest in report:
        print(f"Load average before measuring at {size:,}: {_rest[2]}.")
    print(f"Load average at the end: {load_average()}. Whole run {seconds:.0f} s.")


if __name__ == "__main__":
    main()
