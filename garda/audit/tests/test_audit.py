import pytest
from django.urls import reverse

from garda.accounts.models import User
from garda.accounts.roles import Role
from garda.audit.models import Action, AuditEvent
from garda.audit.services import audit_view, audited_create, audited_delete, audited_update
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, client_for, make_user
from garda.wilayah.models import Wilayah


@pytest.fixture
def admin(bangka) -> User:
    return make_user(Role.ADMIN_DINAS, BANGKA, name="Admin")


class TestAuditedWrites:
    def test_update_records_only_changed_fields_before_and_after(self, admin):
        user = make_user(Role.PSM, LUMUT, name="Siti", phone="0812")
        changed = audited_update(
            user, actor=admin, data={"name": "Siti Aminah", "phone": "0812"}, reason="typo"
        )
        assert changed == ["name"]
        event = AuditEvent.objects.get(action=Action.UPDATE)
        assert event.changes == {"name": ["Siti", "Siti Aminah"]}
        assert (event.actor, event.actor_name, event.reason) == (admin, "Admin", "typo")
        assert event.wilayah_code == LUMUT
        assert User.objects.get(pk=user.pk).name == "Siti Aminah"

    def test_update_without_change_writes_nothing(self, admin):
        user = make_user(Role.PSM, LUMUT, name="Siti")
        assert audited_update(user, actor=admin, data={"name": "Siti"}) == []
        assert not AuditEvent.objects.exists()

    def test_invalid_update_is_refused_and_not_logged(self, admin):
        from django.core.exceptions import ValidationError

        user = make_user(Role.PSM, LUMUT, name="Siti")
        with pytest.raises(ValidationError):
            audited_update(user, actor=admin, data={"email": "bukan-email"})
        assert not AuditEvent.objects.exists()
        assert User.objects.get(pk=user.pk).email == ""

    def test_create_and_delete_are_logged_with_values(self, admin):
        region = audited_create(
            Wilayah,
            actor=admin,
            code="19.01.02.2099",
            name="Desa Baru",
            level=4,
            kind="desa",
            parent_id=BELINYU,
        )
        audited_delete(region, actor=admin, reason="salah input")
        create, delete = AuditEvent.objects.order_by("id")
        assert create.changes["name"] == [None, "Desa Baru"]
        assert delete.changes["name"] == ["Desa Baru", None]
        assert delete.wilayah_code == "19.01.02.2099"
        assert not Wilayah.objects.filter(code="19.01.02.2099").exists()

    def test_reading_a_record_is_one_call(self, admin):
        person = make_user(Role.PSM, LUMUT)
        audit_view(actor=admin, obj=person, reason="verifikasi")
        event = AuditEvent.objects.get(action=Action.VIEW)
        assert (event.object_id, event.reason) == (str(person.pk), "verifikasi")


class TestAuditPage:
    def test_anonymous_goes_to_login(self, db):
        from django.test import Client

        assert Client().get(reverse("audit:list"))["Location"].startswith("/akun/masuk/")

    def test_coordinator_has_no_access(self, bangka):
        client = client_for(make_user(Role.KOORDINATOR, BELINYU))
        assert client.get(reverse("audit:list")).status_code == 403

    def test_admin_filters_by_action_and_region(self, admin):
        lumut_user = make_user(Role.PSM, LUMUT)
        bintet_user = make_user(Role.PSM, BINTET)
        audit_view(actor=admin, obj=lumut_user)
        audit_view(actor=admin, obj=bintet_user)
        audited_update(lumut_user, actor=admin, data={"phone": "0813"})
        client = client_for(admin)
        response = client.get(reverse("audit:list"), {"action": Action.VIEW, "wilayah": LUMUT})
        events = list(response.context["object_list"])
        assert [(e.action, e.wilayah_code) for e in events] == [(Action.VIEW, LUMUT)]

    def test_other_districts_events_are_invisible(self, admin):
        outsider = make_user(Role.PSM, LUMUT)
        audit_view(actor=outsider, obj=make_user(Role.ADMIN_DINAS, "19.02"))
        response = client_for(admin).get(reverse("audit:list"))
        assert all(e.wilayah_code.startswith("19.01") for e in response.context["object_list"])
        assert AuditEvent.objects.filter(wilayah_code="19.02").exists()
