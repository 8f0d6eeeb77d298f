"""What the API's resources look like, read from the same rows the pages show."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications.models import Delivery
from reviews.models import LEVERS, Action, AlignmentCheck, CheckItem, ReviewCycle
from strategy.models import (
    Commitment,
    Competitor,
    CustomerPriority,
    Measure,
    MeasureActual,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
)
from strategy.outcomes import Period
from sustain.models import StoredSignal

# --- References: what a resource says of another ---------------------------------------------


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class UnitRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ObjectiveRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class CycleRef(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


# --- The strategy ----------------------------------------------------------------------------


class MeasureSerializer(serializers.ModelSerializer):
    reporting_team = UnitRef(allow_null=True)

    class Meta:
        model = Measure
        fields = [
            "id",
            "objective",
            "name",
            "unit",
            "baseline",
            "target",
            "direction",
            "frequency",
            "reporting_team",
            "customer_felt",
            "previous",
        ]


class ObjectiveSerializer(serializers.ModelSerializer):
    fiscal_year = serializers.IntegerField(source="position.fiscal_year")
    owner = UserRef()
    measures = MeasureSerializer(many=True)
    # Blank until the strategy refresh decides: the model field is not editable, so DRF would
    # declare only the choices.
    refresh_decision = serializers.ChoiceField(
        choices=Objective._meta.get_field("refresh_decision").choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("What the strategy refresh decided for it: blank until then."),
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "fiscal_year",
            "title",
            "description",
            "owner",
            "priority_weight",
            "customer_priority",
            "theme",
            "internal_message",
            "external_promise",
            "order",
            "retired_at",
            "previous",
            "refresh_decision",
            "measures",
        ]


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PositioningTheme
        fields = ["theme", "weight"]


class PrioritySerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerPriority
        fields = ["id", "rank", "title", "description"]


class CompetitorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Competitor
        fields = ["id", "name", "positioning", "our_difference"]


class PositionSerializer(serializers.ModelSerializer):
    themes = ThemeSerializer(many=True)
    priorities = PrioritySerializer(many=True)
    competitors = CompetitorSerializer(many=True)
    objectives = ObjectiveSerializer(many=True)

    class Meta:
        model = StrategicPosition
        fields = [
            "fiscal_year",
            "statement",
            "status",
            "is_current",
            "published_at",
            "themes",
            "priorities",
            "competitors",
            "objectives",
        ]


# --- Measured outcomes -----------------------------------------------------------------------


class MeasureActualSerializer(serializers.ModelSerializer):
    period_code = serializers.SerializerMethodField()
    entered_by = UserRef(allow_null=True)

    class Meta:
        model = MeasureActual
        fields = [
            "id",
            "measure",
            "fiscal_year",
            "period",
            "period_code",
            "value",
            "comment",
            "source",
            "entered_by",
            "entered_at",
        ]

    def get_period_code(self, actual) -> str:
        """Q1 to Q4 for a quarterly measure, M1 to M12 (the fiscal year's months) for a monthly."""
        return Period(actual.fiscal_year, actual.period, actual.measure.frequency).code


class ValueLine(serializers.Serializer):
    measure = serializers.IntegerField(min_value=1)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    period = serializers.CharField(
        max_length=4,
        help_text=gettext_lazy(
            "Q1 to Q4 (or 1 to 4) for a quarterly measure, M1 to M12 (or 1 to "
            "12) for a monthly one: the fiscal year's quarters and months."
        ),
    )
    value = serializers.CharField(
        max_length=40,
        help_text=gettext_lazy("A number with a point for decimals, at most two decimals."),
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=gettext_lazy("Left out: the value keeps the comment it has."),
    )
    expected = serializers.CharField(
        required=False, allow_null=True, max_length=40,
        help_text=gettext_lazy(
            "The value you last read for this period (null: none yet). When given, the "
            "request is refused (409) if the value stored now is another: nobody's change is "
            "overwritten unseen."
        ),
    )  # fmt: skip

    def to_internal_value(self, data):
        # Numbers are welcome as JSON numbers too: they are read as the text they were written.
        if isinstance(data, dict):
            data = {
                k: (str(v) if k in ("value", "expected", "period") and isinstance(v, int | float)
                    and not isinstance(v, bool) else v)
                for k, v in data.items()
            }  # fmt: skip
        return super().to_internal_value(data)


class ValuesUpsert(serializers.Serializer):
    values = ValueLine(many=True, allow_empty=False, max_length=1000)


class UpsertedValue(serializers.Serializer):
    line = serializers.IntegerField(help_text=gettext_lazy("Its index in `values`."))
    measure = serializers.IntegerField()
    fiscal_year = serializers.IntegerField()
    period = serializers.IntegerField()
    period_code = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    outcome = serializers.ChoiceField(choices=["created", "changed", "unchanged"])


class UpsertResult(serializers.Serializer):
    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    values = UpsertedValue(many=True)


# --- The organisation ------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    parent = UnitRef(allow_null=True)
    children_count = serializers.IntegerField()
    head_count = serializers.IntegerField()
    member_count = serializers.IntegerField()

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "level",
            "kind",
            "is_active",
            "parent",
            "children_count",
            "head_count",
            "member_count",
        ]


