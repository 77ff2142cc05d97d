"""Indicators are data a technical administrator may add here (a new indicator of an existing
source, e.g. the count of another activity type); weights and targets are edited in the app."""

from django.contrib import admin

from .models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "source", "unit", "direction", "weight", "is_active"]
    list_filter = ["source", "is_active"]
    search_fields = ["code", "name"]
