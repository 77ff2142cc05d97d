from typing import Any

from django.views.generic import ListView

from garda.accounts.roles import Perm
from garda.core.views import PartialMixin, ScopedMixin

from .forms import AuditFilterForm
from .models import AuditEvent
from .selectors import audit_list


class AuditListView(ScopedMixin, PartialMixin, ListView):
    model = AuditEvent
    permission = Perm.VIEW_AUDIT
    template_name = "audit/audit_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = AuditFilterForm(self.request.GET or None)
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        return audit_list(fetched_by=self.actor, filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "filter_form": self.filter_form}
