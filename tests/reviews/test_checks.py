"""Filling in, submitting and reopening a check."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reviews import services
from reviews.models import LEVERS, AlignmentCheck, CheckItem, CheckReopening
from strategy.models import Commitment

pytestmark = pytest.mark.django_db


def scores_of(check) -> dict[str, dict[str, int | None]]:
    return {i.objective.title: i.lever_scores() for i in check.items.select_related("objective")}


def unscored(check) -> dict[str, dict[str, None]]:
    return {
        i.objective.title: dict.fromkeys(LEVERS) for i in check.items.select_related("objective")
    }


def item_input(value, **overrides) -> services.ItemInput:
    return services.ItemInput(
        scores=dict.fromkeys(LEVERS, value) | overrides, evidence="", blockers=""
    )


def form_data(check, *, score="4", version=None, **extra) -> dict:
    """The check form as the browser posts it: every lever of every item set to `score`."""
    data = {"version": str(check.version if version is None else version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": score for lever in LEVERS}
        data |= {f"item-{item.pk}-evidence": "", f"item-{item.pk}-blockers": ""}
    return data | extra


def save_url(check) -> str:
    return reverse("reviews:check-save", args=[check.pk])


# --- Saving and submitting -------------------------------------------------------------------


def test_a_head_saves_a_draft_then_submits_it(logistics_check, head, objectives):
    items = {i.pk: item_input(4, funding=0) for i in logistics_check.items.all()}

    draft = services.check_save(check=logistics_check, version=0, items=items, statuses={}, by=head)
    assert (draft.state, draft.version, draft.updated_by) == ("draft", 1, head)
    assert draft.submitted_at is None

    submitted = services.check_save(
        check=logistics_check, version=1, items=items, statuses={}, by=head, submit=True
    )
    assert (submitted.state, submitted.version, submitted.submitted_by) == ("submitted", 2, head)
    assert submitted.submitted_at is not None
    expected = dict.fromkeys(LEVERS, 4) | {"funding": 0}
    assert scores_of(logistics_check) == {o.title: expected for o in objectives}


def test_submitting_with_a_score_missing_names_the_objective_and_saves_nothing(
    logistics_check, head, objectives, commitments
):
    a, b = objectives
    items = {i.objective_id: i.pk for i in logistics_check.items.all()}
    commitment = commitments["logistics A"]

    with pytest.raises(ValidationError) as raised:
        services.check_save(
            check=logistics_check,
            version=0,
            items={items[a.pk]: item_input(4), items[b.pk]: item_input(3, communication=None)},
            statuses={commitment.pk: Commitment.Status.AT_RISK},
            by=head,
            submit=True,
        )

    assert b.title in raised.value.messages[0]
    assert a.title not in raised.value.messages[0]
    # All or nothing: not even the complete objective's scores, nor the status, are stored.
    assert scores_of(logistics_check) == unscored(logistics_check)
    logistics_check.refresh_from_db()
    assert (logistics_check.state, logistics_check.version) == ("not_started", 0)
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.PLANNED


def test_submitting_with_a_score_missing_through_the_page_answers_400_and_stores_nothing(
    client, logistics_check, head, objectives
):
    a, b = objectives
    data = form_data(logistics_check, submit="")
    missing = logistics_check.items.get(objective=b)
    data[f"item-{missing.pk}-score_people"] = ""
    client.force_login(head)

    response = client.post(save_url(logistics_check), data)

    assert response.status_code == 400
    assert f"Missing: {b.title}." in response.content.decode()
    assert scores_of(logistics_check) == unscored(logistics_check)


def test_a_submitted_check_is_read_only(client, worked_example, logistics_check, head):
    before = scores_of(logistics_check)
    logistics_check.refresh_from_db()

    with pytest.raises(ValidationError, match="submitted and read-only"):
        services.check_save(
            check=logistics_check,
            version=logistics_check.version,
            items={i.pk: item_input(1) for i in logistics_check.items.all()},
            statuses={},
            by=head,
        )

    client.force_login(head)
    response = client.post(save_url(logistics_check), form_data(logistics_check, score="1"))
    assert response.status_code == 400
    assert scores_of(logistics_check) == before
    page = client.get(logistics_check.get_absolute_url()).content.decode()
    assert "<fieldset disabled>" in page
    assert 'name="submit"' not in page


def test_a_head_cannot_add_an_objective_to_a_submitted_check(
    client, worked_example, finance_check, other_head, objectives
):
    a, b = objectives
    client.force_login(other_head)

    client.post(
        reverse("reviews:check-add-objective", args=[finance_check.pk]), {"objective": b.pk}
    )

    assert not CheckItem.objects.filter(alignment_check=finance_check, objective=b).exists()


@pytest.mark.parametrize("value", ["6", "-1", "five"])
def test_a_score_outside_0_to_5_is_refused_and_nothing_is_stored(
    client, logistics_check, head, value
):
    data = form_data(logistics_check, score="3")
    data[f"item-{logistics_check.items.first().pk}-score_people"] = value
    client.force_login(head)

    response = client.post(save_url(logistics_check), data)

    assert response.status_code == 400
    assert scores_of(logistics_check) == unscored(logistics_check)
    logistics_check.refresh_from_db()
    assert logistics_check.version == 0


def test_a_save_updates_the_commitment_statuses_too(client, logistics_check, head, commitments):
    on_a, on_b = commitments["logistics A"], commitments["logistics B"]
    data = form_data(logistics_check) | {
        f"commitment-{on_a.pk}-status": Commitment.Status.AT_RISK,
        f"commitment-{on_b.pk}-status": Commitment.Status.DONE,
    }
    client.force_login(head)

    response = client.post(save_url(logistics_check), data)

    assert response.status_code == 302
    on_a.refresh_from_db()
    on_b.refresh_from_db()
    assert (on_a.status, on_b.status) == ("at_risk", "done")


def test_a_save_leaves_the_commitments_of_other_teams_alone(logistics_check, head, commitments):
    theirs = commitments["finance A"]

    services.check_save(
        check=logistics_check,
        version=0,
        items={},
        statuses={theirs.pk: Commitment.Status.DROPPED},
        by=head,
    )

    theirs.refresh_from_db()
    assert theirs.status == Commitment.Status.PLANNED


# --- Reopening -------------------------------------------------------------------------------


def reopen(client, check, reason):
    return client.post(reverse("reviews:check-reopen", args=[check.pk]), {"reason": reason})


def test_an_executive_reopens_a_submitted_check_with_a_reason(
    client, worked_example, logistics_check, executive, head
):
    client.force_login(executive)

    response = reopen(client, logistics_check, "Scores on B look too high")

    assert response.status_code == 302
    reopening = CheckReopening.objects.get(alignment_check=logistics_check)
    assert (reopening.reason, reopening.by) == ("Scores on B look too high", executive)
    logistics_check.refresh_from_db()
    assert logistics_check.state == AlignmentCheck.State.DRAFT
    assert logistics_check.submitted_at is None
    client.force_login(head)
    page = client.get(logistics_check.get_absolute_url()).content.decode()
    assert "<fieldset disabled>" not in page
    assert 'name="submit"' in page
    assert "Scores on B look too high" in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_needs_a_reason(client, worked_example, logistics_check, executive, reason):
    client.force_login(executive)

    reopen(client, logistics_check, reason)

    logistics_check.refresh_from_db()
    assert logistics_check.is_submitted
    assert not CheckReopening.objects.exists()
    with pytest.raises(ValidationError):
        services.check_reopen(check=logistics_check, by=executive, reason=reason)


def test_heads_cannot_reopen_their_check(client, worked_example, logistics_check, head):
    client.force_login(head)

    response = reopen(client, logistics_check, "I scored B wrong")

    assert response.status_code == 403
    logistics_check.refresh_from_db()
    assert logistics_check.is_submitted
    assert not CheckReopening.objects.exists()
