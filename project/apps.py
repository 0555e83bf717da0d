"""App config of the project: observability wired in once the apps are ready."""

import os

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "project"
    label = "orderly_project"
    verbose_name = "Orderly wiring"

    def ready(self) -> None:
        # prometheus-client's multiprocess mode writes to the directory from the
        # first metric on, and commands (migrate) may run before gunicorn makes it.
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Imported here, not at the top: both wrap classes of business and data,
        # whose modules need the models loaded.
        from project import metrics, tracing

        metrics.install()
        tracing.configure()
