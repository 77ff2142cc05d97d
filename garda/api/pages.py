"""The page where users make and revoke their own API tokens. Making one needs a session that
passed the second factor (Dinas roles must have one; others set it up first on "My account")."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from garda.accounts.models import User
from garda.accounts.twofactor import session_verified
from garda.core.errors import GardaError

from .models import ApiToken
from .services import api_token_create, api_token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("name"),
        max_length=100,
        help_text=gettext_lazy("What will use the token, e.g. 'SIKS-NG sync'."),
    )


class TokenListView(LoginRequiredMixin, View):
    template_name = "api/tokens.html"

    def render(self, request: HttpRequest, form: TokenForm, key: str = "") -> HttpResponse:
        user = cast(User, request.user)
        response = TemplateResponse(
            request,
            self.template_name,
            {
                "form": form,
                "key": key,
                "tokens": ApiToken.objects.filter(user=user),
                "verified": session_verified(request.session),
            },
        )
        response["Cache-Control"] = "private, no-store"  # the new key must not be cached
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, TokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TokenForm(request.POST)
        if not session_verified(request.session):
            messages.error(request, _("Set up two-factor authentication before making API tokens."))
            return redirect("api:tokens")
        if form.is_valid():
            user = cast(User, request.user)
            try:
                _token, key = api_token_create(
                    actor=user, user=user, name=form.cleaned_data["name"]
                )
            except GardaError as error:
                form.add_error(error.field or "name", error.message)
            else:
                return self.render(request, TokenForm(), key=key)
        return self.render(request, form)


class TokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = get_object_or_404(ApiToken, pk=kwargs["pk"], user=request.user)
        api_token_revoke(actor=cast(User, request.user), token=token)
        messages.success(request, _("The token is revoked."))
        return redirect("api:tokens")
