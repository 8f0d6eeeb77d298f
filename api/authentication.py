"""Who a request of the API comes from: a personal access token (here), or the browser's
session (DRF's SessionAuthentication, whose writes need the CSRF token as the pages' do)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api import services


class AccessTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer ar_…`: the request acts as the token's user (request.auth is the
    token, whose scope api.permissions.TokenScope holds)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _space, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # no token: the session may say who it is
        secret = secret.strip()
        if not secret or " " in secret:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer ar_…”.")
            )
        now = timezone.now()
        token = services.token_for_secret(secret, now=now)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _(
                    "This token is not valid: it is unknown, expired or revoked, or its user can "
                    "no longer sign in."
                )
            )
        services.token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge), not a 403.
        return f'{self.keyword} realm="api"'
