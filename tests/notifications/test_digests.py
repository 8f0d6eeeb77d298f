"""When a person's emails go (their timing per topic): at once, at the send hour, or gathered
into one digest a day or a week, at the cadence settings' hour in the company's time zone.
The beat's quarter-hourly job (tasks.send_due_digests) is run under time-machine's clock."""

import zoneinfo
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from notifications import digests, notify, timing
from notifications import tasks as notification_tasks
from notifications.models import Delivery, Digest, Notification, Preference
from reviews.announce import Note
from reviews.models import AlignmentCheck
from tests.reviews.cadence.support import UTC, check_of, configure, paris

pytestmark = pytest.mark.django_db

Topic, Timing = Preference.Topic, Preference.Timing
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
REMINDER = Delivery.Kind.CHECK_REMINDER


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def choose(user, topic, **fields):
    Preference.objects.update_or_create(user=user, topic=topic, defaults=fields)


@pytest.fixture
def beat(monkeypatch, django_capture_on_commit_callbacks, send_tasks):
    """`beat(now)`: the beat's digest job at `now`, its digest tasks run at once (as a worker
    would, after the commit); returns how many digests it queued."""
    monkeypatch.setattr(
        notification_tasks,
        "send_digest",
        SimpleNamespace(
            delay=lambda pk: digests.digest_send(digest_id=pk, now=timezone.now()).state
        ),
    )

    def _beat(now: datetime) -> int:
        with (
            time_machine.travel(now, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return notification_tasks.send_due_digests()

    return _beat


@pytest.fixture
def enqueued_digests():
    """The digests a retry asked to send again (digests.digests_retried), in order."""
    found = []

    def record(sender, *, ids: list[int], **kwargs):
        found.extend(ids)

    digests.digests_retried.connect(record, weak=False)
    yield found
    digests.digests_retried.disconnect(record)


def remind(cycle, head, *, step: str, now: datetime) -> Delivery:
    """A check reminder to `head` at `now`, written as the cadence writes it."""
    note = Note(f"Reminder {step}", cycle.checks.first().get_absolute_url())
    notify.deliveries_create(cycle=cycle, kind=REMINDER, step=step, notes={head.pk: note}, now=now)
    return Delivery.objects.get(cycle=cycle, recipient=head, kind=REMINDER, step=step)


def digests_to(mailoutbox, user) -> list:
    return [m for m in mailoutbox if m.to == [user.email] and "digest" in m.subject]


# --- Periods ---------------------------------------------------------------------------------


def test_a_period_ends_at_the_send_hour_on_the_wall_clock_across_summer_time():
    daily, weekly = Timing.DAILY, Timing.WEEKLY
    # Summer time starts on Sunday 29 March 2026 in Berlin: 08:00 is 06:00 UTC, not 07:00.
    before = berlin(2026, 3, 28, 10, 0)
    assert timing.boundary_after(before, timing=daily, hour=8, tz=BERLIN) == datetime(
        2026, 3, 29, 6, 0, tzinfo=UTC
    )
    # It ends on Sunday 25 October: 08:00 is 07:00 UTC again, a 25-hour day later.
    assert timing.boundary_after(
        berlin(2026, 10, 24, 10, 0), timing=daily, hour=8, tz=BERLIN
    ) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    # A week's ends on the Monday after, at the hour of summer time.
    assert timing.boundary_after(before, timing=weekly, hour=8, tz=BERLIN) == datetime(
        2026, 3, 30, 6, 0, tzinfo=UTC
    )
    # 02:00 does not exist on 29 March: the boundary is the jump itself (03:00 CEST).
    assert timing.boundary_after(before, timing=daily, hour=2, tz=BERLIN) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    # A digest's period ends at half past the send hour, after that hour's cadence jobs.
    assert timing.release_at(before, timing=daily, hour=8, tz=BERLIN) == datetime(
        2026, 3, 29, 6, 30, tzinfo=UTC
    )
    # The period a run is in: the last digest boundary at or before it.
    assert timing.boundary_before(berlin(2026, 3, 29, 8, 29), hour=8, tz=BERLIN) == berlin(
        2026, 3, 28, 8, 30
    )


def test_the_send_hour_sends_at_once_during_that_hour_and_otherwise_waits_for_it():
    at_eight = paris(2026, 4, 12, 8, 20)
    tz = zoneinfo.ZoneInfo("Europe/Paris")
    assert timing.release_at(at_eight, timing=Timing.HOUR, hour=8, tz=tz) == at_eight
    assert timing.release_at(paris(2026, 4, 12, 9, 0), timing=Timing.HOUR, hour=8, tz=tz) == paris(
        2026, 4, 13, 8, 0
    )


# --- Held and sent ---------------------------------------------------------------------------


def test_a_daily_digest_holds_the_email_keeps_the_note_and_sends_once_at_the_send_hour(
    opened, head, other_head, beat, mailoutbox, deliver
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)

    held = remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    remind(opened, other_head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    deliver(now=paris(2026, 4, 12, 10, 0))

    assert held.state == Delivery.State.HELD
    assert held.next_attempt_at == paris(2026, 4, 13, 8, 30)
    assert Notification.objects.filter(delivery=held, read_at__isnull=True).exists()
    assert [m.to for m in mailoutbox] == [[other_head.email]]  # at once, as before

    assert beat(paris(2026, 4, 13, 8, 16)) == 0  # the period has not ended
    assert beat(paris(2026, 4, 13, 8, 31)) == 1
    assert beat(paris(2026, 4, 13, 8, 46)) == 0  # the same period: nothing more
    assert beat(paris(2026, 4, 13, 9, 1)) == 0

    [digest] = digests_to(mailoutbox, head)
    assert digest.subject == "Your digest: 1 notification"
    assert "Reminder before-7" in digest.body
    held.refresh_from_db()
    assert (held.state, held.sent_at) == (Delivery.State.IN_DIGEST, paris(2026, 4, 13, 8, 31))
    row = Digest.objects.get()
    assert (row.recipient, row.state, row.attempts) == (head, "sent", 1)
    assert row.period_ends_at == paris(2026, 4, 13, 8, 30)


def test_the_reminders_the_cadence_writes_at_the_send_hour_are_in_that_days_digest(
    opened, head, beat, mailoutbox
):
    from reviews import dispatch
    from tests.reviews.cadence.support import BEFORE_7

    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    dispatch.send_due_reminders(now=BEFORE_7 + timedelta(minutes=5))  # 08:05, as beat runs it

    assert beat(paris(2026, 4, 12, 8, 31)) == 1
    [digest] = digests_to(mailoutbox, head)
    assert "Logistics" in digest.body


def test_a_weekly_digest_goes_on_monday_and_collapses_a_teams_reminders_into_one_line(
    opened, head, beat, mailoutbox
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.WEEKLY)
    choose(head, Topic.CHECK_OPENED, timing=Timing.WEEKLY)
    for day, step in ((14, "before-5"), (15, "before-4"), (16, "before-3")):
        remind(opened, head, step=step, now=paris(2026, 4, day, 9, 0))

    for day in (17, 18, 19):  # Friday to Sunday: no digest
        assert beat(paris(2026, 4, day, 8, 31)) == 0
    assert beat(paris(2026, 4, 20, 8, 31)) == 1  # Monday

    [digest] = digests_to(mailoutbox, head)
    assert digest.subject == "Your digest: 3 notifications"
    text = digest.body
    assert "3 reminders: Reminder before-3" in text  # the newest, with the count
    assert "before-5" not in text and "before-4" not in text
    assert opened.label in text and "Logistics" in text  # grouped by review and team


def test_a_missed_run_is_caught_up_by_one_digest_with_everything_still_held(
    opened, head, beat, mailoutbox
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    first = remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    second = remind(opened, head, step="before-6", now=paris(2026, 4, 13, 10, 0))

    # The beat was down on the 13th and the 14th: its next run, on the 15th, takes both.
    assert beat(paris(2026, 4, 15, 9, 1)) == 1
    assert beat(paris(2026, 4, 15, 9, 16)) == 0

    [digest] = digests_to(mailoutbox, head)
    assert "2 reminders: Reminder before-6" in digest.body
    assert set(
        Delivery.objects.filter(pk__in=[first.pk, second.pk]).values_list("digest", flat=True)
    ) == {Digest.objects.get().pk}
    assert Digest.objects.get().period_ends_at == paris(2026, 4, 15, 8, 30)


def test_the_digest_follows_the_wall_clock_when_summer_time_starts_and_ends(
    opened, head, beat, mailoutbox
):
    configure(time_zone="Europe/Berlin")
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)

    remind(opened, head, step="spring", now=berlin(2026, 3, 28, 10, 0))
    # The period ends at 08:30 CEST on 29 March, 06:30 UTC (07:30 UTC in winter time): at
    # 06:16 UTC (08:16 CEST) it has not.
    assert beat(datetime(2026, 3, 29, 6, 16, tzinfo=UTC)) == 0
    assert beat(datetime(2026, 3, 29, 6, 31, tzinfo=UTC)) == 1  # 08:31 CEST

    remind(opened, head, step="autumn", now=berlin(2026, 10, 24, 10, 0))
    # 06:31 UTC on 25 October is 07:31 in Berlin (winter time again): not yet.
    assert beat(datetime(2026, 10, 25, 6, 31, tzinfo=UTC)) == 0
    assert beat(datetime(2026, 10, 25, 7, 31, tzinfo=UTC)) == 1  # 08:31 CET

    assert len(digests_to(mailoutbox, head)) == 2
    assert sorted(Digest.objects.values_list("period_ends_at", flat=True)) == [
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 7, 30, tzinfo=UTC),
    ]


def test_an_email_for_the_send_hour_waits_for_it_then_goes_on_its_own(
    opened, head, beat, deliver, mailoutbox
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.HOUR)
    during = remind(opened, head, step="before-7", now=paris(2026, 4, 12, 8, 5))
    deliver(now=paris(2026, 4, 12, 8, 5))
    later = remind(opened, head, step="before-6", now=paris(2026, 4, 12, 15, 0))
    assert during.state == Delivery.State.PENDING  # written during the send hour: sent
    assert [m.subject for m in mailoutbox] == ["Reminder before-7"]
    assert (later.state, later.next_attempt_at) == (
        Delivery.State.WAITING,
        paris(2026, 4, 13, 8, 0),
    )

    beat(paris(2026, 4, 13, 7, 46))
    later.refresh_from_db()
    assert later.state == Delivery.State.WAITING
    beat(paris(2026, 4, 13, 8, 1))
    later.refresh_from_db()
    assert later.state == Delivery.State.PENDING
    deliver(now=paris(2026, 4, 13, 8, 2))
    assert [m.subject for m in mailoutbox] == ["Reminder before-7", "Reminder before-6"]
    assert Digest.objects.count() == 0


def test_what_is_not_needed_any_more_is_left_out_and_an_empty_digest_is_not_sent(
    opened, head, logistics, beat, mailoutbox
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    held = remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    AlignmentCheck.objects.filter(pk=check_of(opened, logistics).pk).update(
        state=AlignmentCheck.State.SUBMITTED
    )

    beat(paris(2026, 4, 13, 8, 31))

    assert digests_to(mailoutbox, head) == []
    held.refresh_from_db()
    assert held.state == Delivery.State.CANCELLED
    assert Digest.objects.get().state == Digest.State.CANCELLED


def test_a_required_topic_may_be_held_for_a_digest_but_not_turned_off(
    opened, head, beat, mailoutbox, client
):
    choose(head, Topic.CHECK_OVERDUE, email=False, timing=Timing.DAILY)
    overdue = remind(opened, head, step="overdue-3", now=paris(2026, 4, 22, 10, 0))
    assert overdue.state == Delivery.State.HELD

    beat(paris(2026, 4, 23, 8, 31))

    [digest] = digests_to(mailoutbox, head)
    # Only required news in it: nothing to unsubscribe from.
    assert "List-Unsubscribe" not in digest.extra_headers
    assert "Stop these emails" not in digest.body


def test_a_digest_has_text_and_html_parts_links_and_one_unsubscribe_for_its_topics(
    opened, head, beat, mailoutbox, client
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    choose(head, Topic.CHECK_OPENED, timing=Timing.DAILY)
    remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    note = Note("Check opened again", opened.get_absolute_url())
    notify.deliveries_create(
        cycle=opened,
        kind=Delivery.Kind.CHECK_OPENED,
        step="again",
        notes={head.pk: note},
        now=paris(2026, 4, 12, 11, 0),
    )

    beat(paris(2026, 4, 13, 8, 31))

    [digest] = digests_to(mailoutbox, head)
    html, mimetype = digest.alternatives[0]
    assert mimetype == "text/html"
    assert "Check opened again" in html and "Reminder before-7" in html
    assert f'href="http://testserver{opened.get_absolute_url()}"' in html or (
        opened.get_absolute_url() in html
    )
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = digest.extra_headers["List-Unsubscribe"].strip("<>")
    path = link[link.index("/reviews/") :]

    assert client.post(path).status_code == 302

    emails = dict(Preference.objects.filter(user=head).values_list("topic", "email"))
    assert emails == {Topic.CHECK_REMINDER: False, Topic.CHECK_OPENED: False}


# --- The in-app list ---------------------------------------------------------------------------


def test_the_notification_list_shows_one_line_per_kind_and_review_with_a_count(
    login, executive, current_position, django_assert_max_num_queries
):
    from tests.factories import ReviewCycleFactory

    cycles = [ReviewCycleFactory(position=current_position, quarter=q) for q in (1, 2, 3, 4)]
    now = timezone.now()
    for cycle in cycles:
        for step in ("pdf", "xlsx", "csv"):
            notify.deliveries_create(
                cycle=cycle,
                kind=Delivery.Kind.REPORT_READY,
                step=step,
                notes={executive.pk: Note(f"{cycle.label} ready ({step})", "/")},
                now=now,
            )
    assert Notification.objects.filter(user=executive).count() == 12

    client = login(executive)
    with django_assert_max_num_queries(12):
        response = client.get("/reviews/notifications/")

    lines = response.context["lines"]
    assert len(lines) == 4
    assert [line["count"] for line in lines] == [3, 3, 3, 3]
    assert b"3 notes" in response.content

    # Reading a line reads the notes it stands for.
    first = lines[0]["notification"]
    client.post(f"/reviews/notifications/{first.pk}/read/")
    assert Notification.objects.filter(user=executive, read_at__isnull=True).count() == 9


def test_the_operations_page_shows_the_held_emails_and_the_digests(
    opened, head, beat, login, admin_user
):
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    remind(opened, head, step="before-6", now=paris(2026, 4, 13, 10, 0))
    beat(paris(2026, 4, 13, 8, 31))  # the first is sent in a digest; the second waits

    page = login(admin_user).get("/reviews/operations/").content.decode()

    assert "Held for the recipient&#x27;s digest" in page
    assert "In a digest" in page
    assert '<p class="small" id="digest-counts">' in page
    assert "sent: 1" in page


# --- A failed digest, retried from the operations page ---------------------------------------


def _failed_digest(opened, head, beat) -> Digest:
    """A daily digest that failed for good: its recipient had no email address."""
    choose(head, Topic.CHECK_REMINDER, timing=Timing.DAILY)
    remind(opened, head, step="before-7", now=paris(2026, 4, 12, 10, 0))
    address = head.email
    type(head).objects.filter(pk=head.pk).update(email="")
    beat(paris(2026, 4, 13, 8, 31))
    type(head).objects.filter(pk=head.pk).update(email=address)
    digest = Digest.objects.get()
    assert (digest.state, digest.last_error) == ("failed", "The recipient has no email address.")
    return digest


def test_an_admin_retries_a_failed_digest_from_the_operations_page_and_it_is_sent(
    opened, head, beat, login, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    digest = _failed_digest(opened, head, beat)
    client = login(admin_user)
    retry_url = f"/reviews/digests/{digest.pk}/retry/"

    page = client.get("/reviews/operations/").content.decode()
    assert 'id="failed-digests"' in page
    assert "A digest failed: retry it once its cause is mended" in page
    assert "The recipient has no email address." in page
    assert f'<form method="post" action="{retry_url}">' in page
    assert f'aria-label="Retry the digest to {head.username}"' in page

    with (
        time_machine.travel(paris(2026, 4, 13, 9, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(retry_url)

    assert response.status_code == 302
    assert response.url == "/reviews/operations/#failed-digests"
    digest.refresh_from_db()
    assert (digest.state, digest.attempts, digest.last_error) == ("sent", 1, "")
    [sent] = digests_to(mailoutbox, head)
    assert "Reminder before-7" in sent.body
    after = client.get("/reviews/operations/").content.decode()
    assert f"Digest to {head.username} queued again." in after
    assert 'id="failed-digests"' not in after


def test_retrying_a_digest_that_did_not_fail_changes_nothing(
    opened, head, beat, login, admin_user, enqueued_digests
):
    digest = _failed_digest(opened, head, beat)
    Digest.objects.filter(pk=digest.pk).update(state=Digest.State.SENT)

    client = login(admin_user)
    response = client.post(f"/reviews/digests/{digest.pk}/retry/", follow=True)

    assert "Only a failed digest is retried; this one did not fail." in response.content.decode()
    digest.refresh_from_db()
    assert digest.state == Digest.State.SENT
    assert enqueued_digests == []
    assert client.post("/reviews/digests/999999/retry/").status_code == 404


@pytest.mark.parametrize("who", ["executive", "head", "outsider"])
def test_only_admins_can_retry_a_digest(opened, head, beat, login, request, who, enqueued_digests):
    digest = _failed_digest(opened, head, beat)

    response = login(request.getfixturevalue(who)).post(f"/reviews/digests/{digest.pk}/retry/")

    assert response.status_code == 403
    digest.refresh_from_db()
    assert digest.state == Digest.State.FAILED
    assert enqueued_digests == []


def test_the_operations_page_lists_the_newest_failed_digests_and_counts_them_all(
    head, login, admin_user, django_assert_max_num_queries
):
    from notifications import selectors

    for day in range(1, selectors.FAILED_DIGESTS_SHOWN + 3):
        Digest.objects.create(
            recipient=head,
            period_ends_at=berlin(2026, 3, day, 8, 30),
            state=Digest.State.FAILED,
            attempts=5,
            last_error=f"421 busy on day {day}",
        )
    client = login(admin_user)
    client.get("/reviews/operations/")

    with django_assert_max_num_queries(15):
        page = client.get("/reviews/operations/").content.decode()

    shown = selectors.FAILED_DIGESTS_SHOWN
    assert f"{shown + 2} digests failed, the newest first" in page
    assert page.count("Retry the digest to") == shown
    assert f"421 busy on day {shown + 2}" in page  # the newest
    assert "421 busy on day 2<" not in page and "421 busy on day 1<" not in page
