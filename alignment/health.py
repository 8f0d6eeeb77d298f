"""The project's own view: the health check (/healthz) that load balancers and monitors ask."""

from __future__ import annotations

import contextlib
import threading

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

try:  # Django 5.1+
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # pragma: no cover

    def login_not_required(view):
        return view


# One broker connection per process, opened by the first health check and reused by the next:
# monitors ask every few seconds, and a new connection each time costs the broker a login.
_broker = None
_broker_lock = threading.Lock()


def reset_broker_connection() -> None:
    """Drop the reused connection; the next health check opens a new one."""
    global _broker
    with _broker_lock:
        if _broker is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                _broker.release()
        _broker = None


def _check_broker() -> None:
    """Raise when the broker does not answer, on the connection the last check left open."""
    global _broker
    from alignment.celery import app

    with _broker_lock:
        if _broker is None:
            _broker = app.connection_for_write()
        broker = _broker
        try:
            broker.ensure_connection(max_retries=1, timeout=2)
            # An open connection says nothing about a broker that went away since: Redis is
            # asked with a PING on it (one round trip); other transports verify their socket
            # in ensure_connection.
            client = getattr(broker.default_channel, "client", None)
            if callable(getattr(client, "ping", None)):
                client.ping()
        except Exception:
            _broker = None  # the next check connects afresh
            with contextlib.suppress(Exception):
                broker.release()
            raise


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001  (any failure means "down")
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        _check_broker()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