class UnitDetailSerializer(UnitSerializer):
    ancestors = serializers.SerializerMethodField()
    children = UnitRef(many=True)

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "ancestors", "children"]

    @extend_schema_field(UnitRef(many=True))
    def get_ancestors(self, unit) -> list:
        """From the top of the organisation down to the unit's parent."""
        return UnitRef(unit.ancestors(), many=True).data


class UnitNode(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    kind = serializers.CharField()
    is_active = serializers.BooleanField()
    children = serializers.ListField(
        child=serializers.DictField(), help_text=gettext_lazy("Units, as this one.")
    )


class MembershipSerializer(serializers.ModelSerializer):
    unit = UnitRef()
    user = UserRef()

    class Meta:
        model = Membership
        fields = ["id", "unit", "user", "role"]


class CommitmentSerializer(serializers.ModelSerializer):
    unit = UnitRef()
    objective = ObjectiveRef()
    fiscal_year = serializers.IntegerField(source="objective.position.fiscal_year")

    class Meta:
        model = Commitment
        fields = [
            "id",
            "unit",
            "objective",
            "fiscal_year",
            "lever",
            "statement",
            "target",
            "due_on",
            "status",
            "amount",
            "currency",
            "carried_from",
            "created_at",
            "updated_at",
        ]


# --- Reviews ---------------------------------------------------------------------------------


class CycleSerializer(serializers.ModelSerializer):
    label = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    position = serializers.IntegerField(
        source="position_year", help_text=gettext_lazy("Its fiscal year.")
    )
    index = serializers.FloatField(
        allow_null=True,
        help_text=gettext_lazy(
            "The alignment index: frozen once the cycle is closed, as it stands while it "
            "runs; null before any check is submitted."
        ),
    )
    is_frozen = serializers.BooleanField(source="is_closed")
    checks_total = serializers.IntegerField()
    checks_submitted = serializers.IntegerField()

    class Meta:
        model = ReviewCycle
        fields = [
            "id",
            "label",
            "kind",
            "fiscal_year",
            "quarter",
            "position",
            "state",
            "opens_on",
            "due_on",
            "opened_at",
            "closed_at",
            "is_frozen",
            "index",
            "checks_total",
            "checks_submitted",
        ]


class Completion(serializers.Serializer):
    submitted = serializers.IntegerField()
    draft = serializers.IntegerField()
    not_started = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ObjectiveResult(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    weight = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    teams = serializers.IntegerField(
        help_text=gettext_lazy("Teams committed to it in this review.")
    )


class CycleResults(serializers.Serializer):
    cycle = CycleRef()
    is_frozen = serializers.BooleanField(
        help_text=gettext_lazy("Closed: these figures no longer change.")
    )
    index = serializers.FloatField(allow_null=True)
    completion = Completion()
    objectives = ObjectiveResult(many=True)


class Cell(serializers.Serializer):
    objective = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)


class TeamResult(serializers.Serializer):
    team = UnitRef()
    check = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=AlignmentCheck.State.choices)
    score = serializers.FloatField(allow_null=True)
    region = serializers.CharField()
    cells = Cell(
        many=True, help_text=gettext_lazy("The team's fit on each objective of the results.")
    )


class CheckSerializer(serializers.ModelSerializer):
    cycle = CycleRef()
    unit = UnitRef()
    is_late = serializers.BooleanField()
    updated_by = UserRef(allow_null=True)

    class Meta:
        model = AlignmentCheck
        fields = [
            "id",
            "cycle",
            "unit",
            "state",
            "version",
            "updated_at",
            "updated_by",
            "submitted_at",
            "is_late",
        ]


