"""Rate limits per user and, for anonymous callers, per address. The rates are read at each
request from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], so settings (and tests) can change them."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    pass
