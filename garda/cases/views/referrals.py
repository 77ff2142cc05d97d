"""Referrals of a case: sending one, recording the answer and the outcome, and the referral
letter as a PDF with the office letterhead."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from garda.audit.services import audit_view
from garda.core.pdf import render_pdf
from garda.core.views import ScopedMixin

from .. import services
from ..forms import NoteForm, ReferralAnswerForm, ReferralForm
from ..models import Case, Referral
from ..selectors import READ_PERMISSION
from .workflow import CaseActionView


class ReferralAddView(CaseActionView):
    form_class = ReferralForm
    template_name = "cases/referral_form.html"
    title = gettext_lazy("Refer the case")
    intro = gettext_lazy("To Dinas Sosial, another social pillar, or an institution.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "case": self.case}

    def perform(self, form: ReferralForm) -> Any:
        data = form.cleaned_data
        referral = services.referral_send(
            actor=self.actor,
            case=self.case,
            target=data["target"],
            institution=data.get("institution"),
            pilar=data.get("pilar"),
            reason=data["reason"],
        )
        return self.done(
            _("Referral %(number)s to %(target)s sent. Print the letter from the case page.")
            % {"number": referral.number, "target": referral.target_name}
        )


class ReferralStepView(CaseActionView):
    """A step on one referral of the case, found through the scoped referrals."""

    referral: Referral

    def get_case(self) -> Case:
        referrals = Referral.objects.visible_to(self.actor, self.permission).select_related(
            "case__wilayah", "case__handler", "institution", "pilar"
        )
        self.referral = get_object_or_404(
            referrals, pk=self.kwargs["referral_id"], case_id=self.kwargs["pk"]
        )
        self.intro = f"{self.referral.number} → {self.referral.target_name}"
        return self.referral.case


class ReferralAnswerView(ReferralStepView):
    form_class = ReferralAnswerForm
    title = gettext_lazy("Record the answer to the referral")

    def perform(self, form: ReferralAnswerForm) -> Any:
        services.referral_answer(
            actor=self.actor,
            referral=self.referral,
            accepted=form.cleaned_data["accepted"],
            note=form.cleaned_data["note"],
        )
        return self.done(_("Answer recorded."))


class ReferralCompleteView(ReferralStepView):
    form_class = NoteForm
    title = gettext_lazy("Record the outcome of the referral")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "label": gettext_lazy("outcome")}

    def perform(self, form: NoteForm) -> Any:
        services.referral_complete(
            actor=self.actor, referral=self.referral, note=form.cleaned_data["note"]
        )
        return self.done(_("The referral is completed."))


class ReferralLetterView(ScopedMixin, DetailView):
    """The referral letter (surat rujukan), a PDF with the letterhead. Opening it is logged."""

    model = Referral
    permission = READ_PERMISSION
    pk_url_kwarg = "referral_id"

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .filter(case_id=self.kwargs["pk"])
            .select_related(
                "case__wilayah__parent",
                "case__ppks_type",
                "case__handler",
                "institution",
                "pilar",
                "sent_by",
            )
        )

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        referral: Referral = self.object
        audit_view(actor=self.actor, obj=referral.case, reason=_("Referral letter"))
        pdf = render_pdf(
            "cases/pdf_referral_letter.html",
            {
                "referral": referral,
                "case": referral.case,
                "subjects": list(referral.case.subjects.all()),
            },
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        name = "surat-rujukan-" + referral.number.replace("/", "-").lower()
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("<uuid:pk>/rujuk/", ReferralAddView.as_view(), name="referral_add"),
    path(
        "<uuid:pk>/rujukan/<uuid:referral_id>/jawaban/",
        ReferralAnswerView.as_view(),
        name="referral_answer",
    ),
    path(
        "<uuid:pk>/rujukan/<uuid:referral_id>/hasil/",
        ReferralCompleteView.as_view(),
        name="referral_complete",
    ),
    path(
        "<uuid:pk>/rujukan/<uuid:referral_id>/surat.pdf",
        ReferralLetterView.as_view(),
        name="referral_letter",
    ),
]
