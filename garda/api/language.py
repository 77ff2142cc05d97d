"""The API's language: `?lang=en` or `?lang=id` first, then the Accept-Language header, else
Indonesian. (Pages ignore Accept-Language and follow the user's choice; an API client has no
language switch, so it states its language per request.)"""

from django.conf import settings
from django.http import HttpRequest

AVAILABLE = {code for code, _name in settings.LANGUAGES}


def api_language(request: HttpRequest) -> str:
    chosen = request.GET.get("lang", "").strip().lower()
    if chosen in AVAILABLE:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in AVAILABLE and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else settings.LANGUAGE_CODE
