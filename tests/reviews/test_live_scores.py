"""A running cycle's results are stored when checks are submitted or reopened (LiveScore), and
the cycle pages and trends read those rows instead of recomputing them from every item."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services, standings
from reviews.models import LiveScore
from strategy.models import Unit
from strategy.roles import EXECUTIVE
from tests.factories import UnitFactory, fill_check, make_head, make_open_cycle
from tests.reviews.conftest import score_check

pytestmark = pytest.mark.django_db


def stored(cycle) -> dict:
    """The stored rows in the shape of build_snapshot's figures."""
    rows = LiveScore.objects.filter(cycle=cycle)
    return {
        "cells": {(r.objective_id, r.unit_id): r.score for r in rows.cells()},
        "teams": {r.unit_id: r.score for r in rows.filter(objective__isnull=True)},
        "objectives": {r.objective_id: r.score for r in rows.filter(unit__isnull=True)},
        "index": services.live_index(cycle),
    }


def computed(cycle) -> dict:
    snapshot = services.build_snapshot(cycle)
    return {
        "cells": {(o, t): s for o, t, s in snapshot["cells"]},
        "teams": {t["id"]: t["score"] for t in snapshot["teams"] if t["score"] is not None},
        "objectives": {
            o["id"]: o["score"] for o in snapshot["objectives"] if o["score"] is not None
        },
        "index": snapshot["index"],
    }


def assert_same(cycle):
    live, built = stored(cycle), computed(cycle)
    assert live["cells"] == built["cells"]
    assert live["teams"] == built["teams"]
    assert live["objectives"] == pytest.approx(built["objectives"])
    assert live["index"] == pytest.approx(built["index"])


def test_submitted_checks_store_the_results_build_snapshot_computes(worked_example):
    assert_same(worked_example)
    assert stored(worked_example)["index"] == 62.5  # docs/scoring.md's worked example


def test_a_draft_changes_no_stored_result(cycle, logistics_check, head, objectives):
    a, b = objectives

    with CaptureQueriesContext(connection) as queries:
        score_check(logistics_check, by=head, scores={a: 4, b: 2}, submit=False)

    assert not LiveScore.objects.exists()
    assert not [q for q in queries.captured_queries if "reviews_livescore" in q["sql"]]


def test_reopening_a_check_takes_its_team_out_of_the_stored_results(
    worked_example, logistics_check, finance_check, executive, objectives
):
    a, _ = objectives

    services.check_reopen(check=logistics_check, by=executive, reason="Evidence missing.")

    assert_same(worked_example)
    live = stored(worked_example)
    assert logistics_check.unit_id not in live["teams"]
    assert live["objectives"] == {a.pk: 100}  # Finance alone


def test_submitting_again_after_a_reopening_stores_the_new_scores(
    worked_example, logistics_check, head, executive, objectives
):
    a, b = objectives
    services.check_reopen(check=logistics_check, by=executive, reason="Evidence missing.")

    score_check(logistics_check, by=head, scores={a: 5, b: 1})

    assert_same(worked_example)
    assert stored(worked_example)["cells"][(b.pk, logistics_check.unit_id)] == 0


def test_executive_scores_give_the_disagreements_build_snapshot_finds(
    worked_example, executive, objectives, logistics, finance
):
    a, b = objectives
    for unit, objective, score in ((finance, a, 3), (logistics, a, 3), (logistics, b, 5)):
        services.executive_score_set(
            cycle=worked_example, unit=unit, objective=objective, score=score, note="", by=executive
        )
    summary = standings.summary(worked_example)

    found, total, names = standings._disagreements(worked_example, summary)

    assert found == services.build_snapshot(worked_example)["disagreements"]
    assert total == 2  # Finance on A (5.0 against 3), Logistics on B (2.0 against 5)
    assert names == {finance.pk: "Finance", logistics.pk: "Logistics"}


def test_rebuilding_stores_what_the_services_stored(worked_example):
    before = stored(worked_example)

    services.live_scores_rebuild(cycle=worked_example)

    assert stored(worked_example) == before


def test_closing_a_cycle_hands_its_results_over_to_the_frozen_rows(worked_example, executive):
    services.cycle_close(cycle=worked_example, by=executive)

    assert not LiveScore.objects.filter(cycle=worked_example).exists()
    assert worked_example.frozen_scores.company().get().score == 62.5


@pytest.mark.parametrize("page", ["trends", "team trend", "objective trend"])
def test_trend_pages_read_stored_rows_and_never_the_check_items(
    client, worked_example, executive, objectives, logistics, page
):
    url = {
        "trends": reverse("reviews:trends"),
        "team trend": reverse("reviews:trend-team", args=[logistics.code]),
        "objective trend": reverse("reviews:trend-objective", args=[objectives[0].pk]),
    }[page]
    client.force_login(executive)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "reviews_checkitem" in q["sql"]]
    assert "(open)" in response.content.decode()
    values = [p.value for p in response.context["chart"].points] if page != "trends" else None
    if page == "team trend":
        assert values[-1] == pytest.approx(47.73, abs=0.005)  # Logistics: 21 of its 11 levers
    if page == "objective trend":
        assert values[-1] == 87.5  # A: Logistics 75, Finance 100
    if page == "trends":
        assert response.context["trend"]()["company"].points[-1].value == 62.5


