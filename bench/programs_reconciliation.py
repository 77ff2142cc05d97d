"""Benchmark: the reconciliation of a programme with 100,000 participants over 4 periods
(400,000 distributions) on PostgreSQL: the page, its XLSX and PDF exports, through the real
views, each against a baseline in the same run on the same table: the bare GROUP BY in raw SQL.

    .venv/bin/python bench/programs_reconciliation.py                    # 100,000 participants
    .venv/bin/python bench/programs_reconciliation.py --participants 20000 --runs 10 --keep

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/garda_bench_recon) names a
dedicated database, dropped and created anew, and dropped again at the end unless --keep is
given (for a look at it with psql: the keys of the run are gone with it). DATABASE_URL is
ignored, so a development database is never dropped by mistake. The settings are production's
(`config.settings.production`: DEBUG off, manifest static files, secure cookies), with
throwaway keys made for the run and static files collected into a temporary folder.

Load (timed for the record, not measured against a target): one household programme (PKH-like,
Rp 750,000 a period) with --participants households over the 81 desa of Kabupaten Bangka
(three times as many in the Sungailiat and Belinyu desa), each enrolled, with one distribution
in each of 4 periods; the outcome mix moves from mostly delivered (period 1: 90 % delivered,
5 % failed, 3 % returned, 2 % scheduled) to mostly open (period 4: 30 % delivered, 64 %
scheduled). Households, enrolments and distributions are written with COPY into the real
tables (each No KK encrypted for real), then VACUUM ANALYZE. Event rows are not written: the
reconciliation does not read them.

Measured after a warm-up, --runs times each (30 by default), p50 and p95 of the wall time of
one request through Django's test client (session, authentication, the view, the template or
the file; no network):
- page, Dinas (district), all periods: 8 kecamatan rows, 400,000 distributions counted;
- page, Dinas, one period: 100,000 counted;
- page, viewer of Kecamatan Belinyu (aggregates only), all periods: its desa rows;
- XLSX, Dinas, all periods;  - PDF (letterhead, table, chart), Dinas, all periods (a third of
  the runs: WeasyPrint is slow).
Baselines, same run, same table: the selector's GROUP BY written by hand
(`SELECT period_id, wilayah_id, status, count(*), sum(amount) ... GROUP BY 1, 2, 3` with the
same region range and periods), fetched with a raw cursor. `--explain` prints its plan.
Prints the load phases and a Markdown table for docs/benchmarks.md.
"""

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import django
from _common import (
    Clock,
    bench_url,
    client_for,
    copy_rows,
    drop_database,
    fresh_database,
    make_user,
    measure,
    request,
    throwaway_environment,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/garda_bench_recon"

SEED = 1902
BENEFIT = 750_000
DISTRICT = "19.01"
KECAMATAN = "19.01.02"  # Belinyu
BUSY_KECAMATAN = ("19.01.01", "19.01.02")  # Sungailiat, Belinyu
PERIODS = [
    ("Tahap 1 2025", datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)),
    ("Tahap 2 2025", datetime.date(2025, 4, 1), datetime.date(2025, 6, 30)),
    ("Tahap 3 2025", datetime.date(2025, 7, 1), datetime.date(2025, 9, 30)),
    ("Tahap 4 2025", datetime.date(2025, 10, 1), datetime.date(2025, 12, 31)),
]
# Per period: delivered, failed, returned, scheduled.
MIX = [
    (0.90, 0.05, 0.03, 0.02),
    (0.85, 0.07, 0.03, 0.05),
    (0.75, 0.08, 0.02, 0.15),
    (0.30, 0.05, 0.01, 0.64),
]
STATUSES = ("tersalurkan", "gagal", "dikembalikan", "dijadwalkan")


