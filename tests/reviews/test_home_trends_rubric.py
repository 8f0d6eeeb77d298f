"""The home page of each role, the trend pages and the scoring rubric."""

import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from reviews import dispatch, services
from reviews.models import FrozenScore, ReviewCycle, RubricQuestion
from strategy.models import Theme
from tests.factories import ReviewCycleFactory, fill_check, make_open_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_quarters(current_position, commitments, head, other_head, executive, cycle):
    """Q4 FY2025 closed with every lever at 4 (all scores 75); Q1 FY2026 open, every lever at 3
    and submitted (all scores 50)."""
    previous = make_open_cycle(current_position, fiscal_year=2025, quarter=4)
    for check in previous.checks.all():
        fill_check(check, by=head if check.unit.code == "logistics" else other_head, scores=4)
    services.cycle_close(cycle=previous, by=executive)
    for check in cycle.checks.all():
        fill_check(check, by=head if check.unit.code == "logistics" else other_head, scores=3)
    return previous, cycle


def chart(html: str, chart_id: str) -> tuple[str, str]:
    title = re.search(rf'<title id="chart-{chart_id}-title">(.*?)</title>', html).group(1)
    desc = re.search(rf'<desc id="chart-{chart_id}-desc">(.*?)</desc>', html).group(1)
    return title, desc


# --- Home ------------------------------------------------------------------------------------


def test_a_head_sees_their_open_check_and_its_due_date_on_the_home_page(client, cycle, head):
    client.force_login(head)

    html = client.get(reverse("home")).content.decode()

    check = cycle.checks.get(unit__code="logistics")
    assert (
        f'<a class="fw-semibold" href="{check.get_absolute_url()}">Logistics · Q1 FY2026</a>'
        in html
    )
    assert "due 11 Apr 2026" in html
    assert "Alignment index" not in html


def test_the_home_page_shows_a_commitment_due_soon_at_once_and_only_to_its_team(
    client, current_position, head, other_head
):
    """The commitments due soon are cached under the strategy's version, the day and the
    person's units."""
    from tests.factories import CommitmentFactory

    client.force_login(head)
    assert "Count every pallet" not in client.get(reverse("home")).content.decode()
    CommitmentFactory(
        unit=head.memberships.get().unit,
        objective=current_position.objectives.first(),
        statement="Count every pallet",
        due_on=date.today(),
    )

    assert "Count every pallet" in client.get(reverse("home")).content.decode()
    client.force_login(other_head)
    assert "Count every pallet" not in client.get(reverse("home")).content.decode()


def test_the_home_page_says_in_words_which_commitments_are_overdue(client, current_position, head):
    """An overdue commitment is not only red: it says so, and when it was due."""
    from tests.factories import CommitmentFactory

    unit, objective = head.memberships.get().unit, current_position.objectives.first()
    CommitmentFactory(unit=unit, objective=objective, statement="Late one", due_on=date(2026, 3, 2))
    CommitmentFactory(
        unit=unit, objective=objective, statement="Soon one", due_on=date(2026, 3, 20)
    )
    client.force_login(head)

    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
        html = client.get(reverse("home")).content.decode()

    assert "Commitments overdue or due soon" in html
    late, soon = html.index("Late one"), html.index("Soon one")
    assert late < soon
    overdue = html[html.index("Overdue", 0, late) : late]
    assert "was due 2 Mar 2026" in overdue
    assert "Overdue" not in html[late:soon]
    assert "20 Mar 2026" in html[late:soon]


def test_an_executive_sees_the_index_and_completion_of_the_latest_cycle(
    client, worked_example, executive
):
    client.force_login(executive)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.context["cycle"] == worked_example
    assert '<strong class="fs-4">63</strong>' in html  # 62.5
    assert "Checks submitted: 2 of 2" in html
    assert "Your alignment checks" not in html


def test_an_executive_sees_the_change_since_the_last_closed_quarter_from_its_frozen_index(
    client, worked_example, executive, current_position
):
    previous = ReviewCycleFactory(
        position=current_position,
        fiscal_year=2025,
        quarter=4,
        opens_on=date(2025, 12, 28),
        state=ReviewCycle.State.CLOSED,
        opened_at=datetime(2025, 12, 28, 9, tzinfo=UTC),
        closed_at=datetime(2026, 1, 20, 9, tzinfo=UTC),
    )
    FrozenScore.objects.create(cycle=previous, score=50.0)
    client.force_login(executive)

    html = client.get(reverse("home")).content.decode()

    assert '<strong class="fs-4">63</strong>' in html  # the running cycle's 62.5
    assert "(+13 since last quarter)" in html  # 62.5 - 50, from the frozen row


def test_an_executive_sees_the_running_quarterly_review_and_the_annual_refresh_side_by_side(
    client, worked_example, executive, current_position
):
    # The refresh of FY2027 opens after Q1 FY2026 did: it must not take the review's place.
    today = worked_example.opens_on + timedelta(days=3)
    dispatch.refresh_start(
        source=current_position,
        fiscal_year=2027,
        today=today,
        now=datetime.combine(today, time(9), tzinfo=UTC),
    )
    client.force_login(executive)

    response = client.get(reverse("home"))

    html = unescape(response.content.decode())
    refresh = ReviewCycle.objects.get(kind=ReviewCycle.Kind.ANNUAL)
    assert response.context["cycle"] == worked_example
    assert "Q1 FY2026</a>" in html
    assert "Checks submitted: 2 of 2" in html
    assert "0 of 0" not in html
    assert response.context["refresh"] == refresh
    assert f'<a href="{refresh.position.get_absolute_url()}">Annual refresh FY2027</a>' in html
    assert "Publish the FY2027 position by 31 Dec 2026." in html
    assert "2 objectives carried over from last year still to decide" in html


