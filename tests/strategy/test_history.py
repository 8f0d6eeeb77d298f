"""Change histories: a page reads the newest records it shows, and a whole history pages."""

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal as D
from itertools import chain

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from strategy import history, outcomes
from strategy.history import _diffs, _entries, _Pending
from strategy.models import (
    Commitment,
    Lever,
    Measure,
    MeasureActual,
    MeasurePlanPoint,
    Membership,
    Objective,
    Unit,
)
from tests.factories import CommitmentFactory, MeasureFactory, make_head

pytestmark = pytest.mark.django_db


def _every_record(*querysets, limit=50, fields=None, values=None, known: Iterable = ()):
    """The newest entries as they were read before newest_entries: every record of the
    querysets, each diffed with the one before it in Python."""
    values = values or {}
    records = chain.from_iterable(
        qs.select_related("history_user").order_by("history_date", "history_id") for qs in querysets
    )
    kept, previous = [], {}
    for record in sorted(records, key=lambda r: r.history_date):
        model = record.instance_type
        before = previous.get((model, record.id))
        previous[(model, record.id)] = record
        diffs = _diffs(record, before, fields)
        if record.history_type == "~" and not diffs:
            continue
        kept.append(_Pending(record, diffs))
    return _entries(kept[::-1][:limit], fields, values, known)


def _unit_querysets(unit):
    return (
        Unit.history.filter(id=unit.pk),
        Membership.history.filter(unit_id=unit.pk),
        Commitment.history.filter(unit_id=unit.pk),
    )


@pytest.fixture
def busy_unit(logistics, current_position, executive):
    """Logistics, its head, two commitments changed several times (one save changes nothing),
    one deleted; records of the same time in two of its histories."""
    make_head(logistics, first_name="Hana", last_name="Head")
    objective = current_position.objectives.first()
    first = CommitmentFactory(unit=logistics, objective=objective)
    second = CommitmentFactory(unit=logistics, objective=objective, lever=Lever.PROCESSES)
    for n in range(3):
        first.statement = f"Statement {n}"
        first._history_user = executive
        first.save()
    second.save()  # nothing changed: no entry
    second.status = Commitment.Status.AT_RISK
    second.save()
    logistics.name = "Logistics & Transport"
    logistics.save()
    # Two records of two histories at the very same time, as a bulk write leaves them.
    same = timezone.now() + timedelta(minutes=1)
    for model, pk in ((Commitment, first.pk), (Unit, logistics.pk)):
        newest = model.history.filter(id=pk).latest("history_id").history_id
        model.history.filter(history_id=newest).update(history_date=same)
    CommitmentFactory(unit=logistics, objective=objective, lever=Lever.FUNDING).delete()
    return logistics


@pytest.mark.parametrize("limit", [50, 4])
def test_the_newest_entries_are_those_every_record_gave(busy_unit, limit):
    querysets = _unit_querysets(busy_unit)

    newest, more = history.newest_entries(*querysets, limit=limit)

    assert newest == _every_record(*querysets, limit=limit)
    assert more is (limit == 4)
    # A row stands for its own history, Records for a queryset: prepared reads, the same.
    records = (
        history.Records(Membership, "unit_id", busy_unit.pk),
        history.Records(Commitment, "unit_id", busy_unit.pk),
    )
    assert history.newest_entries(busy_unit, *querysets[1:], limit=limit) == (newest, more)
    assert history.newest_entries(busy_unit, *records, limit=limit) == (newest, more)
    # Past the newest, the ORM reads them (a row's own history in order).
    assert history.newest_entries(busy_unit, *records, limit=2, offset=2) == (
        history.newest_entries(*querysets, limit=2, offset=2)
    )
    commitment = busy_unit.commitments.order_by("pk").first()
    for shown in (1, 2, 3, 50):
        assert history.newest_entries(commitment, limit=shown) == history.newest_entries(
            Commitment.history.filter(id=commitment.pk), limit=shown
        )
    # The records of the same time, the later queryset's first; then the deletion.
    assert [(e.action, e.kind) for e in newest[:4]] == [
        ("changed", "commitment"),
        ("changed", "unit"),
        ("deleted", "commitment"),
        ("created", "commitment"),
    ]


