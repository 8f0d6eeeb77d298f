"""Autosaves, and two heads of a team editing the same check: the later save is refused."""

import re

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import LEVERS
from tests.factories import make_head

pytestmark = pytest.mark.django_db


def scores_of(check) -> dict[str, dict[str, int | None]]:
    return {i.objective.title: i.lever_scores() for i in check.items.select_related("objective")}


def save(check, *, score: int, version: int, by):
    """Save every lever of every item of the check at `score`, as read at `version`."""
    items = {
        item.pk: services.ItemInput(scores=dict.fromkeys(LEVERS, score), evidence="", blockers="")
        for item in check.items.all()
    }
    return services.check_save(check=check, version=version, items=items, statuses={}, by=by)


def form_data(check, *, score="4", version=None, **extra) -> dict:
    """The check form as the browser posts it: every lever of every item set to `score`."""
    data = {"version": str(check.version if version is None else version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": score for lever in LEVERS}
        data |= {f"item-{item.pk}-evidence": "", f"item-{item.pk}-blockers": ""}
    return data | extra


def selected(html: str, name: str) -> str:
    """The value of the selected option of the select called `name`."""
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    return re.search(r'<option value="([^"]*)" selected>', select.group(1)).group(1)


def save_url(check) -> str:
    return reverse("reviews:check-save", args=[check.pk])


@pytest.fixture
def second_head(logistics):
    """Logistics has two heads."""
    return make_head(logistics, username="hana-second-head")


def test_an_autosave_answers_with_the_status_and_the_new_version(client, logistics_check, head):
    client.force_login(head)

    response = client.post(
        save_url(logistics_check), form_data(logistics_check), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft saved at" in html
    assert re.search(r'<input[^>]*name="version"[^>]*value="1"[^>]*hx-swap-oob="true"', html)
    assert "<html" not in html
    logistics_check.refresh_from_db()
    assert (logistics_check.state, logistics_check.version) == ("draft", 1)


# --- Two heads, one check ---------------------------------------------------------------------


def test_a_save_based_on_a_version_another_head_replaced_is_refused(
    logistics_check, head, second_head
):
    save(logistics_check, score=4, version=0, by=head)

    with pytest.raises(services.StaleCheck, match="while you were editing"):
        save(logistics_check, score=1, version=0, by=second_head)

    assert {s for scores in scores_of(logistics_check).values() for s in scores.values()} == {4}
    logistics_check.refresh_from_db()
    assert (logistics_check.version, logistics_check.updated_by) == (1, head)


def test_a_conflicting_save_through_the_page_answers_409_and_keeps_what_was_posted(
    client, logistics_check, head, second_head
):
    client.force_login(head)
    client.post(save_url(logistics_check), form_data(logistics_check, score="4", version=0))
    client.force_login(second_head)

    response = client.post(
        save_url(logistics_check), form_data(logistics_check, score="1", version=0)
    )

    assert response.status_code == 409
    html = response.content.decode()
    item = logistics_check.items.first()
    assert selected(html, f"item-{item.pk}-score_people") == "1"
    assert selected(html, f"item-{item.pk}-score_communication") == "1"
    assert '<div class="alert alert-danger" role="alert">' in html
    assert "while you were editing. Your changes were not saved" in html
    assert item.lever_scores() == dict.fromkeys(LEVERS, 4)


def test_saving_again_from_the_conflict_page_is_refused_again(
    client, logistics_check, head, second_head
):
    client.force_login(head)
    client.post(save_url(logistics_check), form_data(logistics_check, score="4", version=0))
    client.force_login(second_head)
    conflict = client.post(
        save_url(logistics_check), form_data(logistics_check, score="1", version=0)
    )
    version = re.search(
        r'name="version" id="check-version" value="(\d+)"', conflict.content.decode()
    )

    again = client.post(
        save_url(logistics_check), form_data(logistics_check, score="1", version=version.group(1))
    )

    assert again.status_code == 409
    assert logistics_check.items.first().score_people == 4


def test_the_same_head_saving_again_with_an_old_version_is_not_a_conflict(logistics_check, head):
    save(logistics_check, score=3, version=0, by=head)
    save(logistics_check, score=4, version=0, by=head)  # an autosave in flight, from version 0

    logistics_check.refresh_from_db()
    assert logistics_check.version == 2
    assert logistics_check.items.first().score_people == 4
