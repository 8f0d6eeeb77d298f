"""Who hears about what, and when: opening, reminders, escalation, closing, the annual refresh.

Q1 FY2026 opens on Sunday 5 April 2026 and is due on Sunday 19 April, Paris time (summer:
UTC+2). Reminders go at 08:00 in Paris, 7 and 1 days before the due date, then every 3 days;
executives hear of late checks 5 days after it.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from notifications import notify
from notifications.models import Delivery, Notification
from reviews import dispatch, tasks
from reviews.models import ReviewCycle
from strategy import services as strategy
from strategy.models import Acknowledgement, Commitment, RefreshDecision, StrategicPosition
from tests.factories import (
    CommitmentFactory,
    CompetitorFactory,
    MeasureFactory,
    ObjectiveFactory,
    ReviewCycleFactory,
    UnitFactory,
    fill_check,
    make_executive,
    make_head,
)
from tests.reviews.cadence.support import (
    BEFORE_1,
    BEFORE_7,
    ESCALATION,
    MINUTE,
    OPENING,
    OVERDUE_3,
    cadence_form_data,
    check_of,
    deliveries,
    paris,
)

pytestmark = pytest.mark.django_db

# --- Opening ---------------------------------------------------------------------------------


def test_opening_tells_each_head_once_with_a_notification_linking_to_their_check(
    q1,
    head,
    other_head,
    member,
    executive,
    admin_user,
    outsider,
    logistics,
    finance,
    enqueued,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.open_due_cycles(now=OPENING - MINUTE) == 0  # 23:59 on the 4th in Paris
        assert dispatch.open_due_cycles(now=OPENING) == 1

    q1.refresh_from_db()
    assert (q1.state, q1.opened_at) == (ReviewCycle.State.OPEN, OPENING)
    assert deliveries() == [("check_opened", "", "fay-finance"), ("check_opened", "", "hugo-head")]
    for user, unit in ((head, logistics), (other_head, finance)):
        notification = Notification.objects.get(user=user)
        assert notification.delivery.recipient == user
        assert notification.link == reverse("reviews:check-edit", args=[check_of(q1, unit).pk])
        assert notification.title == "Your alignment check for Q1 FY2026 is open, due 19 Apr 2026"
        assert notification.read_at is None
    assert sorted(enqueued) == sorted(Delivery.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.open_due_cycles(now=OPENING + timedelta(minutes=15)) == 0
    assert Delivery.objects.count() == 2 and len(enqueued) == 2


def test_a_head_of_two_teams_is_told_once_and_pointed_to_the_home_page(q1, head):
    warehouse = UnitFactory(name="Warehouse", code="warehouse")
    make_head(warehouse, username=head.username)

    dispatch.open_due_cycles(now=OPENING)

    assert deliveries(recipient=head) == [("check_opened", "", "hugo-head")]
    assert Notification.objects.get(user=head).link == reverse("home")


def test_an_inactive_head_is_not_told(q1, head):
    head.is_active = False
    head.save()

    dispatch.open_due_cycles(now=OPENING)

    assert deliveries() == [("check_opened", "", "fay-finance")]


def test_opening_a_cycle_by_hand_tells_the_heads_too(q1, login, executive):
    login(executive).post(reverse("reviews:cycle-open", args=[q1.pk]))

    assert deliveries() == [("check_opened", "", "fay-finance"), ("check_opened", "", "hugo-head")]


# --- Reminders -------------------------------------------------------------------------------


def test_reminders_go_only_to_heads_of_teams_that_have_not_submitted(
    opened, head, other_head, finance, deliver, mailoutbox
):
    fill_check(check_of(opened, finance), by=other_head)

    assert dispatch.send_due_reminders(now=BEFORE_7 - MINUTE) == 0
    assert dispatch.send_due_reminders(now=BEFORE_7) == 1

    assert deliveries(kind="check_reminder") == [("check_reminder", "before-7", "hugo-head")]
    assert deliver(now=BEFORE_7) == {Delivery.objects.get(kind="check_reminder").pk: "sent"}
    assert [m.to for m in mailoutbox] == [[head.email]]
    assert (
        mailoutbox[0].subject == "Reminder: your alignment check for Q1 FY2026 is due 19 Apr 2026"
    )


def test_a_head_who_submits_before_the_reminder_is_sent_gets_no_email(
    opened, head, logistics, deliver, mailoutbox
):
    dispatch.send_due_reminders(now=BEFORE_7)
    fill_check(check_of(opened, logistics), by=head)  # while the reminder waits in the queue

    outcomes = deliver(now=BEFORE_7 + MINUTE)

    reminder = Delivery.objects.get(kind="check_reminder", recipient=head)
    assert outcomes[reminder.pk] == "cancelled"
    assert reminder.state == Delivery.State.CANCELLED
    assert head.email not in [address for m in mailoutbox for address in m.to]
    assert len(mailoutbox) == 1  # Finance's head still hears


def test_running_the_reminders_again_creates_nothing_twice(opened, enqueued):
    assert dispatch.send_due_reminders(now=BEFORE_7) == 2
    assert dispatch.send_due_reminders(now=BEFORE_7) == 0
    assert dispatch.send_due_reminders(now=BEFORE_7 + timedelta(minutes=15)) == 0
    assert dispatch.send_due_reminders(now=BEFORE_7 + timedelta(days=3)) == 0  # still before-7
    assert dispatch.send_due_reminders(now=BEFORE_1) == 2

    assert deliveries(kind="check_reminder") == [
        ("check_reminder", "before-1", "fay-finance"),
        ("check_reminder", "before-1", "hugo-head"),
        ("check_reminder", "before-7", "fay-finance"),
        ("check_reminder", "before-7", "hugo-head"),
    ]
    assert Notification.objects.filter(delivery__kind="check_reminder").count() == 4


def test_each_reminder_replaces_the_unread_notes_before_it_about_the_same_check(
    opened, head, enqueued
):
    other_cycle_note = Notification.objects.create(user=head, title="Other news", link="/")

    dispatch.send_due_reminders(now=BEFORE_7)
    dispatch.send_due_reminders(now=BEFORE_1)

    unread = Notification.objects.filter(user=head).unread()
    assert sorted(unread.values_list("title", flat=True)) == [
        "Other news",
        "Reminder: your alignment check for Q1 FY2026 is due 19 Apr 2026",
    ]
    assert unread.get(delivery__isnull=False).delivery.step == "before-1"
    assert Notification.objects.filter(user=head).count() == 4  # the others read, not lost
    other_cycle_note.refresh_from_db()
    assert other_cycle_note.read_at is None


def test_an_overdue_reminder_says_so(opened, deliver, mailoutbox):
    assert dispatch.send_due_reminders(now=OVERDUE_3) == 2

    deliver(now=OVERDUE_3)
    assert {m.subject for m in mailoutbox} == {
        "Overdue: your alignment check for Q1 FY2026 was due 19 Apr 2026"
    }


def test_nobody_is_reminded_of_a_cycle_that_is_not_open(q1, cadence):
    assert dispatch.send_due_reminders(now=BEFORE_7) == 0  # still planned: nobody was told

    dispatch.open_due_cycles(now=OPENING)
    ReviewCycle.objects.filter(pk=q1.pk).update(state=ReviewCycle.State.CLOSED)
    assert dispatch.send_due_reminders(now=BEFORE_1) == 0


def test_people_who_have_not_read_the_strategy_are_asked_to_at_the_reminder_hour(q1, member):
    # Mia joined after the others read the strategy; Fay's reading is forgotten.
    Acknowledgement.objects.filter(user__username="fay-finance").delete()
    dispatch.open_due_cycles(now=OPENING)

    dispatch.send_due_reminders(now=paris(2026, 4, 5, 8, 0))
    dispatch.send_due_reminders(now=paris(2026, 4, 6, 8, 0))

    assert deliveries(kind="ack_reminder") == [
        ("ack_reminder", f"position-{q1.position_id}", "fay-finance"),
        ("ack_reminder", f"position-{q1.position_id}", "mia-member"),
    ]


def test_the_acknowledgement_reminder_waits_for_the_reminder_hour(q1, member):
    dispatch.open_due_cycles(now=OPENING)  # Mia has not read the strategy

    dispatch.send_due_reminders(now=OPENING + 5 * MINUTE)

    assert deliveries(kind="ack_reminder") == []


# --- Escalation ------------------------------------------------------------------------------


def test_executives_get_one_digest_per_cycle_listing_the_late_teams(
    opened, executive, other_head, finance, deliver, mailoutbox
):
    make_executive(username="eve-exec")
    fill_check(check_of(opened, finance), by=other_head)

    assert dispatch.escalate_overdue(now=ESCALATION - MINUTE) == 0
    assert dispatch.escalate_overdue(now=ESCALATION) == 2
    assert dispatch.escalate_overdue(now=ESCALATION + timedelta(minutes=15)) == 0
    assert dispatch.escalate_overdue(now=ESCALATION + timedelta(days=4)) == 0

    assert deliveries(kind="escalation") == [
        ("escalation", "", "erin-exec"),
        ("escalation", "", "eve-exec"),
    ]
    notification = Notification.objects.get(user=executive)
    assert notification.title == "1 team is late with the Q1 FY2026 check, due 19 Apr 2026"
    assert notification.link == opened.get_absolute_url()
    deliver(now=ESCALATION)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert "- Logistics: not started" in message.body
        assert "Finance" not in message.body
        assert "<li>Logistics: not started</li>" in message.alternatives[0].content


def test_the_digest_names_every_late_team(opened, deliver, mailoutbox):
    dispatch.escalate_overdue(now=ESCALATION)
    deliver(now=ESCALATION)

    assert mailoutbox[0].subject == "2 teams are late with the Q1 FY2026 check, due 19 Apr 2026"
    assert "- Finance: not started\n- Logistics: not started" in mailoutbox[0].body


def test_no_digest_when_every_team_has_submitted(
    opened, head, other_head, logistics, finance, deliver, mailoutbox
):
    dispatch.escalate_overdue(now=ESCALATION)
    fill_check(check_of(opened, logistics), by=head)
    fill_check(check_of(opened, finance), by=other_head)

    assert deliver(now=ESCALATION) == {Delivery.objects.get(kind="escalation").pk: "cancelled"}
    assert dispatch.escalate_overdue(now=ESCALATION + timedelta(days=1)) == 0
    assert mailoutbox == []


# --- Closing ---------------------------------------------------------------------------------


def test_closing_a_cycle_tells_the_executives_and_the_admins(
    opened, login, executive, admin_user, head
):
    client = login(executive)
    url = reverse("reviews:cycle-close", args=[opened.pk])

    response = client.post(url)

    assert response.status_code == 302
    closed = deliveries(kind="cycle_closed")
    assert closed == [("cycle_closed", "", "ada-admin"), ("cycle_closed", "", "erin-exec")]
    note = Notification.objects.get(user=admin_user)
    assert (note.title, note.link) == ("The Q1 FY2026 review is closed", opened.get_absolute_url())

    client.post(url)  # closing twice tells nobody twice
    assert deliveries(kind="cycle_closed") == closed


def test_a_head_cannot_close_a_cycle(opened, login, head):
    response = login(head).post(reverse("reviews:cycle-close", args=[opened.pk]))

    assert response.status_code == 403
    assert not Delivery.objects.filter(kind="cycle_closed").exists()


# --- The annual refresh ----------------------------------------------------------------------

REFRESH_DAY = paris(2026, 11, 1)  # the default refresh date of FY2027; Paris is on UTC+1


@pytest.fixture
def last_year(cadence, current_position, executive, head, other_head, logistics, finance):
    """FY2026 with a competitor, measures, a retired objective and the teams' commitments."""
    first, second = current_position.objectives.order_by("order")
    CompetitorFactory(position=current_position, name="BudgetCo")
    MeasureFactory(objective=first, name="On-time deliveries", baseline=80, target=95)
    MeasureFactory(objective=second, name="Returns", unit="%", baseline=6, target=3)
    retired = ObjectiveFactory(position=current_position, owner=executive, title="Old news")
    retired.retire()
    CommitmentFactory(unit=logistics, objective=first, statement="Train the pickers.")
    CommitmentFactory(unit=logistics, objective=second, statement="Inspect the returns.")
    CommitmentFactory(unit=finance, objective=first, statement="Fund the scanners.")
    return current_position


