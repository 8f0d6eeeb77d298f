"""What an autosave writes: the items that changed, in one UPDATE, with one history row each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import LEVERS
from strategy.models import Commitment

pytestmark = pytest.mark.django_db


def form_data(check, *, score="4", **values) -> dict:
    """The check form as the browser posts it: every lever of every item at `score`."""
    data = {"version": str(check.version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": score for lever in LEVERS}
        data |= {f"item-{item.pk}-evidence": "", f"item-{item.pk}-blockers": ""}
    return data | values


def autosave(client, check, data):
    check.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("reviews:check-save", args=[check.pk]),
            data | {"version": str(check.version)},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    return [q["sql"] for q in queries]


def statements(sql: list[str], start: str) -> list[str]:
    return [s for s in sql if s.startswith(start)]


def test_an_autosave_writes_every_changed_item_in_one_update_and_one_history_insert(
    client, head, logistics_check
):
    client.force_login(head)
    assert logistics_check.items.count() == 2

    sql = autosave(client, logistics_check, form_data(logistics_check))

    assert len(statements(sql, 'UPDATE "reviews_checkitem"')) == 1
    assert len(statements(sql, 'INSERT INTO "reviews_historicalcheckitem"')) == 1
    assert {tuple(i.lever_scores().values()) for i in logistics_check.items.all()} == {
        (4,) * len(LEVERS)
    }


def test_an_autosave_adds_history_only_for_the_items_that_changed(
    client, head, logistics_check, objectives
):
    a, b = objectives
    item_a, item_b = (logistics_check.items.get(objective=o) for o in (a, b))
    client.force_login(head)
    autosave(client, logistics_check, form_data(logistics_check))

    autosave(
        client,
        logistics_check,
        form_data(logistics_check, **{f"item-{item_a.pk}-evidence": "Fill rate 97%"}),
    )

    assert (item_a.history.count(), item_b.history.count()) == (2, 1)
    item_b.refresh_from_db()
    assert item_b.evidence == ""


def test_the_history_row_of_an_autosave_holds_what_was_saved_by_whom(
    client, head, logistics_check, objectives
):
    a, _ = objectives
    item = logistics_check.items.get(objective=a)
    client.force_login(head)
    data = form_data(
        logistics_check,
        **{
            f"item-{item.pk}-score_funding": "0",
            f"item-{item.pk}-evidence": "Fill rate 97%",
            f"item-{item.pk}-blockers": "Budget",
        },
    )

    autosave(client, logistics_check, data)

    record = item.history.latest()
    assert record.history_type == "~"
    assert record.history_user == head
    assert record.history_change_reason is None
    assert record.alignment_check_id == logistics_check.pk
    assert record.objective_id == a.pk
    assert record.instance.lever_scores() == {
        lever: 0 if lever == "funding" else 4 for lever in LEVERS
    }
    assert (record.evidence, record.blockers) == ("Fill rate 97%", "Budget")


def test_an_autosave_writes_only_the_commitment_statuses_that_changed_with_their_history(
    client, head, logistics_check, commitments
):
    on_a, on_b = commitments["logistics A"], commitments["logistics B"]
    before = {c.pk: (c.history.count(), c.updated_at) for c in (on_a, on_b)}
    client.force_login(head)
    data = form_data(logistics_check) | {
        f"commitment-{on_a.pk}-status": Commitment.Status.AT_RISK,
        f"commitment-{on_b.pk}-status": on_b.status,
    }

    sql = autosave(client, logistics_check, data)

    assert len(statements(sql, 'UPDATE "alignment_commitment"')) == 1
    on_a.refresh_from_db()
    on_b.refresh_from_db()
    assert on_a.status == Commitment.Status.AT_RISK
    assert on_a.history.count() == before[on_a.pk][0] + 1
    assert on_a.history.latest().history_user == head
    assert on_a.updated_at > before[on_a.pk][1]
    assert (on_b.history.count(), on_b.updated_at) == before[on_b.pk]


def test_writing_items_sets_each_row_to_its_own_values_and_leaves_the_others(
    logistics_check, finance_check
):
    from reviews.models import CheckItem

    a, b = logistics_check.items.order_by("pk")
    untouched = finance_check.items.get()
    a.score_people, a.score_funding, a.evidence = 5, 0, 'It\'s "quoted"; -- and long\n' * 3
    b.score_people, b.evidence, b.blockers = None, "", "Budget"

    written = CheckItem.objects.write(
        [a, b], ["score_people", "score_funding", "evidence", "blockers"]
    )

    assert written == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.score_people, a.score_funding, a.evidence) == (
        5,
        0,
        'It\'s "quoted"; -- and long\n' * 3,
    )
    assert (b.score_people, b.evidence, b.blockers) == (None, "", "Budget")
    assert CheckItem.objects.get(pk=untouched.pk).evidence == untouched.evidence
    assert CheckItem.objects.write([], ["evidence"]) == 0


def test_a_history_insert_writes_what_simple_history_writes(logistics_check, head):
    """bulk.insert_history is bulk_history_create in one INSERT: the same row, field by field."""
    from datetime import UTC, datetime

    from reviews import bulk
    from reviews.models import AlignmentCheck, CheckItem

    when = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    item = logistics_check.items.order_by("pk").first()
    item.score_people, item.evidence = 3, "Shown on the 'board'"
    for model, instance in ((CheckItem, item), (AlignmentCheck, logistics_check)):
        model.history.bulk_history_create(
            [instance],
            update=True,
            default_user=head,
            default_change_reason=None,
            default_date=when,
        )
        bulk.insert_history(model, [instance], user_id=head.pk, when=when, using="default")
        theirs, ours = model.history.filter(id=instance.pk).order_by("-history_id")[:2][::-1]
        fields = [f.attname for f in model.history.model._meta.concrete_fields]
        assert len(fields) > 8
        assert {f: getattr(ours, f) for f in fields if f != "history_id"} == {
            f: getattr(theirs, f) for f in fields if f != "history_id"
        }


def test_a_history_insert_writes_nothing_for_no_rows_or_with_history_off(
    logistics_check, head, settings
):
    from django.utils import timezone

    from reviews import bulk
    from reviews.models import CheckItem

    items = list(logistics_check.items.all())
    before = CheckItem.history.count()
    bulk.insert_history(CheckItem, [], user_id=head.pk, when=timezone.now(), using="default")
    settings.SIMPLE_HISTORY_ENABLED = False
    bulk.insert_history(CheckItem, items, user_id=head.pk, when=timezone.now(), using="default")
    assert CheckItem.history.count() == before
