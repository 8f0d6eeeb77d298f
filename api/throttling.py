"""Requests per token: each personal access token has its own allowance, so one busy
integration does not use up its user's other tokens' or browser's."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import AccessToken


class PerTokenThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE per token, and per user for the requests of their browser's session.
    (A request that is not authenticated is refused before it is counted.)"""

    scope = "api"

    def get_rate(self) -> str:
        # Read for each request (DRF makes a throttle per request), not once at import.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, AccessToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
