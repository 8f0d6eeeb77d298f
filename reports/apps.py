"""A review's reports: the CSV, XLSX and PDF writers, the report files built by a task, the
downloads and their audit trail."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The receivers of the reviews app's signals (receivers) and the tasks' (tasks).
        from reports import receivers, tasks  # noqa: F401
