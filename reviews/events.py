"""What the reviews app tells the apps above it (notifications, reports, sustain), and what it
asks of them; they receive it in their `AppConfig.ready`, and reviews imports none of them
(docs/architecture.md).
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by services.cycle_close inside its transaction, with the closed `cycle` (locked, its
# snapshot built). A receiver answers with a dict to add to the frozen snapshot (the sustain
# app: the signals as they stand at closing), or None.
cycle_closing = Signal()

# Sent by the close page once a cycle is closed and its closing announced, with `cycle`: the
# reports app builds the cycle's reports and mails their links.
cycle_closed = Signal()

# Sent by the services inside their transaction when a cycle opens (services.cycle_open) or
# closes (services.cycle_close), and when a check is submitted (services.check_save) or
# reopened (services.check_reopen): with `event` (one of EVENTS), `cycle`, `check` (None for
# the cycle's own events) and `now`. The notifications app writes the webhooks it asks for.
CYCLE_OPENED = "cycle.opened"
CYCLE_CLOSED = "cycle.closed"
CHECK_SUBMITTED = "check.submitted"
CHECK_REOPENED = "check.reopened"
EVENTS = (CYCLE_OPENED, CYCLE_CLOSED, CHECK_SUBMITTED, CHECK_REOPENED)
happened = Signal()


def tell(event: str, *, cycle, check=None, now) -> None:
    if event not in EVENTS:
        raise ValueError(f"No such event: {event!r}")
    happened.send(sender=None, event=event, cycle=cycle, check=check, now=now)


# Sent by reviews.views.home; the sustain app answers with the context it adds to the page.
home_sustain = Signal()


def ask(signal: Signal, **kwargs):
    """The answer of the one app above that owns what `signal` asks for."""
    answers = [answer for _, answer in signal.send(sender=None, **kwargs)]
    if len(answers) != 1:
        raise LookupError(f"{len(answers)} answers to a question for one app")
    return answers[0]
