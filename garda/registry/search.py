"""Finding residents: the one search behind the resident list, its exports and the API.

`individu_search(fetched_by=user, filters={...})` starts from the one scoping path
(`Individu.objects.visible_to(user, Perm.VIEW_PEOPLE).current()`), so a PSM never finds a
resident outside their desa, not even by an exact NIK, and merged records never show. Filters:

- ``wilayah``: a region code; residents of that desa, or anywhere inside that kecamatan or
  kabupaten (a range condition on the code). It narrows the user's area, never widens it.
- ``ppks``: a PPKS type number: residents with an active (unresolved) status of that type,
  their own or their household's.
- ``q``: 16 digits (spaces, dots and dashes ignored) are an exact NIK or an exact No KK,
  looked up through their blind indexes (a No KK lists every current member of the household).
  NIK and No KK are encrypted, so a partial number cannot be searched: other digits-only
  input finds nothing. Anything else is a name, compared through `names.name_key`, which
  already equates the spelling variants (Muhammad/Moh./M., Nur Hayati/Nurhayati, Dj/J, Tj/C,
  Oe/U, Ch/Kh/H, doubled letters...):
    1. A resident matches when their name key contains every word of the query, in any order
       ("Ridwan" finds "Moh. Ridwan Hakim", "Hakim Ridwan" too; words under three letters
       are left out; a trailing "h" is optional: "Aminah" finds "Amina"). A query of one or
       two letters matches the start of names.
       Best match first: the same key, then keys starting with the query, then keys holding
       it, then the other orders; shorter keys (closer to the query) first; then by name.
       Without a name or number, residents are listed by desa, then by name key
       (alphabetical, spelling variants side by side: "Moh. Ridwan" among the MUHAMAD...):
       the order of the btree index on (desa, key), so no page sorts the district.
    2. On PostgreSQL only, when nothing matches that way (within the user's area and the
       other filters), the query is taken for a misspelling: residents whose key is alike by
       trigram similarity (at least `SIMILARITY_THRESHOLD`, 0.5) that start with the same
       letter, or, after a very common first word (Muhammad, Siti, Nur...), with that word and
       the same next letter ("Siti Nurhyati" finds "Siti Nurhayati", "Muhamad Ridwan Hakin"
       finds "Muhammad Ridwan Hakim"), most alike first. A name spelt exactly as typed
       therefore hides its look-alikes; the spelling variants are never hidden, being one key.

Per database:

- PostgreSQL: step 1 is `name_key LIKE '%WORD%'` per word, served by the trigram GIN index of
  migration 0003 (a one- or two-letter query: `LIKE 'AB%'`). Building a name search runs
  one query to learn whether step 1 finds anyone: inside one desa, a name starting with the
  query (the (desa, key) btree index, well under a millisecond), else the whole step-1 query
  (planned without LIMIT, which would tempt PostgreSQL into reading the whole table when
  nobody matches). Step 2 first finds the alike keys among the distinct name keys in use
  (the table `registry_name_key` of migration 0007, kept by triggers, with its own trigram
  index): pg_trgm's strict word similarity operator `'KEY' <<% key`, which on a key without
  spaces is the plain similarity of the two keys, GIN-indexed at pg_trgm's default threshold
  for it (0.5), together with `key LIKE 'K%'` (or `'MUHAMADR%'`), rechecked with
  `similarity() >= 0.5`; then the residents with those keys (`name_key IN (...)`, the btree
  index on the key). Comparing distinct keys rather than residents matters: a short key
  starting like thousands of names brings thousands of candidates, and a common name is
  shared by a thousand residents (measured: p95 83 ms before, see docs/benchmarks.md).
  Inside one desa, the key's prefix as a range on the btree index of (desa, key), each row
  compared (see `_by_similarity`).
  Step 2 is a fallback, not part of every search: measured on 1,000,000 residents
  (docs/benchmarks.md), trigram similarity at pg_trgm's default 0.3 costs 0.2-1 s per query
  and returns thousands of unrelated names; LIKE on the key costs a few milliseconds.
- SQLite: step 1 only (`LIKE` on the key, a scan of the rows the user may see, which scoping
  keeps to a district at most). A typo inside a word is not forgiven there; the spelling
  variants still are, because they are part of the key.

Every batch of residents fetched (a page, a list, each chunk of `.iterator()`) comes with what
a list shows: the desa and the household of each resident (`resident.wilayah`,
`resident.keluarga`) and the active PPKS statuses, `resident.active_ppks` (their own) and
`resident.keluarga.active_ppks` (the household's), each with its `ppks_type`, loaded in one
query for the batch. A page costs two queries whatever its length (one when it is empty), a
page of a name search three; the paginator's count is one more. A name search loads the
households of the batch in their own query instead of joining them: PostgreSQL joins before
it sorts by relevance, so a page of a name with 3,000 namesakes would read 3,000 households to
show 25 (measured: half the time of such a page). Exact lookups and plain lists, ordered by an
index, join them. Two Django `Prefetch` lookups for the statuses would cost one query more.
"""

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.db.models.query import ModelIterable

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.core.nik import NIK_PATTERN, normalise_digits

