from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, TemplateView, UpdateView

from garda.core.errors import GardaError
from garda.core.middleware import client_ip
from garda.core.views import (
    PartialMixin,
    ScopedActionView,
    ScopedMixin,
    ServiceFormMixin,
)

from . import selectors, services, twofactor
from .forms import (
    AssignmentForm,
    LoginForm,
    PasswordChangeForm,
    ReasonForm,
    SetPasswordForm,
    TwoFactorCodeForm,
    UserCreateForm,
    UserFilterForm,
    UserUpdateForm,
)
from .middleware import SESSION_LOGIN_AT
from .models import RoleAssignment, User
from .roles import Perm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session[SESSION_LOGIN_AT] = timezone.now().timestamp()
        services.login_succeeded(user=form.get_user())
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            services.logout_record(user=cast(User, request.user))
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:me")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.user_password_changed(user=cast(User, self.request.user))
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.user_password_changed(user=form.user)
        return response


class MeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/me.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = cast(User, self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "two_factor_active": twofactor.two_factor_confirmed(user),
        }


class TwoFactorSetupView(LoginRequiredMixin, FormView):
    """Scan the QR code with an authenticator app, then type its first code."""

    form_class = TwoFactorCodeForm
    template_name = "accounts/two_factor_setup.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = cast(User, self.request.user)
        secret = twofactor.two_factor_begin(user=user)
        uri = twofactor.provisioning_uri(user=user, secret=secret)
        return {
            **super().get_context_data(**kwargs),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": twofactor.qr_data_uri(uri),
        }

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and twofactor.two_factor_confirmed(request.user):
            return redirect("accounts:me")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: TwoFactorCodeForm) -> HttpResponse:
        return _second_factor_step(self, form, twofactor.two_factor_confirm)


class TwoFactorVerifyView(LoginRequiredMixin, FormView):
    form_class = TwoFactorCodeForm
    template_name = "accounts/two_factor_verify.html"

    def form_valid(self, form: TwoFactorCodeForm) -> HttpResponse:
        return _second_factor_step(self, form, twofactor.two_factor_verify)


def _second_factor_step(view: FormView, form: TwoFactorCodeForm, step: Any) -> HttpResponse:
    """Check a code; a wrong one counts toward the login lock-out like a wrong password."""
    request = view.request
    user = cast(User, request.user)
    try:
        step(user=user, code=form.cleaned_data["code"], session=request.session)
    except GardaError as error:
        ip = client_ip(request)
        services.login_failed(username=user.username, ip=ip)
        if services.login_is_locked(username=user.username, ip=ip):
            logout(request)
            messages.error(request, _("Too many wrong codes. Log in again later."))
            return redirect("accounts:login")
        form.add_error("code", error.message)
        return view.form_invalid(form)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("core:home")
    return redirect(next_url)


class UserListView(ScopedMixin, PartialMixin, ListView):
    model = User
    permission = Perm.MANAGE_USERS
    template_name = "accounts/user_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = UserFilterForm(self.request.GET or None, actor=self.actor)
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        return selectors.user_list(fetched_by=self.actor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "filter_form": self.filter_form}


class UserDetailView(ScopedMixin, DetailView):
    model = User
    permission = Perm.MANAGE_USERS
    template_name = "accounts/user_detail.html"
    context_object_name = "account"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        account = self.object
        return {
            **super().get_context_data(**kwargs),
            "assignments": account.assignments.select_related("wilayah").order_by("-valid_from"),
            "history": selectors.user_history(user=account, fetched_by=self.actor),
            "two_factor_active": twofactor.two_factor_confirmed(account),
        }


class UserCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = User
    permission = Perm.MANAGE_USERS
    form_class = UserCreateForm
    template_name = "accounts/user_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: UserCreateForm) -> HttpResponse:
        data = form.cleaned_data
        user, password = services.user_create(
            actor=self.actor,
            username=data["username"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            wilayah=data["wilayah"],
            role=data["role"],
            role_wilayah=data["wilayah"],
        )
        messages.success(
            self.request,
            _("Account %(username)s created. One-time password: %(password)s")
            % {"username": user.username, "password": password},
        )
        return redirect(user.get_absolute_url())


class UserUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = User
    permission = Perm.MANAGE_USERS
    form_class = UserUpdateForm
    template_name = "accounts/user_form.html"
    context_object_name = "account"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def perform(self, form: UserUpdateForm) -> HttpResponse:
        # The form has already written its values onto the instance; compare with the stored row.
        stored = User.objects.get(pk=self.object.pk)
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.user_update(
            actor=self.actor,
            user=stored,
            data=data,
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, _("Changes saved."))
        return redirect(stored.get_absolute_url())


class UserSetActiveView(ScopedActionView):
    model = User
    permission = Perm.MANAGE_USERS

    def perform(self, obj: User) -> str:
        form = ReasonForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        active = not obj.is_active
        services.user_set_active(actor=self.actor, user=obj, active=active, reason=reason)
        return _("Account activated.") if active else _("Account deactivated.")


class UserResetTwoFactorView(ScopedActionView):
    model = User
    permission = Perm.MANAGE_USERS

    def perform(self, obj: User) -> str:
        twofactor.two_factor_reset(actor=self.actor, user=obj)
        return _("The authenticator was removed; a new one is set up at the next login.")


class UserResetPasswordView(ScopedActionView):
    model = User
    permission = Perm.MANAGE_USERS

    def perform(self, obj: User) -> str:
        password = services.user_reset_password(actor=self.actor, user=obj)
        return _("New one-time password for %(username)s: %(password)s") % {
            "username": obj.username,
            "password": password,
        }


class AssignmentCreateView(ScopedMixin, ServiceFormMixin, FormView):
    model = User
    permission = Perm.MANAGE_USERS
    form_class = AssignmentForm
    template_name = "accounts/assignment_form.html"

    @cached_property
    def account(self) -> User:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return {"valid_from": timezone.localdate(), "wilayah": self.account.wilayah_id}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "actor": self.actor}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "account": self.account}

    def perform(self, form: AssignmentForm) -> HttpResponse:
        services.role_assign(actor=self.actor, user=self.account, **form.cleaned_data)
        messages.success(self.request, _("Role granted."))
        return redirect(self.account.get_absolute_url())


class AssignmentEndView(ScopedActionView):
    model = RoleAssignment
    permission = Perm.MANAGE_USERS

    def perform(self, obj: RoleAssignment) -> str:
        services.role_end(actor=self.actor, assignment=obj)
        return _("Role ended.")

    def get_success_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.object.user_id])
