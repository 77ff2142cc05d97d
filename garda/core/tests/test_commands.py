"""The `garda` console command."""

from config.cli import _command_argv


def test_garda_cli_joins_two_word_commands():
    assert _command_argv(["garda", "wilayah", "load", "x.tgz"]) == [
        "garda",
        "wilayah_load",
        "x.tgz",
    ]
    assert _command_argv(["garda", "demo"]) == ["garda", "demo"]
    assert _command_argv(["garda", "migrate", "accounts"]) == ["garda", "migrate", "accounts"]
