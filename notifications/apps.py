"""The emails and in-app notes: the deliveries, their sending, and the pages listing them."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Deliveries and in-app notifications"

    def ready(self) -> None:
        # The receivers of the reviews app's signals (receivers) and the tasks' (tasks).
        from notifications import receivers, tasks  # noqa: F401
