"""A quarterly review's dates lie in the window the cadence settings define.

By default a review opens from 7 days before its quarter starts, is due after it opens, and both
dates are at most 90 days after the quarter ends. Fiscal years start in January here: Q3 FY2027
runs from 1 July to 30 September 2027.
"""

from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from notifications.models import Delivery
from reviews import dispatch, services
from reviews.models import CadenceSettings, FrozenScore, ReviewCycle, quarter_end, quarter_start
from strategy.models import fiscal_start_month, fiscal_year_of
from tests.factories import ReviewCycleFactory
from tests.reviews.cadence.support import cadence_form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("reviews:cycle-create")


def cycle_data(**fields) -> dict:
    data = {"fiscal_year": "2027", "quarter": "3", "opens_on": "2027-10-01", "due_on": "2027-10-15"}
    return data | fields


def page(response) -> str:
    return unescape(response.content.decode())


def future_quarter() -> tuple[int, int]:
    """A quarter that starts a few months from today, whatever today is."""
    day = timezone.localdate() + timedelta(days=200)
    return fiscal_year_of(day), (day.month - fiscal_start_month()) % 12 // 3 + 1


def planned_future_review(position) -> ReviewCycle:
    year, quarter = future_quarter()
    opens_on = quarter_end(year, quarter) + timedelta(days=5)
    return ReviewCycleFactory(
        position=position,
        fiscal_year=year,
        quarter=quarter,
        opens_on=opens_on,
        due_on=opens_on + timedelta(days=14),
    )


# --- Typed in the form ---------------------------------------------------------------------


def test_a_typo_in_the_opening_date_is_refused_with_a_message_on_the_field(
    client, current_position, executive
):
    client.force_login(executive)

    response = client.post(CREATE_URL, cycle_data(opens_on="0001-01-01"))

    assert response.status_code == 200
    assert response.context["form"].errors["opens_on"] == [
        "Q3 FY2027 runs from 1 Jul 2027 to 30 Sep 2027: its review can open from 24 Jun 2027 "
        "and be due by 29 Dec 2027 at the latest; 1 Jan 0001 is outside."
    ]
    assert "1 Jan 0001 is outside." in page(response)
    assert not ReviewCycle.objects.exists()


@pytest.mark.parametrize(
    ("opens_on", "due_on", "fields"),
    [
        ("2027-06-23", "2027-10-15", ["opens_on"]),  # 8 days before the quarter starts
        ("2027-12-30", "2027-12-31", ["opens_on", "due_on"]),  # 91 days after it ends
        ("2027-10-01", "2027-12-30", ["due_on"]),
        ("2027-10-01", "2027-10-01", ["due_on"]),  # due the day it opens
    ],
)
def test_dates_outside_the_window_are_refused_on_their_field(
    client, current_position, executive, opens_on, due_on, fields
):
    client.force_login(executive)

    response = client.post(CREATE_URL, cycle_data(opens_on=opens_on, due_on=due_on))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == fields
    assert not ReviewCycle.objects.exists()


@pytest.mark.parametrize(
    ("opens_on", "due_on"),
    [("2027-06-24", "2027-07-08"), ("2027-12-28", "2027-12-29"), ("2027-10-05", "2027-10-19")],
)
def test_dates_inside_the_window_plan_the_review(
    client, current_position, executive, opens_on, due_on
):
    client.force_login(executive)

    response = client.post(CREATE_URL, cycle_data(opens_on=opens_on, due_on=due_on))

    assert response.status_code == 302
    cycle = ReviewCycle.objects.get()
    assert (cycle.label, cycle.opens_on.isoformat()) == ("Q3 FY2027", opens_on)


def test_the_window_follows_the_cadence_settings(client, current_position, executive):
    CadenceSettings.objects.filter(pk=CadenceSettings.load().pk).update(
        open_early_days=0, review_window_days=30
    )
    client.force_login(executive)

    early = client.post(CREATE_URL, cycle_data(opens_on="2027-06-30", due_on="2027-07-14"))
    late = client.post(CREATE_URL, cycle_data(opens_on="2027-10-20", due_on="2027-10-31"))

    assert "its review can open from 1 Jul 2027" in early.context["form"].errors["opens_on"][0]
    assert "be due by 30 Oct 2027 at the latest" in late.context["form"].errors["due_on"][0]
    assert not ReviewCycle.objects.exists()


# --- Planned by beat -------------------------------------------------------------------------


def test_beat_does_not_open_a_review_whose_dates_are_outside_the_window(
    current_position, head, other_head
):
    typo = ReviewCycleFactory(
        position=current_position,
        fiscal_year=2027,
        quarter=3,
        opens_on=date(1, 1, 1),
        due_on=date(2027, 10, 15),
    )

    opened = dispatch.open_due_cycles(now=datetime(2026, 11, 2, 9, tzinfo=UTC))

    typo.refresh_from_db()
    assert opened == 0
    assert typo.state == ReviewCycle.State.PLANNED
    assert not typo.checks.exists()
    assert not Delivery.objects.exists()


