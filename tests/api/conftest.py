"""Clients of the API: with a personal access token of a person, or their browser session."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from api.models import AccessToken


@pytest.fixture(autouse=True)
def _room_for_many_requests(settings):
    """Tests send more requests than a token may in a minute; the throttle's tests set less."""
    settings.API_THROTTLE_RATE = "10000/minute"


def make_token(user, *, scope=AccessToken.Scope.WRITE, days: int = 30, name: str = "Tests"):
    return services.token_create(
        user=user, name=name, scope=scope, expires_at=timezone.now() + timedelta(days=days)
    )


@pytest.fixture
def api():
    """api(user, scope="write"): an APIClient sending a new token of `user` (anonymous: None)."""

    def _client(user=None, scope=AccessToken.Scope.WRITE) -> APIClient:
        client = APIClient()
        if user is not None:
            _, secret = make_token(user, scope=scope)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return _client
