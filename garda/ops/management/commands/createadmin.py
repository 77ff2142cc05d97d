"""`manage.py createadmin USERNAME --name NAME --wilayah CODE`: the first Dinas administrator."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from garda.core.errors import GardaError
from garda.ops.services import admin_create


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # argparse needs a str, not a lazy proxy
        return _(
            "Create a Dinas administrator (role admin_dinas from today) of a kabupaten/kota or "
            "province, with a one-time password that is printed once and must be changed at "
            "the first login; the account then sets up its authenticator app. Use it for the "
            "first account of an installation (after loading the regions); later accounts are "
            "made in Garda under /akun/pengguna/baru/. Recorded in the audit trail."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help=_("Login name (letters, digits and . _ - only)."))
        parser.add_argument("--name", required=True, help=_("Full name."))
        parser.add_argument(
            "--wilayah",
            required=True,
            metavar="CODE",
            help=_("Code of the kabupaten/kota or province, e.g. 19.01."),
        )
        parser.add_argument("--email", default="", help=_("E-mail address (for password resets)."))
        parser.add_argument(
            "--superuser",
            action="store_true",
            help=_("Also give access to the Django admin (technical work)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password = admin_create(
                username=options["username"],
                name=options["name"],
                wilayah_code=options["wilayah"],
                email=options["email"],
                superuser=options["superuser"],
            )
        except GardaError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            _("Administrator %(username)s created for %(region)s.")
            % {"username": user.username, "region": user.wilayah}
        )
        self.stdout.write(
            _("One-time password (shown only now; it must be changed at the first login): %(pw)s")
            % {"pw": password}
        )
