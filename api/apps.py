from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/v1/, its personal access tokens and its documentation page: the
    top app, reading every domain app below it (docs/architecture.md, docs/api.md)."""

    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