def test_the_newest_changes_of_a_measure_show_its_decimals_as_every_record_did(
    current_position, head, executive
):
    measure = MeasureFactory(objective=current_position.objectives.first(), target=D("95.5"))
    measure.target = 96
    measure.save()
    outcomes.measure_plan_set(measure=measure, values={1: "84", 2: "88.25"}, by=executive)
    outcomes.measure_plan_set(measure=measure, values={1: "85"}, by=executive)
    year = current_position.fiscal_year
    for value in ("83", "83.5"):
        outcomes.measure_actual_record(
            measure=measure, period=outcomes.Period(year, 1), value=value, by=head
        )
    querysets = (
        Measure.history.filter(id=measure.pk),
        MeasurePlanPoint.history.filter(measure_id=measure.pk),
        MeasureActual.history.filter(measure_id=measure.pk),
    )

    newest, _ = history.newest_entries(*querysets)

    assert newest == _every_record(*querysets)
    assert (newest, False) == history.newest_entries(
        measure,
        history.Records(MeasurePlanPoint, "measure_id", measure.pk),
        history.Records(MeasureActual, "measure_id", measure.pk),
    )
    changes = [(c.field, c.before, c.after) for e in newest for c in e.changes]
    assert ("value", "83.00", "83.50") in changes
    assert ("value", "84.00", "85.00") in changes
    assert ("target", "95.50", "96.00") in changes


def test_a_page_reads_only_the_newest_records_of_each_history(busy_unit):
    with CaptureQueriesContext(connection) as captured:
        history.newest_entries(*_unit_querysets(busy_unit), limit=5, offset=10)

    read = [q["sql"] for q in captured if "alignment_historical" in q["sql"].split(" FROM ")[1]]
    assert len(read) == 3
    # offset + limit + 1 records, and the one before each of them
    assert all(sql.count("LIMIT 16") == 2 for sql in read)


def _entries_shown(response) -> list[str]:
    section = re.search(
        r'<section[^>]*aria-labelledby="history-heading".*?</section>',
        response.content.decode(),
        re.S,
    )[0]
    return re.findall(r'<li class="mb-2">.*?</li>', section, re.S)


def test_the_whole_history_of_a_unit_pages_its_changes(login, head, logistics, current_position):
    objective = current_position.objectives.first()
    for n in range(54):
        CommitmentFactory(unit=logistics, objective=objective, statement=f"Commitment {n:02}")
    url = "/strategy/units/logistics/history/"
    client = login(head)

    first, second = client.get(url), client.get(url, {"page": 2})

    shown = _entries_shown(first)
    assert len(shown) == 50
    assert "Commitment 53" in shown[0]
    assert 'href="?page=2">Older changes</a>' in first.content.decode()
    assert "Newer changes" not in first.content.decode()
    # The unit's and its head's membership's creation, and the first commitments.
    rest = _entries_shown(second)
    assert len(rest) == 6
    assert "Commitment 00" in rest[-3]
    assert 'href="?page=1">Newer changes</a>' in second.content.decode()
    assert "Older changes" not in second.content.decode()
    # A page past the end, or not a page at all, is the first.
    assert _entries_shown(client.get(url, {"page": 9})) == shown
    assert _entries_shown(client.get(url, {"page": "x"})) == shown


def test_a_short_whole_history_has_no_pages(login, head, logistics):
    response = login(head).get("/strategy/units/logistics/history/")

    assert len(_entries_shown(response)) == 2  # the unit and its head's membership
    assert "Pages of the history" not in response.content.decode()


def test_the_objective_page_shows_its_newest_changes(login, executive, current_position):
    objective = current_position.objectives.first()
    measure = MeasureFactory(objective=objective, name="On-time share")
    for n in range(55):
        measure.target = n
        measure.save()

    shown = _entries_shown(login(executive).get(objective.get_absolute_url()))

    assert len(shown) == history.PER_PAGE
    assert "<td>53.00</td><td>54.00</td>" in shown[0]
    assert Objective.history.filter(id=objective.pk).exists()
    assert Measure.history.filter(id=measure.pk).count() == 56


def test_a_history_manager_class_is_made_once_and_still_reads_its_rows_history(logistics):
    from reviews.models import CheckItem
    from strategy.models import Unit

    assert type(Unit.history) is type(Unit.history)
    # One class for every model: the model is the manager's, given as it is made.
    assert CheckItem.history.model is CheckItem.history.model is not Unit.history.model
    logistics.name = "Logistics and Transport"
    logistics.save()

    names = list(logistics.history.values_list("name", flat=True))
    assert names[0] == "Logistics and Transport"
    assert logistics.history.instance == logistics
    assert Unit.history.filter(id=logistics.pk).count() == len(names)


def test_every_history_table_has_the_index_its_newest_records_are_read_by():
    """newest_entries_of reads the record before each of the newest by its row's id, date and
    history id: without that index the read would visit every record of each row."""
    from django.apps import apps
    from django.db import connection

    historical = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    assert len(historical) > 20
    with connection.cursor() as cursor:
        missing = [
            m._meta.db_table
            for m in historical
            if not any(
                c["index"] and c["columns"][:3] == ["id", "history_date", "history_id"]
                for c in connection.introspection.get_constraints(cursor, m._meta.db_table).values()
            )
        ]
    assert missing == []
