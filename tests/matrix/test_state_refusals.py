"""The server refuses every state change in the states where the page does not offer it.

Each row posts, as someone allowed to make the change in the right state, to an object in a
state where its page shows no button or form for it. The answer says why (a message, or the
page again with the error) and no row of the project changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from notifications.models import Delivery, Digest
from strategy.models import MeasureActual
from tests.factories import MeasureFactory, objective_data, objective_edit_data, position_edit_data
from tests.matrix.support import changed_tables, snapshot, undone
from tests.matrix.test_url_matrix import check_form

pytestmark = pytest.mark.django_db


def r(name: str, *args) -> str:
    return reverse(name, args=args)


def action_data(w) -> dict:
    return {
        "kind": "corrective",
        "title": "Hire two pickers",
        "description": "",
        "objective": w.a.pk,
        "owner": w.logistics.pk,
        "due_on": "2026-09-30",
        "agenda_item": "",
    }


def old_measure(w):
    """A measure of last year's objective that Logistics reports, made by the rows' setup."""
    return w.last_year.objectives.get().measures.get(name="Picks per hour")


def old_measure_value(w) -> dict:
    name = f"measure-{old_measure(w).pk}-Q4"
    return {name: "70", f"{name}-shown": ""}


def score_data(w) -> dict:
    return {"unit": w.logistics.pk, "objective": w.a.pk, "score": "2", "note": "Too slow."}


@dataclass
class Refused:
    who: str
    url: Callable
    data: Callable = lambda w: {}
    hidden: Callable | None = None  # (page URL, text of the button or form it does not show)
    setup: Callable = lambda w: None


REFUSALS = {
    # --- Review cycles ---------------------------------------------------------------------
    "open a running review": Refused(
        "executive",
        lambda w: r("reviews:cycle-open", w.running.pk),
        hidden=lambda w: (w.running.get_absolute_url(), "Open the review"),
    ),
    "open a closed review": Refused("executive", lambda w: r("reviews:cycle-open", w.closed.pk)),
    "change the dates of a running review": Refused(
        "executive",
        lambda w: r("reviews:cycle-edit", w.running.pk),
        lambda w: {"opens_on": "2026-04-06", "due_on": "2026-04-20"},
        hidden=lambda w: (w.running.get_absolute_url(), "Change dates"),
    ),
    "start the meeting of a planned review": Refused(
        "executive",
        lambda w: r("reviews:cycle-start-review", w.planned.pk),
        hidden=lambda w: (w.planned.get_absolute_url(), "Start the review meeting"),
    ),
    "start the meeting of a closed review": Refused(
        "executive", lambda w: r("reviews:cycle-start-review", w.closed.pk)
    ),
    "close a planned review": Refused(
        "executive",
        lambda w: r("reviews:cycle-close", w.planned.pk),
        hidden=lambda w: (w.planned.get_absolute_url(), "Close and freeze"),
    ),
    "close a closed review again": Refused(
        "executive",
        lambda w: r("reviews:cycle-close", w.closed.pk),
        hidden=lambda w: (w.closed.get_absolute_url(), "Close and freeze"),
    ),
    "record an action in a closed review": Refused(
        "executive",
        lambda w: r("reviews:action-create", w.closed.pk),
        action_data,
        hidden=lambda w: (w.closed.get_absolute_url(), "Record an action"),
    ),
    "record an action in a planned review": Refused(
        "executive",
        lambda w: r("reviews:action-create", w.planned.pk),
        action_data,
        hidden=lambda w: (w.planned.get_absolute_url(), "Record an action"),
    ),
    "score a team in a closed review": Refused(
        "executive",
        lambda w: r("reviews:executive-score", w.closed.pk),
        score_data,
        hidden=lambda w: (w.closed.get_absolute_url(), "Record your own score"),
    ),
    "score a team in a planned review": Refused(
        "executive",
        lambda w: r("reviews:executive-score", w.planned.pk),
        score_data,
        hidden=lambda w: (w.planned.get_absolute_url(), "Record your own score"),
    ),
    "build a report of a planned review": Refused(
        "executive",
        lambda w: r("reports:report-request", w.planned.pk, "pdf"),
        hidden=lambda w: (w.planned.get_absolute_url(), "Build the PDF"),
    ),
    "complete an action already done": Refused(
        "executive",
        lambda w: r("reviews:action-complete", w.action.pk),
        hidden=lambda w: (w.closed.get_absolute_url(), f"Done: {w.action.title}"),
        setup=lambda w: w.action.complete(),
    ),
    # --- Checks ----------------------------------------------------------------------------
    "save a check of a closed review": Refused(
        "head_a",
        lambda w: r("reviews:check-save", w.closed.checks.get(unit=w.logistics).pk),
        lambda w: check_form(w.closed.checks.get(unit=w.logistics)) | {"save": ""},
        hidden=lambda w: (
            r("reviews:check-edit", w.closed.checks.get(unit=w.logistics).pk),
            "Save draft",
        ),
    ),
    "save a submitted check": Refused(
        "head_b",
        lambda w: r("reviews:check-save", w.finance_check.pk),
        lambda w: check_form(w.finance_check) | {"save": ""},
        hidden=lambda w: (r("reviews:check-edit", w.finance_check.pk), "Save draft"),
    ),
    "add an objective to a check of a closed review": Refused(
        "head_a",
        lambda w: r("reviews:check-add-objective", w.closed.checks.get(unit=w.logistics).pk),
        lambda w: {"objective": w.last_year.objectives.get().pk},
        hidden=lambda w: (
            r("reviews:check-edit", w.closed.checks.get(unit=w.logistics).pk),
            "Add to check",
        ),
    ),
    "reopen a check of a closed review": Refused(
        "executive",
        lambda w: r("reviews:check-reopen", w.closed.checks.get(unit=w.logistics).pk),
        lambda w: {"reason": "Numbers were wrong."},
        hidden=lambda w: (
            r("reviews:check-edit", w.closed.checks.get(unit=w.logistics).pk),
            "Reopen",
        ),
    ),
    "enter a measure value in a closed review": Refused(
        "head_a",
        lambda w: r("reviews:check-measures-save", w.closed.checks.get(unit=w.logistics).pk),
        old_measure_value,
        hidden=lambda w: (
            r("reviews:check-edit", w.closed.checks.get(unit=w.logistics).pk),
            "Save values",
        ),
        setup=lambda w: MeasureFactory(
            objective=w.last_year.objectives.get(),
            name="Picks per hour",
            reporting_team=w.logistics,
        ),
    ),
    "enter another team's measure value on one's own check": Refused(
        "head_b",
        lambda w: r("reviews:check-measures-save", w.finance_check.pk),
        lambda w: {f"measure-{w.measure.pk}-Q1": "91.5", f"measure-{w.measure.pk}-Q1-shown": ""},
        hidden=lambda w: (r("reviews:check-edit", w.finance_check.pk), f"measure-{w.measure.pk}"),
    ),
    "retry a delivery that did not fail": Refused(
        "admin",
        lambda w: r("notifications:delivery-retry", w.delivery.pk),
        setup=lambda w: Delivery.objects.filter(pk=w.delivery.pk).update(state=Delivery.State.SENT),
    ),
    "retry a digest that did not fail": Refused(
        "admin",
        lambda w: r("notifications:digest-retry", w.digest.pk),
        setup=lambda w: Digest.objects.filter(pk=w.digest.pk).update(state=Digest.State.SENT),
    ),
    # --- Strategy --------------------------------------------------------------------------
    "publish a published position": Refused(
        "executive",
        lambda w: r("strategy:position-publish", w.current.fiscal_year),
        hidden=lambda w: (w.current.get_absolute_url(), ">Publish</button>"),
    ),
    "edit a published position": Refused(
        "executive",
        lambda w: r("strategy:position-edit", w.current.fiscal_year),
        lambda w: position_edit_data(w.current) | {"statement": "Changed."},
        hidden=lambda w: (w.current.get_absolute_url(), "Edit position"),
    ),
    "add an objective to a published position": Refused(
        "executive",
        lambda w: r("strategy:objective-create", w.current.fiscal_year),
        lambda w: objective_data(owner=w.people["executive"]),
        hidden=lambda w: (w.current.get_absolute_url(), "Add objective"),
    ),
    "edit an objective of a published position": Refused(
        "executive",
        lambda w: r("strategy:objective-edit", w.a.pk),
        lambda w: objective_edit_data(w.a, title="Changed"),
        hidden=lambda w: (w.a.get_absolute_url(), ">Edit</a>"),
    ),
    "move an objective of a published position": Refused(
        "executive",
        lambda w: r("strategy:objective-move", w.a.pk, "down"),
        hidden=lambda w: (w.current.get_absolute_url(), f"Move {w.a.title} down"),
    ),
    "decide on an objective of a published position": Refused(
        "executive",
        lambda w: r("strategy:objective-decide", w.b.pk, "retired"),
        hidden=lambda w: (w.current.get_absolute_url(), f"Retire {w.b.title}"),
    ),
    # --- Measured outcomes -----------------------------------------------------------------
    "enter a value of a retired objective's measure": Refused(
        "head_a",
        lambda w: r("strategy:measure-actual-record", w.measure.pk),
        lambda w: measure_value(w.measure),
        hidden=lambda w: (w.a.get_absolute_url(), "Record value"),
        setup=lambda w: w.a.retire(),
    ),
    "enter a value of a draft's measure": Refused(
        "executive",
        lambda w: r("strategy:measure-actual-record", w.draft_measure.pk),
        lambda w: measure_value(w.draft_measure),
        hidden=lambda w: (w.draft_objective.get_absolute_url(), "Record value"),
        setup=lambda w: setattr(
            w, "draft_measure", MeasureFactory(objective=w.draft_objective, reporting_team=None)
        ),
    ),
}


def measure_value(measure) -> dict:
    prefix = f"measure-{measure.pk}"
    return {f"{prefix}-period": "Q1", f"{prefix}-value": "91.5"}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("name", REFUSALS)
def test_a_change_the_page_does_not_offer_is_refused_and_changes_nothing(world, name):
    refused = REFUSALS[name]
    refused.setup(world)
    client = Client()
    client.force_login(world.people[refused.who])
    if refused.hidden is not None:
        page, text = refused.hidden(world)
        assert text not in client.get(page).content.decode()
    data = refused.data(world)
    url = refused.url(world)

    before = snapshot()
    with undone(client):
        response = client.post(url, data)
        changed = changed_tables(before, snapshot())

    assert changed == []
    if response.status_code == 302:
        assert messages_of(response), "refused without saying why"
    else:
        assert response.status_code in (400, 409)
        assert "alert-danger" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "answer"),
    [("member", 404), ("head_b", 404), ("outsider", 404), ("admin", 403)],
)
def test_only_the_reporting_teams_head_or_an_executive_enters_a_measure_value(world, who, answer):
    """A member of A, another team's head: A's check is not theirs, and no value is written.
    The admin reads the check but enters no value."""
    client = Client()
    client.force_login(world.people[who])
    name = f"measure-{world.measure.pk}-Q1"
    before = snapshot()

    with undone(client):
        response = client.post(
            r("reviews:check-measures-save", world.logistics_check.pk),
            {name: "91.5", f"{name}-shown": ""},
        )
        changed = changed_tables(before, snapshot())

    assert response.status_code == answer
    assert changed == []
    assert not MeasureActual.objects.filter(measure=world.measure).exists()
