"""Authorization matrix entries of the regions app (see garda/core/tests/matrix.py)."""

from garda.accounts.roles import Perm
from garda.core.tests.matrix import Ctx, Entry, page, scoped

ENTRIES: dict[str, Entry] = {
    "wilayah:list": page(Perm.VIEW_REGIONS),
    "wilayah:detail": scoped(Perm.VIEW_REGIONS, lambda ctx: {"pk": ctx.code}),
}
_ = Ctx
