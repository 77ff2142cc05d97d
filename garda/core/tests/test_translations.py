"""The Indonesian catalogue is complete and its compiled .mo matches the .po."""

from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES"


def test_indonesian_catalogue_is_complete():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    source = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
        for e in po
        if e.translated() and not e.obsolete
    }
    assert compiled == source
