"""The measured-outcomes migrations: measures made before them keep their rows and get the
defaults (higher is better, quarterly, no reporting team), and the thresholds get theirs."""

import pytest

from strategy.models import CompanySettings, Measure
from sustain.models import SignalSettings
from tests.factories import ObjectiveFactory
from tests.migrating import migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("alignment", "0008_acknowledgement_in_cadence_settings_out"),
    ("sustain", "0001_from_reviews"),
]


@pytest.fixture
def before_outcomes(migrated_back):
    return migrated_back(BEFORE, prepare=ObjectiveFactory)  # the objective made before


def test_measures_made_before_outcomes_get_the_defaults(before_outcomes):
    old, objective = before_outcomes
    old.get_model("alignment", "Measure").objects.create(
        objective_id=objective.pk, name="On-time delivery", unit="%", baseline=80, target=96
    )
    old.get_model("alignment", "CompanySettings").objects.update_or_create(
        pk=1, defaults={"name": "Northwind"}
    )
    old.get_model("sustain", "SignalSettings").objects.create(pk=1, target_score=80)

    migrate(None)

    measure = Measure.objects.get()
    assert (measure.name, measure.baseline, measure.target) == ("On-time delivery", 80, 96)
    assert (measure.direction, measure.frequency) == ("higher", "quarterly")
    assert measure.reporting_team is None and measure.previous is None
    assert not measure.actuals.exists() and not measure.plan_points.exists()
    company = CompanySettings.read()
    assert (company.name, company.plan_tolerance_percent, company.off_track_percent) == (
        "Northwind",
        10,
        50,
    )
    signal_settings = SignalSettings.read()
    assert (signal_settings.target_score, signal_settings.say_do_quarters) == (80, 3)