def test_the_refresh_starts_on_its_date_and_copies_the_position_into_a_draft(last_year, executive):
    assert dispatch.start_annual_refresh(now=REFRESH_DAY - MINUTE) == 0
    assert dispatch.start_annual_refresh(now=REFRESH_DAY) == 1
    assert dispatch.start_annual_refresh(now=REFRESH_DAY + timedelta(hours=1)) == 0

    draft = StrategicPosition.objects.get(fiscal_year=2027)
    assert (draft.status, draft.is_current) == (StrategicPosition.Status.DRAFT, False)
    assert draft.statement == last_year.statement
    assert list(draft.themes.values_list("theme", "weight")) == list(
        last_year.themes.values_list("theme", "weight")
    )
    assert list(draft.priorities.values_list("rank", "title")) == [(1, "On-time delivery")]
    assert list(draft.competitors.values_list("name", flat=True)) == ["BudgetCo"]
    old = list(last_year.objectives.active().order_by("order"))
    new = list(draft.objectives.order_by("order"))
    assert [(o.title, o.previous, o.refresh_decision) for o in new] == [
        (o.title, o, "") for o in old
    ]
    assert [o.customer_priority for o in new] == [draft.priorities.get()] * 2
    assert [list(o.measures.values_list("name", "baseline", "target")) for o in new] == [
        list(o.measures.values_list("name", "baseline", "target")) for o in old
    ]

    refresh = ReviewCycle.objects.get(kind=ReviewCycle.Kind.ANNUAL)
    assert (refresh.fiscal_year, refresh.position, refresh.state) == (2027, draft, "open")
    assert (refresh.opens_on, refresh.due_on) == (date(2026, 11, 1), date(2026, 12, 31))
    assert deliveries() == [("refresh_started", "", "erin-exec")]
    note = Notification.objects.get(user=executive)
    assert (note.title, note.link) == (
        "The annual refresh for FY2027 has started: publish the new position by 31 Dec 2026",
        draft.get_absolute_url(),
    )


