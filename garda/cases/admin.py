"""Follow-up targets and institutions are data an administrator edits here too."""

from django.contrib import admin

from .models import Institution, SlaTarget


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["urgency", "response_hours", "follow_up_days"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "wilayah", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
