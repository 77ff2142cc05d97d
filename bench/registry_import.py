"""Benchmark: import a DTKS-layout CSV of 1,000,000 residents (~285,000 households) through the
importer the background task runs, against a baseline in the same run: a raw `COPY` of the same
file into a bare table of 18 text columns.

    .venv/bin/python bench/registry_import.py [--rows 1000000] [--keep] [--profile]

Uses a dedicated PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/garda_bench_import), created anew and dropped at the end
(--keep leaves it). Steps, each timed:

1. generate the file (valid rows, deterministic), outside the timings;
2. baseline: `COPY bare FROM STDIN (FORMAT csv, HEADER, DELIMITER ';')`, the file streamed;
3. the import as the task does it: `import_job_create` (stores the file), the check
   (`import_job_process` on the queued job), `import_job_apply`, the write (`import_job_process`
   again: the file checked again and written in one transaction, COPY into the real tables; the
   registry was empty and nothing wrote to it since the check, so the write leaves out its
   lookups by blind index, as it would for any file the registry holds nothing of);
4. the same file again: checked, 0 new, 0 updated (nothing to write).

Prints the times, the ratio to the baseline, where the time went (the importer's own stage
timings), the peak memory, and Markdown rows for docs/benchmarks.md. With --profile, a cProfile
of the write step's top functions.
"""

import argparse
import cProfile
import csv
import datetime
import io
import os
import pstats
import resource
import tempfile
import time
from pathlib import Path

import django
from _common import bench_url, drop_database, fresh_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/garda_bench_import"

HEADER = [
    "ID DTKS",
    "PROVINSI",
    "KABUPATEN",
    "KECAMATAN",
    "DESA",
    "ALAMAT",
    "DUSUN",
    "RT",
    "RW",
    "NO KK",
    "NIK",
    "NAMA",
    "TEMPAT LAHIR",
    "TANGGAL LAHIR",
    "JENIS KELAMIN",
    "NAMA IBU KANDUNG",
    "HUBUNGAN KELUARGA",
    "DESIL",
]
FIRST = [
    "Muhammad", "Siti", "Ahmad", "Nur", "Dewi", "Budi", "Sri", "Agus", "Rina", "Hendra",
    "Yusuf", "Aminah", "Rudi", "Fitri", "Joko", "Lestari", "Bambang", "Wati", "Andi", "Ratna",
    "Abdul", "Halimah", "Rahmat", "Yanti", "Syahrul", "Maryam", "Darmawan", "Nurhayati",
]  # fmt: skip
LAST = [
    "Saputra", "Wijaya", "Hidayat", "Santoso", "Rahman", "Lubis", "Siregar", "Hasan",
    "Kurniawan", "Pratama", "Setiawan", "Gunawan", "Syahputra", "Susanti", "Handayani",
    "Permata", "Ramadhan", "Maulana", "Fauzi", "Anggraini", "Purnama", "Effendi", "Sari",
]  # fmt: skip
RELATIONS = ["Kepala Keluarga", "Istri", "Anak"]


