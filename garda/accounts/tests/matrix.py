"""Authorization matrix entries of the accounts app (see garda/core/tests/matrix.py)."""

from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import Perm, Role
from garda.core.testing import make_user
from garda.core.tests.matrix import LOGIN, Ctx, Entry, everyone, page, public, scoped


def user_in(ctx: Ctx) -> User:
    """A user whose home region is the object's region (a village operator there)."""
    return ctx.world.once(("account", ctx.code), lambda: make_user(Role.OPERATOR_DESA, ctx.code))


def user_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": user_in(ctx).pk}


def assignment_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": RoleAssignment.objects.get(user=user_in(ctx)).pk}


users = Perm.MANAGE_USERS
# Pages that answer a logged-in user by sending them home.
HOME = 302

ENTRIES: dict[str, Entry] = {
    "accounts:login": public(over={str(role): HOME for role in Role}),
    "accounts:logout": public(method="post", ok=302),
    "accounts:me": everyone(),
    "accounts:password_change": everyone(),
    "accounts:password_reset": public(),
    "accounts:password_reset_done": public(),
    # A made-up link: the page says the link is no longer valid.
    "accounts:password_reset_confirm": public(
        build=lambda ctx: {"uidb64": "MQ", "token": "set-password"}
    ),
    "accounts:password_reset_complete": public(),
    "accounts:two_factor_verify": everyone(),
    "accounts:two_factor_setup": everyone(),
    "accounts:user_list": page(users),
    "accounts:user_create": page(users),
    "accounts:user_detail": scoped(users, user_kwargs),
    "accounts:user_update": scoped(users, user_kwargs),
    "accounts:user_set_active": scoped(users, user_kwargs, method="post", ok=302),
    "accounts:user_reset_password": scoped(users, user_kwargs, method="post", ok=302),
    "accounts:user_reset_two_factor": scoped(users, user_kwargs, method="post", ok=302),
    "accounts:assignment_create": scoped(users, user_kwargs),
    "accounts:assignment_end": scoped(users, assignment_kwargs, method="post", ok=302),
}
_ = LOGIN