def test_the_refresh_does_not_start_again_once_its_draft_is_published(last_year, executive):
    dispatch.start_annual_refresh(now=REFRESH_DAY)
    draft = StrategicPosition.objects.get(fiscal_year=2027)
    for objective in draft.objectives.all():
        strategy.objective_decide(objective=objective, decision=RefreshDecision.KEPT)
    strategy.position_publish(position=draft, by=executive)
    dispatch.refresh_finish(position=draft, now=REFRESH_DAY)

    assert dispatch.start_annual_refresh(now=paris(2026, 12, 1)) == 0
    assert StrategicPosition.objects.count() == 2


def test_executives_are_reminded_of_the_refresh_every_week_until_it_is_published(
    last_year, executive, head, deliver, mailoutbox
):
    dispatch.start_annual_refresh(now=REFRESH_DAY)
    deliver(now=REFRESH_DAY)
    mailoutbox.clear()

    assert dispatch.send_due_reminders(now=paris(2026, 11, 8, 7, 59)) == 0
    assert dispatch.send_due_reminders(now=paris(2026, 11, 8, 8, 0)) == 1
    deliver(now=paris(2026, 11, 8, 8, 0))
    assert dispatch.send_due_reminders(now=paris(2026, 11, 14, 8, 0)) == 0
    assert dispatch.send_due_reminders(now=paris(2026, 11, 15, 8, 0)) == 1

    [message] = mailoutbox
    assert message.to == [executive.email]
    assert message.subject == "Annual refresh FY2027: 2 objectives still to decide, due 31 Dec 2026"
    for objective in last_year.objectives.active():
        assert f"- Still to decide: {objective.title}" in message.body

    draft = StrategicPosition.objects.get(fiscal_year=2027)
    for objective in draft.objectives.all():
        strategy.objective_decide(objective=objective, decision=RefreshDecision.KEPT)
    strategy.position_publish(position=draft, by=executive)
    dispatch.refresh_finish(position=draft, now=paris(2026, 11, 20))

    assert dispatch.send_due_reminders(now=paris(2026, 11, 22, 8, 0)) == 0
    assert dispatch.send_due_reminders(now=paris(2026, 12, 29, 8, 0)) == 0
    assert deliveries(kind="refresh_reminder") == [
        ("refresh_reminder", "week-1", "erin-exec"),
        ("refresh_reminder", "week-2", "erin-exec"),
    ]
    # The week-2 reminder, still queued when the draft was published, is not sent.
    week_2 = Delivery.objects.get(step="week-2")
    assert notify.delivery_send(delivery_id=week_2.pk, now=paris(2026, 11, 20)).state == (
        "cancelled"
    )