# --- Bounded pages ---------------------------------------------------------------------------


@pytest.fixture
def regions(logistics, finance):
    """Logistics in the North region, Finance in the South one, and five more teams each."""
    north = UnitFactory(name="North", code="north", level=Unit.Level.BUSINESS, kind="region")
    south = UnitFactory(name="South", code="south", level=Unit.Level.BUSINESS, kind="region")
    Unit.objects.filter(pk=logistics.pk).update(parent=north)
    Unit.objects.filter(pk=finance.pk).update(parent=south)
    for n in range(5):
        UnitFactory(name=f"Depot {n}", parent=north)
        UnitFactory(name=f"Branch {n}", parent=south)
    return north, south


@pytest.fixture
def busy_cycle(current_position, commitments, regions, head, other_head):
    """Q2 FY2026 open for the 12 teams; Finance has submitted."""
    cycle = make_open_cycle(current_position, quarter=2)
    fill_check(cycle.checks.get(unit__code="finance"), by=other_head, scores=5)
    return cycle


def rows(response) -> list[str]:
    return [row["team"]["name"] for row in response.context["heatmap"]]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(standings, "TEAMS_PER_PAGE", 4)


def test_the_heatmap_shows_a_page_of_teams_grouped_by_region_with_what_is_hidden(
    client, busy_cycle, executive, small_pages
):
    client.force_login(executive)
    url = reverse("reviews:cycle-heatmap", args=[busy_cycle.pk])

    first = client.get(url)
    second = client.get(url, {"page": 2})

    assert rows(first) == ["Depot 0", "Depot 1", "Depot 2", "Depot 3"]
    assert rows(second) == ["Depot 4", "Logistics", "Branch 0", "Branch 1"]
    assert [row["region"] for row in second.context["heatmap"]] == ["North"] * 2 + ["South"] * 2
    html = first.content.decode()
    assert "Teams 1–4 of 12; 8 not on this page." in html
    assert '<th scope="rowgroup" colspan="5">North</th>' in html
    assert "page=2" in html and "Page 1 of 3" in html


def test_the_heatmap_filters_by_region_state_and_name_and_counts_the_hidden_teams(
    client, busy_cycle, executive, regions
):
    north, south = regions
    client.force_login(executive)
    url = reverse("reviews:cycle-heatmap", args=[busy_cycle.pk])

    in_south = client.get(url, {"region": south.pk, "q": "branch"})
    submitted = client.get(url, {"state": "submitted"})
    missing = client.get(url, {"state": "unsubmitted", "sort": "name", "region": north.pk})

    assert rows(in_south) == [f"Branch {n}" for n in range(5)]
    assert "7 of 12 hidden by the filters" in in_south.content.decode()
    assert rows(submitted) == ["Finance"]
    assert submitted.context["heatmap"][0]["cells"][0]["text"] == "100"
    assert rows(missing) == [f"Depot {n}" for n in range(5)] + ["Logistics"]


def test_the_heatmap_sorts_by_fit_or_state_with_the_unscored_teams_last(
    client, busy_cycle, executive, head, logistics, finance, regions
):
    north, _ = regions
    Unit.objects.filter(pk=finance.pk).update(parent=north)  # both scored teams in the North
    fill_check(busy_cycle.checks.get(unit=logistics), by=head, scores=2)
    client.force_login(executive)
    url = reverse("reviews:cycle-heatmap", args=[busy_cycle.pk])
    depots = [f"Depot {n}" for n in range(5)]

    def shown(sort: str) -> list[str]:
        return rows(client.get(url, {"region": north.pk, "sort": sort}))

    assert shown("score") == ["Logistics", "Finance", *depots]
    assert shown("-score") == ["Finance", "Logistics", *depots]
    assert shown("state") == [*depots, "Finance", "Logistics"]  # not started, then submitted
    assert shown("name") == [*depots, "Finance", "Logistics"]


def test_the_heatmap_matches_a_name_literally_and_pages_what_the_filters_let_through(
    client, busy_cycle, executive, small_pages
):
    client.force_login(executive)
    url = reverse("reviews:cycle-heatmap", args=[busy_cycle.pk])

    wildcards = [client.get(url, {"q": q}) for q in ("%", "_", "\\")]
    second = client.get(url, {"q": "depot", "page": 2})
    beyond = client.get(url, {"q": "depot", "page": 9})

    assert [rows(r) for r in wildcards] == [[], [], []]
    assert "No team; 12 of 12 hidden by the filters" in wildcards[0].content.decode()
    assert rows(second) == rows(beyond) == ["Depot 4"]
    assert "Teams 5–5 of 5; 7 of 12 hidden by the filters; 11 not on this page." in (
        second.content.decode()
    )


