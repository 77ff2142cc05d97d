"""Session rules beyond Django's idle timeout: a cap on session age, two-factor authentication
for the Dinas roles, and the forced change of a one-time password."""

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .models import User
from .twofactor import session_verified, two_factor_confirmed, two_factor_required

SESSION_LOGIN_AT = "garda_login_at"
SESSION_NO_SECOND_FACTOR = "garda_no_2fa"


class AccountRulesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if self._session_too_old(request):
            logout(request)
            messages.info(request, _("Your session has ended. Please log in again."))
            return redirect(settings.LOGIN_URL)
        if request.path == reverse("accounts:logout"):
            return self.get_response(request)
        if not session_verified(request.session) and self._needs_second_factor(request):
            return self._second_factor(request)
        change_url = reverse("accounts:password_change")
        if user.must_change_password and request.path != change_url:
            messages.warning(request, _("Please choose a new password before you continue."))
            return redirect(change_url)
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request: HttpRequest) -> bool:
        """Required for Dinas roles; also for anyone who chose to set up an app. A session
        found not to need it remembers that, so it is checked once, not on every request."""
        if request.session.get(SESSION_NO_SECOND_FACTOR):
            return False
        user = cast(User, request.user)
        if two_factor_required(user) or two_factor_confirmed(user):
            return True
        request.session[SESSION_NO_SECOND_FACTOR] = True
        return False

    def _second_factor(self, request: HttpRequest) -> HttpResponse:
        """Half logged in: only the 2FA pages until the code is given."""
        user = cast(User, request.user)
        name = "two_factor_verify" if two_factor_confirmed(user) else "two_factor_setup"
        target = reverse(f"accounts:{name}")
        if request.path == target:
            return self.get_response(request)
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _session_too_old(request: HttpRequest) -> bool:
        login_at = request.session.get(SESSION_LOGIN_AT)
        if login_at is None:
            return False
        age = timezone.now().timestamp() - login_at
        return age > settings.GARDA_SESSION_MAX_AGE.total_seconds()