def test_the_draft_cannot_be_published_while_objectives_are_undecided(last_year, login, executive):
    dispatch.start_annual_refresh(now=REFRESH_DAY)
    draft = StrategicPosition.objects.get(fiscal_year=2027)

    response = login(executive).post(reverse("strategy:position-publish", args=[2027]), follow=True)

    assertContains(
        response,
        "2 objectives carried over from last year still need a decision: kept, revised or retired.",
    )
    draft.refresh_from_db()
    assert not draft.is_published
    assert not Delivery.objects.filter(kind=Delivery.Kind.COMMITMENTS_CONFIRM).exists()


def _decide_and_publish(client, *, switch_now: bool = False):
    kept, retired = StrategicPosition.objects.get(fiscal_year=2027).objectives.order_by("order")
    client.post(reverse("strategy:objective-decide", args=[kept.pk, "kept"]))
    client.post(reverse("strategy:objective-decide", args=[retired.pk, "retired"]))
    data = {"switch_now": "on"} if switch_now else {}
    return client.post(reverse("strategy:position-publish", args=[2027]), data, follow=True)


PUBLISH_DAY = paris(2026, 12, 1, 10, 0)
NEW_YEAR = paris(2027, 1, 1, 0, 0)


@pytest.fixture
def published_early(last_year, login, executive):
    """The refresh started, the first objective kept and the second retired through the
    position page, then FY2027 published on 1 December 2026, a month before it starts."""
    dispatch.start_annual_refresh(now=REFRESH_DAY)
    with time_machine.travel(PUBLISH_DAY, tick=False):
        response = _decide_and_publish(login(executive))
    login(executive).logout()
    return response


