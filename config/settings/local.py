"""Developer laptop and demo: `make run`."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = True
# The demo on a laptop: Dinas logins work without an authenticator app. Production requires 2FA.
GARDA_2FA_REQUIRED = env_bool("GARDA_2FA_REQUIRED", False)
GARDA_ENV = "local"
