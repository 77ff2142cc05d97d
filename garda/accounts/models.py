import uuid
from typing import Self

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from garda.core.models import BaseModel
from garda.core.scoping import ScopedQuerySet, covering_codes

from .roles import ROLE_PERMISSIONS, Role


class UserQuerySet(ScopedQuerySet):
    pass


class GardaUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    def create_user(self, username, email=None, password=None, **extra_fields):  # type: ignore[override]
        user = self.model(username=username, email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Their home region bounds who may manage the account."""

    AUDIT_MASKED_FIELDS = frozenset({"password"})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        _("username"),
        max_length=50,
        unique=True,
        help_text=_("Letters, digits and . _ - only."),
    )
    name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone / WhatsApp"), max_length=20, blank=True)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah",
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("technical admin access"), default=False)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Raised by every audited update, so two people editing at once cannot overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = GardaUserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.username

    def active_assignments(self) -> list["RoleAssignment"]:
        """Assignments in force today, loaded once per user object (so once per request)."""
        if "_active_assignments" not in self.__dict__:
            assignments = (
                list(self.assignments.active().select_related("wilayah")) if self.is_active else []
            )
            self.__dict__["_active_assignments"] = assignments
        return self.__dict__["_active_assignments"]

    def roles(self) -> set[str]:
        return {a.role for a in self.active_assignments()}

    def areas_for(self, permission: str) -> list[str]:
        return covering_codes(
            a.wilayah_id
            for a in self.active_assignments()
            if permission in ROLE_PERMISSIONS[a.role]
        )

    def has_garda_perm(self, permission: str) -> bool:
        return bool(self.areas_for(permission))

    def can_in(self, permission: str, code: str) -> bool:
        """Whether the user holds `permission` for the region `code`."""
        return any(code == a or code.startswith(a + ".") for a in self.areas_for(permission))


class RoleAssignmentQuerySet(ScopedQuerySet):
    def active(self, on=None) -> Self:
        day = on or timezone.localdate()
        return self.filter(
            Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        )


class RoleAssignment(BaseModel):
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    wilayah = models.ForeignKey(
        "wilayah.Wilayah", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    # The first day the role no longer holds; empty while it is open-ended.
    valid_to = models.DateField(_("ends on"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["-valid_from"]
        indexes = [models.Index(fields=["wilayah", "role"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_valid_range",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "wilayah"],
                condition=Q(valid_to__isnull=True),
                name="one_open_assignment_per_role_and_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.wilayah}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.valid_from <= today and (self.valid_to is None or self.valid_to > today)


class LoginAttempt(models.Model):
    """Failed logins within the throttle window; cleared for a username when it logs in."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class TwoFactorDevice(BaseModel):
    """A user's authenticator app (TOTP). The shared secret is encrypted at rest."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # The last time step whose code was accepted: a code cannot be used twice.
    last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"2FA {self.user}"
