"""The strategic position, its objectives, the organisation and what teams commit to."""

from __future__ import annotations

import zoneinfo
from datetime import date
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from strategy import roles
from strategy.history import HistoricalRecords
from strategy.prepared import as_models, prepared

# The company's calendar (the month fiscal years start in, the time zone) is kept in the company
# settings; where they are not set, FISCAL_YEAR_START_MONTH and TIME_ZONE say.


def start_month_or_default(month: int | None) -> int:
    """The month fiscal years start in, from the company settings' `fiscal_year_start_month`
    (None until it is set): FISCAL_YEAR_START_MONTH where they set none. For a value read
    with another row; CompanySettings.start_month where the row is at hand."""
    return month or settings.FISCAL_YEAR_START_MONTH


def time_zone_or_default(time_zone: str | None) -> zoneinfo.ZoneInfo:
    """The company's time zone from its settings' `time_zone`: TIME_ZONE where they set none."""
    return zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)


def _calendar() -> tuple[int, zoneinfo.ZoneInfo]:
    row = CompanySettings.objects.filter(pk=1).values_list("fiscal_year_start_month", "time_zone")
    month, time_zone = row.first() or (None, None)
    return start_month_or_default(month), time_zone_or_default(time_zone)


def fiscal_start_month() -> int:
    """The month fiscal years start in: the company settings', else FISCAL_YEAR_START_MONTH."""
    return _calendar()[0]


def company_tzinfo() -> zoneinfo.ZoneInfo:
    """The company's time zone: the company settings', else TIME_ZONE."""
    return _calendar()[1]


def fiscal_year_span(fiscal_year: int) -> tuple[date, date, date]:
    """The first and last day of a fiscal year and today in the company's time zone, from one
    read of the company's calendar."""
    month, tz = _calendar()
    today = timezone.localdate(timezone.now(), tz)
    start, next_start = date(fiscal_year, month, 1), date(fiscal_year + 1, month, 1)
    return start, date.fromordinal(next_start.toordinal() - 1), today


def fiscal_year_start(fiscal_year: int) -> date:
    """First day of a fiscal year, which is named after the calendar year it starts in."""
    return date(fiscal_year, fiscal_start_month(), 1)


def fiscal_year_end(fiscal_year: int) -> date:
    return date.fromordinal(fiscal_year_start(fiscal_year + 1).toordinal() - 1)


def fiscal_year_of(day: date) -> int:
    return day.year if day.month >= fiscal_start_month() else day.year - 1


class Theme(models.TextChoices):
    PRICE = "price", gettext_lazy("Competitive price")
    SERVICE = "service", gettext_lazy("Great service")
    QUALITY = "quality", gettext_lazy("High quality")


class Lever(models.TextChoices):
    PEOPLE = "people", pgettext_lazy("lever", "People and skills")
    INCENTIVES = "incentives", pgettext_lazy("lever", "Incentives")
    INVENTORY = "inventory", pgettext_lazy("lever", "Inventory and materials")
    PROCESSES = "processes", pgettext_lazy("lever", "Processes and policies")
    FUNDING = "funding", pgettext_lazy("lever", "Funding")
    COMMUNICATION = "communication", pgettext_lazy("lever", "Communication")


# --- Settings ------------------------------------------------------------------------------


def one_row_constraint(name: str) -> models.CheckConstraint:
    """The check that keeps a settings table to its one row (pk=1). Each table names its own,
    as constraint names are unique across the database."""
    return models.CheckConstraint(condition=Q(pk=1), name=name)


