"""Who sees which signals, the thresholds page, and reading the strategy (docs/signals.md):
executives and admins everywhere; a head the signals about their own team on their home and
team pages; members none."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import notify
from notifications.models import Delivery
from reviews import dispatch, services, standings
from reviews.models import ReviewCycle
from strategy.models import Acknowledgement
from sustain import board
from sustain.forms import SignalSettingsForm
from sustain.models import SignalSettings
from tests.factories import ReviewCycleFactory, make_open_cycle
from tests.sustain.support import reasons, text

pytestmark = pytest.mark.django_db

# Logistics 5, 2, 5, 2 → 100, 25, 100, 25; Finance 4 → 75, late in Q2 and Q4; objective A
# scored by both: 87.5, 50, 87.5, 50 (docs: mean 37.5, 2 reversals).
LOGISTICS = "Logistics: 100, 25, 100, 25 over the last 4 quarters"
FINANCE = "Finance: missed or late in 2 of the last 4 reviews."
OBJECTIVE_A = "Deliver on the promised date: 88, 50, 88, 50 over the last 4 quarters"
SECTION = 'id="signals-heading"'  # the signal section of the team and objective pages
TEAM_CARD = "Signals about your team"


@pytest.fixture
def quarters(org):
    cycles = org.quarters(
        {org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]},
        late={1: {org.finance}, 3: {org.finance}},
    )
    org.settle(timezone.now())  # the pages read the real clock: no commitment is stale
    return cycles


def as_(request, login, who: str):
    return login(request.getfixturevalue(who))


def settings_data(**changes) -> dict:
    form = SignalSettingsForm(instance=SignalSettings.load())
    data = {name: form[name].value() for name in form.fields} | changes
    return {name: str(value) for name, value in data.items()}


# --- The signals page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("executive", 200),
        ("admin_user", 200),
        ("head", 403),
        ("other_head", 403),
        ("member", 403),
        ("outsider", 403),
    ],
)
def test_the_signals_page_is_for_executives_and_admins(request, login, quarters, who, status):
    response = as_(request, login, who).get(reverse("sustain:signals"))

    assert response.status_code == status
    page = text(response)
    for reason in (LOGISTICS, FINANCE, OBJECTIVE_A):
        assert (reason in page) is (status == 200)


def test_the_signals_page_says_when_too_few_quarters_are_closed(org, login, executive):
    org.quarters({org.logistics: [5, 1], org.finance: [1, 5]})

    page = text(login(executive).get(reverse("sustain:signals")))

    assert "Fewer than three quarters are closed: roller-coasters cannot be judged yet." in page
    assert "Roller-coaster" not in page


def test_the_signals_page_shows_streaks_funding_acknowledgements_and_cadence(
    quarters, login, executive
):
    page = text(login(executive).get(reverse("sustain:signals")))

    # Finance: 75 in each of the 4 quarters.
    assert "Finance</a>: 4 quarters in a row" in page
    # 6,000 and 4,000 EUR for weights 60 and 40: the money follows the weights.
    assert "misallocation index 0" in page
    # Logistics' 25 and Finance's 75 in Q4: B's teams average 50.
    assert (
        "“Advise every customer”: its teams average 50, under the target of 75 (Logistics "
        "below it)." in page
    )
    assert "0 of 1 (0%)" in page  # nobody has read the strategy yet
    assert "Q4 FY2026" in page


# --- Thresholds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("executive", 200),
        ("admin_user", 403),
        ("head", 403),
        ("member", 403),
        ("outsider", 403),
    ],
)
def test_only_executives_change_the_thresholds(request, login, who, status):
    client = as_(request, login, who)

    assert client.get(reverse("sustain:signal-settings-edit")).status_code == status
    response = client.post(reverse("sustain:signal-settings-edit"), settings_data(window=6))
    assert response.status_code == (302 if status == 200 else 403)
    assert SignalSettings.load().window == (6 if status == 200 else 4)


def test_invalid_thresholds_are_refused_with_the_errors_shown(login, executive):
    response = login(executive).post(
        reverse("sustain:signal-settings-edit"),
        settings_data(window=2, funding_min_ratio="1.5"),
    )

    assert response.status_code == 200
    page = text(response)
    assert "Nothing was saved: please correct the errors below." in page
    assert "Ensure this value is greater than or equal to 3." in page
    assert "Ensure this value is less than or equal to 1." in page
    config = SignalSettings.load()
    assert (config.window, config.funding_min_ratio) == (4, 0.5)


@pytest.mark.parametrize("name", ["say_do_quarters", "late_cycles"])
def test_a_count_beyond_the_quarters_looked_at_is_refused(login, executive, name):
    """Both are counted within the quarters looked at: 5 of 4 could never be reached."""
    response = login(executive).post(
        reverse("sustain:signal-settings-edit"), settings_data(window=4, **{name: 5})
    )

    assert response.status_code == 200
    assert "At most the quarters looked at (4): only those are read, so 5 could never be" in (
        text(response)
    )
    assert getattr(SignalSettings.load(), name) != 5
    ok = login(executive).post(
        reverse("sustain:signal-settings-edit"), settings_data(window=5, **{name: 5})
    )
    assert ok.status_code == 302
    assert getattr(SignalSettings.load(), name) == 5


def test_the_quarters_looked_at_say_which_signals_read_them(login, executive):
    page = text(login(executive).get(reverse("sustain:signal-settings-edit")))

    assert "How many of the latest quarters the signals read" in page
    assert "roller-coaster outcomes and not measuring" in page


def test_saving_thresholds_changes_what_is_flagged(quarters, login, executive, board_worker):
    client = login(executive)
    before = text(client.get(reverse("sustain:signals")))
    assert LOGISTICS in before
    assert FINANCE in before

    # Logistics moves 75 points a quarter: under a threshold of 80 it is no roller-coaster.
    # Finance was late twice: under a threshold of 3 it is not flagged any more.
    with board_worker():
        response = client.post(
            reverse("sustain:signal-settings-edit"),
            settings_data(roller_min_change=80, late_cycles=3),
        )

    assert response.status_code == 302
    assert response.url == reverse("sustain:signals")
    after = text(client.get(response.url))
    assert "Signal thresholds saved." in after
    assert LOGISTICS not in after
    assert FINANCE not in after
    # A moves 38 points a quarter on average: also under 80.
    assert OBJECTIVE_A not in after


# --- Home, team and objective pages ----------------------------------------------------------


def test_a_head_sees_their_own_teams_signals_on_home_and_no_other_teams(
    quarters, login, head, other_head
):
    logistics_home = text(login(head).get(reverse("home")))
    finance_home = text(login(other_head).get(reverse("home")))

    assert TEAM_CARD in logistics_home
    assert LOGISTICS in logistics_home
    assert FINANCE not in logistics_home
    assert OBJECTIVE_A not in logistics_home  # objective signals are for executives
    assert FINANCE in finance_home
    assert LOGISTICS not in finance_home


def test_members_and_outsiders_see_no_signal_on_home(request, login, quarters):
    for who in ("member", "outsider"):
        page = text(as_(request, login, who).get(reverse("home")))

        assert TEAM_CARD not in page
        assert "to look at" not in page
        for reason in (LOGISTICS, FINANCE, OBJECTIVE_A):
            assert reason not in page


def test_executives_see_the_signal_count_and_the_streaks_on_home(quarters, login, executive):
    count = len(board.board(now=timezone.now())["signals"])

    page = text(login(executive).get(reverse("home")))

    assert f"{count} signals to look at" in page
    assert "Finance</a>: 4" in page  # the longest streak
    assert TEAM_CARD not in page  # the executive heads no team


def test_a_head_sees_the_signals_on_their_own_team_page_only(quarters, login, head, org):
    client = login(head)

    own = text(client.get(org.logistics.get_absolute_url()))
    other = text(client.get(org.finance.get_absolute_url()))

    assert SECTION in own
    assert LOGISTICS in own
    assert SECTION not in other
    assert FINANCE not in other


@pytest.mark.parametrize("who", ["executive", "admin_user"])
def test_executives_and_admins_see_every_team_pages_signals(request, login, quarters, org, who):
    client = as_(request, login, who)

    logistics = text(client.get(org.logistics.get_absolute_url()))
    finance = text(client.get(org.finance.get_absolute_url()))

    assert SECTION in logistics
    assert LOGISTICS in logistics
    assert FINANCE not in logistics  # a team page shows that team's signals only
    assert FINANCE in finance


def test_a_member_sees_no_signal_on_their_team_page(quarters, login, member, org):
    page = text(login(member).get(org.logistics.get_absolute_url()))

    assert SECTION not in page
    assert LOGISTICS not in page


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("executive", True),
        ("admin_user", True),
        ("head", False),
        ("member", False),
    ],
)
def test_objective_pages_show_signals_to_executives_and_admins_only(
    request, login, quarters, org, who, sees
):
    response = as_(request, login, who).get(org.a.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    assert (SECTION in page) is sees
    assert (OBJECTIVE_A in page) is sees
    assert LOGISTICS not in page  # team signals stay on team pages


# --- A closed review keeps its signals -------------------------------------------------------


def _cycle_signals(page: str) -> str:
    """The review page's signal section."""
    start = page.index('id="cycle-signals-heading"')
    return page[start : page.index("</section>", start)]


