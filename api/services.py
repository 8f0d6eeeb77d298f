"""Personal access tokens: made, found, used and revoked; and the answers kept for requests sent
with an Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import AccessToken, IdempotentRequest

# Tells a token apart from other secrets (secret scanners can look for it).
TOKEN_PREFIX = "ar_"  # noqa: S105  (a prefix, not a secret)
SHOWN_CHARACTERS = 8  # of the secret, after the prefix: how a token is named after it is made
MAX_ACTIVE_TOKENS = 20  # per user
LAST_USE_PRECISION = timedelta(minutes=1)  # last_used_at is written at most once a minute
IDEMPOTENCY_WINDOW = timedelta(days=30)  # a key is remembered this long


def token_digest(secret: str) -> str:
    """SHA-256 of the whole token. The token is 32 random bytes, not a password someone chose:
    nobody can guess it from its digest, so a fast hash is enough (and a lookup by digest,
    indexed, is one query)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user, name: str, scope: str, expires_at: datetime) -> tuple[AccessToken, str]:
    """A new token of `user` and its secret, which is shown once and kept nowhere."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name.strip(),
        scope=scope,
        expires_at=expires_at,
        prefix=secret[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        digest=token_digest(secret),
    )
    return token, secret


def token_revoke(*, token: AccessToken, by) -> bool:
    """Revoke the token from now on; revoking twice keeps the first revocation (False)."""
    won = AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return won == 1


def token_for_secret(secret: str, *, now: datetime) -> AccessToken | None:
    """The active token with this secret, its user read with it; None for any other string."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        AccessToken.objects.active(now=now)
        .select_related("user")
        .filter(digest=token_digest(secret))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def token_touch(*, token: AccessToken, now: datetime) -> None:
    """Record that the token was used now, to the minute: one UPDATE a minute at most, however
    many requests it makes."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_PRECISION:
        return
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


# --- Idempotency keys ------------------------------------------------------------------------


def request_digest(payload) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_answer(*, user, endpoint: str, key: str, now: datetime):
    """The answer kept for this key, or None; a key older than IDEMPOTENCY_WINDOW is forgotten
    (deleted, so that it can be used again)."""
    kept = IdempotentRequest.objects.filter(user=user, endpoint=endpoint, key=key).first()
    if kept is not None and now - kept.created_at > IDEMPOTENCY_WINDOW:
        kept.delete()
        return None
    return kept


def idempotent_keep(*, user, endpoint: str, key: str, digest: str, status: int, response) -> bool:
    """Keep the answer to a request; False when another request with the same key was answered
    first (the caller's transaction must then be rolled back: the first one's writes stand)."""
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                user=user,
                endpoint=endpoint,
                key=key,
                request_digest=digest,
                status=status,
                response=response,
            )
    except IntegrityError:
        return False
    return True