class SingletonModel(models.Model):
    """A settings table of one row, pk=1; give it ``one_row_constraint`` in its Meta."""

    class Meta:
        abstract = True

    @classmethod
    def defaults(cls) -> dict:
        """The values the row starts with, where the fields' own defaults are not enough."""
        return {}

    @classmethod
    def load(cls) -> Self:
        """The row, created with its defaults the first time (for pages that edit it)."""
        obj, _ = cls.objects.get_or_create(pk=1, defaults=cls.defaults())
        return obj

    @classmethod
    def read(cls) -> Self:
        """The row, or its defaults unsaved: reading the settings never writes."""
        return cls.objects.filter(pk=1).first() or cls(pk=1, **cls.defaults())


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class CompanySettings(SingletonModel):
    """The company's name, base currency and calendar; one row, edited by executives."""

    name = models.CharField(
        gettext_lazy("company name"),
        max_length=120,
        blank=True,
        help_text=gettext_lazy("Shown in the page header, the reports and the exports."),
    )
    base_currency = models.CharField(
        max_length=3,
        default="EUR",
        help_text=gettext_lazy(
            "Three letters, such as EUR. Funding committed in another currency is "
            "converted with the rates of its fiscal year below."
        ),
        verbose_name=gettext_lazy("base currency"),
    )
    # Empty: FISCAL_YEAR_START_MONTH and TIME_ZONE say (the form asks for both).
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=list(MONTHS.items()),
        help_text=gettext_lazy("Fiscal years are named after the calendar year they start in."),
        verbose_name=gettext_lazy("fiscal year start month"),
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        choices=_time_zone_choices,
        help_text=gettext_lazy("Review dates and the times of reminders follow it."),
        verbose_name=gettext_lazy("time zone"),
    )
    # How far a measure's actual value may miss its plan, in percent of the change the year
    # plans (target minus baseline): the status the strategy pages and the signals show.
    plan_tolerance_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        gettext_lazy("measures are on plan within (% of the planned change)"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=gettext_lazy(
            "10: a measure planned to go from 80 to 90 is on plan up to 1 point short."
        ),
    )
    off_track_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        gettext_lazy("measures are off track beyond (% of the planned change)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=gettext_lazy("Between the two, a measure is behind plan."),
    )
    # The pages' language for whoever chose none and whose browser asks for none of LANGUAGES;
    # empty (a form posted without it): LANGUAGE_CODE.
    language = models.CharField(
        gettext_lazy("default language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=gettext_lazy(
            "For people who chose no language on their profile and whose browser asks for "
            "none of these."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("company settings")
        verbose_name_plural = gettext_lazy("company settings")
        constraints = [one_row_constraint("one_company_settings_row")]

    def __str__(self) -> str:
        return gettext("Company settings")

    @classmethod
    def defaults(cls) -> dict:
        return {
            "name": settings.COMPANY_NAME,
            "base_currency": settings.DEFAULT_CURRENCY,
            "fiscal_year_start_month": settings.FISCAL_YEAR_START_MONTH,
            "time_zone": settings.TIME_ZONE,
        }

    @property
    def start_month(self) -> int:
        """The month fiscal years start in: this row's, else FISCAL_YEAR_START_MONTH."""
        return start_month_or_default(self.fiscal_year_start_month)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The company's time zone: this row's, else TIME_ZONE."""
        return time_zone_or_default(self.time_zone)

    def clean(self) -> None:
        tolerance, off_track = self.plan_tolerance_percent, self.off_track_percent
        if tolerance is not None and off_track is not None and off_track <= tolerance:
            raise ValidationError(
                {"off_track_percent": gettext("Off track must start beyond the on-plan tolerance.")}
            )


class ExchangeRate(models.Model):
    """What one unit of a currency is worth in the base currency, for one fiscal year."""

    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        verbose_name=gettext_lazy("fiscal year"),
    )
    currency = models.CharField(max_length=3, verbose_name=gettext_lazy("currency"))
    rate = models.DecimalField(
        gettext_lazy("rate to the base currency"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=gettext_lazy("1 unit of this currency is worth this much in the base currency."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("exchange rate")
        verbose_name_plural = gettext_lazy("exchange rates")
        ordering = ["-fiscal_year", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "currency"], name="one_rate_per_currency_and_year"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        # Translators: an exchange rate of a fiscal year, e.g. "FY2026: 1 USD = 0.92".
        return gettext("FY%(year)s: 1 %(currency)s = %(rate)s") % {
            "year": self.fiscal_year,
            "currency": self.currency,
            "rate": self.rate,
        }


# --- Strategy ------------------------------------------------------------------------------


class StrategicPositionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=StrategicPosition.Status.PUBLISHED)

    def visible_to(self, user):
        if roles.can_see_drafts(user):
            return self
        return self.published()

    def current(self) -> StrategicPosition | None:
        """The position in force (at most one: the one_current_position constraint), or None."""
        return self.filter(is_current=True).first()


class StrategicPositionManager(models.Manager.from_queryset(StrategicPositionQuerySet)):
    def current(self) -> StrategicPosition | None:
        """The position in force, or None: what the queryset's current() reads, by a prepared
        read (strategy.prepared), as most pages ask for it."""
        fields = [f.attname for f in self.model._meta.concrete_fields]
        rows = _current_position_row()
        return as_models(self.model, fields, rows)[0] if rows else None


@prepared
def _current_position_row():
    fields = [f.attname for f in StrategicPosition._meta.concrete_fields]
    return (
        StrategicPosition._base_manager.filter(is_current=True)
        .order_by("pk")
        .values_list(*fields)[:1]
    )


class StrategicPosition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("strategic position", "Draft")
        PUBLISHED = "published", pgettext_lazy("strategic position", "Published")

    fiscal_year = models.PositiveSmallIntegerField(
        unique=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        verbose_name=gettext_lazy("fiscal year"),
    )
    statement = models.TextField(
        gettext_lazy("positioning statement"),
        help_text=gettext_lazy("How the company wants customers to see it, in a few sentences."),
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        verbose_name=gettext_lazy("status"),
    )
    is_current = models.BooleanField(
        default=False, editable=False, verbose_name=gettext_lazy("is current")
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("published at")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=gettext_lazy("published by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    history = HistoricalRecords()
    objects = StrategicPositionManager()

    class Meta:
        verbose_name = gettext_lazy("strategic position")
        verbose_name_plural = gettext_lazy("strategic positions")
        ordering = ["-fiscal_year"]
        constraints = [
            # Exactly one position is the current one, and only a published one can be.
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_position"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="published"),
                name="current_position_is_published",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Strategic position FY%(year)s") % {"year": self.fiscal_year}

    def get_absolute_url(self) -> str:
        return reverse("strategy:position-detail", args=[self.fiscal_year])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def starts_on(self) -> date:
        return fiscal_year_start(self.fiscal_year)

    @property
    def ends_on(self) -> date:
        return fiscal_year_end(self.fiscal_year)

    def theme_mix(self) -> str:
        themes = sorted(self.themes.all(), key=lambda t: -t.weight)
        return ", ".join(f"{t.get_theme_display()} {t.weight}%" for t in themes)


class PositioningTheme(models.Model):
    position = models.ForeignKey(
        StrategicPosition,
        models.CASCADE,
        related_name="themes",
        verbose_name=gettext_lazy("position"),
    )
    theme = models.CharField(
        max_length=10, choices=Theme.choices, verbose_name=gettext_lazy("theme")
    )
    weight = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=gettext_lazy("Share of the positioning, in percent. The weights add up to 100."),
        verbose_name=gettext_lazy("weight"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("positioning theme")
        verbose_name_plural = gettext_lazy("positioning themes")
        ordering = ["-weight", "theme"]
        constraints = [
            models.UniqueConstraint(fields=["position", "theme"], name="unique_theme_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.get_theme_display()} ({self.weight}%)"


class CustomerPriority(models.Model):
    position = models.ForeignKey(
        StrategicPosition,
        models.CASCADE,
        related_name="priorities",
        verbose_name=gettext_lazy("position"),
    )
    rank = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], verbose_name=gettext_lazy("rank")
    )
    title = models.CharField(max_length=120, verbose_name=gettext_lazy("title"))
    description = models.TextField(blank=True, verbose_name=gettext_lazy("description"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("customer priority")
        ordering = ["rank"]
        verbose_name_plural = gettext_lazy("customer priorities")
        constraints = [
            models.UniqueConstraint(fields=["position", "rank"], name="unique_priority_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.title}"


class Competitor(models.Model):
    position = models.ForeignKey(
        StrategicPosition,
        models.CASCADE,
        related_name="competitors",
        verbose_name=gettext_lazy("position"),
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    positioning = models.TextField(
        help_text=gettext_lazy("How this competitor is positioned."),
        verbose_name=gettext_lazy("positioning"),
    )
    our_difference = models.TextField(
        help_text=gettext_lazy("Where we differ from them."),
        verbose_name=gettext_lazy("our difference"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("competitor")
        verbose_name_plural = gettext_lazy("competitors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["position", "name"], name="unique_competitor_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RefreshDecision(models.TextChoices):
    KEPT = "kept", pgettext_lazy("annual refresh decision", "Kept")
    REVISED = "revised", pgettext_lazy("annual refresh decision", "Revised")
    RETIRED = "retired", pgettext_lazy("annual refresh decision", "Retired")


class ObjectiveQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class Objective(models.Model):
    position = models.ForeignKey(
        StrategicPosition,
        models.CASCADE,
        related_name="objectives",
        verbose_name=gettext_lazy("position"),
    )
    title = models.CharField(max_length=160, verbose_name=gettext_lazy("title"))
    description = models.TextField(blank=True, verbose_name=gettext_lazy("description"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="owned_objectives",
        help_text=gettext_lazy("The executive accountable for this objective."),
        verbose_name=gettext_lazy("owner"),
    )
    priority_weight = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=gettext_lazy(
            "Relative weight of this objective in the alignment index (1 to 100)."
        ),
        verbose_name=gettext_lazy("priority weight"),
    )
    customer_priority = models.ForeignKey(
        CustomerPriority,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="objectives",
        help_text=gettext_lazy("The customer priority this objective serves."),
        verbose_name=gettext_lazy("customer priority"),
    )
    theme = models.CharField(
        gettext_lazy("positioning theme"),
        max_length=10,
        choices=Theme.choices,
        help_text=gettext_lazy("The positioning theme this objective serves."),
    )
    internal_message = models.TextField(
        help_text=gettext_lazy("What staff must understand."),
        verbose_name=gettext_lazy("internal message"),
    )
    external_promise = models.TextField(
        help_text=gettext_lazy("What customers are told."),
        verbose_name=gettext_lazy("external promise"),
    )
    order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("order"))
    retired_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("retired at")
    )
    # Set by the annual refresh: the objective of last year's position this one continues, and
    # the executives' decision about it (kept as it was, revised, or retired).
    previous = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="successors",
        verbose_name=gettext_lazy("previous"),
    )
    refresh_decision = models.CharField(
        max_length=10,
        choices=RefreshDecision.choices,
        blank=True,
        editable=False,
        verbose_name=gettext_lazy("refresh decision"),
    )

    history = HistoricalRecords()
    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("objective")
        verbose_name_plural = gettext_lazy("objectives")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("strategy:objective-detail", args=[self.pk])

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def retire(self) -> None:
        # Retiring twice keeps the first retirement time.
        if self.retired_at is None:
            self.retired_at = timezone.now()
            self.save(update_fields=["retired_at"])


class Measure(models.Model):
    """How an objective's outcome is measured: from a baseline to a target over the position's
    fiscal year, reported by one team each quarter or month (strategy/outcomes.py)."""

    class Direction(models.TextChoices):
        HIGHER = "higher", gettext_lazy("Higher is better")
        LOWER = "lower", gettext_lazy("Lower is better")

    class Frequency(models.TextChoices):
        QUARTERLY = "quarterly", gettext_lazy("Quarterly")
        MONTHLY = "monthly", gettext_lazy("Monthly")

    objective = models.ForeignKey(
        Objective, models.CASCADE, related_name="measures", verbose_name=gettext_lazy("objective")
    )
    name = models.CharField(max_length=160, verbose_name=gettext_lazy("name"))
    unit = models.CharField(
        max_length=40,
        help_text=gettext_lazy("For example %, days, EUR, orders."),
        verbose_name=gettext_lazy("unit"),
    )
    baseline = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("baseline")
    )
    target = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("target")
    )
    direction = models.CharField(
        max_length=6,
        choices=Direction.choices,
        default=Direction.HIGHER,
        verbose_name=gettext_lazy("direction"),
    )
    reporting_team = models.ForeignKey(
        "Unit",
        models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to={"level": "functional"},
        related_name="reported_measures",
        help_text=gettext_lazy("The functional team that enters its values."),
        verbose_name=gettext_lazy("reporting team"),
    )
    frequency = models.CharField(
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.QUARTERLY,
        verbose_name=gettext_lazy("frequency"),
    )
    # Only the measures customers feel judge the objective's external promise (promise at risk
    # or kept outside, docs/signals.md); an internal one (a cost, a headcount) keeps its status.
    customer_felt = models.BooleanField(
        gettext_lazy("Customers feel it"),
        default=True,
        help_text=gettext_lazy(
            "Counts for the objective's promise to customers: behind plan, the promise is at risk."
        ),
    )
    # Set by the annual refresh: last year's measure this one continues, whose values (and
    # their history) stay where they were entered and are read as this measure's past.
    previous = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="successors",
        verbose_name=gettext_lazy("previous"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("measure")
        verbose_name_plural = gettext_lazy("measures")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name}: {self.baseline} → {self.target} {self.unit}"

    @property
    def periods_per_year(self) -> int:
        return 12 if self.frequency == self.Frequency.MONTHLY else 4

    @property
    def higher_is_better(self) -> bool:
        return self.direction != self.Direction.LOWER


def _period_in_range():
    return Q(period__gte=1) & Q(period__lte=12)


class MeasurePlanPoint(models.Model):
    """The planned value of one period of a measure's fiscal year, where the plan is not the
    straight line from baseline to target (a seasonal plan, say)."""

    measure = models.ForeignKey(
        Measure, models.CASCADE, related_name="plan_points", verbose_name=gettext_lazy("measure")
    )
    period = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("The quarter (1 to 4) or month (1 to 12) of the fiscal year."),
        verbose_name=gettext_lazy("period"),
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=gettext_lazy("value"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("measure plan point")
        verbose_name_plural = gettext_lazy("measure plan points")
        ordering = ["measure", "period"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "period"], name="one_plan_point_per_period"),
            models.CheckConstraint(condition=_period_in_range(), name="plan_point_period_range"),
        ]

    def __str__(self) -> str:
        return gettext("%(measure)s, period %(period)s: plan %(value)s") % {
            "measure": self.measure.name,
            "period": self.period,
            "value": self.value,
        }


class MeasureActual(models.Model):
    """The value a measure reached in one period (a quarter or a month of a fiscal year).
    One per period; a correction changes the row, and its history keeps what it said before."""

    class Source(models.TextChoices):
        ENTERED = "entered", pgettext_lazy("measure value source", "Entered")
        IMPORTED = "imported", pgettext_lazy("measure value source", "Imported")
        API = "api", "API"

    measure = models.ForeignKey(
        Measure, models.CASCADE, related_name="actuals", verbose_name=gettext_lazy("measure")
    )
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        verbose_name=gettext_lazy("fiscal year"),
    )
    period = models.PositiveSmallIntegerField(
        help_text=gettext_lazy(
            "The quarter (1 to 4) or month (1 to 12) of the fiscal year, as the measure "
            "is reported."
        ),
        verbose_name=gettext_lazy("period"),
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=gettext_lazy("value"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("entered by"),
    )
    entered_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("entered at"))
    source = models.CharField(
        max_length=10,
        choices=Source.choices,
        default=Source.ENTERED,
        verbose_name=gettext_lazy("source"),
    )
    comment = models.TextField(blank=True, verbose_name=gettext_lazy("comment"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("measure actual")
        verbose_name_plural = gettext_lazy("measure actuals")
        ordering = ["measure", "fiscal_year", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "fiscal_year", "period"], name="one_actual_per_period"
            ),
            models.CheckConstraint(condition=_period_in_range(), name="actual_period_range"),
        ]

    def __str__(self) -> str:
        return gettext("%(measure)s, FY%(year)s period %(period)s: %(value)s") % {
            "measure": self.measure.name,
            "year": self.fiscal_year,
            "period": self.period,
            "value": self.value,
        }


# --- Organisation --------------------------------------------------------------------------


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def functional(self):
        return self.filter(level=Unit.Level.FUNCTIONAL)

    def visible_to(self, user):
        if roles.sees_all_teams(user):
            return self
        return self.filter(memberships__user=user).distinct()


class Unit(models.Model):
    class Level(models.TextChoices):
        BUSINESS = "business", gettext_lazy("Business level")
        FUNCTIONAL = "functional", gettext_lazy("Functional level")

    class Kind(models.TextChoices):
        COMPANY = "company", pgettext_lazy("unit kind", "Company")
        REGION = "region", pgettext_lazy("unit kind", "Region")
        BRANCH = "branch", pgettext_lazy("unit kind", "Branch")
        DEPARTMENT = "department", pgettext_lazy("unit kind", "Department")
        TEAM = "team", pgettext_lazy("unit kind", "Team")

    code = models.SlugField(
        max_length=40,
        unique=True,
        help_text=gettext_lazy("Short, unique identifier, used by imports."),
        verbose_name=gettext_lazy("code"),
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    level = models.CharField(
        max_length=10, choices=Level.choices, verbose_name=gettext_lazy("level")
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=gettext_lazy("parent"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="units",
        verbose_name=gettext_lazy("people"),
    )

    history = HistoricalRecords()
    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("unit")
        verbose_name_plural = gettext_lazy("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("strategy:unit-detail", args=[self.code])

    def ancestors(self) -> list[Unit]:
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))


class Membership(models.Model):
    class Role(models.TextChoices):
        HEAD = "head", pgettext_lazy("membership role", "Head")
        MEMBER = "member", pgettext_lazy("membership role", "Member")

    unit = models.ForeignKey(
        Unit, models.CASCADE, related_name="memberships", verbose_name=gettext_lazy("unit")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="memberships",
        verbose_name=gettext_lazy("user"),
    )
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.MEMBER, verbose_name=gettext_lazy("role")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("membership")
        verbose_name_plural = gettext_lazy("memberships")
        ordering = ["unit__name", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "user"], name="one_membership_per_unit"),
        ]

    def __str__(self) -> str:
        # Translators: e.g. "Ana Lopez — Head of Logistics".
        return gettext("%(user)s — %(role)s of %(unit)s") % {
            "user": self.user,
            "role": self.get_role_display(),
            "unit": self.unit,
        }


# --- Commitments ---------------------------------------------------------------------------


class CommitmentQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[Commitment.Status.DONE, Commitment.Status.DROPPED])

    def overdue(self, *, today: date):
        return self.open().filter(due_on__lt=today)


class Commitment(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("commitment status", "Planned")
        ON_TRACK = "on_track", pgettext_lazy("commitment status", "On track")
        AT_RISK = "at_risk", pgettext_lazy("commitment status", "At risk")
        DONE = "done", pgettext_lazy("commitment status", "Done")
        DROPPED = "dropped", pgettext_lazy("commitment status", "Dropped")

    unit = models.ForeignKey(
        Unit, models.CASCADE, related_name="commitments", verbose_name=gettext_lazy("unit")
    )
    objective = models.ForeignKey(
        Objective,
        models.PROTECT,
        related_name="commitments",
        verbose_name=gettext_lazy("objective"),
    )
    lever = models.CharField(
        max_length=15, choices=Lever.choices, verbose_name=gettext_lazy("lever")
    )
    statement = models.TextField(
        help_text=gettext_lazy("What the team will do."), verbose_name=gettext_lazy("statement")
    )
    target = models.CharField(
        gettext_lazy("measurable target"),
        max_length=200,
        help_text=gettext_lazy("How you will know it is done."),
    )
    due_on = models.DateField(gettext_lazy("due date"))
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PLANNED,
        verbose_name=gettext_lazy("status"),
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=gettext_lazy("For funding commitments: the amount committed."),
        verbose_name=gettext_lazy("amount"),
    )
    currency = models.CharField(max_length=3, blank=True, verbose_name=gettext_lazy("currency"))
    # Set when a head carries last year's commitment over to the refreshed objective.
    carried_from = models.OneToOneField(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="carried_to",
        verbose_name=gettext_lazy("carried from"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    history = HistoricalRecords()
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("commitment")
        verbose_name_plural = gettext_lazy("commitments")
        ordering = ["objective__order", "objective_id", "lever", "due_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="commitment_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        # Translators: a commitment: its team, its lever and the objective it serves.
        return gettext("%(unit)s: %(lever)s for %(objective)s") % {
            "unit": self.unit,
            "lever": self.get_lever_display(),
            "objective": self.objective,
        }

    def get_absolute_url(self) -> str:
        return reverse("strategy:commitment-edit", args=[self.pk])

    def drop(self) -> None:
        """Stop pursuing it: it stays on the team's page and in the history, and counts no more."""
        self.status = self.Status.DROPPED
        self.save(update_fields=["status", "updated_at"])


# --- Reading the strategy --------------------------------------------------------------------


class Acknowledgement(models.Model):
    """A person has read the strategy and their team's commitments."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="acknowledgements",
        verbose_name=gettext_lazy("user"),
    )
    position = models.ForeignKey(
        "alignment.StrategicPosition",
        models.CASCADE,
        related_name="acknowledgements",
        verbose_name=gettext_lazy("position"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("at"))

    class Meta:
        verbose_name = gettext_lazy("acknowledgement")
        verbose_name_plural = gettext_lazy("acknowledgements")
        db_table = "reviews_acknowledgement"
        constraints = [
            models.UniqueConstraint(fields=["user", "position"], name="one_acknowledgement"),
        ]

    def __str__(self) -> str:
        return gettext("%(user)s read %(position)s") % {
            "user": self.user,
            "position": self.position,
        }


# --- What the pages cache --------------------------------------------------------------------


class ContentVersion(SingletonModel):
    """A number that moves on with every write to what the strategy pages show (the position,
    its objectives and measures, their values, the units, their people and commitments, the
    company settings; database triggers move it): the parts of those pages that only change
    then are cached under it (`strategy.versions`), so that a save shows at once."""

    number = models.PositiveBigIntegerField(default=0, verbose_name=gettext_lazy("number"))

    class Meta:
        verbose_name = gettext_lazy("content version")
        verbose_name_plural = gettext_lazy("content versions")
        constraints = [one_row_constraint("one_content_version_row")]

    def __str__(self) -> str:
        return gettext("Content version %(number)s") % {"number": self.number}


# --- Single sign-on ------------------------------------------------------------------------


class SSOIdentity(models.Model):
    """A person as the identity provider knows them (issuer and subject), and what their last
    sign-in's claim said and made of their roles: the admin's answer to "where did this role
    come from?". Each sign-in is a history record, its reason saying what changed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="sso_identities",
        verbose_name=gettext_lazy("user"),
    )
    issuer = models.URLField(max_length=300, verbose_name=gettext_lazy("issuer"))
    subject = models.CharField(max_length=255, verbose_name=gettext_lazy("subject"))
    claim_values = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("The groups claim's values at the last sign-in."),
        verbose_name=gettext_lazy("claim values"),
    )
    roles_from_claim = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("The roles and teams those values map to."),
        verbose_name=gettext_lazy("roles from claim"),
    )
    last_changes = models.TextField(
        blank=True,
        help_text=gettext_lazy("What the last sign-in changed."),
        verbose_name=gettext_lazy("last changes"),
    )
    last_sign_in_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("last sign in at")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("single sign-on identity")
        verbose_name_plural = gettext_lazy("single sign-on identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_person_per_subject"),
        ]

    def __str__(self) -> str:
        # Translators: a person's identifier at their sign-in service, and the service's address.
        return gettext("%(subject)s at %(issuer)s") % {
            "subject": self.subject,
            "issuer": self.issuer,
        }


