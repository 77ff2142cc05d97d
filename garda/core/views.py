"""The scoped view mixin every page of people's data uses (and its variant for pages about an
area and a month), the home pages and the error pages."""

import datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View
from django.views.generic.detail import SingleObjectMixin

from garda.wilayah.models import Level, Wilayah

from .errors import GardaError
from .periods import first_of_month, month_label, next_month, parse_month, previous_month

if TYPE_CHECKING:
    from garda.accounts.models import User
from .selectors import home_context, home_kind


class ScopedMixin(LoginRequiredMixin):
    """Anonymous -> login; no role granting `permission` -> 403; row outside the areas -> 404.

    `get_queryset` is the only way a scoped view reaches its rows, so a detail view of an
    out-of-area object finds nothing and answers 404, like a missing one.
    """

    permission: str
    model: Any
    request: HttpRequest

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not request.user.has_garda_perm(self.permission):
            raise PermissionDenied(_("Your role does not allow this page."))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def actor(self) -> "User":
        """The logged-in user (LoginRequiredMixin has already turned anonymous visitors away)."""
        return cast("User", self.request.user)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.actor, self.permission)


class AreaMixin(ScopedMixin):
    """`area`: the region asked for in ?wilayah= if the reader may see it for `permission`,
    else the reader's own (widest, still in use) area. `month`: from ?bulan=."""

    model = Wilayah
    lowest_level = Level.DESA

    def get_area(self) -> Wilayah:
        code = self.request.GET.get("wilayah", "").strip()
        if not code:
            areas = self.reader_areas()
            if not areas:
                raise Http404
            return min(areas, key=lambda a: (len(a.code), a.code))
        area = (
            Wilayah.objects.visible_to(self.actor, self.permission)
            .filter(code=code, is_active=True, level__lte=self.lowest_level)
            .select_related("parent")
            .first()
        )
        if area is None:
            raise Http404
        return area

    def get_month(self) -> datetime.date:
        return parse_month(self.request.GET.get("bulan"))

    def get_year(self) -> int | None:
        """?tahun=YYYY asks for a whole year instead of a month."""
        text = self.request.GET.get("tahun", "").strip()
        if text.isdigit() and 2000 <= int(text) <= timezone.localdate().year:
            return int(text)
        return None

    def reader_areas(self) -> list[Wilayah]:
        """The reader's own areas for `permission` (the widest of each branch)."""
        codes = self.actor.areas_for(self.permission)
        areas = Wilayah.objects.filter(code__in=codes, is_active=True, level__lte=self.lowest_level)
        return list(areas.select_related("parent").order_by("code"))

    def ancestors(self, area: Wilayah) -> list[Wilayah]:
        chain: list[Wilayah] = []
        parent = area.parent
        while parent is not None and self.actor.can_in(self.permission, parent.code):
            chain.insert(0, parent)
            parent = parent.parent
        return chain

    def period_context(self, month: datetime.date) -> dict[str, Any]:
        return {
            "month": month,
            "month_label": month_label(month),
            "month_value": f"{month:%Y-%m}",
            "previous_month": f"{previous_month(month):%Y-%m}",
            "next_month": f"{next_month(month):%Y-%m}"
            if next_month(month) <= first_of_month(timezone.localdate())
            else "",
        }


class PartialMixin:
    """Render only the named partial of the template for htmx requests (filters, paging)."""

    partial_name = "results"
    request: HttpRequest

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()  # type: ignore[misc]
        if self.request.headers.get("HX-Request") and not self.request.headers.get(
            "HX-History-Restore-Request"
        ):
            return [f"{name}#{self.partial_name}" for name in names]
        return names


class HomeView(LoginRequiredMixin, TemplateView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            **home_context(cast("User", self.request.user)),
        }

    def get_template_names(self) -> list[str]:
        return [f"core/home_{home_kind(cast('User', self.request.user))}.html"]


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the failure may have come from the database the context needs.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


class ServiceFormMixin:
    """Forms whose valid data go to a service: a typed refusal becomes a form error, not a 500."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            response = self.perform(form)
        except GardaError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.form_invalid(form)  # type: ignore[attr-defined]
        return response

    def perform(self, form: Any) -> HttpResponse:
        raise NotImplementedError


class ScopedActionView(ScopedMixin, SingleObjectMixin, View):
    """A POST-only action on one scoped object (deactivate, end a role): service, message, back."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        try:
            message = self.perform(self.object)
        except GardaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, message)
        return redirect(self.get_success_url())

    def perform(self, obj: Any) -> str:
        raise NotImplementedError

    def get_success_url(self) -> str:
        return self.object.get_absolute_url()