@pytest.fixture
def published(published_early):
    """FY2027 published early, then current since beat ran on the first day of FY2027."""
    assert dispatch.take_over_positions(now=NEW_YEAR) == 1
    return published_early


def test_a_position_published_before_its_year_starts_leaves_the_current_one_current(
    published_early, last_year, login, head
):
    assertContains(
        published_early,
        "Strategic position FY2027 published. It becomes current on 1 January 2027, when "
        "FY2027 starts; until then FY2026 stays current.",
    )
    draft = StrategicPosition.objects.get(fiscal_year=2027)
    last_year.refresh_from_db()
    assert draft.is_published and not draft.is_current
    assert last_year.is_current
    # The refresh is over; heads are asked about their commitments only once FY2027 is current.
    assert ReviewCycle.objects.get(kind=ReviewCycle.Kind.ANNUAL).state == ReviewCycle.State.CLOSED
    assert deliveries(kind="commitments_confirm") == []
    with time_machine.travel(PUBLISH_DAY, tick=False):
        response = login(head).get(reverse("strategy:unit-detail", args=["logistics"]))
    assert response.context["position"] == last_year
    assert response.context["to_confirm"] == []


def test_beat_makes_the_position_current_on_the_first_day_of_its_year_once(
    published_early, last_year
):
    draft = StrategicPosition.objects.get(fiscal_year=2027)

    assert dispatch.take_over_positions(now=NEW_YEAR - MINUTE) == 0  # 23:59 in Paris
    assert not StrategicPosition.objects.get(pk=draft.pk).is_current
    assert dispatch.take_over_positions(now=NEW_YEAR) == 1
    assert dispatch.take_over_positions(now=NEW_YEAR + timedelta(hours=1)) == 0

    assert StrategicPosition.objects.get(is_current=True) == draft
    assert deliveries(kind="commitments_confirm") == [
        ("commitments_confirm", "", "fay-finance"),
        ("commitments_confirm", "", "hugo-head"),
    ]


