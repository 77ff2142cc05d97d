"""The incident's workflow and its refusals, and the 72-hour deadline at its edges."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.core.errors import ConcurrentEdit, GardaError, InvalidState, NotAllowed
from garda.core.testing import BANGKA, BELINYU, OTHER_DISTRICT, make_user
from garda.wilayah.models import Wilayah

from .. import services
from ..models import DataKind, Incident, IncidentEvent, Status
from .factories import HOUR, advance, privacy_admin, record_incident

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin(bangka):
    return privacy_admin(BANGKA)


def nothing_written() -> None:
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(object_type="privacy.incident").exists()


class TestRecording:
    def test_records_a_numbered_incident_with_its_first_step(self, admin):
        incident = record_incident(actor=admin)
        year = timezone.localtime(incident.discovered_at).year
        assert incident.number == f"PDP/19.01/{year}/001"
        assert record_incident(actor=admin).number == f"PDP/19.01/{year}/002"
        assert incident.status == Status.RECORDED
        step = IncidentEvent.objects.get(incident=incident)
        assert (step.from_status, step.to_status, step.actor) == ("", Status.RECORDED, admin)

    def test_what_happened_is_encrypted_and_masked_in_the_audit_trail(self, admin):
        incident = record_incident(actor=admin, cause="Kata sandi Siti Aminah ditulis di HP")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT description, cause FROM privacy_incident WHERE id = %s",
                [incident.pk.hex if connection.vendor == "sqlite" else incident.pk],
            )
            stored = cursor.fetchone()
        assert "pasar" not in stored[0] and "Siti" not in stored[1]
        created = AuditEvent.objects.for_object(incident).get(action=Action.CREATE)
        assert created.changes["description"] == [None, "***"]
        assert created.changes["cause"] == [None, "***"]
        assert created.wilayah_code == BANGKA

    def test_discovered_in_the_future_is_refused(self, admin):
        with pytest.raises(GardaError) as refused:
            record_incident(actor=admin, discovered_at=timezone.now() + HOUR)
        assert refused.value.field == "discovered_at"
        nothing_written()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("title", "   "),
            ("description", ""),
            ("data_kinds", []),
            ("data_kinds", ["passwords"]),
            ("discovered_at", None),
        ],
    )
    def test_empty_or_unknown_required_fields_are_refused(self, admin, field, value):
        with pytest.raises(GardaError) as refused:
            record_incident(actor=admin, **{field: value})
        assert refused.value.field == field
        nothing_written()

    def test_an_incident_belongs_to_a_district_not_a_kecamatan(self, admin):
        with pytest.raises(GardaError) as refused:
            services.incident_record(
                actor=admin,
                wilayah=Wilayah.objects.get(code=BELINYU),
                title="x",
                discovered_at=timezone.now(),
                reported_by=admin,
                description="x",
                data_kinds=[DataKind.OTHER],
            )
        assert refused.value.field == "wilayah"
        nothing_written()

    @pytest.mark.parametrize("role", [Role.STAF_DINAS, Role.PIMPINAN])
    def test_only_the_dinas_administrator_records(self, bangka, role):
        with pytest.raises(NotAllowed):
            record_incident(actor=make_user(role, BANGKA))
        nothing_written()

    def test_an_administrator_of_another_district_may_not_record_here(self, bangka):
        with pytest.raises(NotAllowed):
            record_incident(BANGKA, actor=privacy_admin(OTHER_DISTRICT))
        nothing_written()

    def test_the_reporter_must_be_an_account_of_the_area(self, admin):
        with pytest.raises(NotAllowed) as refused:
            record_incident(actor=admin, reported_by=privacy_admin(OTHER_DISTRICT))
        assert refused.value.field == "reported_by"
        nothing_written()

    def test_data_kinds_are_kept_in_the_list_order(self, admin):
        incident = record_incident(
            actor=admin, data_kinds=[DataKind.CHILDREN, DataKind.IDENTITY_NUMBERS]
        )
        assert incident.data_kinds == [DataKind.IDENTITY_NUMBERS, DataKind.CHILDREN]
        assert incident.holds_specific_data


class TestSteps:
    def test_the_whole_workflow_in_order(self, admin):
        incident = record_incident(actor=admin, measures="Akun dinonaktifkan", cause="HP hilang")
        for status in (
            Status.CONTAINED,
            Status.SUBJECTS_NOTIFIED,
            Status.AUTHORITY_NOTIFIED,
            Status.CLOSED,
        ):
            incident = advance(incident, status, actor=admin, note=f"Langkah {status}")
        steps = list(incident.events.values_list("from_status", "to_status", "note"))
        assert steps == [
            ("", "recorded", ""),
            ("recorded", "contained", "Langkah contained"),
            ("contained", "subjects_notified", "Langkah subjects_notified"),
            ("subjects_notified", "authority_notified", "Langkah authority_notified"),
            ("authority_notified", "closed", "Langkah closed"),
        ]
        assert incident.subjects_notified_at and incident.authority_notified_at
        assert incident.deadline_status().met
        update = AuditEvent.objects.for_object(incident).filter(action=Action.UPDATE).first()
        assert update is not None and update.reason == "Langkah closed"

    def test_a_step_out_of_order_is_refused_and_writes_nothing(self, admin):
        incident = record_incident(actor=admin)
        with pytest.raises(InvalidState) as refused:
            advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
        assert "“contained”" in refused.value.message
        incident.refresh_from_db()
        assert (incident.status, incident.version, incident.events.count()) == (
            Status.RECORDED,
            1,
            1,
        )

    def test_the_same_step_twice_is_done_once(self, admin):
        incident = record_incident(actor=admin)
        advance(incident, Status.CONTAINED, actor=admin)
        with pytest.raises(InvalidState):
            advance(incident, Status.CONTAINED, actor=admin)
        assert incident.events.filter(to_status=Status.CONTAINED).count() == 1

    def test_a_stale_version_is_refused(self, admin):
        incident = record_incident(actor=admin)
        opened = incident.version
        services.incident_update(
            actor=admin,
            incident=incident,
            data={"measures": "Akun dinonaktifkan"},
            expected_version=opened,
        )
        with pytest.raises(ConcurrentEdit):
            services.incident_advance(
                actor=admin,
                incident=incident,
                to_status=Status.CONTAINED,
                note="x",
                expected_version=opened,
            )
        incident.refresh_from_db()
        assert incident.status == Status.RECORDED and incident.events.count() == 1

    def test_a_step_needs_a_note(self, admin):
        with pytest.raises(GardaError) as refused:
            advance(record_incident(actor=admin), Status.CONTAINED, actor=admin, note="  ")
        assert refused.value.field == "note"

    def test_the_letter_to_the_authority_needs_the_measures(self, admin):
        incident = record_incident(actor=admin)
        advance(incident, Status.CONTAINED, actor=admin)
        advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
        with pytest.raises(GardaError, match="measures"):
            advance(incident, Status.AUTHORITY_NOTIFIED, actor=admin)

    def test_closing_needs_the_cause(self, admin):
        incident = record_incident(actor=admin, measures="Akun dinonaktifkan")
        for status in (Status.CONTAINED, Status.SUBJECTS_NOTIFIED, Status.AUTHORITY_NOTIFIED):
            advance(incident, status, actor=admin)
        with pytest.raises(GardaError, match="cause"):
            advance(incident, Status.CLOSED, actor=admin)

    def test_the_time_of_a_step(self, admin):
        incident = record_incident(actor=admin, discovered_at=timezone.now() - 5 * HOUR)
        for at, field in [
            (timezone.now() + HOUR, "in the future"),
            (timezone.now() - 6 * HOUR, "before the discovery"),
        ]:
            with pytest.raises(GardaError, match=field):
                advance(incident, Status.CONTAINED, actor=admin, at=at)
        # Stopped before it was written down in Garda: that is when it was stopped.
        advance(incident, Status.CONTAINED, actor=admin, at=timezone.now() - 4 * HOUR)
        with pytest.raises(GardaError, match="previous step"):
            advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin, at=timezone.now() - 5 * HOUR)

    def test_the_head_of_office_reads_but_does_not_move_an_incident(self, admin):
        incident = record_incident(actor=admin)
        with pytest.raises(NotAllowed):
            advance(incident, Status.CONTAINED, actor=make_user(Role.PIMPINAN, BANGKA))

    def test_a_closed_incident_is_not_changed(self, admin):
        incident = record_incident(actor=admin, measures="m", cause="c")
        for status in Status.values[1:]:
            incident = advance(incident, status, actor=admin)
        with pytest.raises(InvalidState):
            advance(incident, Status.CLOSED, actor=admin)
        with pytest.raises(InvalidState):
            services.incident_update(
                actor=admin,
                incident=incident,
                data={"title": "x"},
                expected_version=incident.version,
            )

    def test_discovery_time_is_fixed_once_the_subjects_were_notified(self, admin):
        incident = record_incident(actor=admin)
        advance(incident, Status.CONTAINED, actor=admin)
        advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin)
        incident.refresh_from_db()
        with pytest.raises(InvalidState):
            services.incident_update(
                actor=admin,
                incident=incident,
                data={"discovered_at": incident.discovered_at - HOUR},
                expected_version=incident.version,
            )


class TestDeadline:
    """72 hours from discovery; the last instant is still in time."""

    T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)

    def incident(self, **times: datetime.datetime) -> Incident:
        return Incident(discovered_at=self.T0, **times)

    @pytest.mark.parametrize(
        ("elapsed", "hours_left", "overdue"),
        [
            (datetime.timedelta(hours=1), 71, False),
            (datetime.timedelta(hours=71, minutes=59), 0, False),
            (datetime.timedelta(hours=72), 0, False),
            (datetime.timedelta(hours=72, seconds=1), -1, True),
            (datetime.timedelta(hours=75, minutes=30), -4, True),
        ],
    )
    def test_hours_left_and_overdue(self, elapsed, hours_left, overdue):
        state = self.incident().deadline_status(self.T0 + elapsed)
        assert (state.hours_left, state.overdue) == (hours_left, overdue)
        assert state.due == self.T0 + datetime.timedelta(hours=72)
        assert state.subjects_in_time is None and not state.notices_sent

    def test_notices_at_the_last_instant_are_in_time(self):
        due = self.T0 + datetime.timedelta(hours=72)
        state = self.incident(subjects_notified_at=due, authority_notified_at=due).deadline_status(
            due + HOUR
        )
        assert state.met and not state.overdue

    def test_a_notice_one_second_late_is_late(self):
        due = self.T0 + datetime.timedelta(hours=72)
        late = due + datetime.timedelta(seconds=1)
        state = self.incident(subjects_notified_at=due, authority_notified_at=late).deadline_status(
            late + HOUR
        )
        assert state.subjects_in_time is True and state.authority_in_time is False
        assert state.notices_sent and not state.met and not state.overdue

    def test_overdue_while_one_notice_is_missing(self):
        due = self.T0 + datetime.timedelta(hours=72)
        state = self.incident(subjects_notified_at=due).deadline_status(due + HOUR)
        assert state.overdue and state.hours_over == 1

    def test_notice_times_recorded_through_the_steps(self, admin):
        discovered = timezone.now() - datetime.timedelta(hours=80)
        incident = record_incident(actor=admin, discovered_at=discovered, measures="m")
        due = discovered + datetime.timedelta(hours=72)
        advance(incident, Status.CONTAINED, actor=admin, at=discovered + HOUR)
        advance(incident, Status.SUBJECTS_NOTIFIED, actor=admin, at=due)
        incident.refresh_from_db()
        assert incident.deadline_status().overdue  # the authority has not been told
        advance(incident, Status.AUTHORITY_NOTIFIED, actor=admin, at=due + HOUR)
        incident.refresh_from_db()
        state = incident.deadline_status()
        assert (state.subjects_in_time, state.authority_in_time, state.overdue) == (
            True,
            False,
            False,
        )