def build(participants: int, clock: Clock) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from garda.core import crypto
    from garda.programs.models import Distribution, Enrolment, Period, Program
    from garda.registry.models import Keluarga
    from garda.registry.services import no_kk_hash
    from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
    from garda.wilayah.models import Level, Wilayah

    print(f"Loading {participants:,} participants over 4 periods", file=sys.stderr)
    clock("migrate", call_command, "migrate", "--verbosity", "0")
    clock("collectstatic", call_command, "collectstatic", "--noinput", "--verbosity", "0")
    clock("regions", lambda: wilayah_load(source=BANGKA_SOURCE, scope=DISTRICT))
    villages = list(
        Wilayah.objects.within(DISTRICT)
        .filter(level=Level.DESA)
        .order_by("code")
        .values_list("code", flat=True)
    )
    weights = [3 if v.startswith(BUSY_KECAMATAN) else 1 for v in villages]
    rng = random.Random(SEED)  # noqa: S311 - test data

    program = Program.objects.create(
        code="bench-pkh",
        name="Program Keluarga Harapan (bench)",
        fund_source="apbn",
        kind="tunai",
        target_unit="keluarga",
        benefit_amount=BENEFIT,
    )
    periods = [
        Period.objects.create(program=program, name=name, starts_on=start, ends_on=end)
        for name, start, end in PERIODS
    ]

    def generate() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        households, enrolments, distributions = [], [], []
        for n in range(participants):
            desa = rng.choices(villages, weights)[0]
            no_kk = f"1901{desa[6:8]}{1 + n // 10000:02d}0315{n % 10000:04d}"  # unique
            household = uuid.UUID(int=rng.getrandbits(128), version=4)
            enrolment = uuid.UUID(int=rng.getrandbits(128), version=4)
            households.append(
                {"id": household, "no_kk": no_kk, "wilayah_id": desa, "desil": rng.randint(1, 4)}
            )
            enrolments.append(
                {
                    "id": enrolment,
                    "program_id": program.pk,
                    "keluarga_id": household,
                    "wilayah_id": desa,
                    "status": "aktif",
                    "enrolled_on": datetime.date(2024, 12, 1),
                }
            )
            for period, mix in zip(periods, MIX, strict=True):
                status = rng.choices(STATUSES, mix)[0]
                done = status != "dijadwalkan"
                distributions.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "enrolment_id": enrolment,
                        "period_id": period.pk,
                        "wilayah_id": desa,
                        "amount": BENEFIT,
                        "status": status,
                        "reason": "Penerima tidak di tempat" if status == "gagal" else "",
                        "distributed_on": period.starts_on + datetime.timedelta(days=20)
                        if done
                        else None,
                        "channel": "bank" if status == "tersalurkan" else "",
                    }
                )
        return households, enrolments, distributions

    households, enrolments, distributions = clock("generate", generate)

    def protect() -> None:
        for row in households:
            row["no_kk_hash"] = no_kk_hash(row["no_kk"])
            row["no_kk"] = crypto.encrypt(row["no_kk"])

    clock("encrypt + blind index", protect)
    with transaction.atomic():
        clock("COPY households", copy_rows, Keluarga, households)
        clock("COPY enrolments", copy_rows, Enrolment, enrolments)
        clock("COPY distributions", copy_rows, Distribution, distributions)

    def analyze() -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    clock("VACUUM ANALYZE", analyze)
    return {"program": program, "periods": periods}


def users() -> tuple[Any, Any]:
    from garda.accounts.roles import Role

    staff = make_user("bench.staf", Role.STAF_DINAS, DISTRICT)
    return staff, make_user("bench.viewer", Role.VIEWER, KECAMATAN)


RAW = (
    "SELECT period_id, wilayah_id, status, count(id), sum(amount) FROM programs_distribution "
    "WHERE wilayah_id >= %s AND wilayah_id < %s AND period_id = ANY(%s) GROUP BY 1, 2, 3"
)


def raw_aggregate(area: str, period_ids: list[Any]) -> Callable[[], int]:
    from django.db import connection

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(RAW, [area, area + "/", period_ids])
            return len(cursor.fetchall())

    return run


