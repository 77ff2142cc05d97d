"""Technical admin: the programme catalogue, read-only.

Programmes, periods and quotas are changed through Garda's own pages, whose services check the
manager's area, the version and the rules, and audit every write; the admin would bypass that.
Enrolments, distributions, proposals and objections are about people and are not shown here at
all (opening a person's record is logged only by Garda's pages).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Period, Program


class PeriodInline(admin.TabularInline):
    model = Period
    fields = ["name", "starts_on", "ends_on"]
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "wilayah", "fund_source", "kind", "target_unit", "is_active"]
    list_filter = ["fund_source", "kind", "target_unit", "is_active"]
    search_fields = ["code", "name"]
    inlines = [PeriodInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
