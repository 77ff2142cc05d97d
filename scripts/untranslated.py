"""List the entries of the Indonesian catalogue that still need a translator (new or fuzzy)."""

import sys

import polib

po = polib.pofile(sys.argv[1] if len(sys.argv) > 1 else "locale/id/LC_MESSAGES/django.po")
for entry in po.untranslated_entries() + po.fuzzy_entries():
    print(f"{'fuzzy' if entry.fuzzy else 'new'}\t{entry.msgid!r}\t{entry.msgstr!r}")
