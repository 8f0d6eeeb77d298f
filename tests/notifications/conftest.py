"""The notifications tests send what the cadence jobs write: they share the cadence tests'
organisation in Paris and their ways to watch what is sent (tests/reviews/cadence/conftest.py);
the webhook tests, a real HTTP receiver on loopback; the worker kills, the integration rig
(tests/integration/conftest.py)."""

import pytest

from tests.integration.conftest import due_reminders, rig  # noqa: F401 (fixtures)
from tests.notifications.receiver import serve
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
    """A real HTTP server on 127.0.0.1 (tests/notifications/receiver.py). Webhooks may go to
    it: 127.0.0.1 is allowed and plain http to loopback is on."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", ".example.com"]
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    with serve() as server:
        yield server
