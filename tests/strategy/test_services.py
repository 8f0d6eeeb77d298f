from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from strategy import roles, services
from strategy.models import Membership, Objective, StrategicPosition
from strategy.roles import DEPARTMENT_HEAD, EXECUTIVE, MEMBER
from tests.factories import (
    CommitmentFactory,
    ObjectiveFactory,
    PositionFactory,
    ThemeFactory,
    UserFactory,
    make_draft_position,
    make_published_position,
)

pytestmark = pytest.mark.django_db


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- Publishing -----------------------------------------------------------------------------


def test_publishing_the_first_position_makes_it_current(executive):
    draft = make_draft_position(fiscal_year=2026, owner=executive)

    services.position_publish(position=draft, by=executive)

    draft.refresh_from_db()
    assert draft.status == StrategicPosition.Status.PUBLISHED
    assert draft.is_current
    assert draft.published_by == executive
    assert draft.published_at is not None


def test_publishing_a_later_year_whose_year_has_started_takes_over_as_current(
    executive, current_position
):
    draft = make_draft_position(fiscal_year=2027, owner=executive)

    services.position_publish(position=draft, by=executive, today=date(2027, 1, 1))

    current_position.refresh_from_db()
    draft.refresh_from_db()
    assert draft.is_current
    assert not current_position.is_current
    assert current_position.is_published  # it stays published, just not current


def test_publishing_a_later_year_before_it_starts_leaves_the_current_one_current(
    executive, current_position
):
    draft = make_draft_position(fiscal_year=2027, owner=executive)

    services.position_publish(position=draft, by=executive, today=date(2026, 12, 1))

    draft.refresh_from_db()
    current_position.refresh_from_db()
    assert draft.is_published and not draft.is_current
    assert current_position.is_current


def test_an_executive_may_switch_to_a_later_year_before_it_starts(executive, current_position):
    draft = make_draft_position(fiscal_year=2027, owner=executive)

    services.position_publish(
        position=draft, by=executive, today=date(2026, 12, 1), switch_now=True
    )

    assert StrategicPosition.objects.get(is_current=True) == draft


def test_the_first_position_is_current_at_once_even_before_its_year(executive):
    draft = make_draft_position(fiscal_year=2027, owner=executive)

    services.position_publish(position=draft, by=executive, today=date(2026, 12, 1))

    draft.refresh_from_db()
    assert draft.is_current


def test_the_position_of_a_year_takes_over_when_the_year_starts_and_only_once(
    executive, current_position
):
    draft = make_draft_position(fiscal_year=2027, owner=executive)
    services.position_publish(position=draft, by=executive, today=date(2026, 12, 1))

    assert services.position_take_over(today=date(2026, 12, 31)) is None
    assert services.position_take_over(today=date(2027, 1, 1)) == draft
    assert services.position_take_over(today=date(2027, 1, 2)) is None
    assert StrategicPosition.objects.get(is_current=True) == draft


def test_take_over_never_goes_back_to_an_earlier_year(executive):
    later = make_published_position(fiscal_year=2027, by=executive)
    make_published_position(fiscal_year=2026, by=executive)  # published after, not current

    assert services.position_take_over(today=date(2027, 3, 1)) is None
    assert StrategicPosition.objects.get(is_current=True) == later


def test_a_draft_cannot_be_switched_to(executive, current_position):
    draft = make_draft_position(fiscal_year=2027, owner=executive)

    assert services.position_switch_now(position=draft) is None
    assert StrategicPosition.objects.get(is_current=True) == current_position


def test_publishing_an_earlier_year_than_the_current_one_does_not_make_it_current(executive):
    later = make_published_position(fiscal_year=2027, by=executive)
    earlier = make_draft_position(fiscal_year=2026, owner=executive)

    services.position_publish(position=earlier, by=executive)

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert earlier.is_published
    assert not earlier.is_current
    assert later.is_current


def test_publishing_twice_is_a_no_op(executive, current_position):
    first_published_at = current_position.published_at
    other_executive = UserFactory(groups=[EXECUTIVE])

    again = services.position_publish(position=current_position, by=other_executive)

    current_position.refresh_from_db()
    assert again.pk == current_position.pk
    assert current_position.published_at == first_published_at
    assert current_position.published_by == executive
    assert current_position.is_current


def test_publishing_a_draft_with_problems_raises_them_all_and_changes_nothing(executive):
    draft = PositionFactory(fiscal_year=2026)
    ThemeFactory(position=draft, theme="service", weight=60)
    ThemeFactory(position=draft, theme="price", weight=30)

    with pytest.raises(ValidationError) as raised:
        services.position_publish(position=draft, by=executive)

    assert raised.value.messages == [
        "The positioning theme weights add up to 90, not 100.",
        "There is no customer priority.",
        "There is no corporate objective.",
    ]
    draft.refresh_from_db()
    assert draft.status == StrategicPosition.Status.DRAFT
    assert not draft.is_current
    assert draft.published_at is None


def test_a_draft_ready_to_publish_has_no_problems(executive):
    assert services.position_problems(make_draft_position(owner=executive)) == []


