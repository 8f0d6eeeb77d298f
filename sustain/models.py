"""The thresholds of the sustained-alignment signals.

The table (and its history's) keep the names they had in the reviews app (db_table)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from strategy.history import HistoricalRecords
from strategy.models import SingletonModel, one_row_constraint


class SignalSettings(SingletonModel):
    """Thresholds of the sustained-alignment signals; one row, edited by executives."""

    window = models.PositiveSmallIntegerField(
        _("quarters looked at"),
        default=4,
        validators=[MinValueValidator(3), MaxValueValidator(12)],
        help_text=_(
            "How many of the latest quarters the signals read: the closed quarterly reviews for "
            "roller-coasters, streaks (counted up to this many), late or missing checks and the "
            "say-do gap; the measures' values for roller-coaster outcomes and not measuring (the "
            "same value this many quarters in a row)."
        ),
    )
    roller_min_change = models.FloatField(
        _("roller-coaster: mean change of at least"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Points out of 100, on average from one quarter to the next."),
    )
    roller_min_reversals = models.PositiveSmallIntegerField(
        _("roller-coaster: direction changes at least"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    target_score = models.FloatField(
        _("target score"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Out of 100: a quarter at or above it extends a streak; promises need teams "
            "scoring at least this."
        ),
    )
    funding_min_ratio = models.FloatField(
        _("funding: flag below this share of the weight"),
        default=0.5,
        validators=[MinValueValidator(0.05), MaxValueValidator(1)],
        help_text=_("0.5: an objective with 30% of the weight and less than 15% of the funding."),
    )
    stale_quarters = models.PositiveSmallIntegerField(
        _("commitments are stale after (quarters)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    late_cycles = models.PositiveSmallIntegerField(
        _("flag teams late or missing in at least (cycles)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Of the quarters looked at: at most that many."),
    )
    close_grace_days = models.PositiveSmallIntegerField(
        _("a review is closed on time up to (days after its due date)"),
        default=14,
        validators=[MaxValueValidator(90)],
    )

    say_do_quarters = models.PositiveSmallIntegerField(
        _("say-do gap: quarters in a row"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(8)],
        help_text=_(
            "A team that scores its fit high (or higher) while the objective's measures "
            "stay behind plan (or fall) for this many quarters is flagged; at most the quarters "
            "looked at."
        ),
    )

    history = HistoricalRecords(table_name="reviews_historicalsignalsettings")

    class Meta:
        verbose_name = gettext_lazy("signal settings")
        db_table = "reviews_signalsettings"
        verbose_name_plural = _("signal settings")
        constraints = [one_row_constraint("one_signal_settings_row")]

    def __str__(self) -> str:
        return str(_("Signal settings"))


class StoredBoard(models.Model):
    """The live sustained-alignment board as last computed (one row): when, whether its inputs
    changed since, and the summary the Signals page shows; the signals are StoredSignal rows.

    sustain.board.board_refresh writes it after commits to its inputs, daily and when a cycle
    closes; pages only read it (docs/signals.md, "When the board is computed").
    """

    computed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("computed at")
    )
    # Set (once) by the first commit to an input after a refresh started; cleared by the
    # refresh that claims it.
    stale_since = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("stale since")
    )
    # Each refresh claims the next generation before it reads; only a newer one is stored.
    generation = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("generation"))
    stored_generation = models.PositiveIntegerField(
        default=0, verbose_name=gettext_lazy("stored generation")
    )
    signal_count = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("signal count"))
    top_streaks = models.JSONField(
        default=list, verbose_name=gettext_lazy("top streaks")
    )  # the first five, for the home page
    summary = models.JSONField(
        default=dict, verbose_name=gettext_lazy("summary")
    )  # streaks, funding, promises, reading, cadence

    class Meta:
        verbose_name = gettext_lazy("stored board")
        verbose_name_plural = gettext_lazy("stored boards")
        db_table = "reviews_storedboard"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_stored_board_row")]

    def __str__(self) -> str:
        return f"Signal board as of {self.computed_at}"

    @property
    def is_stale(self) -> bool:
        """Something it is computed from changed since, and the new board is not stored yet."""
        return self.stale_since is not None or self.generation != self.stored_generation


class StoredSignal(models.Model):
    """One signal of the stored live board, in the board's order.

    `team` and `objective` are plain ids, as in sustain.board's signal dicts (a signal names
    what it is about; it keeps no foreign key that would hold a team or an objective back).
    """

    order = models.PositiveIntegerField(verbose_name=gettext_lazy("order"))
    kind = models.CharField(max_length=20, verbose_name=gettext_lazy("kind"))
    label = models.CharField(max_length=60, verbose_name=gettext_lazy("label"))
    subject = models.CharField(max_length=300, verbose_name=gettext_lazy("subject"))
    # The reason as text in the site's language (webhooks send it), and as a phrase
    # (strategy.phrases, JSON) that pages render in the reader's; None for a row stored before.
    reason = models.TextField(verbose_name=gettext_lazy("reason"))
    phrase = models.JSONField(null=True, blank=True, verbose_name=gettext_lazy("phrase"))
    link = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("link"))
    team = models.PositiveIntegerField(null=True, blank=True, verbose_name=gettext_lazy("team"))
    objective = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("objective")
    )
    region = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("region")
    )  # the team's region (a unit)
    flagged = models.BooleanField(default=True, verbose_name=gettext_lazy("flagged"))

    class Meta:
        verbose_name = gettext_lazy("stored signal")
        verbose_name_plural = gettext_lazy("stored signals")
        db_table = "reviews_storedsignal"
        ordering = ["order"]
        indexes = [
            models.Index(fields=["team", "order"], name="storedsignal_team"),
            models.Index(fields=["objective", "order"], name="storedsignal_objective"),
            models.Index(fields=["kind", "order"], name="storedsignal_kind"),
            models.Index(fields=["region", "order"], name="storedsignal_region"),
        ]

    def __str__(self) -> str:
        return self.reason
