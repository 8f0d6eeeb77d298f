"""What the API's lists and items say, and to whom: what the matching pages show, to the people
they show it to. (Every endpoint against every person: tests/matrix/test_api_matrix.py.)"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications import notify
from notifications.models import Delivery
from reviews import services
from reviews.models import Action, AlignmentCheck
from strategy import outcomes
from strategy.models import Measure, MeasureActual, Objective, Unit
from sustain.models import StoredSignal
from tests.factories import (
    ChatChannelFactory,
    CommitmentFactory,
    CompetitorFactory,
    MeasureFactory,
    UnitFactory,
    WebhookEndpointFactory,
    fill_check,
    make_open_cycle,
)

pytestmark = pytest.mark.django_db


def results(response) -> list:
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


# --- The strategy ----------------------------------------------------------------------------


def test_a_position_comes_with_its_themes_priorities_competitors_objectives_and_measures(
    api, member, current_position, logistics
):
    CompetitorFactory(position=current_position, name="BudgetCo")
    objective = current_position.objectives.order_by("order").first()
    MeasureFactory(objective=objective, name="On time", reporting_team=logistics)

    position = api(member).get("/api/v1/positions/2026/").json()

    assert (position["fiscal_year"], position["status"], position["is_current"]) == (
        2026,
        "published",
        True,
    )
    assert position["themes"] == [
        {"theme": "service", "weight": 70},
        {"theme": "price", "weight": 30},
    ]
    assert [p["title"] for p in position["priorities"]] == ["On-time delivery"]
    assert [c["name"] for c in position["competitors"]] == ["BudgetCo"]
    first = position["objectives"][0]
    assert first["id"] == objective.pk and first["fiscal_year"] == 2026
    assert first["owner"]["username"] == objective.owner.username
    assert first["measures"][0] | {"id": 0} == {
        "id": 0,
        "objective": objective.pk,
        "name": "On time",
        "unit": "%",
        "baseline": "80.00",
        "target": "95.00",
        "direction": "higher",
        "frequency": "quarterly",
        "reporting_team": {"id": logistics.pk, "code": "logistics", "name": "Logistics"},
        "customer_felt": True,
        "previous": None,
    }


def test_drafts_are_for_executives_and_admins_as_on_the_pages(
    api, member, head, executive, admin_user, current_position, draft_position
):
    for person in (member, head):
        client = api(person)
        assert [p["fiscal_year"] for p in results(client.get("/api/v1/positions/"))] == [2026]
        assert client.get("/api/v1/positions/2027/").status_code == 404
        assert {o["fiscal_year"] for o in results(client.get("/api/v1/objectives/"))} == {2026}
    for person in (executive, admin_user):
        listed = results(api(person).get("/api/v1/positions/"))
        assert [p["fiscal_year"] for p in listed] == [2027, 2026]


def test_objectives_and_measures_are_filtered_as_asked(
    api, member, current_position, draft_position, logistics, finance
):
    first, second = current_position.objectives.order_by("order")
    second.retire()
    MeasureFactory(objective=first, reporting_team=logistics)
    theirs = MeasureFactory(objective=first, reporting_team=finance)
    client = api(member)

    active = results(client.get("/api/v1/objectives/?position=2026&retired=false"))
    measures = results(client.get("/api/v1/measures/?reporting_team=finance"))

    assert [o["id"] for o in active] == [first.pk]
    assert [m["id"] for m in measures] == [theirs.pk]
    refused = client.get("/api/v1/objectives/?position=next&theme=luxury")
    assert refused.status_code == 400
    assert [e["parameter"] for e in refused.json()["errors"]] == ["position", "theme"]


def test_measure_values_are_listed_with_their_period_as_the_pages_name_it(
    api, member, head, current_position, logistics
):
    objective = current_position.objectives.first()
    monthly = MeasureFactory(objective=objective, reporting_team=logistics, frequency="monthly")
    outcomes.measure_actual_record(
        measure=monthly, period=outcomes.Period(2026, 7, "monthly"), value="88.5", by=head
    )

    listed = results(api(member).get(f"/api/v1/measure-actuals/?measure={monthly.pk}"))

    assert listed == [
        {
            "id": MeasureActual.objects.get().pk,
            "measure": monthly.pk,
            "fiscal_year": 2026,
            "period": 7,
            "period_code": "M7",
            "value": "88.50",
            "comment": "",
            "source": "entered",
            "entered_by": {"id": head.pk, "username": "hugo-head", "name": head.get_full_name()},
            "entered_at": listed[0]["entered_at"],
        }
    ]


# --- The organisation ------------------------------------------------------------------------


@pytest.fixture
def organisation(logistics, finance):
    """Northwind (company) > North (region) > Logistics; Finance at the top."""
    company = UnitFactory(name="Northwind", code="northwind", level="business", kind="company")
    region = UnitFactory(
        name="North", code="north", level="business", kind="region", parent=company
    )
    Unit.objects.filter(pk=logistics.pk).update(parent=region)
    return company, region


def test_the_organisation_is_a_tree_everyone_may_walk(api, member, organisation):
    company, region = organisation
    client = api(member)

    roots = results(client.get("/api/v1/units/?root=true"))
    under_north = results(client.get("/api/v1/units/?parent=north"))
    tree = client.get("/api/v1/units/tree/").json()

    assert [u["code"] for u in roots] == ["finance", "northwind"]
    assert roots[1]["children_count"] == 1
    assert [(u["code"], u["parent"]["code"]) for u in under_north] == [("logistics", "north")]
    assert [(u["code"], [c["code"] for c in u["children"]]) for u in tree] == [
        ("finance", []),
        ("northwind", ["north"]),
    ]
    assert tree[1]["children"][0]["children"][0]["code"] == "logistics"


def test_a_unit_and_its_people_are_for_those_who_may_open_its_page(
    api, member, head, executive, organisation, other_head
):
    client = api(member)

    mine = client.get("/api/v1/units/logistics/").json()

    assert [a["code"] for a in mine["ancestors"]] == ["northwind", "north"]
    assert (mine["head_count"], mine["member_count"]) == (1, 1)
    assert client.get("/api/v1/units/finance/").status_code == 404
    memberships = results(client.get("/api/v1/memberships/"))
    assert {(m["unit"]["code"], m["user"]["username"]) for m in memberships} == {
        ("logistics", "hugo-head"),
        ("logistics", "mia-member"),
    }
    # Heads and executives see every team, as on the pages.
    assert api(head).get("/api/v1/units/finance/").status_code == 200
    everyone = results(api(executive).get("/api/v1/memberships/?role=head"))
    assert {m["user"]["username"] for m in everyone} == {"hugo-head", "fay-finance"}


def test_commitments_are_those_of_the_units_one_may_open(
    api, member, executive, current_position, logistics, finance
):
    objective = current_position.objectives.first()
    ours = CommitmentFactory(unit=logistics, objective=objective)
    CommitmentFactory(unit=finance, objective=objective)
    done = CommitmentFactory(unit=logistics, objective=objective, status="done")

    mine = results(api(member).get("/api/v1/commitments/"))
    still_open = results(api(executive).get("/api/v1/commitments/?unit=logistics&open=true"))

    assert {c["id"] for c in mine} == {ours.pk, done.pk}
    assert [c["id"] for c in still_open] == [ours.pk]
    assert mine[0]["objective"] == {"id": objective.pk, "title": objective.title}
    assert mine[0]["fiscal_year"] == 2026


# --- Reviews ---------------------------------------------------------------------------------


@pytest.fixture
def reviews(current_position, logistics, finance, head, other_head, executive):
    """Q1 closed (both teams submitted), Q2 running (Finance submitted, Logistics not yet)."""
    objective = current_position.objectives.order_by("order").first()
    CommitmentFactory(unit=logistics, objective=objective)
    CommitmentFactory(unit=finance, objective=objective)
    closed = make_open_cycle(current_position, quarter=1)
    fill_check(closed.checks.get(unit=logistics), by=head, scores=4)
    fill_check(closed.checks.get(unit=finance), by=other_head, scores=2)
    services.cycle_close(cycle=closed, by=executive)
    running = make_open_cycle(current_position, quarter=2)
    fill_check(running.checks.get(unit=finance), by=other_head, scores=5)
    return closed, running, objective


def test_cycles_are_listed_with_their_index_frozen_or_as_it_stands(api, executive, reviews, head):
    closed, running, _ = reviews

    listed = results(api(executive).get("/api/v1/cycles/"))

    assert [(c["label"], c["state"], c["is_frozen"]) for c in listed] == [
        ("Q2 FY2026", "open", False),
        ("Q1 FY2026", "closed", True),
    ]
    assert [(c["checks_total"], c["checks_submitted"]) for c in listed] == [(2, 1), (2, 2)]
    assert listed[1]["index"] == pytest.approx(services.cycle_scores(closed)["index"])
    assert listed[0]["index"] == pytest.approx(services.live_index(running))
    assert api(head).get("/api/v1/cycles/").status_code == 403


def test_a_closed_cycles_results_are_frozen(api, executive, reviews):
    closed, _, objective = reviews
    client = api(executive)
    before = client.get(f"/api/v1/cycles/{closed.pk}/results/").json()

    # What changes after closing does not change what the review saw.
    Objective.objects.filter(pk=objective.pk).update(title="Renamed", priority_weight=90)

    after = client.get(f"/api/v1/cycles/{closed.pk}/results/").json()
    assert after == before
    assert before["is_frozen"] is True
    assert before["completion"] | {"percent": 0} == {
        "submitted": 2,
        "draft": 0,
        "not_started": 0,
        "total": 2,
        "percent": 0,
    }
    assert before["objectives"][0]["title"] == objective.title
    assert before["objectives"][0]["teams"] == 2


def test_the_teams_results_come_a_page_at_a_time_with_their_fit_on_each_objective(
    api, executive, reviews, finance, logistics
):
    closed, running, objective = reviews
    client = api(executive)

    frozen = client.get(f"/api/v1/cycles/{closed.pk}/results/teams/?ordering=-score").json()
    first = client.get(f"/api/v1/cycles/{running.pk}/results/teams/?page_size=1").json()
    unsubmitted = client.get(f"/api/v1/cycles/{running.pk}/results/teams/?state=unsubmitted")

    assert [t["team"]["code"] for t in frozen["results"]] == ["logistics", "finance"]
    assert frozen["results"][0]["cells"][0]["objective"] == objective.pk
    assert frozen["results"][0]["cells"][0]["score"] > frozen["results"][1]["cells"][0]["score"]
    assert (first["count"], len(first["results"])) == (2, 1)
    assert "page=2" in first["next"]
    assert [t["team"]["code"] for t in unsubmitted.json()["results"]] == ["logistics"]
    refused = client.get(f"/api/v1/cycles/{running.pk}/results/teams/?ordering=age&page=0")
    assert refused.status_code == 400
    assert {e["parameter"] for e in refused.json()["errors"]} == {"ordering", "page"}


def test_a_head_reads_their_own_teams_checks_and_an_executive_every_teams(
    api, head, member, executive, reviews, logistics
):
    _, running, _ = reviews

    mine = results(api(head).get("/api/v1/checks/"))
    all_of_them = results(api(executive).get(f"/api/v1/checks/?cycle={running.pk}"))

    assert {c["unit"]["code"] for c in mine} == {"logistics"}
    assert len(all_of_them) == 2
    assert results(api(member).get("/api/v1/checks/")) == []
    theirs = running.checks.get(unit__code="finance")
    assert api(head).get(f"/api/v1/checks/{theirs.pk}/").status_code == 404


def test_a_check_comes_with_its_items_its_teams_commitments_and_its_version_as_etag(
    api, head, reviews, logistics
):
    _, running, objective = reviews
    check = running.checks.get(unit=logistics)

    response = api(head).get(f"/api/v1/checks/{check.pk}/")

    assert response.status_code == 200
    assert response["ETag"] == f'"{check.version}"'
    body = response.json()
    assert body["version"] == check.version and body["state"] == "not_started"
    assert [i["objective"]["id"] for i in body["items"]] == [objective.pk]
    assert body["items"][0]["scores"] == dict.fromkeys(
        ["people", "incentives", "inventory", "processes", "funding", "communication"]
    )
    assert [c["objective"] for c in body["commitments"]] == [objective.pk]


def test_late_checks_are_those_past_their_due_date_not_submitted_or_submitted_after_it(
    api, executive, current_position, logistics, finance, other_head
):
    today = timezone.localdate()
    cycle = make_open_cycle(current_position, quarter=3)
    cycle.due_on = today - timedelta(days=2)
    cycle.opens_on = today - timedelta(days=20)
    cycle.save()
    fill_check(cycle.checks.get(unit=finance), by=other_head)  # submitted today: late
    on_time = make_open_cycle(current_position, quarter=4)
    on_time.opens_on, on_time.due_on = today - timedelta(days=1), today + timedelta(days=5)
    on_time.save()
    client = api(executive)

    late = results(client.get("/api/v1/checks/?late=true"))
    not_late = results(client.get("/api/v1/checks/?late=false"))

    assert {(c["cycle"]["id"], c["unit"]["code"]) for c in late} == {
        (cycle.pk, "logistics"),
        (cycle.pk, "finance"),
    }
    assert all(c["is_late"] for c in late)
    assert {c["cycle"]["id"] for c in not_late} == {on_time.pk}
    assert not any(c["is_late"] for c in not_late)
    assert AlignmentCheck.objects.count() == 4


def test_actions_are_for_executives_and_admins(api, executive, head, reviews, logistics):
    closed, _, objective = reviews
    action = Action.objects.create(
        cycle=closed,
        title="Hire pickers",
        objective=objective,
        owner=logistics,
        due_on=date(2026, 9, 30),
        created_by=executive,
    )

    listed = results(api(executive).get("/api/v1/actions/?open=true&owner=logistics"))

    assert [(a["id"], a["is_done"], a["owner"]["code"]) for a in listed] == [
        (action.pk, False, "logistics")
    ]
    assert api(head).get("/api/v1/actions/").status_code == 403


def test_heads_read_their_own_teams_signals_and_executives_every_one(
    api, executive, head, member, logistics, finance
):
    for order, team in enumerate([logistics, finance, None]):
        StoredSignal.objects.create(
            order=order,
            kind="late",
            label="Late",
            subject=team.name if team else "Company",
            reason="Late twice",
            team=team.pk if team else None,
        )

    assert len(results(api(executive).get("/api/v1/signals/"))) == 3
    assert [s["team"] for s in results(api(head).get("/api/v1/signals/"))] == [logistics.pk]
    assert api(member).get("/api/v1/signals/").status_code == 403


def test_deliveries_are_for_admins(api, admin_user, executive, reviews, head):
    closed, _, _ = reviews
    Delivery.objects.create(
        cycle=closed, recipient=head, kind=Delivery.Kind.CHECK_OPENED, state="failed"
    )

    listed = results(api(admin_user).get("/api/v1/deliveries/?state=failed"))

    assert [(d["recipient"]["username"], d["state"]) for d in listed] == [("hugo-head", "failed")]
    assert api(executive).get("/api/v1/deliveries/").status_code == 403


def test_webhook_deliveries_name_their_endpoint_and_no_recipient(api, admin_user, reviews, head):
    closed, _, _ = reviews
    endpoint = WebhookEndpointFactory(name="BI feed")
    Delivery.objects.create(cycle=closed, recipient=head, kind=Delivery.Kind.CHECK_OPENED)
    notify.webhooks_emit(
        event="cycle.closed", step=f"cycle-{closed.pk}", data=dict, now=timezone.now(), cycle=closed
    )

    listed = results(api(admin_user).get(f"/api/v1/deliveries/?endpoint={endpoint.pk}"))

    assert [(d["kind"], d["recipient"], d["endpoint"]) for d in listed] == [
        ("cycle.closed", None, {"id": endpoint.pk, "name": "BI feed", "url": endpoint.url})
    ]
    assert endpoint.secret not in str(listed) and "payload" not in listed[0]


def test_chat_deliveries_name_their_channel_but_never_its_url(api, admin_user, reviews, logistics):
    closed, _, _ = reviews
    channel = ChatChannelFactory(name="#logistics", unit=logistics, platform="teams")
    Delivery.objects.create(
        cycle=closed,
        channel=channel,
        kind=Delivery.Kind.CHECK_REMINDER,
        step="before-7",
        payload={"title": "Reminder", "link": "https://x", "lines": [], "button": "Open"},
    )

    listed = results(api(admin_user).get(f"/api/v1/deliveries/?channel={channel.pk}"))

    assert [(d["kind"], d["recipient"], d["endpoint"], d["channel"]) for d in listed] == [
        (
            "check_reminder",
            None,
            None,
            {"id": channel.pk, "name": "#logistics", "platform": "teams", "unit": logistics.pk},
        )
    ]
    assert channel.url not in str(listed)


# --- Lists -----------------------------------------------------------------------------------


def test_lists_come_in_pages_of_the_size_asked_at_most_200_in_the_order_asked(api, member):
    for n in range(5):
        UnitFactory(name=f"Team {n:02}", code=f"team-{n}")
    client = api(member)

    page = client.get("/api/v1/units/?page_size=2&ordering=-name").json()
    capped = client.get("/api/v1/units/?page_size=5000").json()

    assert page["count"] == 6  # the member's own Logistics too
    assert [u["name"] for u in page["results"]] == ["Team 04", "Team 03"]
    assert page["next"].endswith("/api/v1/units/?ordering=-name&page=2&page_size=2")
    assert page["previous"] is None
    assert len(capped["results"]) == 6
    missing = client.get("/api/v1/units/?page=9")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("/api/v1/units/?page_size=ten", "page_size"),
        ("/api/v1/units/?page_size=0", "page_size"),
        ("/api/v1/measure-actuals/?period=0.5", "period"),
        ("/api/v1/units/?root=maybe", "root"),
        ("/api/v1/commitments/?due_before=", "due_before"),
    ],
)
def test_a_parameter_not_as_described_is_refused_not_ignored(api, member, query, parameter):
    refused = api(member).get(query)

    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in refused.json()["errors"]] == [parameter]
    assert api(member).get("/api/v1/units/?root=true&page_size=3").status_code == 200


def test_a_value_is_read_as_recorded(api, member, head, current_position, logistics):
    measure = MeasureFactory(
        objective=current_position.objectives.first(), reporting_team=logistics
    )
    outcomes.measure_actual_record(
        measure=measure, period=outcomes.Period(2026, 2), value=Decimal("90.25"), by=head
    )

    listed = results(api(member).get("/api/v1/measure-actuals/?fiscal_year=2026&period=2"))

    assert [(a["period_code"], a["value"]) for a in listed] == [("Q2", "90.25")]
    assert Measure.objects.count() == 1


def test_a_measure_says_whether_customers_feel_it(api, member, current_position):
    objective = current_position.objectives.order_by("order").first()
    felt = MeasureFactory(objective=objective, name="On time")
    internal = MeasureFactory(objective=objective, name="Overtime cost", customer_felt=False)

    listed = results(api(member).get("/api/v1/measures/"))

    assert {m["id"]: m["customer_felt"] for m in listed} == {felt.pk: True, internal.pk: False}
