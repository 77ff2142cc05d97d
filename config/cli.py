"""The `garda` command: `garda wilayah load X` is `manage.py wilayah_load X`, and so on."""

import os
import sys


def _command_argv(argv: list[str]) -> list[str]:
    """Join a leading two-word command ("wilayah load") into its management command name."""
    from django.core.management import get_commands

    if len(argv) >= 3 and f"{argv[1]}_{argv[2]}" in get_commands():
        return [argv[0], f"{argv[1]}_{argv[2]}", *argv[3:]]
    return argv


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    execute_from_command_line(_command_argv(sys.argv))
