"""The executives' pages: planning a review, the cycle page with its agenda, actions, heatmap."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Action, ReviewCycle
from tests.factories import ObjectiveFactory, UnitFactory, fill_check, make_open_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def previous_quarter(current_position, commitments, head, other_head, executive):
    """Q4 FY2025, closed: Logistics scored 4 everywhere (fit 75), Finance 5 (fit 100).

    Objective A 87.5, objective B 75, index (60 × 87.5 + 40 × 75) / 100 = 82.5.
    """
    cycle = make_open_cycle(current_position, fiscal_year=2025, quarter=4)
    fill_check(cycle.checks.get(unit__code="logistics"), by=head, scores=4)
    fill_check(cycle.checks.get(unit__code="finance"), by=other_head, scores=5)
    services.cycle_close(cycle=cycle, by=executive)
    cycle.refresh_from_db()
    return cycle


def agenda(response) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    for item in response.context["agenda"]:
        by_kind.setdefault(item.kind, []).append(item.text)
    return by_kind


def heatmap(response) -> dict[str, list]:
    return {
        row["team"]["name"]: [c["score"] for c in row["cells"]]
        for row in response.context["heatmap"]
    }


def cycle_data(**fields) -> dict:
    data = {"fiscal_year": "2026", "quarter": "2", "opens_on": "2026-07-01", "due_on": "2026-07-15"}
    return data | fields


# --- Planning --------------------------------------------------------------------------------


def test_an_executive_plans_the_next_quarterly_review(client, current_position, executive):
    client.force_login(executive)

    form = client.get(reverse("reviews:cycle-create")).context["form"]
    response = client.post(reverse("reviews:cycle-create"), cycle_data())

    assert form.initial["fiscal_year"] == 2026
    assert form.initial["quarter"] == 1
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302
    assert response.url == cycle.get_absolute_url()
    assert (cycle.label, cycle.state, cycle.position) == ("Q2 FY2026", "planned", current_position)


def test_a_review_due_before_it_opens_is_refused(client, current_position, executive):
    client.force_login(executive)

    response = client.post(reverse("reviews:cycle-create"), cycle_data(due_on="2026-06-30"))

    assert response.status_code == 200
    assert "The due date must be after the opening date." in response.content.decode()
    assert not ReviewCycle.objects.exists()


def test_a_second_review_of_the_same_quarter_is_refused(client, cycle, executive):
    client.force_login(executive)

    response = client.post(reverse("reviews:cycle-create"), cycle_data(quarter="1"))

    assert response.status_code == 200
    assert "There is already a review for Q1 FY2026." in response.content.decode()
    assert ReviewCycle.objects.count() == 1


# --- The cycle page --------------------------------------------------------------------------


def test_the_cycle_page_shows_completion_the_heatmap_and_the_index_against_last_quarter(
    client, previous_quarter, worked_example, executive
):
    client.force_login(executive)

    response = client.get(worked_example.get_absolute_url())

    html = response.content.decode()
    assert "2 submitted, 0 in draft, 0 not started, of 2 teams." in html
    assert heatmap(response) == {"Finance": [100, None], "Logistics": [75, 25]}
    assert response.context["results"]["index"] == 62.5
    assert response.context["change"] == -20  # from 82.5
    assert '<p class="display-5 mb-0">63</p>' in html
    assert '<span class="text-danger">-20</span> since Q4 FY2025' in html


def test_the_first_quarter_reviewed_has_no_change_to_show(client, worked_example, executive):
    client.force_login(executive)

    response = client.get(worked_example.get_absolute_url())

    assert response.context["change"]() is None  # a part of the cached body: its value
    assert "First quarter reviewed" in response.content.decode()


def test_completion_counts_drafts_and_checks_not_started_and_the_agenda_lists_them(
    client, current_position, commitments, head, other_head, executive
):
    UnitFactory(name="Sales")
    cycle = make_open_cycle(current_position, quarter=2)
    fill_check(cycle.checks.get(unit__code="logistics"), by=head, submit=False)
    fill_check(cycle.checks.get(unit__code="finance"), by=other_head)
    client.force_login(executive)

    response = client.get(cycle.get_absolute_url())

    assert "1 submitted, 1 in draft, 1 not started, of 3 teams." in response.content.decode()
    missing = [i for i in response.context["agenda"] if i.kind == "missing"]
    assert [i.team_id for i in missing] == [
        cycle.checks.get(unit__code=code).unit_id for code in ("logistics", "sales")
    ]
    assert "Logistics" in missing[0].text and "still in draft" in missing[0].text
    assert "Sales" in missing[1].text and "has not started" in missing[1].text


def test_the_agenda_lists_drops_low_scores_disagreements_and_unsupported_objectives(
    client, previous_quarter, worked_example, executive, objectives, logistics, finance
):
    a, b = objectives
    ObjectiveFactory(position=worked_example.position, title="Grow online sales")
    client.force_login(executive)
    score_url = reverse("reviews:executive-score", args=[worked_example.pk])
    # Finance's head says 5.0 on A: 3 is 2 points off. Logistics' head says 4.0: 3 is 1 point.
    client.post(score_url, {"unit": finance.pk, "objective": a.pk, "score": 3, "note": ""})
    client.post(score_url, {"unit": logistics.pk, "objective": a.pk, "score": 3, "note": ""})

    response = client.get(worked_example.get_absolute_url())

    assert agenda(response) == {
        "drop": [
            "Logistics fell 27 points, from 75 to 48.",
            f"“{b.title}” fell 50 points, from 75 to 25.",
        ],
        "low": [f"Logistics scores 25 on “{b.title}”."],
        "disagreement": [
            f"Finance on “{a.title}”: the head says 5.0, an executive says 3 (out of 5)."
        ],
        "unsupported": ["No team commits to “Grow online sales”."],
    }
    html = response.content.decode()
    for heading in ("Largest drops", "Lowest scores", "Disagreements", "Objectives no team"):
        assert f'<h3 class="h6 mt-3">{heading}' in html


def test_an_objective_only_added_to_a_check_on_demand_is_still_unsupported(
    client, cycle, executive, logistics_check
):
    online = ObjectiveFactory(position=cycle.position, title="Grow online sales")
    services.check_add_objective(check=logistics_check, objective=online)
    client.force_login(executive)

    response = client.get(cycle.get_absolute_url())

    assert agenda(response).get("unsupported") == ["No team commits to “Grow online sales”."]


def test_without_a_previous_review_the_agenda_has_no_drops(client, worked_example, executive):
    client.force_login(executive)

    response = client.get(worked_example.get_absolute_url())

    assert "drop" not in agenda(response)
    assert "low" in agenda(response)


def test_the_heatmap_page_shows_every_team_on_every_objective(client, worked_example, executive):
    client.force_login(executive)

    response = client.get(reverse("reviews:cycle-heatmap", args=[worked_example.pk]))

    assert response.status_code == 200
    assert heatmap(response) == {"Finance": [100, None], "Logistics": [75, 25]}
    html = response.content.decode()
    assert "full screen" not in html
    assert re.search(r'<td class="text-center heat-1">25</td>', html)
    assert re.search(r'<td class="text-center heat-4">100</td>', html)


# --- Actions ---------------------------------------------------------------------------------


def agenda_link(html: str, starts_with: str) -> str:
    for href in re.findall(r'href="([^"]*/actions/new/\?item=[^"]*)"', html):
        href = unescape(href)
        if parse_qs(urlsplit(href).query)["item"][0].startswith(starts_with):
            return href
    raise AssertionError(f"no action link for an agenda item starting {starts_with!r}")


def action_data(form) -> dict:
    data = {name: "" if value is None else value for name, value in form.initial.items()}
    return data | {"kind": "corrective", "title": "Coach the advisers", "description": ""}


def test_an_action_recorded_from_an_agenda_item_carries_over_until_done(
    client, worked_example, executive, current_position, objectives, logistics, head
):
    a, b = objectives
    client.force_login(executive)
    html = client.get(worked_example.get_absolute_url()).content.decode()

    form = client.get(agenda_link(html, "Logistics scores 25")).context["form"]
    assert form.initial["agenda_item"] == f"Logistics scores 25 on “{b.title}”."
    assert (form.initial["objective"], form.initial["owner"]) == (b.pk, logistics.pk)
    created = client.post(
        reverse("reviews:action-create", args=[worked_example.pk]), action_data(form)
    )
    assert created.status_code == 302
    action = Action.objects.get()
    assert (action.objective, action.owner, action.created_by) == (b, logistics, executive)
    assert action.agenda_item == f"Logistics scores 25 on “{b.title}”."

    next_cycle = make_open_cycle(current_position, quarter=2)
    row = re.search(
        r"<tr>\s*<td>Corrective action: Coach the advisers.*?</tr>",
        client.get(next_cycle.get_absolute_url()).content.decode(),
        re.S,
    )
    assert row and '<span class="badge text-bg-light">carried over</span>' in row.group(0)

    done = client.post(
        reverse("reviews:action-complete", args=[action.pk]),
        {"next": next_cycle.get_absolute_url() + "#actions"},
    )
    assert done.url == next_cycle.get_absolute_url() + "#actions"
    action.refresh_from_db()
    assert action.is_done
    assert list(client.get(next_cycle.get_absolute_url()).context["actions"]) == []
    original = client.get(worked_example.get_absolute_url()).content.decode()
    assert "Done in this review: Coach the advisers." in original


def test_marking_an_action_done_never_redirects_off_the_site(
    client, worked_example, executive, objectives, logistics
):
    action = Action.objects.create(
        cycle=worked_example,
        title="Coach the advisers",
        objective=objectives[1],
        owner=logistics,
        due_on=worked_example.due_on,
        created_by=executive,
    )
    client.force_login(executive)

    response = client.post(
        reverse("reviews:action-complete", args=[action.pk]), {"next": "https://evil.example/"}
    )

    assert response.url == worked_example.get_absolute_url()


def test_an_action_needs_an_objective(client, worked_example, executive, logistics):
    client.force_login(executive)

    response = client.post(
        reverse("reviews:action-create", args=[worked_example.pk]),
        {
            "kind": "decision",
            "title": "Wait and see",
            "owner": logistics.pk,
            "due_on": "2026-06-30",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["objective"]
    assert not Action.objects.exists()
