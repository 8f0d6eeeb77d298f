"""The content version on PostgreSQL moves on at the writer's commit, once per transaction,
and holds up no other writer meanwhile (strategy migration 0013)."""

import threading

import pytest
from django.db import connection, connections, transaction

from strategy import versions
from strategy.models import Objective
from tests.factories import make_published_position

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]


def test_a_transaction_moves_the_version_on_once_at_its_commit():
    position = make_published_position()
    objectives = list(position.objectives.all())
    assert len(objectives) >= 2
    before = versions.current()

    with transaction.atomic():
        for number, objective in enumerate(objectives):
            Objective.objects.filter(pk=objective.pk).update(title=f"Renamed {number}")
        assert versions.current() == before  # not until the commit

    assert versions.current() == before + 1


def test_a_write_on_its_own_moves_the_version_on():
    position = make_published_position()
    before = versions.current()

    Objective.objects.filter(position=position).update(title="Renamed in autocommit")
    position.objectives.first().delete()

    assert versions.current() == before + 2


def test_a_rolled_back_write_leaves_the_version_as_it_is():
    position = make_published_position()
    before = versions.current()

    with pytest.raises(RuntimeError), transaction.atomic():
        Objective.objects.filter(position=position).update(title="Never committed")
        raise RuntimeError

    assert versions.current() == before


def test_an_open_writer_holds_up_no_other_writer():
    """Two writers of the strategy tables each hold their rows only: one that writes while
    another's long transaction is open is not made to wait for it (it was, on the version's
    row, with statement triggers; and each waiting for a row of the other was a deadlock)."""
    position = make_published_position()
    first, second = list(position.objectives.all())[:2]
    before = versions.current()
    long_one_wrote, other_done = threading.Event(), threading.Event()
    failures = []

    def long_writer():
        try:
            with transaction.atomic():
                Objective.objects.filter(pk=first.pk).update(title="The long one")
                long_one_wrote.set()
                # Waits for the other writer to commit; if that writer were waiting for this
                # transaction, neither would end before the timeout.
                if not other_done.wait(timeout=10):
                    failures.append("the other writer waited for this open transaction")
        except Exception as error:  # reported by the test's thread
            failures.append(repr(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=long_writer)
    thread.start()
    assert long_one_wrote.wait(timeout=10)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
        Objective.objects.filter(pk=second.pk).update(title="The short one")
    other_done.set()
    thread.join(timeout=20)

    assert failures == []
    assert versions.current() == before + 2
    titles = set(
        Objective.objects.filter(pk__in=[first.pk, second.pk]).values_list("title", flat=True)
    )
    assert titles == {"The long one", "The short one"}
