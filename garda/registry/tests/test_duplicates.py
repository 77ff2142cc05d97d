"""Likely duplicates: found on entry, queued, and decided by Dinas in the review queue."""

import datetime
from typing import Any

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import GardaError, InvalidState, NotAllowed
from garda.core.testing import (
    BANGKA,
    BINTET,
    LUMUT,
    OTHER_DESA,
    ScopedViewContract,
    client_for,
    make_user,
)
from garda.registry import services
from garda.registry.models import Candidate, DuplicateCandidate, Individu, PpksStatus

from .factories import (
    assign_ppks,
    dinas_admin,
    nik_for,
    register_individu,
)

QUEUE = reverse("registry:duplicates")
BORN = datetime.date(1980, 4, 12)


def ridwan_pair(code_second: str = LUMUT, **second: Any) -> tuple[Individu, Individu]:
    """'Muhammad Ridwan' in Lumut, then 'Moh. Ridwan' with the same birth date."""
    first = register_individu(
        code=LUMUT,
        name="Muhammad Ridwan",
        sex="L",
        birth_date=BORN,
        mother_name="Siti Aminah",
        nik=nik_for(BORN, "L"),
    )
    data = {"name": "Moh. Ridwan", "sex": "L", "birth_date": BORN, **second}
    data.setdefault("nik", nik_for(data["birth_date"], "L"))
    return first, register_individu(code=code_second, **data)


def candidate() -> DuplicateCandidate:
    return DuplicateCandidate.objects.get()


@pytest.fixture
def staff(bangka):
    return make_user(Role.STAF_DINAS, BANGKA)


class TestScoring:
    def test_muhammad_and_moh_ridwan_born_the_same_day_are_queued(self, bangka):
        first = register_individu(
            code=LUMUT, name="Muhammad Ridwan", sex="L", birth_date=BORN, nik=nik_for(BORN, "L")
        )
        registered = services.individu_register(
            actor=dinas_admin(),
            keluarga=first.keluarga,
            data={
                "name": "Moh. Ridwan",
                "sex": "L",
                "birth_date": BORN,
                "relation": "famili",
                "nik": nik_for(BORN, "L"),
            },
        )
        [pair] = registered.possible_duplicates
        assert {pair.first, pair.second} == {first, registered.individu}
        assert pair.reasons == ["name", "birth_date", "area"]
        assert (pair.score, pair.status, pair.wilayah_id) == (90, Candidate.OPEN, LUMUT)

    def test_same_mother_adds_to_the_score(self, bangka):
        ridwan_pair(mother_name="Sitti Aminah")
        assert candidate().score == 100
        assert "mother" in candidate().reasons

    def test_different_people_are_not_queued(self, bangka):
        register_individu(code=LUMUT, name="Muhammad Ridwan", sex="L", birth_date=BORN)
        # the same birth date, another name; the same name, another birth date
        register_individu(code=LUMUT, name="Budi Santoso", sex="L", birth_date=BORN)
        register_individu(
            code=BINTET, name="Muhamad Ridwan", sex="L", birth_date=datetime.date(1991, 2, 3)
        )
        assert not DuplicateCandidate.objects.exists()

    def test_another_district_is_not_compared(self, bangka):
        ridwan_pair(code_second=OTHER_DESA)
        assert not DuplicateCandidate.objects.exists()


class TestDecisions:
    def test_merge_keeps_both_records_and_moves_the_statuses(self, staff):
        first, second = ridwan_pair()
        status = assign_ppks(second, number=24)
        kept = services.duplicate_merge(actor=staff, candidate=candidate(), keep=first)
        assert kept == first
        second.refresh_from_db()
        first.refresh_from_db()
        assert (second.merged_into, first.merged_into) == (first, None)
        assert Individu.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
        assert PpksStatus.objects.get(pk=status.pk).individu == first
        assert candidate().status == Candidate.MERGED
        assert candidate().decided_by == staff
        assert AuditEvent.objects.filter(
            action=Action.UPDATE, object_id=str(first.pk), changes__has_key="merged_from"
        ).exists()
        assert list(Individu.objects.current().filter(pk__in=[first.pk, second.pk])) == [first]

    def test_keep_must_be_one_of_the_pair(self, staff):
        ridwan_pair()
        stranger = register_individu(code=LUMUT)
        with pytest.raises(GardaError):
            services.duplicate_merge(actor=staff, candidate=candidate(), keep=stranger)

    def test_a_decided_pair_cannot_be_decided_twice(self, staff):
        first, _second = ridwan_pair()
        services.duplicate_dismiss(actor=staff, candidate=candidate())
        assert candidate().status == Candidate.DISMISSED
        with pytest.raises(InvalidState):
            services.duplicate_merge(actor=staff, candidate=candidate(), keep=first)
        with pytest.raises(InvalidState):
            services.duplicate_dismiss(actor=staff, candidate=candidate())
        assert Individu.objects.filter(merged_into__isnull=False).count() == 0

    def test_a_psm_cannot_decide(self, bangka):
        first, _second = ridwan_pair()
        with pytest.raises(NotAllowed):
            services.duplicate_merge(
                actor=make_user(Role.PSM, LUMUT), candidate=candidate(), keep=first
            )
        assert candidate().status == Candidate.OPEN


# --- The pages -----------------------------------------------------------------------------


