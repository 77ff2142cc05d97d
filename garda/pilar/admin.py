"""Technical admin: only the pillar types, which are data an administrator extends.

Members, decrees and trainings are changed through Garda's own pages, whose services audit every
write and whose profile view logs every opening; the admin would bypass both.
"""

from django.contrib import admin

from .models import PilarType


@admin.register(PilarType)
class PilarTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_organisation", "area_level", "is_active", "order"]
    list_editable = ["is_active", "order"]
    list_filter = ["is_organisation", "area_level", "is_active"]
    search_fields = ["name", "code"]
    ordering = ["order", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Other pages link by code (?jenis=psm) and code refers to "psm" and "tksk": keep it.
        return ["code"] if obj is not None else []
