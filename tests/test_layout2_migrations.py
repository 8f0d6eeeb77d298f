"""The second layout migrations: deliveries, notifications, reports and the signal settings leave
reviews for the notifications, reports and sustain apps without touching a table.

A database filled at the old layout keeps its rows, and the content types (so the permissions
and admin log entries) follow the models.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from notifications.models import Delivery, Notification
from reports.models import ReportDownload, ReportFile
from sustain.models import SignalSettings
from tests.factories import ReviewCycleFactory, UserFactory
from tests.migrating import migrate

pytestmark = pytest.mark.django_db(transaction=True)

OLD_LAYOUT = [("reviews", "0010_stored_signal_board")]
NEW_APPS = ("notifications", "reports", "sustain")


@pytest.fixture
def old_layout(migrated_back):
    # Migrating back unapplies the new apps' migrations (they depend on reviews'); the cycle
    # is made at the new layout first.
    return migrated_back(OLD_LAYOUT + [(app, None) for app in NEW_APPS], prepare=ReviewCycleFactory)


def test_rows_written_at_the_old_layout_are_read_at_the_new_one(old_layout):
    old, cycle = old_layout
    user = UserFactory(username="reader", email="reader@example.com")
    now = timezone.now()
    delivery = old.get_model("reviews", "Delivery").objects.create(
        cycle_id=cycle.pk, recipient_id=user.pk, kind="check_opened", step=""
    )
    old.get_model("reviews", "Notification").objects.create(
        user_id=user.pk, delivery_id=delivery.pk, title="Your check is open", link="/"
    )
    old.get_model("reviews", "ReportFile").objects.create(
        cycle_id=cycle.pk, format="pdf", state="done"
    )
    old.get_model("reviews", "ReportDownload").objects.create(
        cycle_id=cycle.pk, user_id=user.pk, format="csv"
    )
    old.get_model("reviews", "SignalSettings").objects.create(pk=1, target_score=80)
    old.get_model("reviews", "HistoricalSignalSettings").objects.create(
        id=1, target_score=80, history_date=now, history_type="+"
    )

    migrate(None)

    moved = Delivery.objects.get()
    assert (moved.cycle, moved.recipient, moved.kind) == (cycle, user, Delivery.Kind.CHECK_OPENED)
    assert Notification.objects.get().delivery == moved
    assert user.notifications.unread().count() == 1
    assert ReportFile.objects.get().format == ReportFile.Format.PDF
    assert ReportDownload.objects.get().user == user
    settings = SignalSettings.load()
    assert settings.target_score == 80
    assert settings.history.get().target_score == 80


def test_content_types_follow_the_models(old_layout):
    old, _ = old_layout
    content_types = old.get_model("contenttypes", "ContentType")
    models = {
        "delivery": Delivery,
        "notification": Notification,
        "reportfile": ReportFile,
        "reportdownload": ReportDownload,
        "signalsettings": SignalSettings,
    }
    # As an old database has them: the models' content types under the reviews label.
    content_types.objects.filter(app_label__in=NEW_APPS).delete()
    old_types = {
        name: content_types.objects.get_or_create(app_label="reviews", model=name)[0].pk
        for name in models
    }

    migrate(None)
    ContentType.objects.clear_cache()

    assert {
        name: ContentType.objects.get_for_model(model).pk for name, model in models.items()
    } == old_types