def test_the_beat_task_takes_over_through_the_dispatcher(published_early):
    with time_machine.travel(NEW_YEAR + timedelta(minutes=25), tick=False):
        assert tasks.take_over_positions() == 1
        assert tasks.take_over_positions() == 0

    assert StrategicPosition.objects.get(is_current=True).fiscal_year == 2027


def test_acknowledgements_start_again_when_the_new_year_takes_over(
    published_early, last_year, login, member
):
    login(member).post(reverse("reviews:acknowledge"))
    assert Acknowledgement.objects.filter(user=member, position=last_year).exists()

    dispatch.take_over_positions(now=NEW_YEAR)

    response = login(member).get(reverse("strategy:position-detail", args=[2027]))
    assert response.context["has_read"] is None


def test_an_executive_may_switch_to_the_new_year_now_with_a_warning(last_year, login, executive):
    dispatch.start_annual_refresh(now=REFRESH_DAY)
    client = login(executive)
    with time_machine.travel(PUBLISH_DAY, tick=False):
        page = client.get(reverse("strategy:position-detail", args=[2027]))
        assertContains(page, 'name="switch_now"')
        assertContains(page, "Making it current now, before its year starts")

        response = _decide_and_publish(client, switch_now=True)

    assertContains(response, "Strategic position FY2027 published.")
    assertContains(response, "2 heads are asked to confirm their teams&#x27; commitments.")
    assert StrategicPosition.objects.get(is_current=True).fiscal_year == 2027
    assert dispatch.take_over_positions(now=NEW_YEAR) == 0


def test_a_position_published_early_can_be_made_current_later_from_its_page(
    published_early, last_year, login, executive
):
    with time_machine.travel(PUBLISH_DAY + timedelta(days=3), tick=False):
        client = login(executive)
        page = client.get(reverse("strategy:position-detail", args=[2027]))
        assertContains(page, "Make it current now")
        response = client.post(reverse("strategy:position-switch", args=[2027]), follow=True)

    assertContains(response, "FY2027 is now the current strategy.")
    assert StrategicPosition.objects.get(is_current=True).fiscal_year == 2027
    assert len(deliveries(kind="commitments_confirm")) == 2


def test_after_deciding_and_publishing_every_head_is_asked_to_confirm_commitments(
    published, head, logistics
):
    draft = StrategicPosition.objects.get(fiscal_year=2027)
    assert draft.is_published and draft.is_current
    kept, retired = draft.objectives.order_by("order")
    assert (kept.refresh_decision, kept.is_retired) == (RefreshDecision.KEPT, False)
    assert (retired.refresh_decision, retired.is_retired) == (RefreshDecision.RETIRED, True)
    refresh = ReviewCycle.objects.get(kind=ReviewCycle.Kind.ANNUAL)
    assert refresh.state == ReviewCycle.State.CLOSED
    assert deliveries(kind="commitments_confirm") == [
        ("commitments_confirm", "", "fay-finance"),
        ("commitments_confirm", "", "hugo-head"),
    ]
    note = Notification.objects.get(user=head, delivery__kind="commitments_confirm")
    assert note.title == "Confirm or revise your team's commitments for FY2027"
    assert note.link == logistics.get_absolute_url()


def test_the_team_page_lists_last_years_commitments_on_continuing_objectives(
    published, login, head, logistics
):
    kept = StrategicPosition.objects.get(fiscal_year=2027).objectives.get(refresh_decision="kept")
    carried = Commitment.objects.get(statement="Train the pickers.")

    response = login(head).get(logistics.get_absolute_url())

    assert response.context["to_confirm"] == [(carried, kept)]
    assertContains(response, "Confirm last year's commitments for FY2027")
    assertContains(response, reverse("strategy:commitment-confirm", args=[carried.pk, "carry"]))
    assertContains(response, reverse("strategy:commitment-confirm", args=[carried.pk, "drop"]))
    # Its objective was retired: nothing to carry over.
    assertNotContains(response, "Carry over: Inspect the returns.")


