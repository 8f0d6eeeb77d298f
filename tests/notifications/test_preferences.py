"""What each person chose to be told how: the channels per topic, the topics the company
requires, the preferences form on the profile page, and an email's unsubscribe link."""

import re

import pytest
from django.urls import reverse

from notifications import preferences
from notifications.models import Delivery, Notification, Preference
from reviews import dispatch
from tests.reviews.cadence.support import BEFORE_7, OPENING, OVERDUE_3

pytestmark = pytest.mark.django_db

Topic = Preference.Topic


def choose(user, topic, *, email=True, in_app=True):
    Preference.objects.create(user=user, topic=topic, email=email, in_app=in_app)


def test_a_head_who_turned_the_opening_email_off_gets_the_note_and_no_email(
    q1, head, other_head, deliver, mailoutbox
):
    choose(head, Topic.CHECK_OPENED, email=False)

    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    mine = Delivery.objects.get(recipient=head, kind=Delivery.Kind.CHECK_OPENED)
    assert mine.state == Delivery.State.TURNED_OFF
    assert Notification.objects.filter(user=head, delivery=mine).exists()
    assert [m.to for m in mailoutbox] == [[other_head.email]]
    # Written once: the next run writes and sends nothing more.
    dispatch.open_due_cycles(now=OPENING)
    assert deliver(now=OPENING) == {}
    assert Delivery.objects.filter(recipient=head).count() == 1


def test_a_head_who_turned_the_notes_off_gets_the_email_and_no_note(q1, head, deliver, mailoutbox):
    choose(head, Topic.CHECK_OPENED, in_app=False)

    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    mine = Delivery.objects.get(recipient=head, kind=Delivery.Kind.CHECK_OPENED)
    assert mine.state == Delivery.State.SENT
    assert not Notification.objects.filter(user=head).exists()
    assert head.email in [m.to[0] for m in mailoutbox]


def test_the_overdue_reminder_is_required_whatever_the_head_chose(
    opened, head, deliver, mailoutbox
):
    choose(head, Topic.CHECK_OVERDUE, email=False, in_app=False)
    choose(head, Topic.CHECK_REMINDER, email=False, in_app=False)

    dispatch.send_due_reminders(now=BEFORE_7)
    dispatch.send_due_reminders(now=OVERDUE_3)
    deliver(now=OVERDUE_3)

    reminders = Delivery.objects.filter(recipient=head, kind=Delivery.Kind.CHECK_REMINDER)
    by_step = {d.step.startswith("overdue"): d.state for d in reminders}
    assert by_step == {False: Delivery.State.TURNED_OFF, True: Delivery.State.SENT}
    assert [m.to for m in mailoutbox if m.to == [head.email]] == [[head.email]]
    assert Notification.objects.filter(user=head, delivery__step__startswith="overdue").exists()


def test_a_company_may_require_other_topics(settings, q1, head, deliver, mailoutbox):
    settings.NOTIFICATIONS_REQUIRED = ["check_opened"]
    choose(head, Topic.CHECK_OPENED, email=False, in_app=False)

    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)

    assert head.email in [m.to[0] for m in mailoutbox]
    assert Notification.objects.filter(user=head).exists()


# --- The form ----------------------------------------------------------------------------


