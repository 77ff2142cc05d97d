"""Make an API token for a user (for a technical administrator on the server). The key is
printed once and not stored."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garda.accounts.models import User
from garda.api.services import api_token_create
from garda.core.errors import GardaError


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print its key once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what will use the token")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}.") from None
        try:
            token, key = api_token_create(actor=None, user=user, name=options["name"])
        except GardaError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Token {token.pk} ({token.name}) for {user.username}:")
        self.stdout.write(key)
