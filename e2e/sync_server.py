"""A Garda server that a browser journey can stop and start again: for the journey in which the
server goes down in the middle of a phone's sync (e2e/test_server_restart_sync.py).

    python -m e2e.sync_server PORT MEDIA_ROOT

The parent process loads Django and imports every view once, then waits on stdin. For each
line "start" it forks a child that binds 127.0.0.1:PORT and serves Garda (static files too, as
`runserver --insecure` does), writing "serving <pid>" on stdout once it accepts connections.
Killing that child stops the server for real: requests in flight are cut, new ones refused.
The next "start" forks a fresh child from the loaded parent, the way gunicorn's master
replaces a worker, in a fraction of a cold start (which takes seconds on a busy CI machine).

The database is DATABASE_URL (the test run's own database); uploaded files go to MEDIA_ROOT on
disk, where the test finds them (the test settings keep files in memory, per process).
"""

import os
import signal
import sys
from typing import Any


def serve(port: int, handler: Any) -> None:
    """The child: serve until killed."""
    from django.core.servers.basehttp import run

    def announce(bound_port: object) -> None:
        print(f"serving {os.getpid()}", flush=True)

    run("127.0.0.1", port, handler, threading=True, on_bind=announce)


def main() -> None:
    port, media_root = int(sys.argv[1]), sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.conf import settings

    settings.MEDIA_ROOT = media_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.urls import get_resolver

    handler = StaticFilesHandler(get_wsgi_application())
    get_resolver().url_patterns  # noqa: B018 - import every view before forking
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children need no reaping
    for line in sys.stdin:
        if line.strip() != "start":
            continue
        connections.close_all()  # a child opens its own connections
        if os.fork() == 0:
            try:
                serve(port, handler)
            except BaseException as error:  # the test reads this instead of waiting forever
                print(f"failed {error!r}", flush=True)
            os._exit(1)


if __name__ == "__main__":
    main()