def test_carrying_a_commitment_over_copies_it_due_a_year_later(published, login, head, logistics):
    old = Commitment.objects.get(statement="Train the pickers.")
    kept = StrategicPosition.objects.get(fiscal_year=2027).objectives.get(refresh_decision="kept")
    client = login(head)
    url = reverse("strategy:commitment-confirm", args=[old.pk, "carry"])

    response = client.post(url, follow=True)

    new = Commitment.objects.get(carried_from=old)
    assert (new.unit, new.objective, new.lever) == (logistics, kept, old.lever)
    assert (new.statement, new.target) == (old.statement, old.target)
    assert new.due_on == date(2027, 6, 30) == old.due_on.replace(year=2027)
    assert new.status == Commitment.Status.PLANNED
    assertContains(response, "Carried over to FY2027; check its target and date.")
    assert response.context["to_confirm"] == []

    response = client.post(url, follow=True)  # a second click copies nothing
    assertContains(response, "This commitment was already confirmed or dropped.")
    assert Commitment.objects.filter(carried_from=old).count() == 1


def test_dropping_last_years_commitment_copies_nothing(published, login, head, logistics):
    old = Commitment.objects.get(statement="Train the pickers.")

    login(head).post(reverse("strategy:commitment-confirm", args=[old.pk, "drop"]))

    old.refresh_from_db()
    assert old.status == Commitment.Status.DROPPED
    assert not Commitment.objects.filter(carried_from=old).exists()


def test_a_head_cannot_confirm_another_teams_commitments(published, login, other_head):
    old = Commitment.objects.get(statement="Train the pickers.")

    response = login(other_head).post(
        reverse("strategy:commitment-confirm", args=[old.pk, "carry"])
    )

    assert response.status_code == 403
    assert not Commitment.objects.filter(carried_from=old).exists()


def test_a_commitment_due_on_29_february_is_carried_over_to_28_february(current_position):
    old = CommitmentFactory(objective=current_position.objectives.first(), due_on=date(2028, 2, 29))
    successor = ObjectiveFactory(position=current_position)

    new = strategy.commitment_carry_over(commitment=old, objective=successor)

    assert new.due_on == date(2029, 2, 28)


# --- Changing the cadence --------------------------------------------------------------------


def test_changing_the_cadence_moves_the_dates_of_planned_cycles_only(
    opened, login, executive, current_position
):
    q2 = ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 7, 5), due_on=date(2026, 7, 19)
    )
    data = cadence_form_data(open_days_after_quarter_end=10, due_days_after_opening=7)

    response = login(executive).post(reverse("reviews:cadence-edit"), data, follow=True)

    assertContains(response, "Cadence settings saved. 1 planned review moved.")
    q2.refresh_from_db()
    assert (q2.opens_on, q2.due_on) == (date(2026, 7, 10), date(2026, 7, 17))
    opened.refresh_from_db()
    assert (opened.opens_on, opened.due_on) == (date(2026, 4, 5), date(2026, 4, 19))


def test_saving_unrelated_settings_keeps_the_dates_an_executive_chose(
    cadence, current_position, login, executive
):
    client = login(executive)
    client.post(
        reverse("reviews:cycle-create"),
        {"fiscal_year": 2026, "quarter": 2, "opens_on": "2026-07-01", "due_on": "2026-07-31"},
    )
    assert ReviewCycle.objects.get(quarter=2).opens_on == date(2026, 7, 1)

    client.post(reverse("reviews:cadence-edit"), cadence_form_data(reminder_hour=9))

    q2 = ReviewCycle.objects.get(quarter=2)
    assert (q2.opens_on, q2.due_on) == (date(2026, 7, 1), date(2026, 7, 31))
