"""Benchmark: NIK lookup and name search among 1,000,000 residents on PostgreSQL, through
`garda.registry.search.individu_search` (the code the resident list uses), each against a
baseline in the same run on the same tables: the bare lookup in raw SQL.

    .venv/bin/python bench/registry_search.py                  # 1,000,000 residents
    .venv/bin/python bench/registry_search.py --residents 100000 --queries 200 --keep

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/garda_bench_registry) names a
dedicated database, dropped and created anew, and dropped again at the end unless --keep is
given (--reuse measures a database kept that way, without loading it again). DATABASE_URL is
ignored, so a development database is never dropped by mistake.

Load (not measured against a target, timed for the record): about 1,000,000 residents in
300,000 households over the 81 desa of Kabupaten Bangka (more in Sungailiat and Belinyu), with
names composed from the demo's Bangka name lists (Malay, Chinese-Indonesian, Javanese), valid
NIKs and No KKs, each one encrypted for real with Fernet (one ciphertext per value) and indexed
by its blind index; 3 % of the residents carry a PPKS status. Rows are written with COPY into
the real tables; the secondary indexes of the residents table (among them the trigram GIN
index of migration 0003 and the name key's btree of migration 0007) are dropped for the COPY
and rebuilt from their own definitions, then ANALYZE. The table of distinct name keys
(migration 0007) fills itself through its trigger during the COPY.

Measured after a warm-up, as a Dinas staff user (district scope) and as a PSM (one desa of
Sungailiat, ~23,000 residents): one page of results the way the list page asks for it
(`Paginator(individu_search(...), 25).page(1)`: the count, the page, its households and PPKS
statuses, each resident's masked NIK and desa), over --queries queries (500 by default) of
- NIK: an exact NIK of a resident the user may see;
- No KK: an exact family card number (Dinas only);
- name: the full name of a random resident;
- name with a typo: the same names with one letter changed, dropped, doubled or swapped;
and, not targets, over a fifth as many: "one common word" ("Siti", "Muhammad", "Nur"...:
thousands of matches) and "no query" (the first page of everyone the user may see).
Baselines, same run, same tables: `SELECT * FROM registry_individu WHERE nik_hash = %s` (blind
index computed in the loop; for No KK, a join on the household's blind index), `... WHERE
name_key LIKE %s ORDER BY name LIMIT 25` (the key of the query, no scope, no typo tolerance,
no count) and `... ORDER BY wilayah_id, name_key LIMIT 25`. Prints a Markdown table for
docs/benchmarks.md; with --explain, the plans of one query of each kind (on stderr).
"""

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import django
from _common import (
    Clock,
    bench_url,
    copy_rows,
    drop_database,
    fresh_database,
    make_user,
    percentiles,
    secondary_indexes,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/garda_bench_registry"

SEED = 1901
PSM_DESA = "19.01.01.1001"  # Kelurahan Sungailiat
COMMON_WORDS = ["Siti", "Muhammad", "Nur", "Ahmad", "Sri", "Lie", "Putri", "Hendra"]
TYPO_LETTERS = "abdeghijklmnorstuy"
NAME_STARTS = [
    "Su", "Har", "Sri", "Wid", "Jum", "Rus", "Mar", "Yus", "Sya", "Nur", "Ros", "Her", "Ar", "Ir",
    "Ed", "Zul", "Ram", "Fir", "Has", "Jun", "Kas", "Mus", "Sal", "Tam", "Dar", "Rah", "Sap",
    "Yul", "Ind", "Rat", "Bud", "Hen", "Lin", "Wah", "Dew", "Kur", "Sut", "Mul", "Riz", "Fau",
]  # fmt: skip
MALE_ENDINGS = [
    "di", "man", "yanto", "yadi", "lan", "sono", "tono", "iadi", "pri", "ardi", "ul", "an", "in",
    "wan", "mat", "din", "li", "rudin", "mansyah", "rizal", "ton", "jo", "kifli", "hadi",
]  # fmt: skip
FEMALE_ENDINGS = [
    "ni", "yati", "wati", "nah", "mah", "sih", "rina", "yani", "lina", "sari", "tini", "nita",
    "ah", "ita", "ini", "nengsih", "iyah", "lia", "rida", "mini",
]  # fmt: skip
HAKKA_SYLLABLES = [
    "Kim", "Hin", "Fuk", "Sin", "Ket", "Nyan", "Siu", "Kong", "Tet", "Fo", "Jun", "Fat", "Khiun",
    "Min", "Kiong", "Nam", "Lan", "Mei", "Fung", "Nyuk", "Fa", "Moi", "Lian", "Hiung", "Jit",
    "Sui", "Kui", "A", "Tjoen", "Bun", "Ngit", "Sen", "Chong", "Khi", "Phin", "Song", "Hon",
]  # fmt: skip


# --- the population ----------------------------------------------------------------------------


class Population:
    """Households and residents as plain tuples, deterministic for a seed."""

    def __init__(self, residents: int, households: int) -> None:
        from garda.registry import demo

        self.rng = random.Random(SEED)  # noqa: S311 - benchmark data, not a secret
        self.target = residents
        self.household_target = households
        self.demo = demo
        self.serials: dict[str, int] = {}
        self.households: list[dict[str, Any]] = []
        self.residents: list[dict[str, Any]] = []

    def serial(self, prefix: str) -> str:
        self.serials[prefix] = self.serials.get(prefix, 0) + 1
        return f"{prefix}{self.serials[prefix]:04d}"

    def villages(self, codes: list[str]) -> tuple[list[str], list[float]]:
        weights = []
        for code in codes:
            kecamatan = code[:8]
            siblings = sum(1 for c in codes if c.startswith(kecamatan + "."))
            weights.append(self.demo.KECAMATAN_WEIGHT.get(kecamatan, 5) / siblings)
        return codes, weights

    def name(self, origin: str, female: bool, young: bool) -> str:
        """A full name: the demo's common Bangka names mixed with many more made of the usual
        Indonesian name parts, so that full names repeat about as often as in a real district
        (common words such as Siti, Muhammad, Nur stay common)."""
        d, rng = self.demo, self.rng
        if origin == "chinese":
            if young or rng.random() < 0.4:
                given = rng.choice(d.CHINESE_MODERN_FEMALE if female else d.CHINESE_MODERN_MALE)
                middle = f" {self.made(female)}" if rng.random() < 0.4 else ""
                return f"{given}{middle} {rng.choice(d.CHINESE_FAMILY)}"
            given = " ".join(rng.sample(HAKKA_SYLLABLES, 2))
            return f"{rng.choice(d.CHINESE_SURNAMES)} {given}"
        if young and rng.random() < 0.5:
            first = d.MODERN_FEMALE if female else d.MODERN_MALE
            second = d.MODERN_FEMALE_SECOND if female else d.MODERN_MALE_SECOND
        elif origin == "java":
            first = d.JAVANESE_FEMALE if female else d.JAVANESE_MALE
            second = d.JAVANESE_FEMALE_SECOND if female else d.JAVANESE_MALE_SECOND
        else:
            first = d.MALAY_FEMALE if female else d.MALAY_MALE
            second = d.MALAY_FEMALE_SECOND if female else d.MALAY_MALE_SECOND
        words = [rng.choice(first) if rng.random() < 0.45 else self.made(female)]
        if not female and origin == "malay" and rng.random() < 0.22:
            words.insert(0, rng.choice(d.MUHAMMAD))
        if rng.random() < 0.65:
            words.append(rng.choice(second) or self.made(female))
        if rng.random() < 0.25:
            words.append(self.made(female))
        return " ".join(dict.fromkeys(w for w in words if w))

    def made(self, female: bool) -> str:
        """A name made of a common start and ending: Suyanto, Rusdin, Harwati, Yulini..."""
        ends = FEMALE_ENDINGS if female else MALE_ENDINGS
        return self.rng.choice(NAME_STARTS) + self.rng.choice(ends)

    def build(self, codes: list[str]) -> None:
        rng = self.rng
        villages, weights = self.villages(codes)
        members_left = self.target
        households_left = self.household_target
        epoch = datetime.date(1930, 1, 1)
        span = (datetime.date(2025, 12, 31) - epoch).days
        while members_left > 0:
            size = max(1, round(members_left / households_left)) if households_left else 1
            size = min(members_left, max(1, size + rng.choice([-2, -1, -1, 0, 0, 0, 1, 1, 2])))
            desa = rng.choices(villages, weights)[0]
            kecamatan = desa[6:8]
            roll = rng.random()
            origin = "chinese" if roll < 0.2 else "java" if roll < 0.28 else "malay"
            issued = epoch + datetime.timedelta(days=rng.randint(28_000, span))
            household_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            self.households.append(
                {
                    "id": household_id,
                    "no_kk": self.serial(f"1901{kecamatan}{issued:%d%m%y}"),
                    "wilayah_id": desa,
                    "desil": rng.choices(range(1, 11), weights=self.demo.DESIL_WEIGHTS)[0],
                    "rt": f"{rng.randint(1, 15):03d}",
                    "rw": f"{rng.randint(1, 5):03d}",
                }
            )
            for index in range(size):
                female = rng.random() < 0.5
                born = epoch + datetime.timedelta(days=rng.randint(0, span))
                day = born.day + (40 if female else 0)
                relation = ("kepala", "pasangan")[index] if index < 2 else "anak"
                self.residents.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "nik": self.serial(f"1901{kecamatan}{day:02d}{born:%m%y}"),
                        "keluarga_id": household_id,
                        "wilayah_id": desa,
                        "relation": relation,
                        "name": self.name(origin, female, born.year >= 1995),
                        "sex": "P" if female else "L",
                        "birth_date": born,
                        "birth_place": "Sungailiat",
                    }
                )
            members_left -= size
            households_left -= 1