def test_a_draft_without_themes_adds_up_to_zero():
    assert "The positioning theme weights add up to 0, not 100." in (
        services.position_problems(PositionFactory())
    )


def test_retired_objectives_do_not_count_as_objectives_of_a_draft(executive):
    draft = make_draft_position(owner=executive)
    draft.objectives.get().retire()

    assert services.position_problems(draft) == ["There is no corporate objective."]


# --- Objectives -----------------------------------------------------------------------------


def test_removing_an_objective_of_a_draft_nobody_committed_to_deletes_it(draft_position):
    objective = draft_position.objectives.get()

    assert services.objective_remove(objective=objective) == "deleted"

    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_removing_an_objective_with_commitments_retires_it(draft_position, logistics):
    objective = draft_position.objectives.get()
    commitment = CommitmentFactory(objective=objective, unit=logistics)

    assert services.objective_remove(objective=objective) == "retired"

    objective.refresh_from_db()
    assert objective.is_retired
    assert list(objective.commitments.all()) == [commitment]


def test_removing_an_objective_of_a_published_position_retires_it(current_position):
    objective = current_position.objectives.first()

    assert services.objective_remove(objective=objective) == "retired"

    objective.refresh_from_db()
    assert objective.is_retired


def ordered_titles(position) -> list[str]:
    return list(position.objectives.order_by("order", "pk").values_list("title", flat=True))


@pytest.fixture
def three_objectives(draft_position):
    draft_position.objectives.all().delete()
    for order, title in enumerate(["A", "B", "C"]):
        ObjectiveFactory(position=draft_position, title=title, order=order)
    return draft_position


def test_moving_an_objective_up_swaps_it_with_the_one_above(three_objectives):
    services.objective_move(objective=three_objectives.objectives.get(title="B"), up=True)

    assert ordered_titles(three_objectives) == ["B", "A", "C"]


def test_moving_an_objective_down_swaps_it_with_the_one_below(three_objectives):
    services.objective_move(objective=three_objectives.objectives.get(title="B"), up=False)

    assert ordered_titles(three_objectives) == ["A", "C", "B"]


def test_the_first_objective_cannot_move_up_nor_the_last_down(three_objectives):
    services.objective_move(objective=three_objectives.objectives.get(title="A"), up=True)
    services.objective_move(objective=three_objectives.objectives.get(title="C"), up=False)

    assert ordered_titles(three_objectives) == ["A", "B", "C"]


def test_moving_renumbers_objectives_whose_orders_had_gaps_or_ties(draft_position):
    draft_position.objectives.all().delete()
    a = ObjectiveFactory(position=draft_position, title="A", order=5)
    b = ObjectiveFactory(position=draft_position, title="B", order=5)
    ObjectiveFactory(position=draft_position, title="C", order=9)

    services.objective_move(objective=b, up=True)

    assert ordered_titles(draft_position) == ["B", "A", "C"]
    a.refresh_from_db()
    assert a.order == 1


# --- People and their groups ----------------------------------------------------------------


def test_a_head_joins_the_department_head_group(logistics):
    user = UserFactory()

    membership = services.membership_set(unit=logistics, user=user, role=Membership.Role.HEAD)

    assert membership.role == Membership.Role.HEAD
    assert group_names(user) == {DEPARTMENT_HEAD}


def test_a_member_joins_the_member_group(logistics):
    user = UserFactory()

    services.membership_set(unit=logistics, user=user, role=Membership.Role.MEMBER)

    assert group_names(user) == {MEMBER}


def test_changing_a_role_updates_the_membership_and_swaps_the_group(logistics, member):
    services.membership_set(unit=logistics, user=member, role=Membership.Role.HEAD)

    assert Membership.objects.get(user=member).role == Membership.Role.HEAD
    assert group_names(member) == {DEPARTMENT_HEAD}


def test_a_head_of_one_team_and_member_of_another_is_in_both_groups(head, finance):
    services.membership_set(unit=finance, user=head, role=Membership.Role.MEMBER)

    assert group_names(head) == {DEPARTMENT_HEAD, MEMBER}


def test_removing_the_last_membership_removes_the_role_group(head):
    Membership.objects.filter(user=head).delete()

    services.user_sync_role_groups(user=head)

    assert group_names(head) == set()


def test_syncing_role_groups_leaves_other_groups_alone(logistics):
    user = UserFactory(groups=[EXECUTIVE, MEMBER])

    services.user_sync_role_groups(user=user)

    assert group_names(user) == {EXECUTIVE}


def test_syncing_role_groups_forgets_the_cached_roles(logistics):
    user = UserFactory()
    assert not roles.is_head(user)  # caches "heads nothing" on the user object

    services.membership_set(unit=logistics, user=user, role=Membership.Role.HEAD)

    assert roles.is_head(user)
    assert Group.objects.get(name=DEPARTMENT_HEAD).user_set.filter(pk=user.pk).exists()


def test_setting_a_role_twice_keeps_one_membership_per_unit(head, logistics, finance):
    services.membership_set(unit=logistics, user=head, role=Membership.Role.HEAD)
    services.membership_set(unit=finance, user=head, role=Membership.Role.HEAD)

    assert sorted(head.memberships.values_list("unit__code", flat=True)) == ["finance", "logistics"]
