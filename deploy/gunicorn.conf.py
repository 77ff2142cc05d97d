"""gunicorn for Garda: `gunicorn --config deploy/gunicorn.conf.py` (systemd/garda-web.service).

Read from the environment file (deploy/garda.env.example): GARDA_BIND, GARDA_WEB_WORKERS,
GARDA_WEB_TIMEOUT, GARDA_LOG_FORMAT, GARDA_LOG_LEVEL. systemd's RuntimeDirectory= gives the
folder for the control socket and the metrics files (RUNTIME_DIRECTORY).
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from garda.ops.logs import logging_config

wsgi_app = "config.wsgi:application"
# nginx on the same machine proxies to this address; never expose it to the network.
bind = [os.environ.get("GARDA_BIND", "127.0.0.1:8000")]
# Synchronous workers: nginx buffers slow phones' uploads and downloads, so a worker is busy
# only while Django works. 2 x cores + 1 is gunicorn's rule; each takes ~150 MB.
workers = int(os.environ.get("GARDA_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
# An official PDF or a large spreadsheet export is made inside the request.
timeout = int(os.environ.get("GARDA_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests, so slow memory growth cannot pile up.
max_requests = 10000
max_requests_jitter = 1000
# The heartbeat file of each worker in memory, not on disk (a busy disk would stall workers).
worker_tmp_dir = "/dev/shm"  # noqa: S108  # gunicorn makes its own private files in it
# X-Forwarded-Proto is trusted from nginx on this machine only (gunicorn's default, stated).
forwarded_allow_ips = "127.0.0.1,::1"

run_dir = Path(
    os.environ.get("RUNTIME_DIRECTORY") or Path(tempfile.gettempdir()) / f"garda-web-{os.getuid()}"
)
control_socket = str(run_dir / "gunicorn.ctl")
# Every worker counts its requests for /metrics in files here; a scrape adds them up
# (garda/ops/metrics.py). Set before the workers start, so prometheus_client sees it.
metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(run_dir / "metrics")))

# Garda writes one access line per request itself (logger garda.access, with the request id
# and user id), so gunicorn's own access log stays off; its error log goes the same way.
accesslog = None
errorlog = "-"
_logging = logging_config(
    log_format=os.environ.get("GARDA_LOG_FORMAT", "json"),
    level=os.environ.get("GARDA_LOG_LEVEL", "INFO"),
)
logconfig_dict = {
    **_logging,
    "loggers": {
        **_logging["loggers"],
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Counts of a previous run would be added to this one's: start from an empty folder."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, mode=0o700)
