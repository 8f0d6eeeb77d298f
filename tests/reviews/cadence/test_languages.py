"""Each person is written to in their language: their profile's choice, else the company's
default. The notes of one event are written once per language, and the emails, what they list
included, are built in their recipient's."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from notifications.models import Notification
from reviews import dispatch
from strategy.models import CompanySettings, Profile
from tests.reviews.cadence.support import BEFORE_7, OPENING

pytestmark = pytest.mark.django_db

OPENED = "Your alignment check for %(cycle)s is open, due %(due)s"
REMINDED = "Reminder: your alignment check for %(cycle)s is due %(due)s"


def written_in(language: str, msgid: str, cycle) -> str:
    with translation.override(language):
        return gettext(msgid) % {"cycle": cycle.label, "due": dispatch._due(cycle)}


def test_the_catalogue_translates_the_sentences_these_tests_read(q1):
    assert written_in("de", OPENED, q1) != written_in("en-gb", OPENED, q1)
    assert written_in("fr", REMINDED, q1) != written_in("en-gb", REMINDED, q1)


def test_a_note_is_in_its_reader_s_language_or_the_company_s(
    q1, head, other_head, django_capture_on_commit_callbacks
):
    Profile.objects.create(user=head, language="de")
    company = CompanySettings.read()
    company.language = "fr"
    company.save()

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.open_due_cycles(now=OPENING)

    q1.refresh_from_db()
    assert Notification.objects.get(user=head).title == written_in("de", OPENED, q1)
    # Who chose nothing reads the company's language.
    assert Notification.objects.get(user=other_head).title == written_in("fr", OPENED, q1)


def test_an_email_is_built_in_its_recipient_s_language(opened, head, deliver, mailoutbox):
    Profile.objects.create(user=head, language="es")

    dispatch.send_due_reminders(now=BEFORE_7)
    deliver(now=BEFORE_7)

    (message,) = [m for m in mailoutbox if m.to == [head.email]]
    assert message.subject == written_in("es", REMINDED, opened)
    with translation.override("es"):
        greeting = gettext("Hello %(name)s,") % {"name": head.get_full_name() or head.username}
        go_to = gettext("Go to:")
    assert greeting in message.body and go_to in message.body
    assert "Go to:" not in message.body