class DinasPairContract(ScopedViewContract):
    """Dinas staff decide on pairs of their district; a PSM (no MERGE_DUPLICATES) may not."""

    method = "post"
    ok_status = 302
    allowed = (Role.STAF_DINAS, BANGKA)
    wrong_role = (Role.PSM, LUMUT)
    own_area = LUMUT
    other_area = OTHER_DESA

    def make_object(self, code: str) -> DuplicateCandidate:
        if code == OTHER_DESA:
            first = register_individu(
                code=OTHER_DESA, name="Muhammad Ridwan", sex="L", birth_date=BORN
            )
            register_individu(keluarga=first.keluarga, name="Moh. Ridwan", sex="L", birth_date=BORN)
        else:
            ridwan_pair(code_second=code)
        return DuplicateCandidate.objects.get(wilayah_id=code)


class TestMergePost(DinasPairContract):
    current: Any = None

    def url_for(self, obj):
        self.current = obj
        return reverse("registry:duplicate_merge", args=[obj.pk])

    def request(self, client, url):
        return client.post(url, {"keep": str(self.current.first_id)})


class TestDismissPost(DinasPairContract):
    def url_for(self, obj):
        return reverse("registry:duplicate_dismiss", args=[obj.pk])


class TestQueuePage:
    def test_psm_and_viewer_get_403(self, bangka):
        assert client_for(make_user(Role.PSM, LUMUT)).get(QUEUE).status_code == 403
        assert client_for(make_user(Role.VIEWER, BANGKA)).get(QUEUE).status_code == 403

    def test_shows_both_records_side_by_side_masked(self, staff):
        first, second = ridwan_pair(mother_name="Siti Aminah")
        response = client_for(staff).get(QUEUE)
        body = response.content.decode()
        assert [p.pk for p in response.context["object_list"]] == [candidate().pk]
        for person in (first, second):
            assert person.nik_masked in body
            assert person.nik not in body
            assert person.keluarga.no_kk_masked in body
        assert "Muhammad Ridwan" in body and "Moh. Ridwan" in body
        assert "Siti Aminah" in body
        assert "12 April 1980" in body
        assert "tanggal lahir sama" in body.lower() or "same date of birth" in body.lower()

    def test_other_districts_pairs_and_decided_pairs_are_not_listed(self, staff):
        first = register_individu(code=OTHER_DESA, name="Muhammad Ridwan", sex="L", birth_date=BORN)
        register_individu(keluarga=first.keluarga, name="Moh. Ridwan", sex="L", birth_date=BORN)
        assert DuplicateCandidate.objects.count() == 1
        assert list(client_for(staff).get(QUEUE).context["object_list"]) == []
        ridwan_pair()
        services.duplicate_dismiss(
            actor=staff, candidate=DuplicateCandidate.objects.get(wilayah_id=LUMUT)
        )
        assert list(client_for(staff).get(QUEUE).context["object_list"]) == []

    def test_merge_through_the_page(self, staff):
        first, second = ridwan_pair()
        pair = candidate()
        client = client_for(staff)
        response = client.post(
            reverse("registry:duplicate_merge", args=[pair.pk]), {"keep": str(second.pk)}
        )
        assert response["Location"] == QUEUE
        first.refresh_from_db()
        assert first.merged_into == second
        again = client.post(
            reverse("registry:duplicate_merge", args=[pair.pk]),
            {"keep": str(second.pk)},
            follow=True,
        )
        assert (
            "sudah diputuskan" in again.content.decode()
            or "already been decided" in again.content.decode()
        )
        merged_page = client.get(first.get_absolute_url()).content.decode()
        assert second.get_absolute_url() in merged_page

    def test_merge_without_a_choice_changes_nothing(self, staff):
        ridwan_pair()
        client_for(staff).post(reverse("registry:duplicate_merge", args=[candidate().pk]), {})
        assert candidate().status == Candidate.OPEN

    def test_dismiss_through_the_page(self, staff):
        ridwan_pair()
        client_for(staff).post(reverse("registry:duplicate_dismiss", args=[candidate().pk]))
        assert candidate().status == Candidate.DISMISSED

    def test_htmx_paging_returns_only_the_results(self, staff):
        response = client_for(staff).get(QUEUE, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="results">')
        assert "<html" not in body

    def test_query_count_is_pinned(self, staff, django_assert_num_queries):
        actor = dinas_admin()
        day = datetime.date(1970, 1, 1)

        def pairs(count: int) -> None:
            nonlocal day
            for _ in range(count):
                day += datetime.timedelta(days=11)
                first = register_individu(
                    actor=actor, name="Muhammad Yusuf", sex="L", birth_date=day
                )
                register_individu(
                    actor=actor,
                    keluarga=first.keluarga,
                    name="Moh. Yusuf",
                    sex="L",
                    birth_date=day,
                )

        pairs(2)
        client = client_for(staff)
        client.get(QUEUE)  # warm the session
        with django_assert_num_queries(QUEUE_QUERIES):
            response = client.get(QUEUE)
        assert len(response.context["object_list"]) == 2
        pairs(12)
        with django_assert_num_queries(QUEUE_QUERIES):
            response = client.get(QUEUE)
        assert len(response.context["object_list"]) == 10


# session, user, roles, count, the page of pairs with both records, their desa and households,
# and the session save in a savepoint (3): the same for 10 pairs as for 2
QUEUE_QUERIES = 8
