"""Helpers for the cadence tests: clocks in UTC and in Paris, the organisation's settings."""

import zoneinfo
from datetime import datetime, timedelta

from notifications.models import Delivery
from reviews.models import AlignmentCheck, CadenceSettings
from strategy.models import Acknowledgement, CompanySettings, Membership

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = zoneinfo.ZoneInfo("UTC")


def utc(*args) -> datetime:
    """An aware UTC datetime: utc(2026, 4, 5, 6, 0)."""
    return datetime(*args, tzinfo=UTC)


def paris(*args) -> datetime:
    """A Paris wall-clock time, as the aware UTC instant the code is given."""
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


# Q1 FY2026 (the `q1` fixture) opens on Sunday 5 April 2026 and is due on Sunday 19 April;
# Paris is on summer time (UTC+2). Reminders go at 08:00 in Paris.
OPENING = paris(2026, 4, 5, 0, 0)
BEFORE_7 = paris(2026, 4, 12, 8, 0)
BEFORE_1 = paris(2026, 4, 18, 8, 0)
OVERDUE_3 = paris(2026, 4, 22, 8, 0)
ESCALATION = paris(2026, 4, 24, 8, 0)
MINUTE = timedelta(minutes=1)


CALENDAR = ("fiscal_year_start_month", "time_zone")  # the company settings'


def configure(**fields) -> CadenceSettings:
    """The organisation's cadence: Paris, reminders at 08:00, 7 and 1 days before, then every
    3 days; executives told after 5 days overdue. `fields` override or add settings (the
    calendar's go to the company settings)."""
    values = {
        "time_zone": "Europe/Paris",
        "fiscal_year_start_month": 1,
        "reminder_hour": 8,
        "reminder_days_before_due": "7,1",
        "overdue_reminder_every_days": 3,
        "escalate_after_days_overdue": 5,
    } | fields
    company = CompanySettings.load()
    config = CadenceSettings.load()
    for name, value in values.items():
        setattr(company if name in CALENDAR else config, name, value)
    for row in (company, config):
        row.full_clean()
        row.save()
    return config


def deliveries(**filters) -> list[tuple]:
    """(kind, step, recipient username) of the deliveries matching `filters`, sorted."""
    rows = Delivery.objects.filter(**filters).values_list("kind", "step", "recipient__username")
    return sorted(rows)


def check_of(cycle, unit) -> AlignmentCheck:
    return AlignmentCheck.objects.get(cycle=cycle, unit=unit)


def everyone_has_read(position) -> None:
    """Every team member has acknowledged `position`, so that the acknowledgement reminders
    (sent by the same reminder run, tested on their own) stay out of the way."""
    for user_id in set(Membership.objects.values_list("user_id", flat=True)):
        Acknowledgement.objects.get_or_create(user_id=user_id, position=position)


def cadence_form_data(**changes) -> dict:
    """The cadence settings form as it stands, to post back with `changes`."""
    from reviews.forms import CadenceSettingsForm

    form = CadenceSettingsForm(instance=CadenceSettings.load())
    data = {name: form[name].value() for name in form.fields} | changes
    return {name: "" if value is None else str(value) for name, value in data.items()}