class Scores(serializers.Serializer):
    """A score per lever: 1 to 5, 0 not applicable, null not scored yet."""

    def get_fields(self):
        return {
            lever: serializers.IntegerField(
                min_value=0, max_value=5, allow_null=True, required=False
            )
            for lever in LEVERS
        }


class CheckItemSerializer(serializers.ModelSerializer):
    objective = ObjectiveRef()
    scores = serializers.SerializerMethodField()

    class Meta:
        model = CheckItem
        fields = ["id", "objective", "is_extra", "scores", "evidence", "blockers"]

    @extend_schema_field(Scores)
    def get_scores(self, item) -> dict:
        return item.lever_scores()


class CheckCommitment(serializers.Serializer):
    id = serializers.IntegerField()
    objective = serializers.IntegerField(source="objective_id")
    lever = serializers.CharField()
    statement = serializers.CharField()
    status = serializers.ChoiceField(choices=Commitment.Status.choices)


class CheckDetailSerializer(CheckSerializer):
    items = CheckItemSerializer(many=True, source="items_read")
    commitments = CheckCommitment(many=True, source="team_commitments")

    class Meta(CheckSerializer.Meta):
        fields = [*CheckSerializer.Meta.fields, "items", "commitments"]


class ItemChange(serializers.Serializer):
    id = serializers.IntegerField(
        help_text=gettext_lazy("The item's id, from the check's `items`.")
    )
    scores = Scores(required=False)
    evidence = serializers.CharField(required=False, allow_blank=True)
    blockers = serializers.CharField(required=False, allow_blank=True)


class StatusChange(serializers.Serializer):
    id = serializers.IntegerField(
        help_text=gettext_lazy("The commitment's id, from the check's `commitments`.")
    )
    status = serializers.ChoiceField(choices=Commitment.Status.choices)


class CheckReopen(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        help_text=gettext_lazy("Why the check is reopened: kept with the check's history."),
    )


class CheckChange(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=gettext_lazy(
            'The version you read; or send it as If-Match: "<version>" (the ETag).'
        ),
    )
    items = ItemChange(
        many=True,
        required=False,
        help_text=gettext_lazy(
            "Only the items that change; what an item leaves out keeps its value."
        ),
    )
    commitments = StatusChange(many=True, required=False)
    submit = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("Submit the check: every lever needs a score or N/A (0)."),
    )


class ActionSerializer(serializers.ModelSerializer):
    cycle = CycleRef()
    objective = ObjectiveRef(allow_null=True)
    owner = UnitRef()
    created_by = UserRef()
    is_done = serializers.BooleanField()

    class Meta:
        model = Action
        fields = [
            "id",
            "cycle",
            "kind",
            "title",
            "description",
            "objective",
            "owner",
            "due_on",
            "agenda_item",
            "created_by",
            "created_at",
            "completed_at",
            "is_done",
        ]


class SignalSerializer(serializers.ModelSerializer):
    class Meta:
        model = StoredSignal
        fields = [
            "order",
            "kind",
            "label",
            "subject",
            "reason",
            "link",
            "team",
            "objective",
            "region",
            "flagged",
        ]


class EndpointRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.URLField()


class ChannelRef(serializers.Serializer):
    """A chat channel, without its URL (a secret: whoever holds it may post to the channel)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id", allow_null=True)


class DeliverySerializer(serializers.ModelSerializer):
    """An email (to a recipient), a webhook request (to an endpoint) or a chat message (to a
    Slack or Teams channel), each about one thing."""

    cycle = CycleRef(allow_null=True)
    recipient = UserRef(allow_null=True)
    endpoint = EndpointRef(allow_null=True)
    channel = ChannelRef(allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "cycle",
            "recipient",
            "endpoint",
            "channel",
            "kind",
            "step",
            "state",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sent_at",
        ]


class Me(serializers.Serializer):
    user = UserRef()
    roles = serializers.ListField(child=serializers.CharField())
    heads = UnitRef(many=True, help_text=gettext_lazy("The teams you head."))
    token = serializers.DictField(
        allow_null=True,
        help_text=gettext_lazy("The token this request came with: name, scope, expires_at."),
    )
