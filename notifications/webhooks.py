"""Webhooks: where they may go, how they are signed, what they say, and the one request.

notify.py writes a webhook's delivery row (with its body) when an event happens and sends it
like an email: claimed, attempted, retried with backoff, failed after its attempts. This module
reads no delivery and imports no other module of the app.

The signature follows the Standard Webhooks specification (https://www.standardwebhooks.com/):
`Webhook-Signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed by the bytes
that the secret's base64 part after `whsec_` decodes to. docs/api.md shows how to check it.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import ssl
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

SECRET_PREFIX = "whsec_"  # noqa: S105  (the secrets' prefix, not a secret)
SECRET_BYTES = 32  # a new secret's key
MIN_SECRET_BYTES = 24  # an admin's own secret's key, at least
USER_AGENT = "AlignmentReviews-Webhooks/1"
ANSWER_BYTES = 2000  # of an answer's body, kept in the error


# --- Where they may go -----------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host: str) -> bool:
    """The host is one the operator allowed (WEBHOOK_ALLOWED_HOSTS): the very name, or under a
    domain given with a leading dot."""
    host = host.lower().rstrip(".")
    for allowed in settings.WEBHOOK_ALLOWED_HOSTS:
        if allowed.startswith("."):
            if host == allowed[1:] or host.endswith(allowed):
                return True
        elif host == allowed:
            return True
    return False


def url_problem(url: str) -> str | None:
    """Why a webhook may not be sent to `url`, or None when it may: it must be https (plain
    http only to a loopback address when WEBHOOK_ALLOW_HTTP_LOOPBACK is on), carry no user or
    password, and name an allowed host. Asked when an endpoint is saved and before each send."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        return _("This is not a valid URL.")
    if parts.scheme not in ("https", "http"):
        return _("The URL must start with https://.")
    if not host:
        return _("The URL has no host.")
    if parts.username or parts.password:
        return _(
            "The URL must not hold a user name or a password: the signature proves the sender."
        )
    if not host_allowed(host):
        allowed = ", ".join(settings.WEBHOOK_ALLOWED_HOSTS) or pgettext("no hosts", "none")
        # Translators: WEBHOOK_ALLOWED_HOSTS is a setting's name; keep it as it is.
        return _(
            "Webhooks may not go to %(host)s: the hosts allowed (WEBHOOK_ALLOWED_HOSTS) are "
            "%(allowed)s."
        ) % {"host": host, "allowed": allowed}
    if parts.scheme == "http" and not (_is_loopback(host) and settings.WEBHOOK_ALLOW_HTTP_LOOPBACK):
        return _(
            "The URL must start with https:// (plain http only to this machine, in development)."
        )
    return None


# --- Secrets and signatures ------------------------------------------------------------------


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the bytes its base64 part decodes to (ValueError if none)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(_("A secret starts with %(prefix)s.") % {"prefix": SECRET_PREFIX})
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as exc:
        raise ValueError(_("The part after whsec_ is not base64.")) from exc


def signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(
            secret=secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }


def body_of(payload: dict) -> bytes:
    """The bytes sent (and signed): compact JSON, the same for every attempt."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# --- What they say ---------------------------------------------------------------------------


def _api(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _page(path: str) -> str:
    return settings.SITE_URL + path


def payload(*, event_id: str, event: str, now: datetime, data: dict) -> dict:
    """The body of an event: its id (the Webhook-Id header too), type, time and resource."""
    return {
        "id": event_id,
        "type": event,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def cycle_data(cycle) -> dict:
    return {
        "id": cycle.pk,
        "label": cycle.label,
        "state": cycle.state,
        "url": _api("api:cycle-detail", cycle.pk),
        "results_url": _api("api:cycle-results", cycle.pk),
        "page_url": _page(cycle.get_absolute_url()),
    }


def check_data(check, *, team_name: str) -> dict:
    return {
        "id": check.pk,
        "state": check.state,
        "version": check.version,
        "url": _api("api:check-detail", check.pk),
        "team": {
            "id": check.unit_id,
            "name": team_name,
            "url": _api("api:unit-detail", check.unit_id),
        },
    }


def signal_data(signal: dict) -> dict:
    """A signal of the board (sustain.board's dict)."""
    team, objective = signal.get("team"), signal.get("objective")
    return {
        "kind": signal["kind"],
        "label": signal["label"],
        "subject": signal["subject"],
        "reason": signal["reason"],
        "team": {"id": team, "url": _api("api:unit-detail", team)} if team else None,
        "objective": (
            {"id": objective, "url": _api("api:objective-detail", objective)} if objective else None
        ),
        "page_url": _page(signal["link"]) if signal.get("link", "").startswith("/") else "",
        "signals_url": _api("api:signal-list"),
    }


def report_data(report) -> dict:
    return {
        "id": report.pk,
        "format": report.format,
        "state": report.state,
        "download_url": _page(reverse("reports:report-download", args=[report.pk])),
    }


# --- The request -----------------------------------------------------------------------------


@dataclass
class Answer:
    """What a request got: an HTTP status (None when no answer came: `error` says why), the
    seconds a 429 or 503 asked to wait (Retry-After), and where a redirect pointed."""

    status: int | None
    error: str = ""
    retry_after: float | None = None
    location: str = ""


def _retry_after(value: str | None, *, now: datetime) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def post(*, url: str, body: bytes, headers: dict[str, str], now: datetime) -> Answer:
    """POST `body` to `url` once. Never follows a redirect (http.client does not) and uses no
    proxy from the environment. Connecting, sending and each wait for the answer have
    WEBHOOK_TIMEOUT_SECONDS; of the answer's body only the first ANSWER_BYTES are read."""
    parts = urlsplit(url)
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(ANSWER_BYTES).decode("utf-8", "replace")
        status = response.status
        answer = Answer(
            status,
            error=f"HTTP {status} {response.reason}: {text}".strip(" :"),
            retry_after=_retry_after(response.getheader("Retry-After"), now=now),
            location=response.getheader("Location") or "",
        )
    except TimeoutError as exc:
        return Answer(None, error=f"No answer within {timeout:g} s ({exc.__class__.__name__}).")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, error=f"{exc.__class__.__name__}: {exc}")
    finally:
        connection.close()
    return answer
