"""The registry's writes: households and their heads, the NIK rules, moves, PPKS statuses."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, Duplicate, GardaError, InvalidState, NotAllowed
from garda.core.testing import BANGKA, BINTET, LUMUT, make_user
from garda.registry import services
from garda.registry.models import Individu, Keluarga, Move, PpksStatus, Relation
from garda.wilayah.models import Wilayah

from .factories import (
    assign_ppks,
    dinas_admin,
    next_no_kk,
    nik_for,
    pdf_upload,
    person_data,
    ppks_type,
    register_family,
    register_individu,
    register_keluarga,
)

BORN = datetime.date(1985, 7, 17)


@pytest.fixture
def admin(bangka):
    return make_user(Role.ADMIN_DINAS, BANGKA)


@pytest.fixture
def psm(bangka):
    return make_user(Role.PSM, LUMUT)


def lumut() -> Wilayah:
    return Wilayah.objects.get(code=LUMUT)


class TestHouseholdAndHead:
    def test_psm_registers_a_household_and_its_head(self, psm):
        no_kk = next_no_kk()
        keluarga = services.keluarga_register(
            actor=psm, no_kk=no_kk, wilayah=lumut(), data={"rt": "002", "dusun": "Sinar"}
        )
        nik = nik_for(BORN, "L")
        registered = services.individu_register(
            actor=psm,
            keluarga=keluarga,
            data={
                "nik": f"{nik[:6]} {nik[6:12]} {nik[12:]}",  # typed with spaces
                "name": "  Ahmad   Fauzi ",
                "sex": "L",
                "birth_date": BORN,
                "relation": Relation.KEPALA,
            },
        )
        head = registered.individu
        assert (head.nik, head.name, head.name_key) == (nik, "Ahmad Fauzi", "AHMADFAUZI")
        assert (head.wilayah_id, keluarga.wilayah_id, keluarga.rt) == (LUMUT, LUMUT, "002")
        assert registered.possible_duplicates == []
        created = AuditEvent.objects.filter(action=Action.CREATE)
        assert {e.object_type for e in created} == {"registry.keluarga", "registry.individu"}
        assert created.get(object_type="registry.individu").changes["nik"] == [None, "***"]

    def test_identifiers_are_not_stored_in_plain_text(self, psm):
        keluarga = register_keluarga(actor=psm)
        person = register_individu(keluarga=keluarga, actor=psm)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nik, nik_hash FROM registry_individu")
            stored_nik, stored_hash = cursor.fetchone()
            cursor.execute("SELECT no_kk FROM registry_keluarga")
            (stored_no_kk,) = cursor.fetchone()
        assert person.nik not in stored_nik and person.nik not in stored_hash
        assert keluarga.no_kk not in stored_no_kk
        assert Keluarga.objects.get(pk=keluarga.pk).no_kk == keluarga.no_kk

    def test_second_head_of_family_is_refused(self, psm):
        keluarga = register_family(actor=psm)
        with pytest.raises(GardaError) as refused:
            register_individu(keluarga=keluarga, actor=psm, relation=Relation.KEPALA)
        assert refused.value.field == "relation"

    def test_psm_may_not_register_in_another_desa(self, psm):
        with pytest.raises(NotAllowed):
            services.keluarga_register(
                actor=psm, no_kk=next_no_kk(), wilayah=Wilayah.objects.get(code=BINTET)
            )

    def test_household_lives_in_a_village(self, admin):
        with pytest.raises(GardaError) as refused:
            services.keluarga_register(
                actor=admin, no_kk=next_no_kk(), wilayah=Wilayah.objects.get(code="19.01.02")
            )
        assert refused.value.field == "wilayah"

    @pytest.mark.parametrize(
        "no_kk",
        ["19010201031500", "1901020103150001x", "1901990103150001"],
        ids=["too-short", "not-digits", "unknown-kecamatan-prefix"],
    )
    def test_bad_no_kk_is_an_error(self, psm, no_kk):
        with pytest.raises(GardaError) as refused:
            services.keluarga_register(actor=psm, no_kk=no_kk, wilayah=lumut())
        assert refused.value.field == "no_kk"

    def test_same_no_kk_twice_is_a_duplicate_pointing_at_the_first(self, psm):
        first = register_keluarga(actor=psm)
        with pytest.raises(Duplicate) as refused:
            services.keluarga_register(actor=psm, no_kk=first.no_kk, wilayah=lumut())
        assert refused.value.existing == first


class TestNikRules:
    def test_duplicate_nik_is_refused_with_the_existing_record(self, psm):
        first = register_individu(actor=psm)
        with pytest.raises(Duplicate) as refused:
            register_individu(actor=psm, nik=first.nik)
        assert refused.value.existing == first
        assert refused.value.field == "nik"
        assert Individu.objects.count() == 1

    def test_the_database_refuses_a_second_row_with_the_same_nik(self, psm):
        first = register_individu(actor=psm)
        clone = Individu(
            nik=first.nik,
            nik_hash=first.nik_hash,
            keluarga=first.keluarga,
            wilayah_id=LUMUT,
            relation=Relation.ANAK,
            name="Salinan",
            name_key="SALINAN",
            sex="P",
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            clone.save(force_insert=True)

    def test_a_concurrent_entry_of_the_same_nik_is_refused_not_a_crash(self, psm, monkeypatch):
        """Two PSMs saving the same NIK at once both pass the checks; the unique blind index
        stops the second, and the service says so in words."""
        first = register_individu(actor=psm)
        monkeypatch.setattr(services, "individu_check", lambda **kwargs: [])
        # In a real race the other row is not committed yet, so Django's checks pass too.
        monkeypatch.setattr(Individu, "validate_unique", lambda self, exclude=None: None)
        monkeypatch.setattr(Individu, "validate_constraints", lambda self, exclude=None: None)
        with pytest.raises(GardaError) as refused:
            register_individu(actor=psm, nik=first.nik)
        assert refused.value.field == "nik"
        assert Individu.objects.count() == 1

    @pytest.mark.parametrize(
        "nik",
        ["190102170785", "190102170785000A", "1901023207850001", "1901021707850000"],
        ids=["too-short", "letter", "no-such-date", "serial-zero"],
    )
    def test_malformed_nik_is_an_error(self, psm, nik):
        with pytest.raises(GardaError) as refused:
            register_individu(actor=psm, nik=nik, birth_date=BORN, sex="L")
        assert refused.value.field == "nik"

    def test_nik_of_an_unknown_kecamatan_is_an_error(self, psm):
        with pytest.raises(GardaError) as refused:
            register_individu(actor=psm, nik="1901991707850001", birth_date=BORN, sex="L")
        assert refused.value.field == "nik"

    @pytest.mark.parametrize(
        ("birth_date", "sex"),
        [(datetime.date(1985, 7, 18), "L"), (BORN, "P"), (datetime.date(1986, 7, 17), "L")],
        ids=["other-day", "woman-with-a-mans-nik", "other-year"],
    )
    def test_nik_disagreeing_with_the_person_needs_a_note(self, psm, birth_date, sex):
        nik = nik_for(BORN, "L")
        with pytest.raises(GardaError) as refused:
            register_individu(actor=psm, nik=nik, birth_date=birth_date, sex=sex)
        assert refused.value.field == "nik_note"
        assert not Individu.objects.filter(nik_hash=services.nik_hash(nik)).exists()
        person = register_individu(
            actor=psm,
            nik=nik,
            birth_date=birth_date,
            sex=sex,
            nik_note="Sesuai KTP; tanggal lahir di KTP salah cetak",
        )
        assert person.nik_note.startswith("Sesuai KTP")

    def test_update_with_a_stale_version_is_refused(self, psm):
        person = register_individu(actor=psm, occupation="Nelayan")
        opened = person.version
        services.individu_update(
            actor=psm, individu=person, data={"occupation": "Petani"}, expected_version=opened
        )
        stale = Individu.objects.get(pk=person.pk)
        with pytest.raises(ConcurrentEdit):
            services.individu_update(
                actor=psm, individu=stale, data={"occupation": "Buruh"}, expected_version=opened
            )
        assert Individu.objects.get(pk=person.pk).occupation == "Petani"

    def test_update_to_another_persons_nik_is_a_duplicate(self, psm):
        first = register_individu(actor=psm)
        second = register_individu(actor=psm)
        with pytest.raises(Duplicate):
            services.individu_update(
                actor=psm,
                individu=second,
                data={"nik": first.nik, "birth_date": first.birth_date, "sex": first.sex},
            )


class TestMoves:
    def test_moving_a_household_moves_its_members_and_keeps_history(self, admin):
        keluarga = register_family(code=LUMUT, actor=admin, members=2)
        away = register_individu(keluarga=keluarga, actor=admin, moved_out=True)
        move = services.keluarga_move(
            actor=admin,
            keluarga=keluarga,
            wilayah=Wilayah.objects.get(code=BINTET),
            moved_on=datetime.date(2025, 3, 1),
            reason="Pindah rumah",
        )
        keluarga.refresh_from_db()
        assert keluarga.wilayah_id == BINTET
        current = keluarga.members.exclude(pk=away.pk)
        assert {m.wilayah_id for m in current} == {BINTET}
        assert Individu.objects.get(pk=away.pk).wilayah_id == LUMUT
        assert (move.from_wilayah_id, move.to_wilayah_id, move.actor) == (LUMUT, BINTET, admin)
        assert list(Move.objects.filter(keluarga=keluarga)) == [move]
        changes = AuditEvent.objects.filter(action=Action.UPDATE, reason="Pindah rumah")
        assert changes.count() == 1 + 3  # the household and its three members at home

    def test_moving_to_where_it_lives_is_refused(self, admin):
        keluarga = register_family(code=LUMUT, actor=admin)
        with pytest.raises(GardaError) as refused:
            services.keluarga_move(
                actor=admin,
                keluarga=keluarga,
                wilayah=lumut(),
                moved_on=datetime.date(2025, 3, 1),
                reason="",
            )
        assert refused.value.field == "wilayah"

    def test_psm_cannot_move_a_household_out_of_their_desa(self, psm):
        keluarga = register_family(code=LUMUT, actor=psm)
        with pytest.raises(NotAllowed):
            services.keluarga_move(
                actor=psm,
                keluarga=keluarga,
                wilayah=Wilayah.objects.get(code=BINTET),
                moved_on=datetime.date(2025, 3, 1),
                reason="Pindah",
            )
        assert Keluarga.objects.get(pk=keluarga.pk).wilayah_id == LUMUT


class TestPpks:
    def test_assign_with_evidence_then_resolve(self, psm):
        person = register_individu(actor=psm)
        status = services.ppks_assign(
            actor=psm,
            ppks_type=ppks_type(8),
            individu=person,
            assessed_on=datetime.date(2025, 2, 1),
            note="Tinggal sendiri",
            evidence=pdf_upload(),
        )
        assert (status.wilayah_id, status.assessor, status.resolved_on) == (LUMUT, psm, None)
        assert (status.evidence.name or "").startswith("registry/ppks/")
        services.ppks_resolve(
            actor=psm, status=status, resolved_on=datetime.date(2025, 5, 1), note="Ikut anaknya"
        )
        status.refresh_from_db()
        assert status.resolved_on == datetime.date(2025, 5, 1)
        assert AuditEvent.objects.filter(object_id=str(status.pk), reason="Ikut anaknya").exists()

    def test_a_household_can_hold_a_status_too(self, psm):
        keluarga = register_family(actor=psm)
        status = assign_ppks(keluarga, number=24, actor=psm)
        assert (status.keluarga, status.individu) == (keluarga, None)

    def test_one_person_or_one_household_not_both(self, psm):
        keluarga = register_family(actor=psm)
        with pytest.raises(GardaError):
            services.ppks_assign(
                actor=psm,
                ppks_type=ppks_type(),
                assessed_on=datetime.date(2025, 1, 1),
                individu=keluarga.members.get(),
                keluarga=keluarga,
            )

    def test_the_same_active_status_twice_is_refused_until_resolved(self, psm):
        person = register_individu(actor=psm)
        status = assign_ppks(person, number=9, actor=psm)
        with pytest.raises(GardaError) as refused:
            assign_ppks(person, number=9, actor=psm)
        assert refused.value.field == "ppks_type"
        services.ppks_resolve(
            actor=psm, status=status, resolved_on=datetime.date(2025, 2, 1), note="Selesai"
        )
        assign_ppks(person, number=9, actor=psm, assessed_on=datetime.date(2025, 6, 1))
        assert PpksStatus.objects.filter(individu=person).count() == 2

    def test_assessment_in_the_future_is_refused(self, psm):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with pytest.raises(GardaError) as refused:
            assign_ppks(register_individu(actor=psm), actor=psm, assessed_on=tomorrow)
        assert refused.value.field == "assessed_on"

    def test_resolve_rules(self, psm):
        status = assign_ppks(register_individu(actor=psm), actor=psm)
        with pytest.raises(GardaError) as refused:
            services.ppks_resolve(
                actor=psm, status=status, resolved_on=datetime.date(2024, 1, 1), note=""
            )
        assert refused.value.field == "resolved_on"
        services.ppks_resolve(
            actor=psm, status=status, resolved_on=datetime.date(2025, 2, 1), note="Selesai"
        )
        with pytest.raises(InvalidState):
            services.ppks_resolve(
                actor=psm, status=status, resolved_on=datetime.date(2025, 3, 1), note="Lagi"
            )

    def test_psm_cannot_assign_outside_their_desa(self, bangka):
        person = register_individu(code=BINTET)
        with pytest.raises(NotAllowed):
            assign_ppks(person, actor=make_user(Role.PSM, LUMUT))


def test_person_data_gives_valid_distinct_residents(bangka):
    actor = dinas_admin()
    people = [register_individu(actor=actor, **person_data()) for _ in range(5)]
    assert len({p.nik for p in people}) == 5
    assert len({p.name_key for p in people}) == 5


class TestFollowUpFixes:
    """Rules added after the pages were built on the services."""

    def test_ppks_statuses_follow_a_moving_household(self, admin):
        keluarga = register_family(code=LUMUT, actor=admin)
        head = keluarga.members.get()
        personal, household = assign_ppks(head, actor=admin), assign_ppks(keluarga, actor=admin)
        services.keluarga_move(
            actor=admin,
            keluarga=keluarga,
            wilayah=Wilayah.objects.get(code=BINTET),
            moved_on=datetime.date(2025, 3, 1),
            reason="Pindah",
        )
        bintet_psm = make_user(Role.PSM, BINTET)
        visible = PpksStatus.objects.visible_to(bintet_psm, "view_people")
        assert set(visible) == {personal, household}

    def test_merge_moves_statuses_to_the_kept_desa_without_doubling_a_type(self, admin):
        keep = register_individu(code=LUMUT, actor=admin, name="Muhammad Ridwan", birth_date=BORN)
        other = register_individu(code=BINTET, actor=admin, name="Moh. Ridwan", birth_date=BORN)
        assign_ppks(keep, actor=admin, number=24)
        twin = assign_ppks(other, actor=admin, number=24)
        extra = assign_ppks(other, actor=admin, number=8)
        candidate = services.duplicates_queue(individu=other)[0]
        services.duplicate_merge(actor=admin, candidate=candidate, keep=keep)
        twin.refresh_from_db()
        extra.refresh_from_db()
        assert (extra.individu, extra.wilayah_id, extra.resolved_on) == (keep, LUMUT, None)
        assert (twin.individu, twin.resolved_on is not None) == (keep, True)
        assert keep.ppks.active().filter(ppks_type__number=24).count() == 1

    def test_common_first_names_alone_do_not_make_a_duplicate(self, admin):
        register_individu(code=LUMUT, actor=admin, name="Muhammad Yusuf", birth_date=BORN)
        ridwan = register_individu(code=LUMUT, actor=admin, name="Muhammad Ridwan", birth_date=BORN)
        assert services.duplicates_queue(individu=ridwan) == []

    def test_a_second_head_by_update_is_refused(self, admin):
        keluarga = register_family(code=LUMUT, actor=admin, members=1)
        child = keluarga.members.get(relation=Relation.ANAK)
        with pytest.raises(GardaError) as refused:
            services.individu_update(
                actor=admin, individu=child, data={"relation": Relation.KEPALA}
            )
        assert refused.value.field == "relation"

    def test_the_duplicate_message_names_nobody(self, admin):
        first = register_individu(code=BINTET, actor=admin, name="Siti Bintet")
        with pytest.raises(Duplicate) as refused:
            register_individu(code=LUMUT, actor=admin, nik=first.nik)
        assert "Siti Bintet" not in refused.value.message

    def test_resolution_note_is_kept_on_the_status(self, admin):
        status = assign_ppks(register_individu(code=LUMUT, actor=admin), actor=admin)
        services.ppks_resolve(
            actor=admin, status=status, resolved_on=datetime.date(2025, 6, 1), note="Dapat PKH"
        )
        status.refresh_from_db()
        assert status.resolution_note == "Dapat PKH"
