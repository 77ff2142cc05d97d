"""Searching residents: exact NIK and No KK, tolerant names, desa and PPKS filters, always
inside the searcher's area, without merged records, in a fixed number of queries."""

import datetime
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, SUNGAILIAT, make_user
from garda.registry import services
from garda.registry.models import DuplicateCandidate, Individu, Relation
from garda.registry.search import individu_search

from .factories import assign_ppks, nik_for, register_family, register_individu

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="typo tolerance uses pg_trgm (PostgreSQL only)"
)


@pytest.fixture
def staff(bangka) -> User:
    return make_user(Role.STAF_DINAS, BANGKA)


@pytest.fixture
def psm_lumut(bangka) -> User:
    return make_user(Role.PSM, LUMUT)


def search(user: User, **filters: object) -> list[str]:
    return [resident.name for resident in individu_search(fetched_by=user, filters=filters)]


def statuses(subject: Any) -> list[Any]:
    """The active PPKS statuses the search attached to a resident or a household."""
    return subject.active_ppks


def resident(name: str, code: str = LUMUT, **data: Any) -> Individu:
    return register_individu(code=code, name=name, **data)


# --- NIK and No KK -----------------------------------------------------------------------------


def test_an_exact_nik_finds_the_resident(staff):
    born = datetime.date(1984, 7, 9)
    wanted = resident("Rohana Puspita", birth_date=born, nik=nik_for(born, "P", serial=77))
    resident("Rohana Puspita Sari")
    assert search(staff, q=wanted.nik) == ["Rohana Puspita"]
    spaced = f"{wanted.nik[:6]} {wanted.nik[6:12]}.{wanted.nik[12:]}"
    assert search(staff, q=spaced) == ["Rohana Puspita"]


def test_a_no_kk_lists_the_members_of_the_household(staff):
    family = register_family(name="Hamdan Effendi", sex="L", members=2)
    register_family(name="Hamdan Effendi Yusuf", sex="L")
    found = individu_search(fetched_by=staff, filters={"q": family.no_kk})
    assert {r.keluarga_id for r in found} == {family.pk}
    assert len(found) == 3


def test_an_unknown_or_partial_number_finds_nothing(staff):
    someone = resident("Rohana Puspita")
    assert search(staff, q=someone.nik[:10]) == []
    assert search(staff, q="1901020000000001") == []
    assert search(staff, q="..--") == []


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Muhammad Ridwan Hakim", "Moh. Ridwan"),
        ("Moh. Ridwan Hakim", "Muhammad Ridwan Hakim"),
        ("Muhammad Ridwan Hakim", "M. Ridwan Hakim"),
        ("Mochammad Ridwan Hakim", "muhamad ridwan"),
        ("Nurhayati Kartika", "Nur Hayati"),
        ("Nur Hayati Kartika", "NURHAYATI"),
        ("Djoko Prasetyo", "Joko Prasetyo"),
        ("Tjhin Nyuk Moi", "Chin Nyuk Moi"),
        ("Achmad Fauzi", "ahmad fauzi"),
        ("Abdurrahman Syarif", "Abdul Rahman"),
        ("Sitti Aminah", "Siti Aminah"),
        ("Siti Amina", "Siti Aminah"),  # a trailing h is optional in a query word
        ("Ridwan Hakim", "Hakim Ridwan"),  # any word order
        ("Ridwan Hakim", "ridw"),  # part of a name
    ],
)
def test_a_name_is_found_by_its_spelling_variants(staff, stored, query):
    resident(stored)
    resident("Bambang Sutrisno")
    assert search(staff, q=query) == [stored]


def test_the_best_match_comes_first(staff):
    for name in ("Aminah Siti Rohani", "Nur Siti Aminah", "Siti Aminah Zubaidah", "Siti Aminah"):
        resident(name)
    resident("Rudi Hartono")
    assert search(staff, q="Sitti Aminah") == [
        "Siti Aminah",  # the same key
        "Siti Aminah Zubaidah",  # starting with it
        "Nur Siti Aminah",  # containing it
        "Aminah Siti Rohani",  # every word, another order
    ]


def test_a_name_search_needs_every_word(staff):
    resident("Siti Rohani")
    resident("Aminah Zubaidah")
    assert search(staff, q="Siti Aminah") == []


