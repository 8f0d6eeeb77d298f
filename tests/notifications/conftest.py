"""The notifications tests send what the cadence jobs write: they share the cadence tests'
organisation in Paris and their ways to watch what is sent (tests/reviews/cadence/conftest.py)."""

from tests.reviews.cadence.conftest import (  # noqa: F401 (fixtures)
    cadence,
    deliver,
    enqueued,
    opened,
    q1,
    send_tasks,
)