def protect(population: Population) -> None:
    """Encrypt every NIK and No KK (one real ciphertext each), blind indexes, name keys."""
    from garda.core import crypto
    from garda.registry.names import name_key
    from garda.registry.services import nik_hash, no_kk_hash

    keys: dict[str, str] = {}
    for household in population.households:
        household["no_kk_hash"] = no_kk_hash(household["no_kk"])
        household["no_kk_encrypted"] = crypto.encrypt(household["no_kk"])
    for person in population.residents:
        person["nik_hash"] = nik_hash(person["nik"])
        person["nik_encrypted"] = crypto.encrypt(person["nik"])
        name = person["name"]
        if name not in keys:
            keys[name] = name_key(name)
        person["name_key"] = keys[name]
        person["mother_key"] = ""


def load(population: Population, clock: Clock) -> None:
    from django.db import connection, transaction

    from garda.registry.models import Individu, Keluarga, PpksStatus, PpksType

    indexes = secondary_indexes(Individu._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    with transaction.atomic():
        clock(
            "COPY households",
            copy_rows,
            Keluarga,
            population.households,
            {"no_kk": "no_kk_encrypted"},
        )
        clock("COPY residents", copy_rows, Individu, population.residents, {"nik": "nik_encrypted"})
        types = list(PpksType.objects.values_list("pk", flat=True))
        rng = random.Random(SEED + 1)  # noqa: S311
        statuses = [
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "ppks_type_id": rng.choice(types),
                "individu_id": person["id"],
                "wilayah_id": person["wilayah_id"],
                "assessed_on": datetime.date(2025, 1, 1),
                "note": "",
            }
            for person in population.residents[::33]
        ]
        clock("COPY PPKS statuses", copy_rows, PpksStatus, statuses, {})

    def rebuild() -> None:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)

    clock(f"rebuild {len(indexes)} indexes of registry_individu", rebuild)

    def analyze() -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    clock("VACUUM ANALYZE", analyze)


