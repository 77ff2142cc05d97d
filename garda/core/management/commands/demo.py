"""`garda demo`: a deterministic Bangka district to try Garda with. Never on production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from garda.accounts.demo import DEMO_PASSWORD, build_demo_accounts
from garda.activities.demo import build_demo_activities
from garda.cases.demo import build_demo_cases
from garda.monitoring.demo import build_demo_monitoring
from garda.pilar.demo import build_demo_pillars
from garda.programs.demo import build_demo_programs, build_demo_proposals
from garda.registry.demo import build_demo_residents
from garda.wilayah.loader import BANGKA_SOURCE, wilayah_load


class Command(BaseCommand):
    help = "Load the Bangka demo district and print the demo logins."

    def handle(self, *args, **options) -> None:
        if settings.GARDA_ENV == "production":
            raise CommandError(_("The demo data must never be loaded with production settings."))
        with transaction.atomic():
            wilayah_load(source=BANGKA_SOURCE, scope="19.01")
            logins = build_demo_accounts()
            pillars = build_demo_pillars()
            build_demo_residents()
            programs = build_demo_programs()
            proposals = build_demo_proposals()
            cases = build_demo_cases()
            activities = build_demo_activities()
            monitoring = build_demo_monitoring()
        self.stdout.write(self.style.SUCCESS(_("Demo data ready.")))
        self.stdout.write(
            _("Social pillar members: %(members)s (%(created)s new).")
            % {"members": pillars.members, "created": pillars.created}
        )
        self.stdout.write(
            _(
                "Programme participants: %(enrolments)s (%(created)s new); "
                "distributions: %(distributions)s."
            )
            % {
                "enrolments": programs.enrolments,
                "created": programs.created,
                "distributions": programs.distributions,
            }
        )
        self.stdout.write(
            _("Proposals in Desa Lumut: %(proposals)s; objections: %(objections)s.")
            % {"proposals": proposals.proposals, "objections": proposals.objections}
        )
        self.stdout.write(
            _("Social cases: %(cases)s (%(created)s new).")
            % {"cases": cases.cases, "created": cases.created}
        )
        self.stdout.write(
            _("Activity reports: %(reports)s (%(created)s new); meetings: %(meetings)s.")
            % {
                "reports": activities.reports,
                "created": activities.created,
                "meetings": activities.meetings,
            }
        )
        self.stdout.write(
            _("Performance figures: %(rows)s monthly indicator values.")
            % {"rows": monitoring.rollup_rows}
        )
        self.stdout.write(_("Every demo login uses the password: %s") % DEMO_PASSWORD)
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login.username:<{width}}  {login.role.label:<36}  {login.region.name}"
            )
