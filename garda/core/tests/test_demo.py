"""The `demo` command: the whole Bangka demo district, its logins, and a second run that changes
nothing. SQLite only, like every demo test (the demo is for the embedded default)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from garda.accounts.demo import DEMO_PASSWORD
from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Role
from garda.activities.models import Activity, ActivityType
from garda.cases.models import EventKind
from garda.pilar.models import Pilar
from garda.wilayah.models import Level, Wilayah


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo built once for the module (it takes a while), run a second time, then
    removed: what each run printed and the counts after each."""
    with django_db_blocker.unblock(), transaction.atomic():
        first, second = io.StringIO(), io.StringIO()
        call_command("demo", stdout=first)
        counts = _counts()
        call_command("demo", stdout=second)
        yield first.getvalue(), counts, _counts()
        transaction.set_rollback(True)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (User, RoleAssignment, Wilayah, Pilar))


@pytest.mark.django_db
class TestDemo:
    def test_builds_the_district_and_prints_logins(self, demo):
        printed = demo[0]
        assert DEMO_PASSWORD in printed
        assert Wilayah.objects.filter(level=Level.DESA, code__startswith="19.01.").count() == 81
        assert RoleAssignment.objects.filter(role=Role.KOORDINATOR).count() == 8
        belinyu_psm = RoleAssignment.objects.filter(role=Role.PSM, wilayah__parent_id="19.01.02")
        assert belinyu_psm.count() == 12
        for username in ("admin", "staf", "kadis", "pemantau", "psm.lumut", "operator.lumut"):
            assert f"  {username} " in printed
            assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
        # The social pillars come after the accounts: psm.lumut is the PSM of Lumut.
        assert Pilar.objects.get(user__username="psm.lumut").wilayah_id == "19.01.02.2007"

    def test_running_twice_changes_nothing(self, demo):
        _, after_first, after_second = demo
        assert after_second == after_first

    def test_usernames_stay_unique_when_village_names_repeat(self, demo):
        riding_panjang = User.objects.filter(username__startswith="psm.riding-panjang")
        assert riding_panjang.count() == 2
        assert {u.wilayah.parent.name for u in riding_panjang} == {"Belinyu", "Merawang"}

    def test_case_handling_reports_belong_to_the_case_their_psm_handled(self, demo):
        reports = Activity.objects.filter(jenis__code=ActivityType.CASE_HANDLING)
        linked = list(reports.filter(case__isnull=False).select_related("case", "pilar"))
        assert linked, "no case-handling report names its case"
        for report in linked:
            case = report.case
            assert case is not None
            assert report.wilayah_id == case.wilayah_id
            assert report.pilar == case.handler_pilar or report.pilar.user == case.handler
            opened = case.events.get(kind=EventKind.OPENED).at
            closed = case.events.filter(kind=EventKind.CLOSED).order_by("-at").first()
            assert opened <= report.occurred_at
            assert closed is None or report.occurred_at < closed.at

    @override_settings(GARDA_2FA_REQUIRED=False)  # as in the laptop demo (config.settings.local)
    def test_each_demo_login_lands_on_its_home(self, demo):
        for username, text in (
            ("admin", "Bangka"),
            ("koord.belinyu", "Belinyu"),
            ("psm.lumut", "Lumut"),
        ):
            client = Client()
            client.post(
                reverse("accounts:login"), {"username": username, "password": DEMO_PASSWORD}
            )
            home = client.get(reverse("core:home"))
            assert home.status_code == 200, username
            assert text in home.content.decode()

    @override_settings(GARDA_ENV="production")
    def test_refuses_production_settings(self):
        before = _counts()
        with pytest.raises(CommandError):
            call_command("demo", stdout=io.StringIO())
        assert _counts() == before