# --- the measurement ---------------------------------------------------------------------------


def typo(name: str, rng: random.Random) -> str:
    """One letter changed, dropped, doubled or two swapped, inside a word of 5+ letters."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return name
    index = rng.choice(candidates)
    word = words[index]
    at = rng.randrange(1, len(word) - 1)
    match rng.choice(["change", "drop", "double", "swap"]):
        case "change":
            word = (
                word[:at] + rng.choice(TYPO_LETTERS.replace(word[at].lower(), "")) + word[at + 1 :]
            )
        case "drop":
            word = word[:at] + word[at + 1 :]
        case "double":
            word = word[:at] + word[at] + word[at:]
        case _:
            word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    words[index] = word
    return " ".join(words)


def measure(
    run: Callable[[str], Any], queries: list[str], warm_up: int = 30
) -> tuple[float, float]:
    for query in queries[:warm_up]:
        run(query)
    samples = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def page_of(user: Any) -> Callable[[str], int]:
    """One page of the resident list, as the list view asks for it."""
    from django.core.paginator import Paginator

    from garda.registry.search import individu_search

    def run(query: str) -> int:
        page = Paginator(individu_search(fetched_by=user, filters={"q": query}), 25).page(1)
        rows: list[Any] = list(page.object_list)
        for row in rows:  # what the page shows of each resident
            _ = (row.nik_masked, row.wilayah.name, row.keluarga.rt, row.active_ppks)
            _ = row.keluarga.active_ppks
        return page.paginator.count

    return run


def raw_nik(query: str) -> int:
    from django.db import connection

    from garda.registry.services import nik_hash

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_individu WHERE nik_hash = %s", [nik_hash(query)])
        return len(cursor.fetchall())


def raw_no_kk(query: str) -> int:
    from django.db import connection

    from garda.registry.services import no_kk_hash

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.* FROM registry_individu i JOIN registry_keluarga k ON k.id = i.keluarga_id "
            "WHERE k.no_kk_hash = %s",
            [no_kk_hash(query)],
        )
        return len(cursor.fetchall())


def raw_name(query: str) -> int:
    from django.db import connection

    from garda.registry.names import name_key

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM registry_individu WHERE name_key LIKE %s ORDER BY name LIMIT 25",
            [f"%{name_key(query)}%"],
        )
        return len(cursor.fetchall())


def raw_everyone(_query: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_individu ORDER BY wilayah_id, name_key LIMIT 25")
        return len(cursor.fetchall())


def users() -> tuple[Any, Any]:
    from garda.accounts.roles import Role

    return make_user("bench.staf", Role.STAF_DINAS, "19.01"), make_user(
        "bench.psm", Role.PSM, PSM_DESA
    )


def explain(user: Any, query: str) -> None:
    from django.db import connection

    from garda.registry.search import individu_search

    found = individu_search(fetched_by=user, filters={"q": query})
    for label, queryset in (("count", found), ("page", found[:25])):
        sql, params = (
            queryset.values("pk") if label == "count" else queryset
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n-- {label} of {query!r} as {user.username}:\n{plan}", file=sys.stderr)


def sample(rows: Iterable[dict[str, Any]], count: int, rng: random.Random) -> list[dict[str, Any]]:
    chosen = list(rows)
    return rng.sample(chosen, min(count, len(chosen)))


def build(residents: int, households: int, clock: Clock) -> None:
    from django.core.management import call_command

    from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load
    from garda.wilayah.models import Level, Wilayah

    print(f"Loading {residents:,} residents in {households:,} households", file=sys.stderr)
    clock("migrate", call_command, "migrate", "--verbosity", "0")
    clock("regions", lambda: wilayah_load(source=BANGKA_SOURCE, scope="19.01"))
    codes = list(
        Wilayah.objects.within("19.01")
        .filter(level=Level.DESA)
        .order_by("code")
        .values_list("code", flat=True)
    )
    population = Population(residents, households)
    clock("generate", population.build, codes)
    clock("encrypt + blind index + name keys", protect, population)
    load(population, clock)


def samples(n: int, rng: random.Random) -> tuple[list[Any], list[Any], list[str]]:
    """Residents of the district, residents of the PSM's desa, No KKs: `n` of each, at random,
    read back (and decrypted) from the database."""
    from garda.registry.models import Individu, Keluarga

    def pick(queryset: Any) -> list[Any]:
        keys = sorted(queryset.values_list("pk", flat=True))
        chosen = rng.sample(keys, min(n, len(keys)))
        found = {row.pk: row for row in queryset.filter(pk__in=chosen)}
        return [found[pk] for pk in chosen]

    households = pick(Keluarga.objects.all())
    return (
        pick(Individu.objects.all()),
        pick(Individu.objects.filter(wilayah_id=PSM_DESA)),
        [h.no_kk for h in households],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=0, help="default: residents / 3.33")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by an earlier --keep run"
    )
    args = parser.parse_args()
    households = args.households or round(args.residents / 3.33)
    url = bench_url(DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    started = time.perf_counter()
    if not args.reuse:
        fresh_database(url)
    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log kept in memory
    from django.db import connection

    clock = Clock()
    if args.reuse:
        from garda.accounts.models import User

        staff, psm = (User.objects.get(username=u) for u in ("bench.staf", "bench.psm"))
    else:
        build(args.residents, households, clock)
        staff, psm = users()
    rng = random.Random(SEED + 2)  # noqa: S311
    n = args.queries
    everyone, in_desa, kk = samples(n, rng)
    words = [COMMON_WORDS[i % len(COMMON_WORDS)] for i in range(n)]
    typos = [typo(p.name, rng) for p in everyone]
    desa_typos = [typo(p.name, rng) for p in in_desa]
    few = max(n // 5, 20)
    cases: list[tuple[str, str, Any, list[str], Callable[[str], int]]] = [
        ("NIK", "Dinas (district)", staff, [p.nik for p in everyone], raw_nik),
        ("NIK", "PSM (one desa)", psm, [p.nik for p in in_desa], raw_nik),
        ("No KK", "Dinas (district)", staff, kk, raw_no_kk),
        ("name", "Dinas (district)", staff, [p.name for p in everyone], raw_name),
        ("name", "PSM (one desa)", psm, [p.name for p in in_desa], raw_name),
        ("name with a typo", "Dinas (district)", staff, typos, raw_name),
        ("name with a typo", "PSM (one desa)", psm, desa_typos, raw_name),
        ("one common word", "Dinas (district)", staff, words[:few], raw_name),
        ("one common word", "PSM (one desa)", psm, words[:few], raw_name),
        ("no query", "Dinas (district)", staff, [""] * few, raw_everyone),
        ("no query", "PSM (one desa)", psm, [""] * few, raw_everyone),
    ]
    if args.explain:
        explain(staff, everyone[0].nik)
        explain(staff, everyone[0].name)
        explain(staff, typo(everyone[1].name, rng))
        explain(psm, in_desa[0].name)
        explain(staff, "Siti")
    results = []
    load_before = os.getloadavg()
    for what, who, user, queries, baseline in cases:
        search = page_of(user)
        hits = sum(1 for q in queries[:50] if search(q))
        ours = measure(search, queries, warm_up=min(30, len(queries) // 2))
        raw = measure(baseline, queries, warm_up=min(30, len(queries) // 2))
        results.append((what, who, len(queries), hits, ours, raw))
        print(
            f"  measured {what} as {who}: p50 {ours[0]:.1f} ms, p95 {ours[1]:.1f} ms",
            file=sys.stderr,
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_individu")
        residents = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registry_keluarga")
        keluarga = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT name_key) FROM registry_individu")
        distinct = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM registry_individu WHERE wilayah_id = %s", [PSM_DESA])
        desa_residents = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('registry_individu'))")
        size = cursor.fetchone()[0]
    print(
        f"\n{residents:,} residents ({distinct:,} distinct name keys) in {keluarga:,} households; "
        f"the PSM's desa {PSM_DESA} holds {desa_residents:,}; residents table with indexes: "
        f"{size}.\n"
    )
    print("Load: " + "; ".join(f"{name} {seconds:.1f} s" for name, seconds in clock.phases) + ".\n")
    print(
        "Load average (1, 5, 15 min) when the measurements began: "
        + ", ".join(f"{x:.1f}" for x in load_before)
        + "; at the end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + ".\n"
    )
    print(
        "| query | user | queries | found (of the first 50) "
        "| `individu_search` page p50 | p95 | raw SQL p50 | p95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for what, who, count, hits, ours, raw in results:
        print(
            f"| {what} | {who} | {count} | {hits} | {ours[0]:.1f} ms | {ours[1]:.1f} ms "
            f"| {raw[0]:.2f} ms | {raw[1]:.2f} ms |"
        )
    print(f"\nTotal run: {time.perf_counter() - started:.0f} s.")
    if not args.keep:
        drop_database(url)


if __name__ == "__main__":
    main()
