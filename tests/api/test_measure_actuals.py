"""Measures' values in bulk over the API: by measure, fiscal year and period, all or none, by the
pages' rules, idempotent with an Idempotency-Key, and never overwriting unseen a value someone
changed since it was read (`expected`), nor overwritten unseen by the check page."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import IdempotentRequest
from reviews import services as review_services
from strategy import outcomes
from strategy.models import MeasureActual
from tests.api.conftest import make_token
from tests.factories import MeasureFactory, make_open_cycle

pytestmark = pytest.mark.django_db

BULK = "/api/v1/measure-actuals/bulk/"


@pytest.fixture
def measures(current_position, logistics, finance):
    """Two measures Logistics reports (quarterly, monthly) and one Finance reports."""
    objective = current_position.objectives.order_by("order").first()
    return {
        "on time": MeasureFactory(objective=objective, name="On time", reporting_team=logistics),
        "returns": MeasureFactory(
            objective=objective, name="Returns", reporting_team=logistics, frequency="monthly"
        ),
        "cash": MeasureFactory(objective=objective, name="Cash", reporting_team=finance),
    }


def push(client, values, key="q1-2026", **headers):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(BULK, {"values": values}, format="json", **extra, **headers)


def line(measure, period="Q1", value="91.5", **fields):
    return {"measure": measure.pk, "fiscal_year": 2026, "period": period, "value": value} | fields


def stored() -> dict:
    return {
        (a.measure.name, a.period): (a.value, a.source, a.comment)
        for a in MeasureActual.objects.select_related("measure")
    }


def test_a_head_records_a_quarter_of_their_teams_values_at_once(api, head, measures):
    response = push(
        api(head),
        [
            line(measures["on time"], "Q1", "91.5", comment="Two late trucks"),
            line(measures["returns"], "M1", 2.25),
            line(measures["returns"], "2", "2.1"),
            line(measures["returns"], "m3", "1.9"),
        ],
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["changed"], body["unchanged"]) == (4, 0, 0)
    assert [(v["line"], v["period_code"], v["value"], v["outcome"]) for v in body["values"]] == [
        (0, "Q1", "91.50", "created"),
        (1, "M1", "2.25", "created"),
        (2, "M2", "2.10", "created"),
        (3, "M3", "1.90", "created"),
    ]
    assert stored()[("On time", 1)] == (Decimal("91.50"), "api", "Two late trucks")
    actual = MeasureActual.objects.get(measure=measures["on time"])
    assert actual.entered_by == head
    assert actual.history.get().history_user == head


def test_the_same_request_sent_again_is_answered_as_the_first_time_and_writes_nothing(
    api, head, measures
):
    client = api(head)
    values = [line(measures["on time"]), line(measures["returns"], "M1", "2")]
    first = push(client, values)
    history = MeasureActual.history.count()

    again = push(client, values)

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert MeasureActual.history.count() == history
    assert IdempotentRequest.objects.count() == 1


# Not serialized_rollback: its teardown would flush the tables without making the permissions
# again, and the Admin group would lose its own (tests/conftest.py makes the migrations' rows
# again after a plain flush).
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_twice_at_once_is_done_once(head, measures):
    """The second waits for the first's key (a unique row, claimed first), then answers as it."""
    _, secret = make_token(head)
    values = [line(measures["on time"]), line(measures["returns"], "M1", "2")]
    start = threading.Barrier(2)
    answers = []

    def send() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
            start.wait(timeout=10)
            response = push(client, values, key="twice")
            answers.append((response.status_code, response.get("Idempotent-Replayed")))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers, key=lambda a: a[1] or "") == [(200, None), (200, "true")]
    assert MeasureActual.objects.count() == 2
    assert MeasureActual.history.count() == 2
    assert IdempotentRequest.objects.count() == 1


def test_a_key_sent_again_with_another_body_is_refused(api, head, measures):
    client = api(head)
    push(client, [line(measures["on time"], value="91.5")])

    response = push(client, [line(measures["on time"], value="99")])

    assert response.status_code == 422
    assert response.json()["type"].endswith("#idempotency-key-reused")
    assert stored()[("On time", 1)][0] == Decimal("91.50")


def test_keys_are_each_persons_own_and_forgotten_after_thirty_days(api, head, executive, measures):
    push(api(head), [line(measures["on time"], value="91.5")], key="nightly")
    assert (
        push(api(executive), [line(measures["on time"], value="93")], key="nightly").status_code
        == 200
    )
    assert stored()[("On time", 1)][0] == Decimal("93")

    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=31))
    again = push(api(head), [line(measures["on time"], value="94")], key="nightly")

    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    assert stored()[("On time", 1)][0] == Decimal("94")


def test_recording_what_is_there_changes_nothing_and_a_correction_keeps_the_old_value(
    api, head, measures
):
    client = api(head)
    push(client, [line(measures["on time"], value="91.5", comment="Late trucks")], key="a")

    same = push(client, [line(measures["on time"], value="91.50")], key="b").json()
    corrected = push(client, [line(measures["on time"], value="92")], key="c").json()

    assert (same["unchanged"], same["values"][0]["outcome"]) == (1, "unchanged")
    assert (corrected["changed"], corrected["values"][0]["outcome"]) == (1, "changed")
    actual = MeasureActual.objects.get()
    # No comment given: the value keeps the one it has.
    assert (actual.value, actual.comment) == (Decimal("92"), "Late trucks")
    assert [h.value for h in actual.history.order_by("history_id")] == [
        Decimal("91.50"),
        Decimal("92.00"),
    ]