def test_a_filter_that_is_not_valid_says_so_and_filters_nothing(client, busy_cycle, executive):
    client.force_login(executive)

    response = client.get(busy_cycle.get_absolute_url(), {"state": "lost", "q": "Depot"})

    assert rows(response) == [f"Depot {n}" for n in range(5)]
    assert response.context["team_filters"].errors["state"]


@pytest.fixture
def executive_head(logistics):
    """An executive who also heads Logistics."""
    return make_head(logistics, username="eve-exec-head", groups=[EXECUTIVE])


def test_a_head_sees_their_own_team_first(client, busy_cycle, executive_head, small_pages):
    client.force_login(executive_head)

    response = client.get(reverse("reviews:cycle-heatmap", args=[busy_cycle.pk]))

    assert rows(response)[0] == "Logistics"
    assert response.context["heatmap"][0]["is_first"]
    assert '<th scope="rowgroup" colspan="5">Your team</th>' in response.content.decode()


def test_the_cycle_page_bounds_the_teams_and_the_agenda(
    client, busy_cycle, executive, small_pages, monkeypatch
):
    monkeypatch.setattr(standings, "AGENDA_LIMIT", 3)
    client.force_login(executive)

    response = client.get(busy_cycle.get_absolute_url())

    assert len(response.context["heatmap"]) == 4
    missing = [i.text for i in response.context["agenda"] if i.kind == "missing"]
    assert missing == [
        "The check of Branch 0 has not started.",
        "The check of Branch 1 has not started.",
        "The check of Branch 2 has not started.",
    ]
    assert response.context["agenda_more"]["missing"] == 8
    html = response.content.decode()
    assert "And 8 more checks not submitted" in html
    assert "11 of 12 teams" not in html  # completion is still about every team
    assert "1 submitted, 0 in draft, 11 not started, of 12 teams." in html


def test_the_score_form_offers_the_teams_of_the_page_and_takes_any_team_of_the_cycle(
    client, busy_cycle, executive, objectives, small_pages
):
    a, _ = objectives
    client.force_login(executive)
    form = client.get(busy_cycle.get_absolute_url()).context["score_form"]
    offered = [label for _, label in form.fields["unit"].choices][1:]
    branch = busy_cycle.checks.get(unit__name="Branch 4").unit

    response = client.post(
        reverse("reviews:executive-score", args=[busy_cycle.pk]),
        {"unit": branch.pk, "objective": a.pk, "score": 2, "note": ""},
    )

    assert offered == ["Depot 0", "Depot 1", "Depot 2", "Depot 3"]
    assert response.status_code == 302
    assert busy_cycle.executive_scores.get().unit == branch


def test_the_cycle_list_shows_the_index_and_the_checks_submitted(
    client, worked_example, executive, other_head
):
    client.force_login(executive)

    response = client.get(reverse("reviews:cycle-list"))

    html = response.content.decode()
    assert "<td>2 of 2</td>" in html
    assert "63 <span" in html  # 62.5 so far, from the stored rows


def test_the_cycle_page_lists_a_heads_own_team_first_too(client, busy_cycle, executive_head):
    client.force_login(executive_head)

    response = client.get(busy_cycle.get_absolute_url())

    assert rows(response)[:2] == ["Logistics", "Depot 0"]


def test_a_closed_cycle_lists_the_disagreements_its_snapshot_froze(
    client, worked_example, executive, objectives, finance
):
    a, _ = objectives
    services.executive_score_set(
        cycle=worked_example, unit=finance, objective=a, score=3, note="", by=executive
    )
    services.cycle_close(cycle=worked_example, by=executive)
    client.force_login(executive)

    response = client.get(worked_example.get_absolute_url())

    assert [i.text for i in response.context["agenda"] if i.kind == "disagreement"] == [
        f"Finance on “{a.title}”: the head says 5.0, an executive says 3 (out of 5)."
    ]


def test_the_trends_page_shows_a_page_of_teams_searchable_by_name(
    client, worked_example, executive, monkeypatch
):
    monkeypatch.setattr("reviews.trends.TEAMS_PER_PAGE", 1)
    client.force_login(executive)

    first = client.get(reverse("reviews:trends"))
    found = client.get(reverse("reviews:trends"), {"q": "logis"})

    assert [row["unit"].name for row in first.context["trend"]()["teams"]] == ["Finance"]
    assert "Teams 1–1 of 2" in first.content.decode()
    assert [row["unit"].name for row in found.context["trend"]()["teams"]] == ["Logistics"]
    assert [v["text"] for v in found.context["trend"]()["teams"][0]["values"]] == ["48"]
