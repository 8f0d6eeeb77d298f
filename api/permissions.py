"""Who may call what: the same django-rules permissions as the pages (strategy/roles.py,
reviews/rules.py), asked the same way (roles.require, which logs a refusal), and the scope of
a personal access token."""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy
from rest_framework import permissions

from api.models import AccessToken
from strategy import roles

log = logging.getLogger(__name__)


class SignedIn(permissions.IsAuthenticated):
    """Signed in, with a token or a session: anyone else is asked to authenticate (401)."""


class TokenScope(permissions.BasePermission):
    """A read-only token reads: it is refused every method that may write."""

    message = gettext_lazy(
        "This token may only read: make a token with the “read and write” scope to write."
    )

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, AccessToken) or request.method in permissions.SAFE_METHODS:
            return True
        if not token.writes:
            log.warning("refused %s %s to read-only token %s", request.method, request.path, token)
            return False
        return True


def rule(perm: str) -> type[permissions.BasePermission]:
    """A permission class asking the rules for `perm` (without an object), as a page's
    roles.require does: refused with 403 and a log line."""

    class Rule(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            roles.require(request, perm)
            return True

    Rule.__name__ = Rule.__qualname__ = f"Rule({perm})"
    return Rule
