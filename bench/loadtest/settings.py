"""The load test's settings: production's, served over plain HTTP on 127.0.0.1.

TLS is the reverse proxy's job (nginx), and the load client cannot send cookies marked Secure
over plain HTTP, so the bench turns off the HTTPS redirect and the Secure cookie flags (the
`__Host-` names need Secure). Everything else is production: DEBUG off, manifest static files,
the password hasher, 2FA for the Dinas roles, the shared cache, the middleware, the logs.
"""

from config.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
# The bare view (the baseline) beside every Garda URL.
ROOT_URLCONF = "bench.loadtest.urls"
