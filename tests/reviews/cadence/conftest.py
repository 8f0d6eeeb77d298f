"""Shared fixtures for the cadence tests: an organisation in Paris, and ways to watch what is
sent.

Tasks are never run through a broker here: `enqueued` replaces the send task with a recorder,
and `deliver` plays the worker by calling `notify.delivery_send` directly.
"""

from datetime import date, datetime

import pytest

from notifications import notify
from notifications import tasks as notification_tasks
from notifications.models import Delivery
from reviews import dispatch
from tests.factories import CommitmentFactory, ReviewCycleFactory
from tests.reviews.cadence.support import OPENING, configure, everyone_has_read


@pytest.fixture
def cadence(db):
    return configure()


class _Recorder:
    """Stands in for the send task: records the chunks of delivery ids it is asked to send."""

    def __init__(self):
        self.ids: list[int] = []
        self.chunks: list[list[int]] = []

    def delay(self, delivery_ids: list[int]) -> None:
        self.chunks.append(list(delivery_ids))
        self.ids.extend(delivery_ids)


@pytest.fixture
def send_tasks(monkeypatch):
    """What is handed to the broker (after commit): `.chunks`, one list of delivery ids per send
    task, and `.ids`, all of them in order.

    Enqueueing goes through transaction.on_commit: wrap the code in
    `django_capture_on_commit_callbacks(execute=True)` to see what a commit would enqueue.
    """

    recorder = _Recorder()
    monkeypatch.setattr(notification_tasks, "send_deliveries", recorder)
    return recorder


@pytest.fixture
def enqueued(send_tasks):
    """The delivery ids handed to the broker (after commit), in order."""
    return send_tasks.ids


@pytest.fixture
def deliver():
    """Play the worker: send every pending delivery now; returns {delivery id: outcome state}."""

    def _deliver(*, now: datetime) -> dict[int, str]:
        ids = Delivery.objects.pending().values_list("pk", flat=True)
        return {pk: notify.delivery_send(delivery_id=pk, now=now).state for pk in list(ids)}

    return _deliver


@pytest.fixture
def q1(cadence, current_position, head, other_head, logistics, finance):
    """Q1 FY2026, planned; Logistics and Finance each commit to one objective. Everybody has
    read the strategy."""
    first, second = current_position.objectives.all()
    CommitmentFactory(unit=logistics, objective=first)
    CommitmentFactory(unit=finance, objective=second)
    everyone_has_read(current_position)
    return ReviewCycleFactory(
        position=current_position, quarter=1, opens_on=date(2026, 4, 5), due_on=date(2026, 4, 19)
    )


@pytest.fixture
def opened(q1, deliver, mailoutbox):
    """Q1 opened by the dispatcher at midnight in Paris, its opening emails sent."""
    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)
    mailoutbox.clear()
    q1.refresh_from_db()
    return q1
