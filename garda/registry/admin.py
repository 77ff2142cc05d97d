"""Technical admin: only the PPKS types, which are data an administrator may extend or retire.

Households, residents, PPKS statuses and duplicates are changed through Garda's own pages: their
services check the NIK rules and the user's area and audit every write, and opening a person's
record is logged. The admin would bypass all of that, and would show NIKs in full.
"""

from django.contrib import admin

from .models import PpksType


@admin.register(PpksType)
class PpksTypeAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "is_sensitive", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_sensitive", "is_active"]
    search_fields = ["name"]
    ordering = ["number"]

    def get_readonly_fields(self, request, obj=None):
        # Searches and links filter by number (?ppks=24): an existing type keeps its number.
        return ["number"] if obj is not None else []