def test_a_member_sees_the_strategy_and_their_team(client, cycle, member, current_position):
    client.force_login(member)

    html = client.get(reverse("home")).content.decode()

    assert current_position.statement in html
    assert f'<a href="{reverse("strategy:unit-detail", args=["logistics"])}">Logistics</a>' in html
    assert "Your alignment checks" not in html
    assert "Alignment index" not in html


# --- Trends ----------------------------------------------------------------------------------


def test_the_company_trend_is_an_svg_chart_with_a_title_and_a_description(
    client, two_quarters, executive, objectives
):
    client.force_login(executive)

    html = client.get(reverse("reviews:trends")).content.decode()

    assert '<svg viewBox="0 0 640 220" role="img"' in html
    assert chart(html, "company") == (
        "Alignment index",
        "Score out of 100 by quarter. Q4 FY2025: 75; Q1 FY2026 (open): 50.",
    )
    assert [chart(html, str(n))[0] for n in (1, 2)] == [o.title for o in objectives]
    logistics_row = re.search(r">Logistics</a></th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td[^>]*>(\d+)</td>", logistics_row) == ["75", "50"]


@pytest.mark.parametrize("subject", ["objective", "team"])
def test_a_trend_page_shows_the_chart_and_the_same_values_in_a_table(
    client, two_quarters, executive, objectives, logistics, subject
):
    url, title = {
        "objective": (
            reverse("reviews:trend-objective", args=[objectives[0].pk]),
            objectives[0].title,
        ),
        "team": (reverse("reviews:trend-team", args=["logistics"]), "Logistics"),
    }[subject]
    client.force_login(executive)

    html = client.get(url).content.decode()

    assert chart(html, "detail") == (
        title,
        "Score out of 100 by quarter. Q4 FY2025: 75; Q1 FY2026 (open): 50.",
    )
    assert re.search(r'<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"', html)
    assert '<th scope="row">Q4 FY2025</th><td>75</td>' in html
    assert '<th scope="row">Q1 FY2026 (open)</th><td>50</td>' in html


def test_a_trend_without_scores_says_so(client, cycle, executive):
    client.force_login(executive)

    html = client.get(reverse("reviews:trends")).content.decode()

    assert chart(html, "company")[1] == "No scores yet."


def test_the_chart_description_rounds_like_the_page(client, worked_example, executive):
    client.force_login(executive)

    home = client.get(reverse("home")).content.decode()

    assert '<strong class="fs-4">63</strong>' in home
    assert chart(home, "home")[1] == "Score out of 100 by quarter. Q1 FY2026 (open): 63."


# --- The rubric ------------------------------------------------------------------------------


def rubric_row(lever, theme, text) -> dict:
    return {"lever": lever, "theme": theme, "text": text, "order": "1", "is_active": "on"}


def rubric_data(*rows) -> dict:
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": "0"}
    data |= {"form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data |= {f"form-{index}-{name}": value for name, value in row.items()}
    return data


def test_an_executive_adds_a_question_to_the_rubric(client, executive):
    seeded = RubricQuestion.objects.count()  # the default rubric, from a data migration
    client.force_login(executive)

    assert client.get(reverse("reviews:rubric-edit")).status_code == 200
    response = client.post(
        reverse("reviews:rubric-edit"),
        rubric_data(rubric_row("people", "service", "Do counter staff know the catalogue?")),
    )

    assert response.status_code == 302
    assert RubricQuestion.objects.count() == seeded + 1
    question = RubricQuestion.objects.get(text="Do counter staff know the catalogue?")
    assert (question.lever, question.theme, question.is_active) == ("people", "service", True)


@pytest.mark.parametrize(("service", "price", "price_shown"), [(85, 15, False), (80, 20, True)])
def test_the_check_page_asks_only_the_questions_of_themes_weighing_20_or_more(
    client, executive, head, current_position, logistics_check, service, price, price_shown
):
    current_position.themes.filter(theme=Theme.SERVICE).update(weight=service)
    current_position.themes.filter(theme=Theme.PRICE).update(weight=price)
    client.force_login(executive)
    client.post(
        reverse("reviews:rubric-edit"),
        rubric_data(
            rubric_row("people", "service", "Do counter staff know the catalogue?"),
            rubric_row("incentives", "price", "Are buyers rewarded for lower costs?"),
            rubric_row("processes", "", "Is the process written down?"),
            rubric_row("funding", "quality", "Is there a budget for inspections?"),
        ),
    )
    RubricQuestion.objects.create(
        lever="people", theme="", text="Retired question", is_active=False
    )
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    assert "Do counter staff know the catalogue?" in html
    assert "Is the process written down?" in html
    assert ("Are buyers rewarded for lower costs?" in html) is price_shown
    assert "Is there a budget for inspections?" not in html
    assert "Retired question" not in html


def test_a_heads_open_checks_are_listed_soonest_due_first_and_a_closed_reviews_not(
    client, cycle, head, current_position
):

    second = make_open_cycle(current_position, quarter=2)
    first_check, second_check = (c.checks.get(unit__code="logistics") for c in (cycle, second))
    client.force_login(head)

    def listed() -> list[str]:
        html = client.get(reverse("home")).content.decode()
        return re.findall(r'<a class="fw-semibold" href="([^"]+)">', html)

    assert listed() == [first_check.get_absolute_url(), second_check.get_absolute_url()]

    cycle.due_on = second.due_on + timedelta(days=1)
    cycle.save(update_fields=["due_on"])
    assert listed() == [second_check.get_absolute_url(), first_check.get_absolute_url()]

    cycle.state = cycle.State.CLOSED
    cycle.save(update_fields=["state"])
    assert listed() == [second_check.get_absolute_url()]
