"""The sustained-alignment signals (docs/signals.md): the formulas, the board that feeds
them, their settings and pages. Named sustain so as not to clash with Django's signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SustainConfig(AppConfig):
    name = "sustain"
    verbose_name = _("Sustained alignment")

    def ready(self) -> None:
        # The receivers of the reviews app's signals (receivers) and the tasks' (tasks).
        from sustain import receivers, tasks  # noqa: F401
