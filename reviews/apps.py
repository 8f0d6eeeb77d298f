from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Alignment reviews")

    def ready(self) -> None:
        # The receivers of signals: strategy's (receivers) and the tasks' (tasks).
        from reviews import receivers, tasks  # noqa: F401