def test_an_empty_query_lists_everyone_visible_by_desa_then_name_key(staff):
    for name in ("Zainal Arifin", "Moh. Ridwan", "Aisyah Putri", "Muhammad Rizal", "Masnah"):
        resident(name)
    resident("Abdul Bintet", code=BINTET)
    expected = ["Aisyah Putri", "Masnah", "Moh. Ridwan", "Muhammad Rizal", "Zainal Arifin"]
    # Lumut (…2007) before Bintet (…2008); spelling variants side by side: MUHAMADRIDWAN...
    assert search(staff) == [*expected, "Abdul Bintet"]
    assert search(staff, q="  ") == [*expected, "Abdul Bintet"]


def test_a_query_of_one_or_two_letters_matches_the_start_of_names(staff):
    for name in ("Lie Kim Hin", "Ali Akbar", "Lim A Siong"):
        resident(name)
    assert search(staff, q="Li") == ["Lie Kim Hin", "Lim A Siong"]
    assert search(staff, q="a") == ["Ali Akbar"]


@POSTGRES_ONLY
@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Muhammad Ridwan Hakim", "Muhamad Ridwan Hakin"),
        ("Siti Nurhayati", "Siti Nurhyati"),
        ("Rusmini Kurniasih", "Rusmani Kurniasih"),
        ("Hendra Gunawan", "Hendar Gunawan"),
        ("Zulkarnain", "Zulkarnaen"),
    ],
)
@pytest.mark.parametrize("role", [Role.STAF_DINAS, Role.PSM])  # the district's plan, a desa's
def test_on_postgresql_a_misspelt_name_finds_the_look_alikes(bangka, stored, query, role):
    resident(stored)
    resident("Bambang Sutrisno")
    resident("Siti Nurjanah")
    user = make_user(role, BANGKA if role == Role.STAF_DINAS else LUMUT)
    assert search(user, q=query) == [stored]
    assert search(user, q=query, wilayah=LUMUT) == [stored]


@POSTGRES_ONLY
def test_on_postgresql_after_a_common_first_word_the_next_letter_must_agree(staff):
    resident("Muhammad Rizal Effendi")
    assert search(staff, q="Muhamad Rizal Efendy") == ["Muhammad Rizal Effendi"]  # variants
    assert search(staff, q="Muhamad Rizal Efendo") == ["Muhammad Rizal Effendi"]  # a typo
    assert search(staff, q="Muhamad Bizal Effendi") == []  # R/B right after MUHAMAD
    resident("Nur Rahmah Safitri")  # NUR + RAHMAH: the key NURAHMAH... shares the R
    assert search(staff, q="Nur Rahmah Safitry") == ["Nur Rahmah Safitri"]
    assert search(staff, q="Nur Rahmah Safitro") == ["Nur Rahmah Safitri"]


@POSTGRES_ONLY
def test_on_postgresql_look_alikes_come_only_when_nothing_matches(staff):
    resident("Siti Nurhayati")
    resident("Siti Nurhyati")
    resident("Siti Nurhayati Kartika")
    assert search(staff, q="Siti Nurhyati") == ["Siti Nurhyati"]  # as typed: no look-alikes
    # misspelt: the look-alikes, most alike first
    assert search(staff, q="Siti Nurhayti") == ["Siti Nurhayati", "Siti Nurhyati"]


@POSTGRES_ONLY
def test_on_postgresql_look_alikes_keep_the_first_letter_and_the_area(bangka):
    resident("Chandra Wijaya")
    resident("Siti Nurhayati", code=BINTET)
    psm = make_user(Role.PSM, LUMUT)
    assert search(psm, q="Candra Wijaya") == []  # C/H: a different first letter
    assert search(psm, q="Chandra Wijyaa") == ["Chandra Wijaya"]
    assert search(psm, q="Siti Nurhyati") == []  # the look-alike lives in Bintet


@POSTGRES_ONLY
def test_on_postgresql_a_renamed_resident_is_found_by_a_misspelt_new_name(staff):
    """District-wide look-alikes come from the table of name keys in use, which the database
    keeps on every insert and update (migration 0007): a new name is found at once."""
    person = resident("Bambang Sutrisno")
    assert search(staff, q="Bambang Sutrisna") == ["Bambang Sutrisno"]
    services.individu_update(actor=staff, individu=person, data={"name": "Zulkarnain Hasibuan"})
    assert search(staff, q="Zulkarnain Hasibuam") == ["Zulkarnain Hasibuan"]
    assert search(staff, q="Bambang Sutrisna") == []  # the old key finds nobody now


