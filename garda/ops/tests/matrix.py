"""Authorization matrix entries of the operations app (see garda/core/tests/matrix.py).

`/health/` is open to anybody (uptime checks, load balancers): it shows counts only. `/metrics`
answers only a scraper with the bearer token (GARDA_METRICS_TOKEN); a session grants nothing,
whatever the role, so every principal gets 401 (the token is not set in tests).
"""

from garda.core.tests.matrix import Entry, public

ENTRIES: dict[str, Entry] = {
    "ops:health": public(),
    "ops:metrics": public(ok=401),
}
