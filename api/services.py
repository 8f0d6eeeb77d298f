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


def idempotent_claim(*, user, endpoint: str, key: str, digest: str) -> IdempotentRequest | None:
    """Claim the key for this request, in the caller's transaction (which must stay open until
    the answer is kept): None when another request with the key was answered first, whose
    answer the caller then gives. A request with the key still running makes this wait until it
    ends, as the key's row is unique: the same request sent twice at once is done once."""
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=user, endpoint=endpoint, key=key, request_digest=digest, status=0, response={}
            )
    except IntegrityError:
        return None


def idempotent_keep(*, claim: IdempotentRequest, status: int, response) -> None:
    """Keep the answer to the request that claimed the key. A refused request keeps nothing:
    its transaction, claim included, is rolled back, and the key may be sent again."""
    claim.status, claim.response = status, response
    claim.save(update_fields=["status", "response"])