def test_a_closed_reviews_page_shows_its_frozen_signals_not_the_live_ones(
    quarters, login, executive, org
):
    q3, q4 = quarters[2], quarters[3]
    client = login(executive)
    # Live, Logistics is a roller-coaster; when Q3 closed it was 100, 25, 100 (1 reversal).
    assert reasons(board.board(now=timezone.now()), "roller", "Logistics")
    assert LOGISTICS not in _cycle_signals(text(client.get(q3.get_absolute_url())))

    # The data changes: thresholds raised, Finance's money moved away from A.
    config = SignalSettings.load()
    config.roller_min_change = 80
    config.save()
    org.a.commitments.filter(unit=org.finance).update(amount=0)
    live = board.board(now=timezone.now())
    assert reasons(live, "roller", "Logistics") == []
    assert reasons(live, "funding")

    q4_signals = _cycle_signals(text(client.get(q4.get_absolute_url())))
    assert LOGISTICS in q4_signals
    assert FINANCE in q4_signals
    assert "committed funding" not in q4_signals


def test_a_running_reviews_page_shows_the_live_signals(quarters, login, executive, org):
    running = make_open_cycle(org.position, fiscal_year=2027, quarter=1)

    signals = _cycle_signals(text(login(executive).get(running.get_absolute_url())))

    assert LOGISTICS in signals