@POSTGRES_ONLY
def test_on_postgresql_district_look_alikes_stay_in_the_area_and_skip_merged(bangka, staff):
    from garda.wilayah.models import Level, Wilayah

    sungailiat = (
        Wilayah.objects.within(SUNGAILIAT).filter(level=Level.DESA).values_list("code", flat=True)
    )[0]
    resident("Rusmini Kurniasih", code=sungailiat)
    resident("Rusmini Kurniasih", code=LUMUT)
    coordinator = make_user(Role.KOORDINATOR, BELINYU)  # a kecamatan: the district's plan
    assert search(coordinator, q="Rusmani Kurniasih") == ["Rusmini Kurniasih"]
    found = individu_search(fetched_by=coordinator, filters={"q": "Rusmani Kurniasih"})
    assert {r.wilayah_id for r in found} == {LUMUT}
    assert len(search(staff, q="Rusmani Kurniasih")) == 2
    born = datetime.date(1979, 3, 3)
    kept = resident("Hendra Gunawan", sex="L", birth_date=born)
    resident("Hendra Gunawan", sex="L", birth_date=born)
    pair = DuplicateCandidate.objects.get()
    services.duplicate_merge(actor=staff, candidate=pair, keep=kept)
    assert [r.pk for r in individu_search(fetched_by=staff, filters={"q": "Hendar Gunawan"})] == [
        kept.pk
    ]


# --- scoping and merged records ------------------------------------------------------------


def test_a_psm_never_finds_a_resident_of_another_desa(psm_lumut, staff):
    family = register_family(code=BINTET, name="Zulkarnain Hamid", sex="L", members=1)
    bintet = family.members.get(relation=Relation.KEPALA)
    own = resident("Zulkarnain Hamdan")
    assert search(psm_lumut, q=bintet.nik) == []
    assert search(psm_lumut, q=family.no_kk) == []
    assert search(psm_lumut, q="Zulkarnain") == ["Zulkarnain Hamdan"]
    assert search(psm_lumut, wilayah=BINTET) == []
    assert search(psm_lumut, q=own.nik) == ["Zulkarnain Hamdan"]
    assert search(make_user(Role.PSM, BINTET), q=bintet.nik) == ["Zulkarnain Hamid"]
    assert sorted(search(staff, q="Zulkarnain")) == ["Zulkarnain Hamdan", "Zulkarnain Hamid"]


def test_a_viewer_finds_nobody_not_even_by_nik(bangka):
    someone = resident("Rohana Puspita")
    viewer = make_user(Role.VIEWER, BANGKA)
    assert search(viewer, q=someone.nik) == []
    assert search(viewer) == []


def test_merged_records_are_not_found(staff):
    born = datetime.date(1979, 3, 3)
    kept = resident("Muhammad Ridwan Hakim", sex="L", birth_date=born)
    merged = resident("Moh. Ridwan Hakim", sex="L", birth_date=born)
    pair = DuplicateCandidate.objects.get()
    services.duplicate_merge(actor=staff, candidate=pair, keep=kept)
    assert search(staff, q="Ridwan Hakim") == ["Muhammad Ridwan Hakim"]
    assert search(staff, q=merged.nik) == []


# --- region and PPKS filters -----------------------------------------------------------------


def test_the_region_filter_takes_a_desa_or_a_whole_kecamatan(staff):
    resident("Rohana Lumut", code=LUMUT)
    resident("Rohana Bintet", code=BINTET)
    assert search(staff, wilayah=LUMUT) == ["Rohana Lumut"]
    assert sorted(search(staff, wilayah=BELINYU, q="rohana")) == ["Rohana Bintet", "Rohana Lumut"]
    assert search(staff, wilayah=SUNGAILIAT) == []


