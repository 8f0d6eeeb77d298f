"""What the strategy app tells the apps above it, which receive it in `AppConfig.ready`.

Strategy imports no higher app; where its events must start work elsewhere, it sends a signal.
"""

from django.dispatch import Signal

# Sent by the views that publish a position or make it current now, inside their transaction,
# with `position` and `now`. A receiver answers with the number of people it asked to act (or
# None); the page reports the sum.
position_published = Signal()


# Sent (after the commit) with the ids of people to invite; strategy.tasks receives it and
# queues send_invitations (so services does not import the tasks).
invitations_requested = Signal()


# Sent after an admin import wrote units or memberships in bulk (no save signal per row), with
# the model as sender; the reviews app then recomputes what it derives from the organisation.
organisation_imported = Signal()


# Sent after rows of a model were written in bulk (bulk_create or bulk_update: no save signal
# per row), with the model as sender, inside the writer's transaction: the import of measure
# values. What a page derives from those rows is marked stale by the apps above (the signal
# board: sustain.receivers).
bulk_written = Signal()


# Sent by the company page, inside its transaction, when the month fiscal years start in changed,
# with `previous_month` and `month`. A receiver answers with the number of planned reviews it
# moved to the new calendar (or None); the page reports the sum.
calendar_changed = Signal()