def test_one_bad_line_and_nothing_is_recorded_each_mistake_named_where_it_is(
    api, head, measures, draft_position
):
    response = push(
        api(head),
        [
            line(measures["on time"], "Q1", "91.5"),
            line(measures["on time"], "Q5", "9,5"),
            line(measures["returns"], "Q1", "2"),
            line(measures["on time"], "Q1", "90"),
            {"measure": 99999, "fiscal_year": 2026, "period": "Q1", "value": "1"},
            line(measures["on time"], "Q2", "1", fiscal_year=2025),
            line(measures["on time"], "Q3", "1", expected="a lot"),
        ],
    )

    assert response.status_code == 400
    assert [(e["pointer"], e["detail"][:30]) for e in response.json()["errors"]] == [
        ("#/values/1/period", "period “Q5” does not exist: th"),
        ("#/values/1/value", "value “9,5” is not a number: u"),
        ("#/values/2/period", "period “Q1” does not exist: th"),
        ("#/values/3/period", "FY2026 Q1 of this measure is a"),
        ("#/values/4/measure", "There is no measure 99999."),
        (
            "#/values/5/fiscal_year",
            f"Measure {measures['on time'].pk} is FY2026's: an earlier"[:30],
        ),
        ("#/values/6/expected", "value “a lot” is not a number"),
    ]
    assert not MeasureActual.objects.exists()
    assert not IdempotentRequest.objects.exists()  # a refusal is not kept: fix it, send again


def test_nobody_records_the_values_of_a_measure_they_do_not_enter(
    api, head, other_head, member, executive, measures, caplog
):
    values = [line(measures["cash"]), line(measures["on time"])]

    refused = push(api(head), values)

    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"pointer": "#/values/0/measure", "detail": "You do not enter its values: its team's "
         "head reports it."}
    ]  # fmt: skip
    assert not MeasureActual.objects.exists()
    assert any(
        r.getMessage().startswith("refused alignment.enter_measure_actuals") for r in caplog.records
    )
    assert push(api(member), [line(measures["on time"])]).status_code == 403
    assert push(api(other_head), [line(measures["cash"])]).status_code == 200
    # The executives enter any measure's values, as on the pages.
    assert push(api(executive), values).status_code == 200


def test_a_drafts_measures_and_a_retired_objectives_take_no_values(
    api, executive, measures, draft_position, logistics
):
    draft = MeasureFactory(objective=draft_position.objectives.get(), reporting_team=logistics)
    measures["on time"].objective.retire()

    response = push(
        api(executive),
        [
            line(measures["on time"]),
            {"measure": draft.pk, "fiscal_year": 2027, "period": "Q1", "value": "1"},
        ],
    )

    assert response.status_code == 400
    assert [e["detail"] for e in response.json()["errors"]] == [
        f"Objective “{measures['on time'].objective.title}” is retired: its measures take no "
        "more values.",
        "The FY2027 strategy is a draft: its measures take values once published.",
    ]


def test_a_request_needs_an_idempotency_key_and_some_values(api, head, measures):
    client = api(head)

    missing = push(client, [line(measures["on time"])], key=None)
    too_long = push(client, [line(measures["on time"])], key="k" * 121)
    empty = push(client, [])
    too_many = push(client, [line(measures["on time"])] * 1001)

    assert [r.status_code for r in (missing, too_long, empty, too_many)] == [400] * 4
    assert missing.json()["errors"][0]["header"] == "Idempotency-Key"
    assert empty.json()["errors"][0]["pointer"] == "#/values"
    assert too_many.json()["errors"][0]["pointer"] == "#/values"
    assert not MeasureActual.objects.exists()


# --- Concurrent writes: the API and the pages ---------------------------------------------------


def test_a_value_changed_since_it_was_read_is_not_overwritten(api, head, executive, measures):
    measure = measures["on time"]
    client = api(head)
    push(client, [line(measure, value="91.5")], key="first")
    read = client.get(f"/api/v1/measure-actuals/?measure={measure.pk}").json()["results"][0]
    # Meanwhile an executive corrects it on the objective's page.
    outcomes.measure_actual_record(
        measure=measure, period=outcomes.Period(2026, 1), value="89", by=executive
    )

    refused = push(client, [line(measure, value="93", expected=read["value"])], key="second")

    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {"pointer": "#/values/0/expected", "detail": "The value stored now is 89.00."}
    ]
    assert stored()[("On time", 1)][0] == Decimal("89")
    # What the client expects holds: a value with nothing stored yet (null), or the value now.
    assert push(client, [line(measure, "Q2", expected=None)], key="third").status_code == 200
    assert push(client, [line(measure, value="93", expected="89")], key="fourth").status_code == 200


def test_the_check_page_does_not_overwrite_a_value_the_api_changed_since_it_showed_it(
    api, head, measures, current_position
):
    measure = measures["on time"]
    cycle = make_open_cycle(current_position, quarter=1)
    check = cycle.checks.get(unit=measure.reporting_team)
    push(api(head), [line(measure, value="91.5")], key="erp")
    shown = Decimal("91.5")
    push(api(head), [line(measure, value="95")], key="erp-again")  # the ERP's correction

    with pytest.raises(review_services.StaleMeasureValue):
        review_services.check_measures_save(
            check=check,
            values=[
                review_services.MeasureInput(
                    measure=measure, period=outcomes.Period(2026, 1), value="92", shown=shown
                )
            ],
            by=head,
        )

    assert stored()[("On time", 1)][0] == Decimal("95")
