import pytest

from strategy.forms import (
    CompetitorFormSet,
    ObjectiveForm,
    PriorityFormSet,
    ThemeFormSet,
)
from strategy.models import StrategicPosition
from tests.factories import (
    ObjectiveFactory,
    PositionFactory,
    PriorityFactory,
    formset_data,
    make_executive,
    objective_data,
)

pytestmark = pytest.mark.django_db


def themes(*rows) -> ThemeFormSet:
    data = formset_data("themes", [{"theme": t, "weight": w} for t, w in rows])
    return ThemeFormSet(data, instance=StrategicPosition(), prefix="themes")


def priorities(*rows) -> PriorityFormSet:
    data = formset_data("priorities", [{"rank": r, "title": t} for r, t in rows])
    return PriorityFormSet(data, instance=StrategicPosition(), prefix="priorities")


# --- Themes and priorities ------------------------------------------------------------------


def test_theme_weights_adding_up_to_100_are_accepted():
    assert themes(("service", 70), ("price", 30)).is_valid()


def test_theme_weights_not_adding_up_to_100_are_refused_with_the_total():
    formset = themes(("service", 60), ("price", 30))

    assert not formset.is_valid()
    assert formset.non_form_errors() == ["The theme weights must add up to 100; they add up to 90."]


def test_a_theme_marked_for_deletion_does_not_count_towards_the_total():
    data = formset_data(
        "themes",
        [{"theme": "service", "weight": 100}, {"theme": "price", "weight": 30, "DELETE": "on"}],
    )

    assert ThemeFormSet(data, instance=StrategicPosition(), prefix="themes").is_valid()


def test_a_theme_of_weight_0_is_left_out_of_the_total_and_of_the_save():
    formset = themes(("service", 100), ("quality", 0))

    assert formset.is_valid()
    assert formset.left_out() == ["High quality"]
    assert [f.cleaned_data["theme"] for f in formset.kept_forms()] == ["service"]


def test_themes_all_of_weight_0_leave_no_theme():
    formset = themes(("service", 0))

    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Choose at least one positioning theme."]


def test_a_theme_without_a_weight_is_still_refused():
    formset = themes(("service", 100), ("price", ""))

    assert not formset.is_valid()
    assert formset.forms[1].errors == {"weight": ["This field is required."]}


@pytest.mark.parametrize("weight", [-1, 101])
def test_a_weight_outside_0_to_100_is_refused(weight):
    formset = themes(("service", 100), ("price", weight))

    assert not formset.is_valid()
    assert "weight" in formset.forms[1].errors


def test_a_theme_listed_twice_is_refused():
    formset = themes(("service", 50), ("service", 50))

    assert not formset.is_valid()
    assert formset.forms[0].is_valid()
    assert not formset.forms[1].is_valid()


@pytest.mark.parametrize(
    ("formset", "field", "message"),
    [
        (lambda: themes(("service", 50), ("service", 50)), "theme", "This theme is listed twice."),
        (
            lambda: priorities((1, "On-time delivery"), (1, "Expert advice")),
            "rank",
            "Another priority already has this rank.",
        ),
    ],
    ids=["theme", "rank"],
)
def test_a_duplicate_is_explained_next_to_the_field(formset, field, message):
    formset = formset()

    assert not formset.is_valid()
    assert formset.forms[1].errors.get(field) == [message]


def test_at_least_one_theme_is_required():
    formset = themes(("", ""))

    assert not formset.is_valid()
    assert formset.non_form_errors() == ["Choose at least one positioning theme."]


def test_a_priority_rank_used_twice_is_refused():
    formset = priorities((1, "On-time delivery"), (1, "Expert advice"))

    assert not formset.is_valid()
    assert not formset.forms[1].is_valid()


def test_a_competitor_listed_twice_in_another_case_is_refused():
    data = formset_data(
        "competitors",
        [
            {"name": "BudgetCo", "positioning": "Cheap", "our_difference": "On time"},
            {"name": "budgetco ", "positioning": "Cheap", "our_difference": "On time"},
        ],
    )
    formset = CompetitorFormSet(data, instance=StrategicPosition(), prefix="competitors")

    assert not formset.is_valid()
    assert formset.forms[1].errors["name"] == ["This competitor is listed twice."]


def test_at_least_one_priority_is_required():
    formset = priorities(("", ""))

    assert not formset.is_valid()
    assert formset.non_form_errors() == ["List at least one customer priority."]


def test_distinct_priority_ranks_are_accepted():
    assert priorities((2, "Expert advice"), (1, "On-time delivery")).is_valid()


# --- Objectives -----------------------------------------------------------------------------


@pytest.fixture
def position():
    position = PositionFactory(fiscal_year=2027)
    position.themes.create(theme="service", weight=70)
    position.themes.create(theme="quality", weight=30)
    return position


def test_only_active_executives_can_own_an_objective(position, executive, head):
    retired = make_executive(is_active=False)
    form = ObjectiveForm(position=position)

    owners = list(form.fields["owner"].queryset)
    assert executive in owners
    assert head not in owners
    assert retired not in owners


def test_an_objective_serves_a_priority_of_its_own_position(position, executive):
    own = PriorityFactory(position=position, rank=1)
    foreign = PriorityFactory(rank=1)

    assert list(ObjectiveForm(position=position).fields["customer_priority"].queryset) == [own]
    form = ObjectiveForm(
        objective_data(owner=executive, customer_priority=foreign.pk), position=position
    )
    assert not form.is_valid()
    assert "customer_priority" in form.errors


def test_an_objective_serves_one_of_its_positions_themes(position, executive):
    form = ObjectiveForm(objective_data(owner=executive, theme="price"), position=position)

    assert [value for value, _ in form.fields["theme"].choices] == ["service", "quality"]
    assert not form.is_valid()
    assert "theme" in form.errors


def test_a_non_executive_owner_is_refused(position, head):
    form = ObjectiveForm(objective_data(owner=head), position=position)

    assert not form.is_valid()
    assert "owner" in form.errors


def test_a_title_already_used_in_the_position_is_refused(position, executive):
    ObjectiveFactory(position=position, title="Advise every customer")
    form = ObjectiveForm(
        objective_data(owner=executive, title="  advise EVERY customer "), position=position
    )

    assert not form.is_valid()
    assert form.errors["title"] == ["This position already has an objective with this title."]


def test_the_same_title_may_be_used_in_another_position(position, executive):
    ObjectiveFactory(title="Advise every customer")
    form = ObjectiveForm(objective_data(owner=executive), position=position)

    assert form.is_valid(), form.errors


def test_an_objective_keeps_its_own_title_when_edited(position, executive):
    objective = ObjectiveFactory(position=position, owner=executive, title="Advise")
    form = ObjectiveForm(
        objective_data(owner=executive, title="Advise"), instance=objective, position=position
    )

    assert form.is_valid(), form.errors
