"""The notifications tests send what the cadence jobs write: they share the cadence tests'
organisation in Paris and their ways to watch what is sent (tests/reviews/cadence/conftest.py);
the webhook tests, a real HTTP receiver on loopback."""

import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.notifications.receiver import Handler
from tests.reviews.cadence.conftest import (  # noqa: F401 (fixtures)
    cadence,
    deliver,
    enqueued,
    opened,
    q1,
    send_tasks,
)


@pytest.fixture
def receiver(settings):
    """A real HTTP server on 127.0.0.1 in a thread: `.url`, the `.received` requests, and the
    `.replies` it gives in turn (then 200s). Webhooks may go to it: 127.0.0.1 is allowed and
    plain http to loopback is on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.received, server.replies = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", ".example.com"]
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/alignment"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