def explain(area: str, period_ids: list[Any]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + RAW, [area, area + "/", period_ids])
        print("\n".join(row[0] for row in cursor.fetchall()), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=100_000, help="at most 310,000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--explain", action="store_true", help="print the aggregate's plan")
    args = parser.parse_args()
    url = bench_url(DEFAULT_URL)
    throwaway_environment(url)
    started = time.perf_counter()
    fresh_database(url)
    django.setup()
    from django.db import connection
    from django.urls import reverse

    from garda.programs.models import Distribution
    from garda.programs.reconciliation import reconciliation
    from garda.wilayah.models import Wilayah

    clock = Clock()
    try:
        data = build(args.participants, clock)
        staff, viewer = users()
        program, periods = data["program"], data["periods"]
        ids = [p.pk for p in periods]
        page = reverse("programs:reconciliation")
        xlsx = reverse("programs:reconciliation_xlsx")
        pdf = reverse("programs:reconciliation_pdf")
        query = f"?program={program.pk}&wilayah={DISTRICT}"
        one = f"{query}&period={periods[0].pk}"
        drill = f"?program={program.pk}&wilayah={KECAMATAN}"
        dinas, belinyu = client_for(staff), client_for(viewer)
        district = Wilayah.objects.get(code=DISTRICT)
        in_belinyu = Distribution.objects.within(KECAMATAN).count()
        total = Distribution.objects.count()
        if args.explain:
            explain(DISTRICT, ids)
        runs = args.runs
        cases: list[tuple[str, str, int, Callable[[], Any], Callable[[], Any], int]] = [
            (
                "page (all periods)",
                "Dinas (district)",
                total,
                request(dinas, page + query, "text/html"),
                raw_aggregate(DISTRICT, ids),
                runs,
            ),
            (
                "page (one period)",
                "Dinas (district)",
                total // 4,
                request(dinas, page + one, "text/html"),
                raw_aggregate(DISTRICT, ids[:1]),
                runs,
            ),
            (
                "page (all periods)",
                "viewer (Kecamatan Belinyu)",
                in_belinyu,
                request(belinyu, page + drill, "text/html"),
                raw_aggregate(KECAMATAN, ids),
                runs,
            ),
            (
                "selector only (no request, no template)",
                "Dinas (district)",
                total,
                lambda: reconciliation(user=staff, program=program, area=district),
                raw_aggregate(DISTRICT, ids),
                runs,
            ),
            (
                "XLSX export (all periods)",
                "Dinas (district)",
                total,
                request(dinas, xlsx + query, "spreadsheetml"),
                raw_aggregate(DISTRICT, ids),
                runs,
            ),
            (
                "PDF export (all periods)",
                "Dinas (district)",
                total,
                request(dinas, pdf + query, "application/pdf"),
                raw_aggregate(DISTRICT, ids),
                max(runs // 3, 5),
            ),
        ]
        results = []
        for what, who, counted, ours, baseline, n in cases:
            mine = measure(ours, n)
            raw = measure(baseline, n)
            results.append((what, who, counted, n, mine, raw))
            print(
                f"  measured {what} as {who}: p50 {mine[0]:.1f} ms, p95 {mine[1]:.1f} ms "
                f"(raw SQL p50 {raw[0]:.1f} ms)",
                file=sys.stderr,
                flush=True,
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('programs_distribution'))")
            size = cursor.fetchone()[0]
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    finally:
        if not args.keep:
            drop_database(url)
    print()
    print(
        f"{args.participants:,} participants, {total:,} distributions over 4 periods "
        f"(table with indexes {size}), PostgreSQL {version}, {os.cpu_count()} CPUs; "
        f"whole run {time.perf_counter() - started:.0f} s."
    )
    print()
    print("| load phase | seconds |")
    print("|---|---:|")
    for name, seconds in clock.phases:
        print(f"| {name} | {seconds:.1f} |")
    print()
    print(
        "| what | as | distributions counted | runs | p50 ms | p95 ms "
        "| raw SQL p50 ms | raw SQL p95 ms | p50 / raw |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for what, who, counted, n, mine, raw in results:
        print(
            f"| {what} | {who} | {counted:,} | {n} | {mine[0]:.1f} | {mine[1]:.1f} "
            f"| {raw[0]:.1f} | {raw[1]:.1f} | {mine[0] / raw[0]:.2f} |"
        )


if __name__ == "__main__":
    main()
