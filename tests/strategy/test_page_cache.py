"""The cached parts of the strategy pages: a save shows at once, and no one is shown a part
cached for someone whose role or permissions differ."""

import importlib
from decimal import Decimal

import pytest

from strategy import versions
from strategy.models import MeasureActual, Objective
from tests.factories import CommitmentFactory, MeasureFactory, UnitFactory, make_member

pytestmark = pytest.mark.django_db


def test_the_position_page_shows_a_saved_objective_at_once(login, head, current_position):
    objective = current_position.objectives.order_by("order").first()
    page = current_position.get_absolute_url()
    client = login(head)
    assert objective.title.encode() in client.get(page).content  # now cached

    objective.title = "Ship every order on the promised date"
    objective.save()

    assert b"Ship every order on the promised date" in client.get(page).content


def test_the_position_page_shows_a_new_commitment_at_once(login, head, current_position):
    objective = current_position.objectives.order_by("order").first()
    page = current_position.get_absolute_url()
    client = login(head)
    assert b"Packing Crew" not in client.get(page).content

    CommitmentFactory(unit=UnitFactory(name="Packing Crew"), objective=objective)

    assert b"Packing Crew" in client.get(page).content


def test_the_position_page_shows_a_renamed_owner_and_a_value_entered_at_once(
    login, head, current_position
):
    objective = current_position.objectives.order_by("order").first()
    measure = MeasureFactory(objective=objective, name="On-time delivery")
    page = current_position.get_absolute_url()
    client = login(head)
    assert b"behind plan" not in client.get(page).content

    owner = objective.owner
    owner.first_name = "Renata"
    owner.save()
    MeasureActual.objects.create(
        measure=measure, fiscal_year=current_position.fiscal_year, period=1, value=Decimal(1)
    )

    text = client.get(page).content.decode()
    assert f"owner Renata {owner.last_name}" in text
    assert "On-time delivery off track in Q1" in text


def test_a_login_leaves_the_version_as_it_is(head):
    before = versions.current()

    head.save(update_fields=["last_login"])

    assert versions.current() == before


def test_a_draft_position_page_is_never_cached(login, executive, draft_position, monkeypatch):
    """A draft shows executives forms with their own CSRF token: it is written anew each time
    (here a change shows at once though the version is held still)."""
    monkeypatch.setattr(versions, "current", lambda: 0)
    client = login(executive)
    assert b"Move" in client.get(draft_position.get_absolute_url()).content
    objective = draft_position.objectives.get()

    Objective.objects.filter(pk=objective.pk).update(title="Renamed, the version held")

    assert b"Renamed, the version held" in client.get(draft_position.get_absolute_url()).content


def test_a_head_is_not_shown_the_promises_cached_for_an_executive(
    login, executive, head, current_position, monkeypatch
):
    """Executives see whether each promise is backed inside; heads may not see the signals."""
    from sustain import board

    objective = current_position.objectives.order_by("order").first()
    promise = {"objective": objective.pk, "flagged": True, "reason": "No processes lever."}
    monkeypatch.setattr(board, "stored_promises", lambda **kwargs: [promise])
    page = current_position.get_absolute_url()

    assert b"Promise not backed inside" in login(executive).get(page).content
    assert b"Promise not backed inside" not in login(head).get(page).content


# --- The unit page ---------------------------------------------------------------------------


def test_the_unit_page_shows_a_new_commitment_and_a_new_member_at_once(
    login, head, logistics, current_position
):
    objective = current_position.objectives.order_by("order").first()
    page = logistics.get_absolute_url()
    client = login(head)
    assert b"Pack every order twice" not in client.get(page).content

    CommitmentFactory(unit=logistics, objective=objective, statement="Pack every order twice")
    make_member(logistics, first_name="Nora", last_name="Newcomer")

    text = client.get(page).content.decode()
    assert "Pack every order twice" in text
    assert "Nora Newcomer" in text


def test_the_unit_page_shows_a_value_entered_at_once(login, head, logistics, current_position):
    objective = current_position.objectives.order_by("order").first()
    measure = MeasureFactory(objective=objective, name="On-time delivery", reporting_team=logistics)
    page = logistics.get_absolute_url()
    client = login(head)
    assert b"Off track" not in client.get(page).content

    MeasureActual.objects.create(
        measure=measure, fiscal_year=current_position.fiscal_year, period=1, value=Decimal(1)
    )

    assert b"Off track" in client.get(page).content


def test_a_member_is_not_shown_the_links_and_forms_cached_for_the_head(
    login, head, member, logistics, current_position
):
    objective = current_position.objectives.order_by("order").first()
    MeasureFactory(objective=objective, name="On-time delivery", reporting_team=logistics)
    CommitmentFactory(unit=logistics, objective=objective)
    page = logistics.get_absolute_url()

    as_head = login(head).get(page).content.decode()
    assert "Record value" in as_head
    assert ">Edit</a>" in as_head

    as_member = login(member).get(page).content.decode()
    assert "Record value" not in as_member
    assert ">Edit</a>" not in as_member
    assert "On-time delivery" in as_member


def test_every_table_the_cached_parts_are_made_of_moves_the_version_on():
    tables = [
        *importlib.import_module("strategy.migrations.0011_content_version").TABLES,
        *importlib.import_module("strategy.migrations.0016_content_translation").TABLES,
    ]

    assert {model._meta.db_table for model in versions.INPUTS} == set(tables)


def test_a_write_without_a_save_signal_moves_the_version_on(current_position):
    before = versions.current()

    Objective.objects.filter(position=current_position).update(title="Renamed in bulk")

    assert versions.current() > before
