"""Review cycles, the alignment checks department heads fill in, and what executives decide."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reviews import bulk
from strategy import models as strategy_models
from strategy import phrases
from strategy.history import HistoricalRecords
from strategy.models import Lever, SingletonModel, Theme, fiscal_year_start, one_row_constraint

NOT_APPLICABLE = 0  # stored in a lever score column; "not scored" is NULL
SCORE_LEVELS = {
    # Translators: what a lever's score (1 to 5) says about its fit with an objective.
    1: gettext_lazy("Works against the objective"),
    2: gettext_lazy("Barely supports it"),
    3: gettext_lazy("Partly supports it"),
    4: gettext_lazy("Mostly supports it"),
    5: gettext_lazy("Fully supports it, and sustained"),
}
LEVERS = [lever for lever, _label in Lever.choices]


def quarter_start(fiscal_year: int, quarter: int, *, first_month: int | None = None) -> date:
    """The quarter's first day; `first_month` (fiscal years' first month) when already read,
    else the company's calendar is read."""
    start = date(fiscal_year, first_month, 1) if first_month else fiscal_year_start(fiscal_year)
    month_index = start.month - 1 + 3 * (quarter - 1)
    return date(start.year + month_index // 12, month_index % 12 + 1, 1)


def quarter_end(fiscal_year: int, quarter: int, *, first_month: int | None = None) -> date:
    """The quarter's last day; `first_month` as for quarter_start."""
    following = (
        quarter_start(fiscal_year, quarter + 1, first_month=first_month)
        if quarter < 4
        else quarter_start(fiscal_year + 1, 1, first_month=first_month)
    )
    return date.fromordinal(following.toordinal() - 1)


def _day(day: date) -> str:
    return date_format(day, "j M Y")


def review_window(fiscal_year: int, quarter: int, *, config: CadenceSettings) -> tuple[date, date]:
    """The first and the last day a quarter's review may open or be due on.

    It opens once its quarter has started (up to `open_early_days` before), and its dates lie
    at most `review_window_days` after the quarter ends.
    """
    earliest = quarter_start(fiscal_year, quarter) - timedelta(days=config.open_early_days)
    latest = quarter_end(fiscal_year, quarter) + timedelta(days=config.review_window_days)
    return earliest, latest


class ReviewCycleQuerySet(models.QuerySet):
    def quarterly(self):
        return self.filter(kind=ReviewCycle.Kind.QUARTERLY)

    def closed(self):
        return self.filter(state=ReviewCycle.State.CLOSED)

    def chronological(self):
        return self.order_by("fiscal_year", "quarter", "opens_on")

    def with_snapshot(self):
        """Load every column, the snapshot too: for the few readers that show a closed cycle
        in full (its page, heatmap and reports). It clears any other defer() or only()."""
        return self.defer(None)


class ReviewCycleManager(models.Manager.from_queryset(ReviewCycleQuerySet)):
    def get_queryset(self):
        # A closed cycle's snapshot is megabytes of JSON at a big company: never read it to
        # show a label, a date or a figure (FrozenScore holds the figures). Readers that show
        # the cycle in full ask for it with with_snapshot().
        return super().get_queryset().defer("snapshot")


class ReviewCycle(models.Model):
    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", gettext_lazy("Quarterly review")
        ANNUAL = "annual", gettext_lazy("Annual refresh")

    class State(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("cycle state", "Planned")
        OPEN = "open", pgettext_lazy("cycle state", "Open")
        IN_REVIEW = "in_review", pgettext_lazy("cycle state", "In review")
        CLOSED = "closed", pgettext_lazy("cycle state", "Closed")

    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.QUARTERLY,
        verbose_name=gettext_lazy("kind"),
    )
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        verbose_name=gettext_lazy("fiscal year"),
    )
    quarter = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=gettext_lazy("1 to 4 for a quarterly review; empty for the annual refresh."),
        verbose_name=gettext_lazy("quarter"),
    )
    position = models.ForeignKey(
        "alignment.StrategicPosition",
        models.PROTECT,
        related_name="review_cycles",
        help_text=gettext_lazy("The strategy this cycle reviews against."),
        verbose_name=gettext_lazy("position"),
    )
    opens_on = models.DateField(verbose_name=gettext_lazy("opens on"))
    due_on = models.DateField(verbose_name=gettext_lazy("due on"))
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.PLANNED,
        verbose_name=gettext_lazy("state"),
    )
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("opened at"))
    review_started_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("review started at")
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("closed by"),
    )
    # Written once when the cycle closes: what the review saw, whatever changes later.
    snapshot = models.JSONField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("snapshot")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    history = HistoricalRecords(excluded_fields=["snapshot"])
    objects = ReviewCycleManager()

    class Meta:
        verbose_name = gettext_lazy("review cycle")
        verbose_name_plural = gettext_lazy("review cycles")
        ordering = ["-fiscal_year", "-quarter", "-opens_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "quarter"],
                condition=Q(kind="quarterly"),
                name="one_quarterly_cycle_per_quarter",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year"], condition=Q(kind="annual"), name="one_annual_refresh"
            ),
            models.CheckConstraint(
                condition=Q(kind="annual", quarter__isnull=True)
                | Q(kind="quarterly", quarter__gte=1, quarter__lte=4),
                name="quarter_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("opens_on")), name="due_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("reviews:cycle-detail", args=[self.pk])

    @property
    def label(self) -> str:
        return str(self.label_phrase)

    @property
    def label_phrase(self) -> phrases.Phrase:
        """The review's name as a phrase, for what keeps it (a signal's reason): named in the
        reader's language when it is read."""
        if self.kind == self.Kind.ANNUAL:
            return phrases.gettext_lazy("Annual refresh FY%(year)s", year=self.fiscal_year)
        return phrases.gettext_lazy(
            # Translators: a quarterly review's name, "Q3 FY2026".
            "Q%(quarter)s FY%(year)s",
            quarter=self.quarter,
            year=self.fiscal_year,
        )

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def is_running(self) -> bool:
        """Opened and not closed: executives record scores and actions."""
        return self.state in (self.State.OPEN, self.State.IN_REVIEW)

    @property
    def accepts_checks(self) -> bool:
        """Heads can still fill in and submit checks (also while executives review)."""
        return self.state in (self.State.OPEN, self.State.IN_REVIEW)

    def date_errors(self, *, config: CadenceSettings) -> dict[str, str]:
        """Field → what is wrong with a quarterly review's dates under the cadence settings.

        One rule for the dates typed in the form and those the beat plans: a typo such as
        0001-01-01 would otherwise open the review at once and mail every team.
        """
        if self.kind != self.Kind.QUARTERLY or not self.quarter or not self.fiscal_year:
            return {}
        if not (2000 <= self.fiscal_year <= 2100 and 1 <= self.quarter <= 4):
            return {}  # the fields' own validators refuse these
        errors = {}
        earliest, latest = review_window(self.fiscal_year, self.quarter, config=config)
        start = quarter_start(self.fiscal_year, self.quarter)
        # Translators: cycle is a review's name; the others are dates.
        window = _(
            "%(cycle)s runs from %(start)s to %(end)s: its review can open from %(earliest)s and "
            "be due by %(latest)s at the latest; %(day)s is outside."
        )
        params = {
            "cycle": self.label,
            "start": _day(start),
            "end": _day(quarter_end(self.fiscal_year, self.quarter)),
            "earliest": _day(earliest),
            "latest": _day(latest),
        }
        if self.opens_on and not earliest <= self.opens_on <= latest:
            errors["opens_on"] = window % {**params, "day": _day(self.opens_on)}
        if self.due_on and self.opens_on and self.due_on <= self.opens_on:
            errors["due_on"] = _("The due date must be after the opening date.")
        elif self.due_on and self.due_on > latest:
            errors["due_on"] = window % {**params, "day": _day(self.due_on)}
        return errors

    def open_refusal(self, *, today: date, config: CadenceSettings) -> str:
        """Why this cycle cannot be opened today, or "" when it can."""
        if self.state != self.State.PLANNED:
            # Translators: state is the cycle's state, lower case ("open", "closed").
            return _("%(cycle)s is already %(state)s.") % {
                "cycle": self.label,
                "state": self.get_state_display().lower(),
            }
        errors = self.date_errors(config=config)
        if errors:
            # Translators: errors are the sentences saying which dates are outside the window.
            return _("Its dates are outside the cadence settings' window: %(errors)s") % {
                "errors": " ".join(errors.values())
            }
        if self.kind == self.Kind.QUARTERLY:
            earliest, _latest = review_window(self.fiscal_year, self.quarter, config=config)
            if today < earliest:
                return _("%(cycle)s has not started: its review can open from %(day)s.") % {
                    "cycle": self.label,
                    "day": _day(earliest),
                }
        return ""

    def is_future_quarter(self, *, today: date, first_month: int | None = None) -> bool:
        """A quarterly review whose quarter has not started yet: there is nothing to close.
        `first_month`: fiscal years' first month, when already read."""
        if self.kind != self.Kind.QUARTERLY:
            return False
        return today < quarter_start(self.fiscal_year, self.quarter or 1, first_month=first_month)

    @property
    def period_start(self) -> date:
        return quarter_start(self.fiscal_year, self.quarter or 1)

    @property
    def period_end(self) -> date:
        return quarter_end(self.fiscal_year, self.quarter or 4)


class AlignmentCheckQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(state=AlignmentCheck.State.SUBMITTED)


class AlignmentCheck(models.Model):
    class State(models.TextChoices):
        NOT_STARTED = "not_started", pgettext_lazy("check state", "Not started")
        DRAFT = "draft", pgettext_lazy("check state", "In draft")
        SUBMITTED = "submitted", pgettext_lazy("check state", "Submitted")

    cycle = models.ForeignKey(
        ReviewCycle, models.CASCADE, related_name="checks", verbose_name=gettext_lazy("cycle")
    )
    unit = models.ForeignKey(
        "alignment.Unit", models.PROTECT, related_name="checks", verbose_name=gettext_lazy("unit")
    )
    state = models.CharField(
        max_length=12,
        choices=State.choices,
        default=State.NOT_STARTED,
        verbose_name=gettext_lazy("state"),
    )
    # Bumped by every save; a save based on an older version is refused (optimistic locking).
    version = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("version"))
    updated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("updated at")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("updated by"),
    )
    submitted_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("submitted at")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("submitted by"),
    )

    history = HistoricalRecords()
    objects = AlignmentCheckQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("alignment check")
        verbose_name_plural = gettext_lazy("alignment checks")
        ordering = ["unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "unit"], name="one_check_per_team_and_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.cycle}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:check-edit", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.state == self.State.SUBMITTED

    @property
    def is_late(self) -> bool:
        if self.submitted_at is None:
            return timezone.localdate() > self.cycle.due_on
        return timezone.localdate(self.submitted_at) > self.cycle.due_on