from .models import Individu, IndividuQuerySet, Keluarga, PpksStatus, PpksType
from .names import DOUBLED, name_key, name_words, search_words
from .services import nik_hash, no_kk_hash

# pg_trgm's default strict_word_similarity_threshold, so the index finds what is kept. One
# wrong, missing or swapped letter leaves 0.55-0.8 ("SITINURHYATI" to "SITINURHAYATI" 0.69,
# "HENDARGUNAWAN" to "HENDRAGUNAWAN" 0.56); different names fall below ("BUDI"/"BUDE" 0.43).
SIMILARITY_THRESHOLD = 0.5
# First words so common that a look-alike must share them (name keys: spelling already unified).
COMMON_FIRST_WORDS = frozenset({"MUHAMAD", "SITI", "NUR", "NURUL", "ABDUL", "AHMAD", "SRI"})
KEY_LENGTH = Individu._meta.get_field("name_key").max_length or 150
MIN_CONTAINS = 3  # the trigram index serves LIKE '%ABC%' from three letters on


class Similarity(Func):
    """pg_trgm's `similarity(a, b)`, 0 (nothing alike) to 1 (the same)."""

    function = "similarity"
    output_field = FloatField()


class ResidentIterable(ModelIterable):
    """Residents as Django makes them, each batch with its households and PPKS statuses
    (`attach_related`): all rows at once for a list or a page, `chunk_size` rows at a time
    for `.iterator()`. `values()` and `values_list()` use their own iterables, untouched."""

    def __iter__(self) -> Iterator[Any]:
        rows = super().__iter__()
        batches = itertools.batched(rows, self.chunk_size) if self.chunked_fetch else [list(rows)]
        for batch in batches:
            attach_related(batch)
            yield from batch


def individu_search(*, fetched_by: User, filters: dict[str, Any]) -> QuerySet[Individu]:
    """The residents `fetched_by` may see that match `filters` (see the module docstring)."""
    residents = Individu.objects.visible_to(fetched_by, Perm.VIEW_PEOPLE).current()
    residents._iterable_class = ResidentIterable
    code = _region_code(filters.get("wilayah"))
    if code:
        residents = residents.within(code)
    ppks = filters.get("ppks")
    if ppks not in (None, ""):
        residents = _with_ppks(residents, ppks)
    ordering: list[Any] = ["wilayah_id", "name_key", "name", "pk"]
    related = ["wilayah", "keluarga"]
    text = str(filters.get("q") or "").strip()
    if text:
        digits = normalise_digits(text)
        if NIK_PATTERN.match(digits):
            residents = _by_identifier(residents, digits)
        elif not name_key(text):
            residents = residents.none()  # a partial number, or punctuation: nothing to match
        else:
            one_desa = _within_one_desa(fetched_by, code)
            residents, ordering = _by_name(residents, text, one_desa=one_desa)
            related = ["wilayah"]  # households come with the batch: see the module docstring
    return residents.select_related(*related).order_by(*ordering)


def attach_related(residents: Sequence[Individu]) -> None:
    """Load what a list shows with each resident, for the whole batch: the households (one
    query, unless already loaded) and the active PPKS statuses of the residents and of their
    households (one query), newest first, as `active_ppks` on each."""
    if not residents:
        return
    missing = {r.keluarga_id for r in residents if not Individu.keluarga.is_cached(r)}
    loaded = {k.pk: k for k in Keluarga.objects.filter(pk__in=missing)} if missing else {}
    people: dict[Any, list[PpksStatus]] = {}
    households: dict[Any, list[PpksStatus]] = {}
    for resident in residents:
        if resident.keluarga_id in loaded:
            resident.keluarga = loaded[resident.keluarga_id]
        resident.active_ppks = people.setdefault(resident.pk, [])  # type: ignore[attr-defined]
        household = resident.keluarga
        household.active_ppks = households.setdefault(household.pk, [])  # type: ignore[attr-defined]
    statuses: Iterable[PpksStatus] = (
        PpksStatus.objects.active()
        .filter(Q(individu_id__in=list(people)) | Q(keluarga_id__in=list(households)))
        .select_related("ppks_type")
    )
    for status in statuses:
        if status.individu_id is not None:
            people[status.individu_id].append(status)
        else:
            households[status.keluarga_id].append(status)


def _by_identifier(residents: IndividuQuerySet, digits: str) -> IndividuQuerySet:
    """The resident with this NIK, or the members of the household with this No KK. The
    household is a scalar subquery (an InitPlan on PostgreSQL), so both sides of the OR use
    an index."""
    household = Keluarga.objects.filter(no_kk_hash=no_kk_hash(digits)).values("pk")[:1]
    return residents.filter(Q(nik_hash=nik_hash(digits)) | Q(keluarga_id=Subquery(household)))


def _within_one_desa(user: User, code: str) -> bool:
    """Whether the search stays inside one desa (or a few): a PSM's, or a desa filter."""
    areas = [code] if code else user.areas_for(Perm.VIEW_PEOPLE)
    return bool(areas) and all(area.count(".") == 3 for area in areas)


