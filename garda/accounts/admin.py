from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fk_name = "user"
    raw_id_fields = ["wilayah"]  # ~91,000 regions after a national load: no dropdown


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Technical access for operators; day-to-day account work happens in Garda's own pages."""

    ordering = ["name"]
    list_display = ["username", "name", "wilayah", "is_active"]
    search_fields = ["username", "name"]
    list_filter = ["is_active", "is_staff"]
    fieldsets = [
        (None, {"fields": ["username", "password", "name", "email", "phone", "wilayah"]}),
        (None, {"fields": ["is_active", "is_staff", "is_superuser", "must_change_password"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "name", "password1", "password2"]})]
    inlines = [RoleAssignmentInline]
    raw_id_fields = ["wilayah"]
    filter_horizontal = []