class CheckItemQuerySet(models.QuerySet):
    def write(self, items: list[CheckItem], fields: list[str]) -> int:
        """UPDATE `fields` of `items`, each row with its own values, in one statement
        (bulk.update_rows: what bulk_update does, without compiling a CASE per row and field)."""
        return bulk.update_rows(self.model, items, fields, using=self.db)


class CheckItem(models.Model):
    """One objective in a check: a score per lever (NULL not scored, 0 not applicable)."""

    alignment_check = models.ForeignKey(
        AlignmentCheck,
        models.CASCADE,
        related_name="items",
        verbose_name=gettext_lazy("alignment check"),
    )
    objective = models.ForeignKey(
        "alignment.Objective",
        models.PROTECT,
        related_name="check_items",
        verbose_name=gettext_lazy("objective"),
    )
    is_extra = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Added on demand: the team does not commit to this objective."),
        verbose_name=gettext_lazy("is extra"),
    )
    score_people = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score people")
    )
    score_incentives = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score incentives")
    )
    score_inventory = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score inventory")
    )
    score_processes = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score processes")
    )
    score_funding = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score funding")
    )
    score_communication = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("score communication")
    )
    evidence = models.TextField(blank=True, verbose_name=gettext_lazy("evidence"))
    blockers = models.TextField(blank=True, verbose_name=gettext_lazy("blockers"))

    objects = CheckItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("check item")
        verbose_name_plural = gettext_lazy("check items")
        ordering = ["objective__order", "objective_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alignment_check", "objective"], name="one_item_per_objective"
            ),
        ]
        constraints += [
            models.CheckConstraint(
                condition=Q(**{f"score_{lever}__lte": 5}), name=f"score_{lever}_in_range"
            )
            for lever in LEVERS
        ]

    def __str__(self) -> str:
        return f"{self.alignment_check.unit} on {self.objective}"

    def lever_scores(self) -> dict[str, int | None]:
        return {lever: getattr(self, f"score_{lever}") for lever in LEVERS}

    @property
    def is_complete(self) -> bool:
        return all(value is not None for value in self.lever_scores().values())


