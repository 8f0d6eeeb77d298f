from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Alignment reviews"

    def ready(self) -> None:
        # The receivers of signals: strategy's (receivers) and the tasks' (tasks).
        from reviews import receivers, tasks  # noqa: F401