def person_name(i: int) -> str:
    first, second = FIRST[i % 28], FIRST[(i // 28) % 28]
    return f"{first} {second} {LAST[(i // 784) % 23]} {LAST[(i // 18032) % 23]}"


def generate(path: Path, rows: int, villages: list[tuple[str, str, str]]) -> int:
    """A valid DTKS file: households of 1-6 people (head, wife, children), unique NIKs whose
    date and sex agree with the row, spread over the desa of Kabupaten Bangka. Returns the
    number of households."""
    base = datetime.date(1940, 1, 1)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        person = 0
        household = 0
        while person < rows:
            household += 1
            size = 1 + (household * 7) % 6
            kecamatan_name, desa_code, desa_name = villages[household % len(villages)]
            kec = desa_code[6:8]
            no_kk = f"1901{kec}{household:010d}"
            desil = 1 + household % 10
            wife = ""
            for member in range(min(size, rows - person)):
                i = person
                person += 1
                sex = "L" if member == 0 or (member > 1 and member % 2) else "P"
                kec_nik = i % 8 + 1
                rest = i // 8
                serial, block = rest % 9999 + 1, rest // 9999
                birth = base + datetime.timedelta(days=block * 1500 + (serial * 37) % 1400)
                day = birth.day + (40 if sex == "P" else 0)
                nik = f"19010{kec_nik}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
                name = person_name(i)  # ~400,000 different names: no cache gets an easy ride
                if member == 0:  # the head's mother; the wife's mother; then the wife
                    mother = person_name(i * 7 + 3)
                elif member == 1:
                    mother, wife = person_name(i * 7 + 5), name
                else:
                    mother = wife
                writer.writerow(
                    [
                        f"DTKS{household:09d}",
                        "KEPULAUAN BANGKA BELITUNG",
                        "KABUPATEN BANGKA",
                        kecamatan_name.upper(),
                        desa_name.upper(),
                        f"Jl. Merdeka No. {household % 300}",
                        f"Dusun {household % 5 + 1}",
                        f"{household % 20 + 1:03d}",
                        f"{household % 7 + 1:03d}",
                        no_kk,
                        nik,
                        name,
                        "Belinyu" if i % 3 else "Sungailiat",
                        birth.strftime("%d/%m/%Y"),
                        sex,
                        mother,
                        RELATIONS[min(member, 2)],
                        desil,
                    ]
                )
    return household


def baseline_copy(path: Path) -> float:
    """The same file, streamed with COPY into a bare table of text columns: the floor."""
    from django.db import connection, transaction

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_bare ({columns})")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = "COPY bench_bare FROM STDIN (FORMAT csv, HEADER true, DELIMITER ';')"
        with cursor.copy(sql) as copy, path.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                copy.write(block)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bare")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_bare")
    print(f"baseline: {copied:,} rows copied in {elapsed:.1f} s")
    return elapsed


def schema_floor(work: Path, *, without_pattern_indexes: bool = False) -> float:
    """What the real tables cost without any of the importer's work: the rows the import wrote
    (ciphertexts, blind indexes, name keys and all) copied out, the tables emptied, and the rows
    copied back in with COPY (binary), one transaction, with every index, constraint and
    foreign-key check of the schema. `without_pattern_indexes` first drops the `..._like`
    (varchar_pattern_ops) indexes Django adds beside each indexed CharField: the blind indexes
    and region codes are only ever compared whole or by range, never with LIKE."""
    from django.db import connection, transaction

    tables = ["registry_keluarga", "registry_individu"]
    with connection.cursor() as cursor:
        for table in tables:
            path = work / f"{table}.bin"
            if not path.exists():
                with (
                    path.open("wb") as out,
                    cursor.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy,
                ):
                    for data in copy:
                        out.write(data)
        cursor.execute("TRUNCATE registry_individu, registry_keluarga CASCADE")
        if without_pattern_indexes:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) "
                "AND indexname LIKE '%%_like'",
                [tables],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            path = work / f"{table}.bin"
            with (
                cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy,
                path.open("rb") as handle,
            ):
                while block := handle.read(1024 * 1024):
                    copy.write(block)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--profile", action="store_true", help="cProfile the write step")
    args = parser.parse_args()

    url = bench_url(DEFAULT_URL)
    work = Path(tempfile.mkdtemp(prefix="garda-bench-"))
    os.environ["DATABASE_URL"] = url
    os.environ["GARDA_MEDIA_ROOT"] = str(work / "media")
    # Production settings (DEBUG off, as on a server), with keys made up for this run.
    from cryptography.fernet import Fernet

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("GARDA_SECRET_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("GARDA_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("GARDA_BLIND_INDEX_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("GARDA_LOG_LEVEL", "WARNING")
    fresh_database(url)
    try:
        django.setup()
        run(args, work)
    finally:
        if not args.keep:
            drop_database(url)
        for item in sorted(work.rglob("*"), reverse=True):
            item.unlink() if item.is_file() else item.rmdir()
        work.rmdir()


def run(args: argparse.Namespace, work: Path) -> None:
    from django.core.files.uploadedfile import UploadedFile
    from django.core.management import call_command
    from django.db import connection

    from garda.accounts.models import RoleAssignment, User
    from garda.accounts.roles import Role
    from garda.registry import importer
    from garda.registry.models import ImportJob, ImportState, Individu, Keluarga
    from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
    from garda.wilayah.models import Level, Wilayah

    call_command("migrate", verbosity=0)
    wilayah_load(source=BANGKA_SOURCE, scope="19.01")
    admin = User.objects.create_user(
        username="bench",
        password="bench-password-1",  # noqa: S106 - a throwaway account in a throwaway database
        name="Bench",
        wilayah_id="19.01",
    )
    RoleAssignment.objects.create(
        user=admin, role=Role.ADMIN_DINAS, wilayah_id="19.01", valid_from=datetime.date(2020, 1, 1)
    )
    kecamatan = dict(Wilayah.objects.filter(level=Level.KECAMATAN).values_list("code", "name"))
    villages = [
        (kecamatan[str(parent)], code, name)
        for code, name, parent in Wilayah.objects.filter(
            level=Level.DESA, code__startswith="19.01."
        ).values_list("code", "name", "parent_id")
    ]
    path = work / "dtks.csv"
    start = time.perf_counter()
    households = generate(path, args.rows, villages)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"file: {args.rows:,} rows, {households:,} households, {size_mb:.0f} MB, "
        f"generated in {time.perf_counter() - start:.1f} s"
    )

    load_before = os.getloadavg()
    baseline = baseline_copy(path)

    runs: list = []
    original = importer.run_file

    def recording(*a, **k):
        result = original(*a, **k)
        runs.append(dict(result.timings))  # only the timings: the pass itself is freed
        return result

    importer.run_file = recording  # keep each pass's stage timings

    def job_step(job: ImportJob) -> float:
        start = time.perf_counter()
        importer.import_job_process(job_id=str(job.pk), run_id=job.run_id)
        return time.perf_counter() - start

    start = time.perf_counter()
    with path.open("rb") as handle:
        job = importer.import_job_create(
            actor=admin, upload=UploadedFile(handle, "dtks.csv", size=path.stat().st_size)
        )
    store = time.perf_counter() - start
    check = job_step(job)
    job.refresh_from_db()
    assert job.status == ImportState.READY, job.problems[:3]  # noqa: S101
    job = importer.import_job_apply(actor=admin, job=job)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    write = job_step(job)
    if profiler:
        profiler.disable()
    job.refresh_from_db()
    assert job.status == ImportState.DONE, job.error  # noqa: S101
    people, families = Individu.objects.count(), Keluarga.objects.count()
    assert (people, families) == (args.rows, households), (people, families)  # noqa: S101

    with path.open("rb") as handle:
        again = importer.import_job_create(
            actor=admin, upload=UploadedFile(handle, "dtks.csv", size=path.stat().st_size)
        )
    second = job_step(again)
    again.refresh_from_db()
    assert (again.new_count, again.updated_count, again.status) == (0, 0, "ready")  # noqa: S101

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    floor = schema_floor(work)
    lean_floor = schema_floor(work, without_pattern_indexes=True)
    total = store + check + write
    print(f"store upload {store:.1f} s, check {check:.1f} s, write {write:.1f} s")
    print(f"import total {total:.1f} s = {total / baseline:.1f}x baseline COPY ({baseline:.1f} s)")
    print(f"write step alone: {write / baseline:.1f}x baseline")
    print(
        f"schema floor (the written rows COPYed back into the real tables): {floor:.1f} s "
        f"= {floor / baseline:.1f}x baseline"
    )
    print(
        f"schema floor without the ..._like pattern indexes: {lean_floor:.1f} s "
        f"= {lean_floor / baseline:.1f}x baseline"
    )
    print(f"same file again (check, nothing to write): {second:.1f} s")
    print(f"peak memory (RSS) of the process: {peak:.0f} MB")
    print(
        "load average (1, 5, 15 min) before the baseline: "
        + ", ".join(f"{x:.1f}" for x in load_before)
        + "; at the end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(
        "write step's lookups by blind index: "
        + ("done" if "look up stored records" in runs[1] else "left out (unchanged since check)")
    )
    for name, item in (("check", runs[0]), ("write", runs[1]), ("again", runs[2])):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in item.items())
        print(f"  {name} stages: {stages}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('registry_individu'))")
        print(f"registry_individu with indexes: {cursor.fetchone()[0]}")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        print(stream.getvalue())
    print()
    print(
        f"| {args.rows:,} | {households:,} | {size_mb:.0f} MB | {baseline:.1f} s | {check:.1f} s "
        f"| {write:.1f} s | {total:.1f} s ({total / baseline:.1f}x baseline) "
        f"| {write / baseline:.1f}x | {floor:.1f} s ({floor / baseline:.1f}x) "
        f"| {lean_floor:.1f} s ({lean_floor / baseline:.1f}x) "
        f"| {second:.1f} s, 0 written | {peak:.0f} MB |"
    )


if __name__ == "__main__":
    main()