class CheckReopening(models.Model):
    alignment_check = models.ForeignKey(
        AlignmentCheck,
        models.CASCADE,
        related_name="reopenings",
        verbose_name=gettext_lazy("alignment check"),
    )
    reason = models.TextField(verbose_name=gettext_lazy("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=gettext_lazy("by")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("at"))

    class Meta:
        verbose_name = gettext_lazy("check reopening")
        verbose_name_plural = gettext_lazy("check reopenings")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Reopened {self.alignment_check} on {self.at:%Y-%m-%d}"


class ExecutiveScore(models.Model):
    """An executive's own view of a team's fit on one objective (1 to 5)."""

    cycle = models.ForeignKey(
        ReviewCycle,
        models.CASCADE,
        related_name="executive_scores",
        verbose_name=gettext_lazy("cycle"),
    )
    unit = models.ForeignKey(
        "alignment.Unit", models.PROTECT, related_name="+", verbose_name=gettext_lazy("unit")
    )
    objective = models.ForeignKey(
        "alignment.Objective",
        models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("objective"),
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], verbose_name=gettext_lazy("score")
    )
    note = models.TextField(blank=True, verbose_name=gettext_lazy("note"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=gettext_lazy("by")
    )
    at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("executive score")
        verbose_name_plural = gettext_lazy("executive scores")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "unit", "objective"], name="one_executive_score_per_pair"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="executive_score_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} on {self.objective}: {self.score}"


class RubricQuestionQuerySet(models.QuerySet):
    def for_themes(self, themes: list[str]):
        return self.filter(is_active=True).filter(Q(theme="") | Q(theme__in=themes))


class RubricQuestion(models.Model):
    """A question that helps a head score one lever; the strategy's themes pick which show."""

    lever = models.CharField(
        max_length=15, choices=Lever.choices, verbose_name=gettext_lazy("lever")
    )
    theme = models.CharField(
        max_length=10,
        choices=Theme.choices,
        blank=True,
        help_text=gettext_lazy(
            "Shown when the strategy competes on this theme; empty for every strategy."
        ),
        verbose_name=gettext_lazy("theme"),
    )
    text = models.CharField(max_length=300, verbose_name=gettext_lazy("text"))
    order = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("order"))
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    history = HistoricalRecords()
    objects = RubricQuestionQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("rubric question")
        verbose_name_plural = gettext_lazy("rubric questions")
        ordering = ["lever", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class ActionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(completed_at__isnull=True)


class Action(models.Model):
    """A decision or corrective action from a review; open ones carry over to later agendas."""

    class Kind(models.TextChoices):
        DECISION = "decision", pgettext_lazy("action kind", "Decision")
        CORRECTIVE = "corrective", pgettext_lazy("action kind", "Corrective action")

    cycle = models.ForeignKey(
        ReviewCycle, models.CASCADE, related_name="actions", verbose_name=gettext_lazy("cycle")
    )
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.CORRECTIVE,
        verbose_name=gettext_lazy("kind"),
    )
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    description = models.TextField(blank=True, verbose_name=gettext_lazy("description"))
    objective = models.ForeignKey(
        "alignment.Objective",
        models.PROTECT,
        related_name="actions",
        null=True,
        blank=True,
        verbose_name=gettext_lazy("objective"),
    )
    owner = models.ForeignKey(
        "alignment.Unit",
        models.PROTECT,
        related_name="actions",
        verbose_name=gettext_lazy("owner team"),
    )
    due_on = models.DateField(gettext_lazy("due date"))
    agenda_item = models.CharField(
        max_length=300,
        blank=True,
        help_text="The agenda item this action answers.",
        verbose_name=gettext_lazy("agenda item"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    completed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("completed at")
    )

    history = HistoricalRecords()
    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("action")
        verbose_name_plural = gettext_lazy("actions")
        ordering = ["completed_at", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    def complete(self) -> None:
        # Completing twice keeps the first completion time.
        if self.completed_at is None:
            self.completed_at = timezone.now()
            self.save(update_fields=["completed_at"])


class FrozenScoreQuerySet(models.QuerySet):
    def company(self):
        return self.filter(objective__isnull=True, unit__isnull=True)

    def for_objective(self, objective_id: int):
        return self.filter(objective_id=objective_id, unit__isnull=True)

    def for_team(self, unit_id: int):
        return self.filter(unit_id=unit_id, objective__isnull=True)

    def cells(self):
        return self.filter(objective__isnull=False, unit__isnull=False)


class FrozenScore(models.Model):
    """A score as it stood when its cycle closed, for trends and signals.

    No objective and no team: the alignment index. Objective only: the objective's score.
    Team only: the team's fit. Both: the team's fit on that objective.
    """

    cycle = models.ForeignKey(
        ReviewCycle,
        models.CASCADE,
        related_name="frozen_scores",
        verbose_name=gettext_lazy("cycle"),
    )
    objective = models.ForeignKey(
        "alignment.Objective",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("objective"),
    )
    unit = models.ForeignKey(
        "alignment.Unit",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("unit"),
    )
    score = models.FloatField(verbose_name=gettext_lazy("score"))

    objects = FrozenScoreQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("frozen score")
        verbose_name_plural = gettext_lazy("frozen scores")
        indexes = [
            models.Index(fields=["unit", "objective"]),
            models.Index(fields=["objective", "unit"]),
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.score:.0f}"


class LiveScore(models.Model):
    """A running cycle's score as it stands, rewritten when a team's check is submitted or
    reopened (services.live_scores_update), so that pages and trends never recompute it.

    The same rows as FrozenScore (team and objective empty: a team's fit; objective only: the
    objective's score; both: a cell) except the index, computed on reading from the objectives'
    scores and their current weights. A cell keeps the head's mean on the 1-5 scale, which the
    executives' scores are compared with.
    """

    cycle = models.ForeignKey(
        ReviewCycle, models.CASCADE, related_name="live_scores", verbose_name=gettext_lazy("cycle")
    )
    objective = models.ForeignKey(
        "alignment.Objective",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("objective"),
    )
    unit = models.ForeignKey(
        "alignment.Unit",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("unit"),
    )
    score = models.FloatField(verbose_name=gettext_lazy("score"))
    head_mean = models.FloatField(null=True, blank=True, verbose_name=gettext_lazy("head mean"))

    objects = FrozenScoreQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("live score")
        verbose_name_plural = gettext_lazy("live scores")
        indexes = [
            models.Index(fields=["cycle", "unit", "objective"]),
            models.Index(fields=["cycle", "objective", "unit"]),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} (live): {self.score:.0f}"


# --- Cadence settings ------------------------------------------------------------------------


# The migrations that made the cadence settings' time zone field refer to its choices here.
_time_zone_choices = strategy_models._time_zone_choices


class CadenceSettings(SingletonModel):
    """The organisation's review cadence; one row, edited by executives and admins.

    Changing it affects review cycles not opened yet. The calendar it follows (the month fiscal
    years start in, the time zone) is the company settings'.
    """

    open_days_after_quarter_end = models.PositiveSmallIntegerField(
        gettext_lazy("open the quarterly review this many days after the quarter ends"),
        default=5,
        validators=[MaxValueValidator(60)],
    )
    due_days_after_opening = models.PositiveSmallIntegerField(
        gettext_lazy("checks are due this many days after opening"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    open_early_days = models.PositiveSmallIntegerField(
        gettext_lazy("a quarterly review may open this many days before its quarter starts"),
        default=7,
        validators=[MaxValueValidator(31)],
        help_text=gettext_lazy("0: not before the first day of the quarter."),
    )
    review_window_days = models.PositiveSmallIntegerField(
        gettext_lazy(
            "a quarterly review opens and is due at the latest this many days after its quarter "
            "ends"
        ),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=gettext_lazy(
            "Dates typed outside this window are refused; it must leave room for the "
            "opening and due dates above."
        ),
    )
    reminder_days_before_due = models.CharField(
        gettext_lazy("remind this many days before the due date"),
        max_length=40,
        default="7,1",
        help_text=gettext_lazy("Comma-separated numbers of days, for example 7,1."),
    )
    overdue_reminder_every_days = models.PositiveSmallIntegerField(
        gettext_lazy("while overdue, remind every"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=gettext_lazy("Days."),
    )
    escalate_after_days_overdue = models.PositiveSmallIntegerField(
        gettext_lazy("tell the executives when a check is this many days overdue"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    reminder_hour = models.PositiveSmallIntegerField(
        gettext_lazy("send reminders from this hour (local time)"),
        default=8,
        validators=[MaxValueValidator(23)],
    )
    refresh_month = models.PositiveSmallIntegerField(
        gettext_lazy("annual refresh: month"),
        default=11,
        choices=list(MONTHS.items()),
    )
    refresh_day = models.PositiveSmallIntegerField(
        gettext_lazy("annual refresh: day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=gettext_lazy(
            "The refresh for a fiscal year starts on this date before the year begins."
        ),
    )
    refresh_reminder_every_days = models.PositiveSmallIntegerField(
        gettext_lazy("remind executives of an unfinished refresh every"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=gettext_lazy("Days."),
    )

    history = HistoricalRecords(table_name="alignment_historicalcadencesettings")

    class Meta:
        db_table = "alignment_cadencesettings"
        verbose_name = gettext_lazy("cadence settings")
        verbose_name_plural = gettext_lazy("cadence settings")
        constraints = [one_row_constraint("one_cadence_settings_row")]

    def __str__(self) -> str:
        return _("Cadence settings")

    def reminder_days(self) -> list[int]:
        return sorted(
            {int(d) for d in self.reminder_days_before_due.split(",") if d.strip()}, reverse=True
        )
