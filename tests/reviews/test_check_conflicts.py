"""Autosaves, and two heads of a team editing the same check: the later save is refused."""

import re
import threading

import pytest
from django.db import connection
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


def test_the_same_head_saving_again_with_an_old_version_is_refused(logistics_check, head):
    save(logistics_check, score=3, version=0, by=head)

    with pytest.raises(services.StaleCheck, match="You saved this check at .* in another tab"):
        save(logistics_check, score=4, version=0, by=head)

    logistics_check.refresh_from_db()
    assert logistics_check.version == 1
    assert logistics_check.items.first().score_people == 3


def test_a_refused_submit_leaves_the_version_as_it_was(logistics_check, head, second_head):
    save(logistics_check, score=3, version=0, by=head)

    with pytest.raises(services.StaleCheck):
        services.check_save(
            check=logistics_check, version=0, items={}, statuses={}, by=head, submit=True
        )

    logistics_check.refresh_from_db()
    assert (logistics_check.version, logistics_check.state) == (1, "draft")


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_tabs_saving_the_same_version_at_once_exactly_one_wins(logistics_check, head):
    start = threading.Barrier(2)
    outcomes = {}

    def tab(score: int) -> None:
        try:
            start.wait(timeout=10)
            save(logistics_check, score=score, version=0, by=head)
            outcomes[score] = "saved"
        except services.StaleCheck:
            outcomes[score] = "refused"
        finally:
            connection.close()  # each thread has its own connection

    tabs = [threading.Thread(target=tab, args=(score,)) for score in (2, 5)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(score for score, outcome in outcomes.items() if outcome == "saved")
    logistics_check.refresh_from_db()
    assert logistics_check.version == 1
    assert {s for scores in scores_of(logistics_check).values() for s in scores.values()} == {
        winner
    }


# --- Stale tabs -------------------------------------------------------------------------------


def evidence_in(html: str, name: str) -> str:
    """The text of the textarea called `name` (Django writes a newline after the tag)."""
    found = re.search(rf'<textarea name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    return found[1].removeprefix("\n")


def version_in(html: str) -> str:
    return re.search(r'name="version" id="check-version" value="(\d+)"', html)[1]


def item_form(check, item, *, score: str, evidence: str, version: str) -> dict:
    """The check form of `check` with `item` at `score` and `evidence`, as of `version`."""
    data = form_data(check, score=score, version=version)
    return data | {f"item-{item.pk}-evidence": evidence}


def test_a_stale_tab_of_the_last_writer_cannot_overwrite_another_heads_work(
    client, logistics_check, head, second_head
):
    item = logistics_check.items.first()
    evidence = f"item-{item.pk}-evidence"
    save(logistics_check, score=3, version=0, by=head)
    client.force_login(head)
    tab_1 = version_in(client.get(logistics_check.get_absolute_url()).content.decode())
    client.force_login(second_head)
    client.post(
        save_url(logistics_check),
        item_form(logistics_check, item, score="2", evidence="Evidence from B", version=tab_1),
    )
    client.force_login(head)
    tab_2 = client.get(logistics_check.get_absolute_url()).content.decode()
    assert evidence_in(tab_2, evidence) == "Evidence from B"
    unchanged = item_form(
        logistics_check, item, score="2", evidence="Evidence from B", version=version_in(tab_2)
    )
    assert client.post(save_url(logistics_check), unchanged).status_code == 302

    response = client.post(
        save_url(logistics_check),
        item_form(logistics_check, item, score="5", evidence="Old text of A", version=tab_1),
    )

    assert (tab_1, version_in(tab_2)) == ("1", "2")
    assert response.status_code == 409
    html = response.content.decode()
    assert "You saved this check at" in html
    assert evidence_in(html, evidence) == "Old text of A"
    assert selected(html, f"item-{item.pk}-score_people") == "5"
    assert f'href="{logistics_check.get_absolute_url()}">Load the latest version</a>' in html
    item.refresh_from_db()
    assert (item.evidence, item.score_people) == ("Evidence from B", 2)
    logistics_check.refresh_from_db()
    assert logistics_check.version == 3


def test_one_head_in_two_tabs_cannot_overwrite_the_other_tab(client, logistics_check, head):
    item = logistics_check.items.first()
    client.force_login(head)
    tab_1 = version_in(client.get(logistics_check.get_absolute_url()).content.decode())
    tab_2 = version_in(client.get(logistics_check.get_absolute_url()).content.decode())
    client.post(
        save_url(logistics_check),
        item_form(logistics_check, item, score="4", evidence="From tab 2", version=tab_2),
        HTTP_HX_REQUEST="true",
    )

    response = client.post(
        save_url(logistics_check),
        item_form(logistics_check, item, score="1", evidence="From tab 1", version=tab_1),
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert 'role="alert"' in html
    assert "You saved this check at" in html
    assert "Load the latest version" in html
    assert "hx-swap-oob" not in html  # the tab keeps its old version: saving again is refused
    item.refresh_from_db()
    assert (item.evidence, item.score_people) == ("From tab 2", 4)


def test_each_autosave_carries_the_version_the_next_one_sends(client, logistics_check, head):
    item = logistics_check.items.first()
    client.force_login(head)
    version = version_in(client.get(logistics_check.get_absolute_url()).content.decode())

    for evidence in ("First", "Second", "Third"):
        response = client.post(
            save_url(logistics_check),
            item_form(logistics_check, item, score="4", evidence=evidence, version=version),
            HTTP_HX_REQUEST="true",
        )
        assert "Draft saved at" in response.content.decode()
        version = re.search(r'value="(\d+)"[^>]*hx-swap-oob', response.content.decode())[1]

    item.refresh_from_db()
    assert (item.evidence, version) == ("Third", "3")
