"""The notifications app's pages: the operations page (the beat schedule, the reminders to come,
the delivery log) and the in-app notifications."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from notifications.models import Delivery, Notification
from reviews import dispatch
from tests.factories import ReviewCycleFactory
from tests.reviews.cadence.support import BEFORE_7, OPENING, utc

pytestmark = pytest.mark.django_db

OPERATIONS_URL = "/reviews/operations/"
NOTIFICATIONS_URL = "/reviews/notifications/"


# --- Operations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin_user", 200), ("executive", 403), ("head", 403), ("outsider", 403)],
)
def test_only_admins_see_the_operations_page(login, request, who, status):
    assert login(request.getfixturevalue(who)).get(OPERATIONS_URL).status_code == status


def test_the_operations_page_shows_when_each_task_runs_next(login, admin_user):
    with time_machine.travel(utc(2026, 4, 1, 10, 7), tick=False):
        response = login(admin_user).get(OPERATIONS_URL)

    assert [(r["name"], r["next_run"]) for r in response.context["schedule"]] == [
        ("escalate-overdue", utc(2026, 4, 1, 10, 10)),
        ("open-due-cycles", utc(2026, 4, 1, 10, 15)),
        ("send-due-digests", utc(2026, 4, 1, 10, 16)),
        ("send-due-reminders", utc(2026, 4, 1, 10, 20)),
        ("start-annual-refresh", utc(2026, 4, 1, 10, 20)),
        ("take-over-positions", utc(2026, 4, 1, 10, 25)),
        ("refresh-signal-board", utc(2026, 4, 2, 0, 30)),
    ]
    assertContains(response, "<td>escalate-overdue</td>", html=False)
    assertContains(response, "1 Apr 10:10")


def test_the_operations_page_shows_each_tasks_crontab(login, admin_user):
    response = login(admin_user).get(OPERATIONS_URL)

    assertContains(response, "<code>5-59/15 * * * *</code>")
    assertContains(response, "<code>*/15 * * * *</code>")


def test_the_next_runs_fall_on_whole_minutes_while_the_clock_moves(login, admin_user):
    with time_machine.travel(utc(2026, 4, 1, 10, 7), tick=True):
        response = login(admin_user).get(OPERATIONS_URL)

    assert {
        (r["next_run"].second, r["next_run"].microsecond) for r in response.context["schedule"]
    } == {(0, 0)}
    assertContains(response, "1 Apr 10:10")


def test_the_operations_page_lists_the_reminders_of_the_next_two_weeks(
    opened, login, admin_user, current_position
):
    ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 4, 20), due_on=date(2026, 5, 4)
    )
    dispatch.send_due_reminders(now=BEFORE_7)  # before-7 is sent already

    with time_machine.travel(utc(2026, 4, 12, 10), tick=False):
        response = login(admin_user).get(OPERATIONS_URL)

    rows = [
        (r["day"], r["cycle"].label, r["what"], r["recipients"])
        for r in response.context["upcoming"]
    ]
    assert rows == [
        (date(2026, 4, 18), "Q1 FY2026", "reminder (before-1)", 2),
        (date(2026, 4, 20), "Q2 FY2026", "opens; heads are told", None),
        (date(2026, 4, 22), "Q1 FY2026", "reminder (overdue-3)", 2),
        (date(2026, 4, 25), "Q1 FY2026", "reminder (overdue-6)", 2),
    ]
    assertContains(response, "reminder (before-1)")
    assertNotContains(response, "reminder (before-7)")


@pytest.fixture
def log(opened, current_position):
    """Q1's two opening emails (sent), two reminders (pending, one of them failed later), and
    58 escalations of Q2 to made-up steps, so that the log has two pages."""
    dispatch.send_due_reminders(now=BEFORE_7)
    Delivery.objects.filter(kind="check_reminder", recipient__username="hugo-head").update(
        state="failed", last_error="550 b'no such user'"
    )
    q2 = ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 7, 5), due_on=date(2026, 7, 19)
    )
    executive = current_position.objectives.first().owner
    Delivery.objects.bulk_create(
        Delivery(cycle=q2, recipient=executive, kind="escalation", step=f"s{n}", created_at=OPENING)
        for n in range(58)
    )
    return q2


def test_the_delivery_log_is_paginated_newest_first(log, login, admin_user):
    client = login(admin_user)

    first = client.get(OPERATIONS_URL)
    second = client.get(OPERATIONS_URL + "?page=2")

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 12
    assert first.context["page"][0].created_at == BEFORE_7
    assertContains(first, "Page 1 of 2")
    assertContains(first, 'href="?&amp;page=2"')


@pytest.mark.parametrize(
    ("query", "count"),
    [("state=failed", 1), ("state=sent", 2), ("kind=check_reminder", 2), ("kind=escalation", 58)],
)
def test_the_delivery_log_filters_by_state_and_kind(log, login, admin_user, query, count):
    response = login(admin_user).get(f"{OPERATIONS_URL}?{query}")

    assert response.context["page"].paginator.count == count


def test_the_delivery_log_filters_by_cycle_and_keeps_the_filter_across_pages(
    log, opened, login, admin_user
):
    client = login(admin_user)

    assert client.get(f"{OPERATIONS_URL}?cycle={opened.pk}").context["page"].paginator.count == 4
    response = client.get(f"{OPERATIONS_URL}?cycle={log.pk}&state=pending")
    assert response.context["page"].paginator.count == 58
    assertContains(response, f'href="?cycle={log.pk}&amp;state=pending&amp;page=2"')
    failed = client.get(f"{OPERATIONS_URL}?state=failed")
    assertContains(failed, "550 b&#x27;no such user&#x27;")
    assertContains(failed, ">Retry</button>")


# --- Notifications ---------------------------------------------------------------------------


@pytest.fixture
def notes(head, opened):
    """Hugo's reminder (which replaces his opening notification), a note of his own, and an
    old one he has read."""
    dispatch.send_due_reminders(now=BEFORE_7)
    Notification.objects.create(user=head, title="Other news", link="/")
    Notification.objects.create(user=head, title="Old news", link="/", read_at=OPENING)
    return Notification.objects.filter(user=head)


def test_the_navbar_counts_unread_notifications(notes, login, head):
    response = login(head).get(NOTIFICATIONS_URL)

    assertContains(
        response,
        'Notifications <span class="badge text-bg-light">2<span class="visually-hidden"> '
        "unread</span></span>",
        html=False,
    )
    assertContains(response, "Reminder: your alignment check for Q1 FY2026 is due 19 Apr 2026")
    assertContains(response, "Mark all as read")


def test_reading_a_notification_takes_you_to_its_link(notes, login, head):
    note = notes.get(delivery__kind="check_reminder")
    client = login(head)

    response = client.post(reverse("notifications:notification-read", args=[note.pk]))

    assertRedirects(response, note.link, fetch_redirect_response=False)
    note.refresh_from_db()
    assert note.read_at is not None
    assertContains(client.get(NOTIFICATIONS_URL), '<span class="badge text-bg-light">1<span')


def test_reading_a_notification_twice_keeps_the_first_read_time(notes, login, head):
    note = notes.get(delivery__kind="check_reminder")
    client = login(head)
    client.post(reverse("notifications:notification-read", args=[note.pk]))
    note.refresh_from_db()
    first = note.read_at

    client.post(reverse("notifications:notification-read", args=[note.pk]))

    note.refresh_from_db()
    assert note.read_at == first


def test_marking_a_notification_read_saves_the_time_once(head):
    note = Notification.objects.create(user=head, title="Reminder", link="/")

    with time_machine.travel(OPENING, tick=False):
        note.mark_read()
    note.mark_read()

    note.refresh_from_db()
    assert note.read_at == OPENING


def test_mark_all_read(notes, login, head):
    client = login(head)

    response = client.post(reverse("notifications:notification-read-all"), follow=True)

    assertRedirects(response, NOTIFICATIONS_URL)
    assertContains(response, "All notifications marked as read.")
    assertNotContains(response, 'visually-hidden"> unread')
    assert not notes.unread().exists()
    assert notes.get(title="Old news").read_at == OPENING  # already read: untouched


def test_someone_elses_notification_is_not_found(notes, login, other_head):
    note = notes.get(delivery__kind="check_reminder")

    response = login(other_head).post(reverse("notifications:notification-read", args=[note.pk]))

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_notification_never_redirects_off_site(head, login):
    note = Notification.objects.create(user=head, title="Phish", link="https://evil.example/")

    response = login(head).post(reverse("notifications:notification-read", args=[note.pk]))

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_reading_a_notification_needs_a_post(notes, login, head):
    note = notes.first()

    response = login(head).get(reverse("notifications:notification-read", args=[note.pk]))

    assert response.status_code == 405
