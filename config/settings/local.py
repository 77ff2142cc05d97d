"""Developer laptop and demo: `make run`."""

from .base import *  # noqa: F403

DEBUG = True
GARDA_ENV = "local"
