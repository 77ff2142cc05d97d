"""Whom an incident concerns, found in the audit trail that the registry's own pages wrote:
opening a resident, revealing a NIK, opening a household; another account's reads, reads
outside the period and merged records."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import Duplicate, GardaError, InvalidState, NotAllowed
from garda.core.retention import READ_ACTIONS
from garda.core.testing import BANGKA, BINTET, LUMUT, OTHER_DISTRICT, client_for, make_user
from garda.registry import privacy
from garda.registry import services as registry_services
from garda.registry.models import DuplicateCandidate, Individu
from garda.registry.tests.factories import register_family, register_individu
from garda.registry.tests.test_duplicates import ridwan_pair

from .. import services
from ..models import AffectedPerson, AffectedSearch, Status
from .factories import HOUR, advance, privacy_admin, record_incident


def opens(user: User, *people: Individu) -> None:
    client = client_for(user)
    for person in people:
        assert client.get(reverse("registry:individu_detail", args=[person.pk])).status_code == 200


def reveals_nik(user: User, person: Individu) -> int:
    url = reverse("registry:reveal_nik", args=[person.pk])
    return client_for(user).post(url, {"reason": "cek bantuan"}).status_code


def found(search: AffectedSearch) -> dict[Individu, tuple[bool, bool, bool, int]]:
    return {
        row.individu: (row.read, row.revealed, row.exported, row.events)
        for row in AffectedPerson.objects.filter(search=search).select_related("individu")
    }


@pytest.fixture
def admin(bangka):
    return privacy_admin(BANGKA)


def find(admin: User, account: User, start: datetime.datetime, **kwargs) -> AffectedSearch:
    incident = kwargs.pop("incident", None) or record_incident(actor=admin)
    return services.affected_find(
        actor=admin, incident=incident, account=account, start=start, end=timezone.now()
    )


class TestFromTheRegistryPages:
    def test_staff_account_opened_two_and_revealed_one_nik(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        a, b, c, d = (register_individu(code=LUMUT) for _ in range(4))
        opens(suspect, d)  # before the period
        AuditEvent.objects.filter(actor=suspect).update(at=timezone.now() - 3 * HOUR)
        start = timezone.now() - HOUR
        opens(suspect, a, b)
        assert reveals_nik(suspect, a) == 200
        opens(make_user(Role.PSM, LUMUT), c)  # another account's read
        search = find(admin, suspect, start)
        assert found(search) == {a: (True, True, False, 2), b: (True, False, False, 1)}
        assert (search.people, search.events) == (2, 3)
        assert search.incident.affected.count() == 2

    def test_a_psm_account_opened_two_residents_and_could_not_reveal(self, admin):
        psm = make_user(Role.PSM, LUMUT)
        a, b = register_individu(code=LUMUT), register_individu(code=LUMUT)
        outside = register_individu(code=BINTET)
        start = timezone.now() - HOUR
        opens(psm, a, b)
        assert reveals_nik(psm, a) == 403  # a PSM may not: nothing was shown, nothing logged
        not_theirs = reverse("registry:individu_detail", args=[outside.pk])
        assert client_for(psm).get(not_theirs).status_code == 404
        assert found(find(admin, psm, start)) == {
            a: (True, False, False, 1),
            b: (True, False, False, 1),
        }

    def test_opening_a_household_concerns_its_current_members(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        family = register_family(code=BINTET, members=2)
        start = timezone.now() - HOUR
        page = reverse("registry:keluarga_detail", args=[family.pk])
        assert client_for(suspect).get(page).status_code == 200
        people = set(Individu.objects.filter(keluarga=family))
        assert set(found(find(admin, suspect, start))) == people and len(people) == 3

    def test_a_merged_resident_is_counted_once_as_the_surviving_record(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        first, second = ridwan_pair()
        start = timezone.now() - HOUR
        opens(suspect, first, second)
        registry_services.duplicate_merge(
            actor=admin, candidate=DuplicateCandidate.objects.get(), keep=second
        )
        assert found(find(admin, suspect, start)) == {second: (True, False, False, 2)}

    def test_the_same_people_as_each_persons_access_history(self, admin):
        """Both directions agree: a resident is found exactly when their access history (the
        registry's page) holds a read of that account in that period."""
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        family = register_family(code=LUMUT, members=1)
        first, second = ridwan_pair(code_second=BINTET)
        loner, untouched = register_individu(code=LUMUT), register_individu(code=BINTET)
        start = timezone.now() - HOUR
        opens(suspect, loner, first)
        client_for(suspect).get(reverse("registry:keluarga_detail", args=[family.pk]))
        reveals_nik(suspect, second)
        registry_services.duplicate_merge(
            actor=admin, candidate=DuplicateCandidate.objects.get(), keep=first
        )
        search = find(admin, suspect, start)
        people = set(found(search))
        for person in Individu.objects.current():
            history = privacy.access_history(privacy.subject_records(person)).filter(
                actor=suspect, at__gte=start, at__lte=search.end, action__in=READ_ACTIONS
            )
            assert (person in people) == history.exists(), person
        assert untouched not in people and len(people) == 4


class TestRefusals:
    def test_the_same_search_twice_is_made_once(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        incident = record_incident(actor=admin)
        start, end = timezone.now() - HOUR, timezone.now()
        services.affected_find(
            actor=admin, incident=incident, account=suspect, start=start, end=end
        )
        with pytest.raises(Duplicate):
            services.affected_find(
                actor=admin, incident=incident, account=suspect, start=start, end=end
            )
        assert AffectedSearch.objects.count() == 1

    @pytest.mark.parametrize(
        ("start", "end", "field"),
        [
            (-HOUR, -2 * HOUR, "end"),
            (-HOUR, -HOUR, "end"),
            (-HOUR, HOUR, "end"),
            (None, -HOUR, "start"),
        ],
    )
    def test_a_period_that_makes_no_sense(self, admin, start, end, field):
        now = timezone.now()
        with pytest.raises(GardaError) as refused:
            services.affected_find(
                actor=admin,
                incident=record_incident(actor=admin),
                account=admin,
                start=None if start is None else now + start,
                end=now + end,
            )
        assert refused.value.field == field
        assert not AffectedSearch.objects.exists()

    def test_an_account_of_another_district_is_not_searched(self, admin):
        with pytest.raises(NotAllowed):
            find(admin, privacy_admin(OTHER_DISTRICT), timezone.now() - HOUR)

    def test_reads_recorded_in_another_district_are_not_this_incidents(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        outside = register_individu(code="19.02.01.2001")
        start = timezone.now() - HOUR
        # As if the account had held a role there too: the event is filed in 19.02.
        AuditEvent.objects.create(
            actor=suspect,
            action=Action.VIEW,
            object_type="registry.individu",
            object_id=str(outside.pk),
            wilayah_code=outside.wilayah_id,
        )
        assert found(find(admin, suspect, start)) == {}

    def test_the_list_is_fixed_once_the_subjects_were_notified(self, admin):
        incident = record_incident(actor=admin)
        search = find(admin, admin, timezone.now() - HOUR, incident=incident)
        advance(incident, Status.CONTAINED, actor=admin)
        advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
        with pytest.raises(InvalidState):
            find(admin, admin, timezone.now() - 2 * HOUR, incident=incident)
        with pytest.raises(InvalidState):
            services.affected_search_remove(actor=admin, search=search, reason="salah akun")

    def test_a_wrong_search_is_removed_with_a_reason(self, admin):
        suspect = make_user(Role.STAF_DINAS, BANGKA)
        person = register_individu(code=LUMUT)
        start = timezone.now() - HOUR
        opens(suspect, person)
        search = find(admin, suspect, start)
        with pytest.raises(GardaError):
            services.affected_search_remove(actor=admin, search=search, reason=" ")
        services.affected_search_remove(actor=admin, search=search, reason="salah akun")
        assert not AffectedSearch.objects.exists() and not AffectedPerson.objects.exists()
        removed = AuditEvent.objects.get(action=Action.DELETE, object_type="privacy.affectedsearch")
        assert (removed.reason, removed.wilayah_code) == ("salah akun", BANGKA)
