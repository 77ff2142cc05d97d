"""Session rules beyond Django's idle timeout: a cap on session age, forced password change."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

SESSION_LOGIN_AT = "garda_login_at"


class AccountRulesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if self._session_too_old(request):
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect(settings.LOGIN_URL)
            change_url = reverse("accounts:password_change")
            allowed = {change_url, reverse("accounts:logout")}
            if user.must_change_password and request.path not in allowed:
                messages.warning(request, _("Please choose a new password before you continue."))
                return redirect(change_url)
        return self.get_response(request)

    @staticmethod
    def _session_too_old(request: HttpRequest) -> bool:
        login_at = request.session.get(SESSION_LOGIN_AT)
        if login_at is None:
            return False
        return (
            timezone.now().timestamp() - login_at > settings.GARDA_SESSION_MAX_AGE.total_seconds()
        )