class Profile(models.Model):
    """What a person chose for themselves: the language they read the product in.

    A person without a row, or with an empty language, reads it in their browser's language,
    else the company's default (alignment.middleware.LanguageMiddleware; strategy.languages).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="profile",
        verbose_name=gettext_lazy("user"),
    )
    language = models.CharField(
        gettext_lazy("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
    )

    class Meta:
        verbose_name = gettext_lazy("profile")
        verbose_name_plural = gettext_lazy("profiles")

    def __str__(self) -> str:
        return str(self.user)


# --- Translations of the strategy's texts ------------------------------------------------------


class ContentTranslation(models.Model):
    """One text of a position (its statement, a priority's, a competitor's, an objective's or a
    measure's) in another language, as an executive wrote it: the product never translates what
    executives write. Readers of that language see it, with the original one click away
    (strategy/translations.py names the texts; `original_digest` tells a translation made
    before its original last changed)."""

    class Kind(models.TextChoices):
        POSITION = "position", gettext_lazy("Position")
        PRIORITY = "priority", gettext_lazy("Customer priority")
        COMPETITOR = "competitor", gettext_lazy("Competitor")
        OBJECTIVE = "objective", gettext_lazy("Objective")
        MEASURE = "measure", gettext_lazy("Measure")

    position = models.ForeignKey(
        StrategicPosition,
        models.CASCADE,
        related_name="translations",
        verbose_name=gettext_lazy("position"),
    )
    language = models.CharField(max_length=10, verbose_name=gettext_lazy("language"))
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    object_id = models.PositiveBigIntegerField(verbose_name=gettext_lazy("object id"))
    field = models.CharField(max_length=40, verbose_name=gettext_lazy("field"))
    text = models.TextField(verbose_name=gettext_lazy("text"))
    # The sha256 of the original the translator read: a different original is newer.
    original_digest = models.CharField(max_length=64, verbose_name=gettext_lazy("original digest"))
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("translated by"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("content translation")
        verbose_name_plural = gettext_lazy("content translations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "field", "language"],
                name="one_translation_per_text_and_language",
            ),
        ]
        indexes = [models.Index(fields=["position", "language"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.field} ({self.language})"
