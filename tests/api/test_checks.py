"""A head's check over the API: read and written as the check page does, through its form and
service (reviews.forms.CheckForm, reviews.services.check_save), with the page's version check in
both directions: an API save never loses a page's save, nor a page's save an API's."""

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import LEVERS, AlignmentCheck, CheckItem, LiveScore
from strategy.models import Commitment
from tests.factories import CommitmentFactory, fill_check, make_open_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def check(current_position, logistics, finance):
    """Logistics' check of an open Q1, with an item for each objective it commits to."""
    first, second = current_position.objectives.order_by("order")
    CommitmentFactory(unit=logistics, objective=first, lever="people")
    CommitmentFactory(unit=logistics, objective=second, lever="processes")
    cycle = make_open_cycle(current_position, quarter=1)
    return cycle.checks.get(unit=logistics)


def url(check) -> str:
    return f"/api/v1/checks/{check.pk}/"


def items(check) -> list[CheckItem]:
    return list(check.items.order_by("objective__order"))


def patch(client, check, body, **headers):
    return client.patch(url(check), body, format="json", **headers)


def test_a_head_changes_some_scores_of_their_teams_check_and_gets_its_new_version(api, head, check):
    first, second = items(check)
    client = api(head)
    etag = client.get(url(check))["ETag"]

    response = patch(
        client,
        check,
        {"items": [{"id": first.pk, "scores": {"people": 4, "funding": 0}, "evidence": "Trained"}]},
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"1"'
    assert response.json()["state"] == "draft"
    first.refresh_from_db()
    assert (first.score_people, first.score_funding, first.score_incentives) == (4, 0, None)
    assert first.evidence == "Trained"
    second.refresh_from_db()
    assert second.lever_scores() == dict.fromkeys(LEVERS)
    # Who saved it, in the check's history as on the page.
    assert check.history.latest().history_user == head
    assert first.history.latest().history_user == head


def test_what_a_change_leaves_out_keeps_its_value(api, head, check):
    first, _ = items(check)
    client = api(head)
    patch(client, check, {"version": 0, "items": [{"id": first.pk, "scores": {"people": 4},
                                                    "blockers": "No budget"}]})  # fmt: skip

    patch(client, check, {"version": 1, "items": [{"id": first.pk, "scores": {"incentives": 2}}]})

    first.refresh_from_db()
    assert (first.score_people, first.score_incentives, first.blockers) == (4, 2, "No budget")


def test_a_head_submits_their_check_and_sets_their_commitments_statuses(
    api, head, check, logistics
):
    scores = dict.fromkeys(LEVERS, 3)
    commitment = Commitment.objects.filter(unit=logistics).first()
    body = {
        "version": 0,
        "items": [{"id": i.pk, "scores": scores} for i in items(check)],
        "commitments": [{"id": commitment.pk, "status": "at_risk"}],
        "submit": True,
    }

    response = patch(api(head), check, body)

    assert response.status_code == 200, response.json()
    check.refresh_from_db()
    assert check.state == AlignmentCheck.State.SUBMITTED and check.submitted_by == head
    commitment.refresh_from_db()
    assert commitment.status == "at_risk"
    # As on the page, submitting updates the cycle's live scores.
    assert LiveScore.objects.filter(cycle=check.cycle, unit=logistics).exists()


def test_submitting_with_a_lever_not_scored_saves_nothing(api, head, check):
    first, _ = items(check)

    response = patch(
        api(head), check, {"version": 0, "items": [{"id": first.pk, "scores": {"people": 4}}],
                           "submit": True},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["type"].endswith("#not-saved")
    assert response.json()["detail"].startswith("Give every lever a score")
    check.refresh_from_db()
    assert (check.version, check.state) == (0, "not_started")
    assert CheckItem.objects.get(pk=first.pk).score_people is None


def test_a_change_says_which_version_it_changes(api, head, check):
    first, _ = items(check)
    change = {"items": [{"id": first.pk, "scores": {"people": 4}}]}
    client = api(head)

    missing = patch(client, check, change)
    mismatch = patch(client, check, change | {"version": 0}, HTTP_IF_MATCH='"3"')
    unreadable = patch(client, check, change, HTTP_IF_MATCH="yesterday")

    assert missing.status_code == 428
    assert missing.json()["type"].endswith("#precondition-required")
    assert [mismatch.status_code, unreadable.status_code] == [400, 400]
    assert unreadable.json()["errors"][0]["header"] == "If-Match"
    check.refresh_from_db()
    assert check.version == 0


@pytest.mark.parametrize(
    ("how", "status"), [("body", 409), ("If-Match", 412)], ids=["version", "if-match"]
)
def test_an_api_save_based_on_an_older_version_than_a_page_save_is_refused(
    api, client, head, check, how, status
):
    first, _ = items(check)
    api_client = api(head)
    read = api_client.get(url(check)).json()
    # The head saves on the check page meanwhile, in a browser.
    client.force_login(head)
    page = {"version": str(read["version"])}
    page |= {f"item-{i.pk}-score_{lever}": "5" for i in items(check) for lever in LEVERS}
    assert client.post(reverse("reviews:check-save", args=[check.pk]), page).status_code == 302

    change = {"items": [{"id": first.pk, "scores": {"people": 1}}]}
    if how == "body":
        response = patch(api_client, check, change | {"version": read["version"]})
    else:
        response = patch(api_client, check, change, HTTP_IF_MATCH=f'"{read["version"]}"')

    assert response.status_code == status
    problem = response.json()
    assert problem["type"].endswith("#stale-version")
    assert problem["current_version"] == 1
    assert "since version 0" in problem["detail"]
    assert CheckItem.objects.get(pk=first.pk).score_people == 5  # the page's save stands


def test_a_page_save_based_on_an_older_version_than_an_api_save_is_refused(
    api, client, head, check
):
    first, _ = items(check)
    client.force_login(head)
    shown = client.get(reverse("reviews:check-edit", args=[check.pk]))
    assert shown.status_code == 200
    # The ERP saves through the API after the page was loaded.
    patch(api(head), check, {"version": 0, "items": [{"id": first.pk, "scores": {"people": 2}}]})

    page = {"version": "0"} | {f"item-{first.pk}-score_people": "5"}
    response = client.post(reverse("reviews:check-save", args=[check.pk]), page)

    assert response.status_code == 409
    assert CheckItem.objects.get(pk=first.pk).score_people == 2  # the API's save stands


def test_values_the_page_would_refuse_are_refused_each_named_where_it_is(api, head, check, finance):
    first, _ = items(check)
    theirs = CommitmentFactory(unit=finance, objective=first.objective)
    client = api(head)

    bad_scores = patch(client, check, {"version": 0, "items": [
        {"id": first.pk, "scores": {"people": 6, "funding": -1}},
    ]})  # fmt: skip
    unknown = patch(client, check, {
        "version": 0,
        "items": [{"id": 999999, "scores": {}}],
        "commitments": [{"id": theirs.pk, "status": "done"}],
    })  # fmt: skip
    other_team = patch(client, check, {"version": 0, "commitments": [
        {"id": theirs.pk, "status": "done"},
    ]})  # fmt: skip

    assert [e["pointer"] for e in bad_scores.json()["errors"]] == [
        "#/items/0/scores/people",
        "#/items/0/scores/funding",
    ]
    assert [e["pointer"] for e in unknown.json()["errors"]] == ["#/items/0/id"]
    assert [e["pointer"] for e in other_team.json()["errors"]] == ["#/commitments/0/id"]
    assert {r.status_code for r in (bad_scores, unknown, other_team)} == {400}
    theirs.refresh_from_db()
    assert theirs.status == "planned"
    assert AlignmentCheck.objects.get(pk=check.pk).version == 0


def test_only_the_teams_head_writes_its_check(
    api, executive, other_head, member, admin_user, check, caplog
):
    first, _ = items(check)
    change = {"version": 0, "items": [{"id": first.pk, "scores": {"people": 4}}]}

    assert patch(api(executive), check, change).status_code == 403
    assert any(r.getMessage().startswith("refused reviews.edit_check") for r in caplog.records)
    assert patch(api(admin_user), check, change).status_code == 403
    assert patch(api(other_head), check, change).status_code == 404
    assert patch(api(member), check, change).status_code == 404
    assert AlignmentCheck.objects.get(pk=check.pk).version == 0


def test_a_submitted_check_and_a_closed_reviews_are_read_only(
    api, head, other_head, executive, check, finance
):
    theirs = check.cycle.checks.get(unit=finance)
    fill_check(theirs, by=other_head)

    submitted = patch(api(other_head), theirs, {"version": 1, "items": []})
    services.cycle_close(cycle=check.cycle, by=executive)
    closed = patch(api(head), check, {"version": 0, "items": []})

    assert (submitted.status_code, submitted.json()["detail"]) == (
        400,
        "This check is submitted and read-only.",
    )
    assert (closed.status_code, closed.json()["detail"]) == (
        400,
        "This review cycle does not accept checks any more.",
    )


def test_a_check_is_patched_not_put(api, head, check):
    assert api(head).put(url(check), {"version": 0}, format="json").status_code == 405


def test_an_executive_reopens_a_submitted_check_with_a_reason_as_on_the_page(
    api, head, executive, check
):
    fill_check(check, by=head)
    reopen = f"{url(check)}reopen/"

    blank = api(executive).post(reopen, {"reason": "  "}, format="json")
    by_head = api(head).post(reopen, {"reason": "Mine"}, format="json")
    reopened = api(executive).post(reopen, {"reason": "Scores to revisit"}, format="json")

    assert (blank.status_code, blank.json()["errors"][0]["pointer"]) == (400, "#/reason")
    assert by_head.status_code == 403
    assert reopened.status_code == 200
    check.refresh_from_db()
    assert (check.state, reopened.json()["state"]) == ("draft", "draft")
    assert reopened["ETag"] == f'"{check.version}"'
    assert check.reopenings.get().reason == "Scores to revisit"

    fill_check(check, by=head)
    services.cycle_close(cycle=check.cycle, by=executive)
    frozen = api(executive).post(reopen, {"reason": "Too late"}, format="json")

    assert (frozen.status_code, frozen.json()["detail"]) == (
        400,
        "The cycle is closed; its checks are frozen.",
    )
    assert check.reopenings.count() == 1
