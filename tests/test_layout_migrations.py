"""The layout migrations move models between apps without touching a table.

Acknowledgement moved from reviews to the strategy app (label "alignment"), CadenceSettings and
its history from there to reviews. A database filled at the old layout keeps its rows, and the
content types (so the permissions and admin log entries) follow the models.
"""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from reviews.models import CadenceSettings
from strategy.models import Acknowledgement, CompanySettings
from sustain import board
from tests.factories import PositionFactory, UserFactory
from tests.migrating import migrate

pytestmark = pytest.mark.django_db(transaction=True)

OLD_LAYOUT = [("alignment", "0007_cadence_date_window"), ("reviews", "0005_signals")]


@pytest.fixture
def old_layout(monkeypatch, migrated_back):
    # The old layout has no stored signal board for saves to mark stale.
    monkeypatch.setattr(board, "board_mark_stale", lambda **kwargs: False)
    return migrated_back(OLD_LAYOUT)


def test_rows_written_at_the_old_layout_are_read_at_the_new_one(old_layout):
    reader = UserFactory(username="reader")
    position = PositionFactory(fiscal_year=2026)
    old_layout.get_model("reviews", "Acknowledgement").objects.create(
        user_id=reader.pk, position_id=position.pk
    )
    old_layout.get_model("alignment", "CadenceSettings").objects.create(
        pk=1, fiscal_year_start_month=4, time_zone="Europe/Paris"
    )
    old_layout.get_model("alignment", "HistoricalCadenceSettings").objects.create(
        id=1, time_zone="Europe/Paris", history_date=timezone.now(), history_type="+"
    )

    migrate(None)

    acknowledgement = Acknowledgement.objects.get()
    assert (acknowledgement.user, acknowledgement.position) == (reader, position)
    config = CadenceSettings.load()
    assert config.history.get().history_type == "+"
    # The calendar went on to the company settings (tests/test_calendar_migrations.py), and the
    # strategy reads the first month of fiscal years from there.
    company = CompanySettings.read()
    assert (company.fiscal_year_start_month, company.time_zone) == (4, "Europe/Paris")
    assert position.starts_on == date(2026, 4, 1)


def test_content_types_follow_the_models(old_layout):
    content_types = old_layout.get_model("contenttypes", "ContentType")
    # As an old database has them: the models' content types under their old app labels.
    content_types.objects.filter(app_label="alignment", model="acknowledgement").delete()
    content_types.objects.filter(app_label="reviews", model="cadencesettings").delete()
    ack_type, _ = content_types.objects.get_or_create(app_label="reviews", model="acknowledgement")
    cadence_type, _ = content_types.objects.get_or_create(
        app_label="alignment", model="cadencesettings"
    )

    migrate(None)
    ContentType.objects.clear_cache()

    assert ContentType.objects.get_for_model(Acknowledgement).pk == ack_type.pk
    assert ContentType.objects.get_for_model(CadenceSettings).pk == cadence_type.pk
