"""Authorization matrix entries of the audit app (see garda/core/tests/matrix.py)."""

from garda.accounts.roles import Perm
from garda.core.tests.matrix import Entry, page

ENTRIES: dict[str, Entry] = {
    "audit:list": page(Perm.VIEW_AUDIT),
}