# --- Reading the strategy --------------------------------------------------------------------

BUTTON = "I have read the strategy and my team's commitments"


def test_acknowledging_records_once_and_the_strategy_page_then_says_so(
    login, member, current_position
):
    client = login(member)
    url = current_position.get_absolute_url()
    assert BUTTON in text(client.get(url))

    first = client.post(reverse("reviews:acknowledge"), {"next": url})
    second = client.post(reverse("reviews:acknowledge"), {"next": url})

    assert first.status_code == second.status_code == 302
    assert first.url == url
    assert Acknowledgement.objects.filter(user=member, position=current_position).count() == 1
    page = text(client.get(url))
    assert BUTTON not in page
    today = timezone.localdate()
    assert f"You confirmed on {today.day} {today:%b %Y}" in page
    assert "You have read it." in client.get(reverse("home")).content.decode()


def test_acknowledging_needs_a_post_and_a_current_strategy(login, member):
    client = login(member)

    assert client.get(reverse("reviews:acknowledge")).status_code == 405
    assert client.post(reverse("reviews:acknowledge")).status_code == 404  # no strategy yet
    assert not Acknowledgement.objects.exists()


def test_acknowledging_counts_in_the_teams_share(login, member, head, current_position):
    login(member).post(reverse("reviews:acknowledge"))

    (row,) = board.board(now=timezone.now())["acknowledgement"]

    assert (row["team"].name, row["read"], row["members"], row["share"]) == (
        "Logistics",
        1,
        2,
        50,
    )


def test_acknowledging_does_not_redirect_off_site(login, member, current_position):
    response = login(member).post(reverse("reviews:acknowledge"), {"next": "https://evil.test/"})

    assert response.status_code == 302
    assert response.url == current_position.get_absolute_url()


# --- The acknowledgement reminder ------------------------------------------------------------

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)  # Q1 FY2026 is running, after the reminder hour


