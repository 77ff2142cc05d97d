"""Writes made from the server's command line, where there is no logged-in actor yet."""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from garda.accounts.forms import username_validator
from garda.accounts.models import RoleAssignment, User
from garda.accounts.roles import ROLE_LEVELS, Role
from garda.accounts.services import temporary_password
from garda.audit.services import audited_create
from garda.core.errors import GardaError
from garda.wilayah.models import Wilayah

ACTOR = "createadmin"


@transaction.atomic
def admin_create(
    *, username: str, name: str, wilayah_code: str, email: str = "", superuser: bool = False
) -> tuple[User, str]:
    """A Dinas administrator (role admin_dinas from today) of a kabupaten or province, with a
    one-time password to change at the first login. Returns the user and that password.

    This is how the first account of an installation is made; every later account is made in
    Garda by an administrator (`/akun/pengguna/baru/`). `superuser` also opens the Django admin.
    """
    wilayah = Wilayah.objects.filter(code=wilayah_code).first()
    if wilayah is None:
        raise GardaError(
            _("Region %(code)s is not loaded. Load the regions first (manage.py wilayah_load).")
            % {"code": wilayah_code},
            field="wilayah",
        )
    if wilayah.level not in ROLE_LEVELS[Role.ADMIN_DINAS]:
        raise GardaError(
            _("A Dinas administrator works for a kabupaten/kota or a province, not %(region)s.")
            % {"region": wilayah},
            field="wilayah",
        )
    try:
        username_validator(username)  # the rule of the user form in Garda
    except ValidationError as error:
        raise GardaError(" ".join(error.messages), field="username") from error
    if User.objects.filter(username__iexact=username).exists():
        raise GardaError(_("This username is already taken."), field="username")
    password = temporary_password()
    try:
        user = audited_create(
            User,
            actor=ACTOR,
            username=username,
            name=name,
            email=email,
            wilayah=wilayah,
            must_change_password=True,
            is_staff=superuser,
            is_superuser=superuser,
            password=make_password(password),
        )
    except ValidationError as error:
        raise GardaError(" ".join(error.messages)) from error
    audited_create(RoleAssignment, actor=ACTOR, user=user, role=Role.ADMIN_DINAS, wilayah=wilayah)
    return user, password