def test_the_ppks_filter_takes_own_and_household_statuses_still_active(staff):
    disabled = resident("Hasnah Disabilitas")
    poor = register_family(name="Marzuki Miskin", sex="L", members=1)
    resolved = resident("Salbiah Pulih")
    resident("Juwita Tanpa Status")
    assign_ppks(disabled, number=9)
    assign_ppks(poor, number=24)
    status = assign_ppks(resolved, number=9)
    services.ppks_resolve(
        actor=staff, status=status, resolved_on=datetime.date(2025, 6, 1), note="Sudah pulih"
    )
    assert search(staff, ppks=9) == ["Hasnah Disabilitas"]
    assert search(staff, ppks="9") == ["Hasnah Disabilitas"]
    assert len(search(staff, ppks=24)) == 2  # the head of family and the child
    assert search(staff, ppks=24, q="Marzuki") == ["Marzuki Miskin"]
    assert search(staff, ppks=8) == []
    assert search(staff, ppks="lansia") == []


# --- queries -----------------------------------------------------------------------------------


def _touch(rows: list[Individu]) -> None:
    """What the list page shows of each resident."""
    for row in rows:
        _ = (row.nik_masked, row.wilayah.name, row.keluarga.no_kk_masked, row.keluarga.rt)
        _ = [status.ppks_type.name for status in statuses(row)]
        _ = [status.ppks_type.name for status in statuses(row.keluarga)]


@pytest.mark.parametrize("households", [1, 4])
def test_a_page_of_results_costs_two_queries(staff, django_assert_num_queries, households):
    for index in range(households):
        family = register_family(code=(LUMUT, BINTET)[index % 2], members=2, name="Hamdan Yusuf")
        assign_ppks(family, number=24)
        assign_ppks(family.members.get(relation=Relation.KEPALA), number=9)
    found = individu_search(fetched_by=staff, filters={"wilayah": BELINYU})
    with django_assert_num_queries(2):  # the residents with desa and household, all the PPKS
        rows = list(found)
        _touch(rows)
    assert len(rows) == households * 3
    assert sum(len(statuses(row)) for row in rows) == households
    assert all(len(statuses(row.keluarga)) == 1 for row in rows)
    by_nik = individu_search(fetched_by=staff, filters={"q": rows[0].nik})
    with django_assert_num_queries(3):  # the count, then the page as above
        _touch(list(Paginator(by_nik, 25).page(1)))
    by_name = individu_search(fetched_by=staff, filters={"q": "hamdan"})
    with django_assert_num_queries(4):  # the count, the residents, their households, the PPKS
        page = list(Paginator(by_name, 25).page(1))
        _touch(page)
    assert len(page) == households
    households_seen: dict[Any, Any] = {}
    for row in page:  # one household object per household, shared by its members
        assert households_seen.setdefault(row.keluarga_id, row.keluarga) is row.keluarga


def test_the_ppks_come_with_each_chunk_of_an_iterator(staff, django_assert_num_queries):
    family = register_family(members=2)
    assign_ppks(family, number=24)
    found = individu_search(fetched_by=staff, filters={})
    with django_assert_num_queries(3):  # the residents, then the PPKS of each chunk of two
        rows = list(found.iterator(chunk_size=2))
        _touch(rows)
    assert [len(statuses(row.keluarga)) for row in rows] == [1, 1, 1]
    assert [row.name_key for row in rows] == sorted(row.name_key for row in rows)  # one desa


def test_only_active_statuses_come_along_newest_first(staff):
    person = resident("Hasnah Disabilitas")
    assign_ppks(person, number=9, assessed_on=datetime.date(2024, 5, 1))
    assign_ppks(person, number=8, assessed_on=datetime.date(2025, 2, 1))
    ended = assign_ppks(person, number=24)
    services.ppks_resolve(
        actor=staff, status=ended, resolved_on=datetime.date(2025, 6, 1), note="Sudah mandiri"
    )
    (row,) = individu_search(fetched_by=staff, filters={"q": "Hasnah"})
    assert [status.ppks_type.number for status in statuses(row)] == [8, 9]
    assert statuses(row.keluarga) == []


def test_no_result_costs_at_most_one_query(staff, django_assert_max_num_queries):
    resident("Rohana Puspita")
    found = individu_search(fetched_by=staff, filters={"q": "Zubaidah"})
    # PostgreSQL knows already that no name key is alike (none: no query at all).
    with django_assert_max_num_queries(1):
        assert list(found) == []
    assert found.count() == 0
    assert list(found.values_list("name", flat=True)) == []
