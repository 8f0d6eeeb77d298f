from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class StrategyConfig(AppConfig):
    """The strategy domain. Its label stays "alignment", the name it had when it lived in the
    project package: table names, migration history, content types and permissions
    ("alignment.edit_strategy") are keyed on the label, so none of them changes."""

    name = "strategy"
    label = "alignment"
    verbose_name = gettext_lazy("Strategy and organisation")

    def ready(self) -> None:
        from strategy import (
            languages,  # noqa: F401  (receives user_logged_in and the company settings' saves)
            sso,  # noqa: F401  (its system check of the SSO settings)
            tasks,  # noqa: F401  (receives signals.invitations_requested)
        )
