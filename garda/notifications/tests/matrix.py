"""Authorization matrix entries of the notifications app (see garda/core/tests/matrix.py).

A notification is its recipient's alone: "own" is one addressed to the visitor, "other" one
addressed to someone else of the same role outside the visitor's area.
"""

from garda.accounts.roles import Perm, Role
from garda.core.tests.matrix import OWN, Ctx, Entry, page, scoped
from garda.notifications.models import Notification


def notification_kwargs(ctx: Ctx) -> dict[str, object]:
    if ctx.area == OWN and ctx.user is not None:
        recipient = ctx.user
    else:
        recipient = ctx.world.user_in(ctx.role or Role.PSM, ctx.code)

    def make() -> Notification:
        return Notification.objects.create(user=recipient, kind="other", text="Uji", link="/")

    return {"pk": ctx.world.once(("notification", recipient.pk), make).pk}


ENTRIES: dict[str, Entry] = {
    "notifications:list": page(Perm.VIEW_REGIONS),
    "notifications:open": scoped(Perm.VIEW_REGIONS, notification_kwargs, method="post", ok=302),
    "notifications:read_all": page(Perm.VIEW_REGIONS, method="post", ok=302),
}
