"""gunicorn settings, read from the environment like the rest of the service."""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Requests in flight get this long to finish on SIGTERM before workers are killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Query strings up to 6 KiB must reach the application (api.md): the maximum.
limit_request_line = 8190
# Headers: at most 50 per request, each up to 8 KiB (gunicorn answers 400 beyond).
limit_request_fields = 50
limit_request_field_size = 8190
# Recycle each worker after this many requests (0, the default: never), staggered
# by up to the jitter so that workers do not restart together; bounds a slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# Empty: no access log (benchmarks; logs come from the application itself).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# The control socket is shared by every gunicorn of the user: instances must not
# interfere (several run side by side in tests and benchmarks).
control_socket_disable = True


# Metrics (prometheus-client multiprocess mode): every worker writes its samples to
# files in PROMETHEUS_MULTIPROC_DIR and `/metrics` sums them, so any worker answers
# for all. Unset, gunicorn makes a private directory (removed when it exits).
def on_starting(server):
    """Empty the metrics directory before the first worker starts (master)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = tempfile.mkdtemp(prefix="orderly-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        server.orderly_own_metrics_dir = directory
    os.makedirs(directory, exist_ok=True)
    # Files of an earlier run would be summed with this one's.
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the metrics (master)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory gunicorn made for itself (master)."""
    directory = getattr(server, "orderly_own_metrics_dir", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def post_fork(server, worker):
    """Start tracing in the worker: an exporter's thread does not survive a fork."""
    from project import tracing

    tracing.configure()