def test_beat_plans_no_review_whose_dates_would_leave_the_window(current_position):
    # Saved around the form, which refuses a window shorter than opening plus due days.
    CadenceSettings.objects.filter(pk=CadenceSettings.load().pk).update(
        open_days_after_quarter_end=5, due_days_after_opening=14, review_window_days=10
    )
    # Q1 FY2026 ends on 31 March; its review would open on 5 April, due 19 April.
    now = datetime(2026, 4, 1, 9, tzinfo=UTC)

    assert dispatch.plan_cycles(now=now) == 0
    CadenceSettings.objects.update(review_window_days=19)
    assert dispatch.plan_cycles(now=now) == 1
    assert ReviewCycle.objects.get().label == "Q1 FY2026"


def test_the_cadence_settings_refuse_a_window_too_short_for_the_planned_dates(login, executive):
    response = login(executive).post(
        reverse("reviews:cadence-edit"), cadence_form_data(review_window_days=18)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["review_window_days"] == [
        "Reviews open 5 days after the quarter ends and are due 14 days later: the window must "
        "be at least 19 days."
    ]
    assert CadenceSettings.load().review_window_days == 90


def test_executives_set_the_window_on_the_cadence_page(login, executive):
    client = login(executive)

    form = client.get(reverse("reviews:cadence-edit")).context["form"]
    response = client.post(
        reverse("reviews:cadence-edit"),
        cadence_form_data(open_early_days=0, review_window_days=45),
    )

    assert {"open_early_days", "review_window_days"} <= set(form.fields)
    assert response.status_code == 302
    config = CadenceSettings.load()
    assert (config.open_early_days, config.review_window_days) == (0, 45)


# --- Opening and closing by hand -------------------------------------------------------------


def test_a_review_whose_quarter_has_not_started_cannot_be_opened(
    client, current_position, executive, head
):
    cycle = planned_future_review(current_position)
    client.force_login(executive)

    shown = client.get(cycle.get_absolute_url())
    response = client.post(reverse("reviews:cycle-open", args=[cycle.pk]), follow=True)

    cycle.refresh_from_db()
    assert "Open the review" not in page(shown)
    assert f"{cycle.label} has not started: its review can open from" in page(shown)
    assert f"{cycle.label} was not opened." in page(response)
    assert cycle.state == ReviewCycle.State.PLANNED
    assert not cycle.checks.exists()
    assert not Delivery.objects.exists()


def test_a_review_whose_quarter_has_not_started_cannot_be_closed(
    client, current_position, executive, head
):
    cycle = planned_future_review(current_position)
    services.cycle_open(cycle=cycle)  # opened before the rule, say
    client.force_login(executive)

    shown = client.get(cycle.get_absolute_url())
    response = client.post(reverse("reviews:cycle-close", args=[cycle.pk]), follow=True)

    cycle.refresh_from_db()
    assert "Close and freeze" not in page(shown)
    assert "the review can be closed once its quarter has started" in page(shown)
    assert f"{cycle.label} has not started yet: it cannot be closed before" in page(response)
    assert cycle.state == ReviewCycle.State.OPEN
    assert cycle.snapshot is None
    assert not FrozenScore.objects.filter(cycle=cycle).exists()


def test_a_review_closes_from_the_first_day_of_its_quarter(current_position, executive, head):
    cycle = ReviewCycleFactory(
        position=current_position,
        fiscal_year=2027,
        quarter=3,
        opens_on=date(2027, 10, 5),
        due_on=date(2027, 10, 19),
    )
    services.cycle_open(cycle=cycle)
    start = quarter_start(2027, 3)

    with pytest.raises(ValidationError, match="cannot be closed before 1 Jul 2027"):
        services.cycle_close(
            cycle=cycle,
            by=executive,
            now=datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=UTC),
        )
    assert services.cycle_close(
        cycle=cycle, by=executive, now=datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    )


def test_an_executive_moves_a_planned_review_whose_dates_keep_it_from_opening(login, executive):
    from reviews.models import ReviewCycle
    from tests.factories import PositionFactory, ReviewCycleFactory

    position = PositionFactory(fiscal_year=2026)  # Q4 FY2026 ran from 1 Oct to 31 Dec 2026
    cycle = ReviewCycleFactory(
        position=position, quarter=4, opens_on=date(1, 1, 1), due_on=date(1, 1, 15)
    )
    page = login(executive).get(cycle.get_absolute_url())
    assertContains(page, "It cannot open now.")
    assertContains(page, f'href="/reviews/{cycle.pk}/edit/"')
    year = cycle.fiscal_year

    refused = login(executive).post(
        f"/reviews/{cycle.pk}/edit/", {"opens_on": f"{year}-12-28", "due_on": f"{year}-12-20"}
    )
    assertContains(refused, "The due date must be after the opening date.")
    cycle.refresh_from_db()
    assert cycle.opens_on == date(1, 1, 1)

    response = login(executive).post(
        f"/reviews/{cycle.pk}/edit/",
        {"opens_on": f"{year}-12-28", "due_on": f"{year + 1}-01-11"},
        follow=True,
    )

    assertContains(response, f"The dates of {cycle.label} are saved.")
    assertNotContains(response, "It cannot open now.")
    cycle.refresh_from_db()
    assert (cycle.opens_on, cycle.due_on) == (date(year, 12, 28), date(year + 1, 1, 11))
    assert (cycle.fiscal_year, cycle.quarter, cycle.state) == (year, 4, ReviewCycle.State.PLANNED)
