"""The SMTP server's answers: a temporary refusal is retried with growing waits until it
passes, a permanent one fails the delivery at once."""

import time

import pytest

from notifications.models import Delivery

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs_postgres,
    pytest.mark.needs_redis,
    # Committed, so that the worker sees it; migration data (groups, rubric) restored first.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_smtp_421_three_times_then_250_is_one_email_after_four_attempts(rig, due_reminders):
    due_reminders(1)
    rig.sink.refuse("421 4.3.2 Busy, try again later", times=3)
    rig.start_worker()

    rig.tick()

    assert rig.wait_until_settled(1, timeout=30) == {Delivery.State.SENT: 1}
    delivery = Delivery.objects.get()
    assert delivery.attempts == 4
    assert len(rig.sink.refused) == 3
    assert rig.sink.accepted == [f"{delivery.pk}:{delivery.kind}:{delivery.step}"]
    # Each wait is at least base × 2^(attempt − 1): 0.2 s, 0.4 s, 0.8 s (plus jitter).
    answered = rig.sink.answered_at
    waits = [later - earlier for earlier, later in zip(answered, answered[1:], strict=False)]
    minimums = [rig.retry_base_seconds * 2**n for n in range(3)]
    assert all(w >= 0.9 * m for w, m in zip(waits, minimums, strict=True)), waits
    rig.report("smtp 421 x3 then 250", f"waits between attempts: {[f'{w:.2f}' for w in waits]}")


@pytest.mark.parametrize("stage", ["DATA", "RCPT"])
def test_smtp_550_fails_the_delivery_without_retrying(rig, due_reminders, stage):
    due_reminders(1)
    if stage == "RCPT":
        rig.sink.rcpt_reply = "550 5.1.1 No such mailbox"
    else:
        rig.sink.reply = "550 5.7.1 Message refused"
    rig.start_worker()

    rig.tick()

    assert rig.wait_until_settled(1, timeout=30) == {Delivery.State.FAILED: 1}
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1
    assert "550" in delivery.last_error
    # Longer than the first few retry waits would be: still one answer, and nothing accepted.
    time.sleep(8 * rig.retry_base_seconds)
    assert len(rig.sink.refused) == 1
    assert rig.sink.accepted == []
