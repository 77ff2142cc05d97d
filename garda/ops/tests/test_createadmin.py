"""`manage.py createadmin`: the first Dinas administrator, in one step and audited."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Role
from garda.audit.models import AuditEvent
from garda.core.testing import BANGKA, LUMUT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def createadmin(*args: str) -> str:
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_creates_an_administrator_of_the_district_with_a_one_time_password(district, client):
    printed = createadmin("admin.dinsos", "--name", "Rina Marlina", "--wilayah", BANGKA)

    user = User.objects.get(username="admin.dinsos")
    password = printed.rsplit(": ", 1)[1].strip()
    assert user.check_password(password) and user.must_change_password
    assert user.wilayah_id == BANGKA and not user.is_staff
    assert [(a.role, a.wilayah_id, a.valid_to) for a in user.assignments.all()] == [
        (Role.ADMIN_DINAS, BANGKA, None)
    ]
    events = AuditEvent.objects.filter(actor_name="createadmin")
    assert {e.object_type for e in events} == {"accounts.user", "accounts.roleassignment"}
    assert password not in str([e.changes for e in events])
    response = client.post(
        reverse("accounts:login"), {"username": "admin.dinsos", "password": password}
    )
    assert response.status_code == 302  # in; on to the authenticator set-up and a new password


def test_superuser_also_opens_the_django_admin(district):
    createadmin("teknis", "--name", "Tim TI", "--wilayah", BANGKA, "--superuser")
    user = User.objects.get(username="teknis")
    assert user.is_staff and user.is_superuser


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("budi", "--name", "Budi", "--wilayah", "99.99"), "Region 99.99 is not loaded"),
        (("budi", "--name", "Budi", "--wilayah", LUMUT), "kabupaten/kota or a province"),
        (("ADMIN", "--name", "Budi", "--wilayah", BANGKA), "already taken"),
        (("budi santoso", "--name", "Budi", "--wilayah", BANGKA), "Use only letters, digits"),
    ],
    ids=["unknown-region", "desa", "taken-username", "bad-username"],
)
def test_refusals_are_clear_and_write_nothing(district, args, message):
    createadmin("admin", "--name", "Yang Pertama", "--wilayah", BANGKA)
    counts = (User.objects.count(), RoleAssignment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError, match=message):
        createadmin(*args)
    assert counts == (
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    )