def test_the_profile_page_shows_the_choices_and_saves_what_is_ticked(client, head):
    client.force_login(head)
    page = client.get(reverse("api:profile")).content.decode()
    assert 'name="check_opened-email" id="check_opened-email" checked' in page
    # The required topic is ticked and cannot be unticked.
    assert re.search(r'name="check_overdue-email"[^>]*checked disabled', page)

    ticked = {f"{t}-email": "on" for t in Topic.values if t != Topic.REPORT_READY}
    ticked |= {f"{t}-in_app": "on" for t in Topic.values if t != Topic.CHECK_REMINDER}
    response = client.post(
        reverse("notifications:preferences"), ticked | {"next": reverse("api:profile")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("api:profile")
    chosen = {p.topic: (p.email, p.in_app) for p in Preference.objects.filter(user=head)}
    # A head is not told that reports are ready: that row is not theirs, and stays as it is.
    assert chosen == {Topic.CHECK_REMINDER: (True, False)}
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="check_reminder-in_app" id="check_reminder-in_app">' in page
    assert "report_ready" not in page


def test_each_role_is_offered_the_topics_it_is_told_about(client, head, executive, member):
    def offered(user):
        client.force_login(user)
        page = client.get(reverse("notifications:preferences")).content.decode()
        return [t for t in Topic.values if f'name="{t}-email"' in page]

    assert offered(head) == [
        "check_opened",
        "check_reminder",
        "check_overdue",
        "refresh",
        "acknowledgement",
    ]
    assert offered(executive) == ["escalation", "refresh", "report_ready", "acknowledgement"]
    assert offered(member) == ["acknowledgement"]


def test_unticking_a_required_topic_changes_nothing_and_a_foreign_next_is_not_followed(
    client, head
):
    client.force_login(head)
    everything = {f"{t}-{c}": "on" for t in Topic.values for c in ("email", "in_app")}
    del everything["check_overdue-email"]

    response = client.post(
        reverse("notifications:preferences"), everything | {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("notifications:preferences")
    assert not Preference.objects.filter(user=head).exists()


# --- The email's links and headers -------------------------------------------------------


def test_an_email_has_a_text_and_an_html_part_and_an_unsubscribe_link_for_its_topic(
    q1, head, client, deliver, mailoutbox
):
    dispatch.open_due_cycles(now=OPENING)
    deliver(now=OPENING)
    email = next(m for m in mailoutbox if m.to == [head.email])

    link = re.search(r"<(http[^>]+)>", email.extra_headers["List-Unsubscribe"]).group(1)
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Stop these emails (a review opens your team's check): {link}" in email.body
    html, kind = email.alternatives[0]
    assert kind == "text/html"
    assert f'<a href="{link}">Stop these emails</a>' in html

    path = link.removeprefix("http://testserver")
    assert "Stop the emails" in client.get(path).content.decode()  # not signed in
    # A mail program's one-click POST: no session, no CSRF token.
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 302
    assert Preference.objects.get(user=head, topic=Topic.CHECK_OPENED).email is False
    assert "You will get no more emails" in client.get(path).content.decode()


def test_a_required_email_has_no_unsubscribe_link_and_its_link_changes_nothing(
    opened, head, client, deliver, mailoutbox
):
    dispatch.send_due_reminders(now=OVERDUE_3)
    deliver(now=OVERDUE_3)
    email = next(m for m in mailoutbox if m.to == [head.email])

    assert "List-Unsubscribe" not in email.extra_headers
    assert "Your company requires this email (your check is overdue)" in email.body
    token = preferences.unsubscribe_token(user_id=head.pk, topic=Topic.CHECK_OVERDUE)
    path = reverse("notifications:unsubscribe", args=[token])
    assert "cannot be turned off" in client.post(path).content.decode()
    assert not Preference.objects.exists()


def test_a_link_cut_short_or_for_someone_gone_is_refused_plainly(client, head):
    token = preferences.unsubscribe_token(user_id=head.pk, topic=Topic.CHECK_OPENED)

    cut = client.post(reverse("notifications:unsubscribe", args=[token[:-3]]))
    head.is_active = False
    head.save()
    gone = client.post(reverse("notifications:unsubscribe", args=[token]))

    assert cut.status_code == gone.status_code == 400
    assert "This link is not valid" in cut.content.decode()
    assert not Preference.objects.exists()


def test_a_required_topic_that_does_not_exist_stops_the_start(settings):
    settings.NOTIFICATIONS_REQUIRED = ["check_overdue", "check_overdew"]

    errors = preferences.check_required_topics()

    assert [e.id for e in errors] == ["notifications.E001"]
    assert "check_overdew" in errors[0].msg
    assert "check_overdue" not in errors[0].msg