def _ack_reminders() -> list[str]:
    return sorted(
        Delivery.objects.filter(kind=Delivery.Kind.ACK_REMINDER).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.fixture
def running(current_position, head, member, other_head, executive):
    """Q1 FY2026 open; Logistics' head has read the strategy, its member and Finance's head
    have not; the executive is in no team."""
    Acknowledgement.objects.create(user=head, position=current_position)
    cycle = ReviewCycleFactory(
        position=current_position, quarter=1, opens_on=date(2026, 4, 1), due_on=date(2026, 4, 15)
    )
    services.cycle_open(cycle=cycle, now=datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    return cycle


def test_the_ack_reminder_goes_once_to_the_people_who_have_not_read_the_strategy(
    running, current_position, mailoutbox
):
    dispatch.send_due_reminders(now=NOW)
    dispatch.send_due_reminders(now=NOW.replace(hour=10))

    assert _ack_reminders() == ["fay-finance", "mia-member"]
    delivery = Delivery.objects.get(
        kind=Delivery.Kind.ACK_REMINDER, recipient__username="fay-finance"
    )
    assert delivery.cycle == running
    assert delivery.step == f"position-{current_position.pk}"
    assert delivery.notification.title == (
        "Please read the FY2026 strategy and your team's commitments"
    )
    assert delivery.notification.link == current_position.get_absolute_url()


def test_someone_who_reads_before_the_email_goes_is_not_emailed(
    running, current_position, member, mailoutbox
):
    dispatch.send_due_reminders(now=NOW)
    Acknowledgement.objects.create(user=member, position=current_position)

    outcomes = {
        d.recipient.username: notify.delivery_send(delivery_id=d.pk, now=NOW).state
        for d in Delivery.objects.filter(kind=Delivery.Kind.ACK_REMINDER).select_related(
            "recipient"
        )
    }

    assert outcomes == {"fay-finance": "sent", "mia-member": "cancelled"}
    assert [m.to for m in mailoutbox] == [["fay-finance@example.com"]]


def test_the_ack_reminder_goes_again_in_the_next_quarterly_review(
    running, current_position, executive, other_head
):
    dispatch.send_due_reminders(now=NOW)
    services.cycle_close(cycle=running, by=executive, now=datetime(2026, 4, 20, tzinfo=UTC))
    Acknowledgement.objects.create(user=other_head, position=current_position)
    q2 = ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 7, 1), due_on=date(2026, 7, 15)
    )
    services.cycle_open(cycle=q2, now=datetime(2026, 7, 1, tzinfo=UTC))

    dispatch.send_due_reminders(now=datetime(2026, 7, 2, 9, tzinfo=UTC))

    # Finance's head has read it since; the member is asked again, for Q2.
    assert list(
        Delivery.objects.filter(kind=Delivery.Kind.ACK_REMINDER)
        .order_by("cycle__quarter", "recipient__username")
        .values_list("cycle__quarter", "recipient__username")
    ) == [(1, "fay-finance"), (1, "mia-member"), (2, "mia-member")]


def test_no_ack_reminder_without_a_running_quarterly_review(current_position, member):
    ReviewCycleFactory(position=current_position, quarter=1)  # planned, not open

    dispatch.send_due_reminders(now=NOW)

    assert _ack_reminders() == []
    assert ReviewCycle.objects.get().state == ReviewCycle.State.PLANNED


def test_the_ack_reminder_waits_for_the_reminder_hour_of_the_opening_day(running):
    # Reminders go from 08:00 in the organisation's time zone (UTC by default); Q1 opened at
    # midnight on 1 April.
    dispatch.send_due_reminders(now=datetime(2026, 4, 1, 7, 59, tzinfo=UTC))
    assert _ack_reminders() == []

    dispatch.send_due_reminders(now=datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    assert _ack_reminders() == ["fay-finance", "mia-member"]


def test_a_closed_reviews_page_shows_its_first_frozen_signals_and_counts_the_rest(
    login, executive, current_position
):
    frozen = [
        {"kind": "funding", "label": "Funding", "reason": f"Frozen signal {n:02}", "link": ""}
        for n in range(board.CYCLE_SIGNALS_SHOWN + 5)
    ]
    closed = ReviewCycleFactory(
        position=current_position,
        state=ReviewCycle.State.CLOSED,
        closed_at=timezone.now(),
        snapshot={"index": None, "objectives": [], "teams": [], "signals": frozen},
    )

    signals = _cycle_signals(text(login(executive).get(closed.get_absolute_url())))

    assert f"Frozen signal {board.CYCLE_SIGNALS_SHOWN - 1:02}" in signals
    assert f"Frozen signal {board.CYCLE_SIGNALS_SHOWN:02}" not in signals
    assert "And 5 more signals." in signals


def test_the_first_frozen_signals_and_their_count_come_with_the_cycles_figures(
    current_position, django_assert_num_queries
):
    frozen = [{"kind": "k", "label": "L", "reason": f"r{n}", "link": ""} for n in range(25)]
    closed = ReviewCycleFactory(
        position=current_position,
        state=ReviewCycle.State.CLOSED,
        closed_at=timezone.now(),
        snapshot={"index": 50, "objectives": [], "teams": [], "signals": frozen},
    )

    with django_assert_num_queries(1):
        results = standings.summary(closed)
        shown, more = board.cycle_signals(closed, results)

    assert results["signals_total"] == 25
    assert [s["reason"] for s in shown] == [f"r{n}" for n in range(board.CYCLE_SIGNALS_SHOWN)]
    assert more == 25 - board.CYCLE_SIGNALS_SHOWN


def test_a_closed_cycle_frozen_without_signals_has_no_count_of_them(current_position):
    """Its page then shows the stored board's signals (board.cycle_signals)."""
    closed = ReviewCycleFactory(
        position=current_position,
        state=ReviewCycle.State.CLOSED,
        closed_at=timezone.now(),
        snapshot={"index": 50, "objectives": [], "teams": []},
    )

    results = standings.summary(closed)

    assert results["signals_total"] is None
    assert results["signals"] == []
