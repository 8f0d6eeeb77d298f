"""When a held email goes: the periods of the digests and the send hour, in the company's time
zone (strategy.models.company_tzinfo) at the cadence settings' hour (`reminder_hour`, the
hour the reminders are sent from).

A period's boundary is a local time: the send hour every day for an email held for the send
hour; half past it (DIGEST_MINUTE) every day for a daily digest, and on Mondays for a weekly
one, so that a digest gathers the reminders and escalations the cadence jobs write in the first
minutes of the send hour. Across a change of summer time the
boundary stays at that hour on the wall clock, so the day before or after is 23 or 25 hours
long. Pure functions of a UTC instant, the hour and the zone, but `release_times`, which reads
the two settings once.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

from notifications.models import Preference

Timing = Preference.Timing
DIGESTS = (Timing.DAILY, Timing.WEEKLY)
MONDAY = 0
# A digest's period ends this many minutes past the send hour: after the cadence jobs of that
# hour (settings.CELERY_BEAT_SCHEDULE: opening at :00, reminders at :05, escalations at :10).
DIGEST_MINUTE = 30


def _at(day, hour: int, tz: zoneinfo.ZoneInfo, minute: int = 0) -> datetime:
    """`hour` o'clock on `day` in `tz`, as a UTC instant. An hour that the clocks skip (02:00
    on the night summer time starts) is the instant of the jump (fold=0 reads it with the
    offset from before: 02:00 CET is 03:00 CEST); an hour they repeat is its first time."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def boundary_after(
    now: datetime, *, timing: str, hour: int, tz: zoneinfo.ZoneInfo, minute: int = 0
) -> datetime:
    """The end of the period that `now` is in: the first `hour`:`minute` strictly after `now`
    (on a Monday for a weekly digest)."""
    day = now.astimezone(tz).date()
    while True:
        candidate = _at(day, hour, tz, minute)
        if candidate > now and (timing != Timing.WEEKLY or day.weekday() == MONDAY):
            return candidate
        day += timedelta(days=1)


def boundary_before(
    now: datetime, *, hour: int, tz: zoneinfo.ZoneInfo, minute: int = DIGEST_MINUTE
) -> datetime:
    """The latest daily digest boundary at or before `now`: the period end a digest made at
    `now` is for (a Monday's is also the weekly one's)."""
    day = now.astimezone(tz).date()
    while True:
        candidate = _at(day, hour, tz, minute)
        if candidate <= now:
            return candidate
        day -= timedelta(days=1)


def release_at(now: datetime, *, timing: str, hour: int, tz: zoneinfo.ZoneInfo) -> datetime:
    """When an email written at `now` goes: at once; for the send hour, at once while it is
    that hour, else at the next; for a digest, when its period ends (half past the hour)."""
    if timing == Timing.NOW:
        return now
    if timing == Timing.HOUR:
        local = now.astimezone(tz)
        if local.hour == hour:
            return now
        return boundary_after(now, timing=Timing.DAILY, hour=hour, tz=tz)
    return boundary_after(now, timing=timing, hour=hour, tz=tz, minute=DIGEST_MINUTE)


def settings_now() -> tuple[int, zoneinfo.ZoneInfo]:
    """The send hour and the company's time zone, as they are set now."""
    from reviews.models import CadenceSettings
    from strategy.models import company_tzinfo

    return CadenceSettings.load().reminder_hour, company_tzinfo()


def release_times(*, now: datetime, timings: set[str]) -> dict[str, datetime]:
    """When an email written at `now` goes, for each of `timings`; the settings are read only
    when one of them holds it."""
    if not timings - {Timing.NOW}:
        return dict.fromkeys(timings, now)
    hour, tz = settings_now()
    return {t: release_at(now, timing=t, hour=hour, tz=tz) for t in timings}