def _by_name(
    residents: IndividuQuerySet, text: str, *, one_desa: bool
) -> tuple[IndividuQuerySet, list[Any]]:
    key = name_key(text)
    words = search_words(text)
    if words:
        matches = Q(*(Q(name_key__contains=word) for word in words))
    elif len(key) >= MIN_CONTAINS:
        matches = Q(name_key__contains=key)
    else:  # "Li", "A": too short for the trigram index, and for a useful "contains"
        matches = Q(name_key__startswith=key)
    found = residents.filter(matches)
    if connection.vendor == "postgresql" and not _anyone_found(
        residents, found, key, one_desa=one_desa
    ):
        return _by_similarity(residents, text, one_desa=one_desa)
    rank = Case(
        When(name_key=key, then=Value(0)),
        When(name_key__startswith=key, then=Value(1)),
        When(name_key__contains=key, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    found = found.alias(match_rank=rank, key_length=Length("name_key"))
    return found, ["match_rank", "key_length", "name", "pk"]


def _anyone_found(
    residents: IndividuQuerySet, found: IndividuQuerySet, key: str, *, one_desa: bool
) -> bool:
    """Whether step 1 finds anyone. Inside a desa, a name starting with the key answers
    through the btree index on (desa, key) in a fraction of a millisecond (the usual case: a
    name typed from its start); otherwise the whole step-1 query decides."""
    if one_desa and residents.filter(_starting_with(key)).exists():
        return True
    return _any_row(found)


def _starting_with(prefix: str) -> Q:
    """Keys starting with `prefix`, as a range that any btree index on the key serves, the
    (desa, key) one included (keys are A-Z only, so every collation orders them alike)."""
    return Q(name_key__gte=prefix, name_key__lte=prefix.ljust(KEY_LENGTH, "Z"))


def _by_similarity(
    residents: IndividuQuerySet, text: str, *, one_desa: bool
) -> tuple[IndividuQuerySet, list[Any]]:
    """Step 2 on PostgreSQL: keys alike by trigram similarity that start like the query.

    Inside a desa, the rows that start like the query are few: the btree index on (desa, key)
    finds them and each is compared. Beyond, the alike keys come first from the table of
    distinct keys (`_alike_keys`), then the residents that have them: the same residents as
    comparing each resident's key, as the condition depends on the key alone.
    """
    key = name_key(text)
    start = _fixed_start(text)
    similarity = Similarity(F("name_key"), Value(key))
    if one_desa:
        alike = _starting_with(start) & Q(GreaterThanOrEqual(similarity, SIMILARITY_THRESHOLD))
    else:
        alike = Q(name_key__in=_alike_keys(key, start))
    found = residents.filter(alike).alias(
        match_similarity=similarity, key_length=Length("name_key")
    )
    return found, [F("match_similarity").desc(), "key_length", "name", "pk"]


def _alike_keys(key: str, start: str) -> list[str]:
    """The name keys in use that start with `start` and are alike `key` (similarity at least
    SIMILARITY_THRESHOLD), from the table of distinct keys of migration 0007: a few hundred
    thousand short rows instead of a million residents, so that the trigram index's
    candidates (thousands, when a short key starts like many names) are compared once each,
    on a small table, and not once per resident sharing them, for the count and again for the
    page. Keys are A-Z only: nothing to escape in the LIKE pattern."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT key FROM registry_name_key WHERE key LIKE %s "
            "AND %s <<%% key AND similarity(key, %s) >= %s",
            [f"{start}%", key, key, SIMILARITY_THRESHOLD],
        )
        return [row[0] for row in cursor.fetchall()]


def _fixed_start(text: str) -> str:
    """What a look-alike must start with: the first letter of the query; after one of the
    very common first words (Muhammad, Siti, Nur...), that word and the next letter. Without
    it, "Muhamad Bdman" would weigh every MUHAMAD... in the district (0.3-1 s measured), as
    the word alone makes half of a short key's trigrams."""
    words = name_words(text)
    if len(words) > 1 and words[0] in COMMON_FIRST_WORDS:
        return DOUBLED.sub(r"\1", words[0] + words[1][0])  # NUR + R: NURAHMAH starts with NUR
    return name_key(text)[0]


def _any_row(queryset: QuerySet[Individu]) -> bool:
    """Whether the query finds a row, planned as the full query (see the module docstring)."""
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return False
    # Django's own compiled SQL, its values passed as parameters:
    probe = f"WITH found AS MATERIALIZED ({sql}) SELECT EXISTS (SELECT 1 FROM found)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(probe, params)
        row = cursor.fetchone()
    return bool(row and row[0])


def _region_code(value: object) -> str:
    return str(getattr(value, "pk", value) or "").strip()


def _with_ppks(residents: IndividuQuerySet, value: object) -> IndividuQuerySet:
    number = value.number if isinstance(value, PpksType) else value
    try:
        number = int(str(number))
    except ValueError:
        return residents.none()
    active = PpksStatus.objects.active().filter(ppks_type__number=number)
    return residents.filter(
        Exists(active.filter(individu=OuterRef("pk")))
        | Exists(active.filter(keluarga=OuterRef("keluarga_id")))
    )
