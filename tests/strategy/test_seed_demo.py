from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from reviews.models import (
    Action,
    AlignmentCheck,
    CheckItem,
    ExecutiveScore,
    FrozenScore,
    ReviewCycle,
)
from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    CustomerPriority,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
    fiscal_year_end,
    fiscal_year_of,
    fiscal_year_start,
)
from strategy.roles import ADMIN, DEPARTMENT_HEAD, EXECUTIVE, MEMBER

pytestmark = pytest.mark.django_db

TEAMS = {
    "HR",
    "Finance",
    "Logistics",
    "Purchasing and supply",
    "Production and operations",
    "Inside sales",
    "Outside sales",
}
MODELS = [
    Unit,
    Membership,
    StrategicPosition,
    PositioningTheme,
    CustomerPriority,
    Competitor,
    Objective,
    Measure,
    Commitment,
    ReviewCycle,
    AlignmentCheck,
    CheckItem,
    FrozenScore,
    ExecutiveScore,
    Action,
]


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counts = {"users": User.objects.count(), "user groups": User.groups.through.objects.count()}
    for model in MODELS:
        counts[model.__name__] = model.objects.count()
        if hasattr(model, "history"):
            counts[f"{model.__name__} history"] = model.history.count()
    return counts


def test_demo_has_a_company_with_regions_branches_and_the_seven_functional_teams():
    seed_demo()

    company = Unit.objects.get(kind=Unit.Kind.COMPANY, level=Unit.Level.BUSINESS)
    assert company.parent is None
    regions = Unit.objects.filter(kind=Unit.Kind.REGION, parent=company)
    assert regions.count() == 2
    assert Unit.objects.filter(kind=Unit.Kind.BRANCH, parent__in=regions).count() == 3
    teams = Unit.objects.functional()
    assert set(teams.values_list("name", flat=True)) == TEAMS
    assert all(team.parent == company for team in teams)


def test_demo_has_one_login_per_role_in_the_right_group():
    output = seed_demo()

    for username, group in [
        ("exec", EXECUTIVE),
        ("head", DEPARTMENT_HEAD),
        ("member", MEMBER),
        ("admin", ADMIN),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password("demo-pass-2026")
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert f"{username} " in output
    assert not User.objects.get(username="admin").is_superuser
    logistics = Unit.objects.get(name="Logistics")
    assert Membership.objects.get(user__username="head").unit == logistics
    assert Membership.objects.get(user__username="head").role == Membership.Role.HEAD
    assert Membership.objects.get(user__username="member").role == Membership.Role.MEMBER


def test_every_functional_team_has_a_head():
    seed_demo()

    for team in Unit.objects.functional():
        assert team.memberships.filter(role=Membership.Role.HEAD).exists(), team.name


def test_demo_strategy_is_the_current_published_position_of_this_fiscal_year():
    seed_demo()

    fiscal_year = fiscal_year_of(timezone.localdate())
    position = StrategicPosition.objects.get(is_current=True)
    assert position.fiscal_year == fiscal_year
    assert position.is_published
    assert position.published_by.username == "exec"
    assert position.themes.aggregate(total=Sum("weight"))["total"] == 100
    assert position.objectives.count() == 6
    assert all(objective.measures.exists() for objective in position.objectives.all())
    assert position.priorities.count() >= 3
    assert position.competitors.count() >= 2


def test_every_functional_team_commits_within_the_fiscal_year():
    seed_demo()

    position = StrategicPosition.objects.get(is_current=True)
    for team in Unit.objects.functional():
        assert 2 <= team.commitments.count() <= 4, team.name
    commitments = Commitment.objects.filter(objective__position=position)
    assert commitments.count() == Commitment.objects.count()
    for commitment in commitments:
        assert fiscal_year_start(position.fiscal_year) <= commitment.due_on
        assert commitment.due_on <= fiscal_year_end(position.fiscal_year)
        if commitment.lever == "funding":
            assert commitment.amount > 0 and commitment.currency == "EUR"
        else:
            assert commitment.amount is None and commitment.currency == ""


def test_running_the_demo_twice_changes_nothing():
    first = seed_demo()
    counts = row_counts()

    second = seed_demo()

    assert "already loaded" not in first
    assert row_counts() == counts
    assert "already loaded" in second


def test_demo_leaves_a_position_that_already_exists_for_this_fiscal_year_alone():
    fiscal_year = fiscal_year_of(timezone.localdate())
    StrategicPosition.objects.create(fiscal_year=fiscal_year, statement="Ours.")

    seed_demo()

    position = StrategicPosition.objects.get()
    assert position.statement == "Ours."
    assert not position.is_published
    assert not position.objectives.exists()
    assert not Commitment.objects.exists()
    assert not ReviewCycle.objects.exists()  # no published strategy to review against


def test_the_demo_names_its_company_and_keeps_a_name_someone_gave():
    seed_demo()
    assert CompanySettings.read().name == "Northwind Distribution"

    CompanySettings.objects.filter(pk=1).update(name="Our own GmbH")
    seed_demo()

    assert CompanySettings.read().name == "Our own GmbH"
