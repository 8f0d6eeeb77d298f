"""The filters of the API's lists (django-filter): ?name=value, each as the list's docs say."""

from __future__ import annotations

import django_filters as filters
from django.db.models import F, Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend

from api.problems import InvalidParameters
from notifications.models import Delivery
from reviews.models import Action, AlignmentCheck, ReviewCycle
from strategy.models import (
    Commitment,
    Lever,
    Measure,
    MeasureActual,
    Membership,
    Objective,
    StrategicPosition,
    Theme,
    Unit,
)
from sustain.models import StoredSignal


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose refusals name the query parameters (problem details)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            errors = filterset.errors.get_json_data()
            raise InvalidParameters(
                {name: [e["message"] for e in found] for name, found in errors.items()}
            )
        return filterset.qs


class PositionFilter(filters.FilterSet):
    class Meta:
        model = StrategicPosition
        fields = ["status", "is_current"]


class ObjectiveFilter(filters.FilterSet):
    position = filters.NumberFilter(field_name="position__fiscal_year", label="fiscal year")
    theme = filters.ChoiceFilter(choices=Theme.choices)
    retired = filters.BooleanFilter(field_name="retired_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Objective
        fields = ["position", "theme", "retired", "owner"]


class MeasureFilter(filters.FilterSet):
    fiscal_year = filters.NumberFilter(field_name="objective__position__fiscal_year")
    reporting_team = filters.CharFilter(field_name="reporting_team__code", label="team code")

    class Meta:
        model = Measure
        fields = ["objective", "fiscal_year", "reporting_team", "frequency"]


class MeasureActualFilter(filters.FilterSet):
    reporting_team = filters.CharFilter(field_name="measure__reporting_team__code")
    objective = filters.NumberFilter(field_name="measure__objective")
    entered_after = filters.IsoDateTimeFilter(field_name="entered_at", lookup_expr="gte")

    class Meta:
        model = MeasureActual
        fields = [
            "measure",
            "objective",
            "fiscal_year",
            "period",
            "source",
            "reporting_team",
            "entered_after",
        ]


class UnitFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label="parent's code")
    root = filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="top level")

    class Meta:
        model = Unit
        fields = ["code", "level", "kind", "is_active", "parent", "root"]


class MembershipFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label="unit's code")
    user = filters.CharFilter(field_name="user__username", label="username")

    class Meta:
        model = Membership
        fields = ["unit", "user", "role"]


class CommitmentFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label="unit's code")
    fiscal_year = filters.NumberFilter(field_name="objective__position__fiscal_year")
    lever = filters.ChoiceFilter(choices=Lever.choices)
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    open = filters.BooleanFilter(method="filter_open", label="not done nor dropped")

    class Meta:
        model = Commitment
        fields = ["unit", "objective", "fiscal_year", "status", "lever", "due_before", "due_after"]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


class CycleFilter(filters.FilterSet):
    class Meta:
        model = ReviewCycle
        fields = ["kind", "state", "fiscal_year", "quarter"]


class CheckFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label="team's code")
    late = filters.BooleanFilter(
        method="filter_late", label="submitted after, or not by, the due date"
    )

    class Meta:
        model = AlignmentCheck
        fields = ["cycle", "unit", "state", "late"]

    def filter_late(self, queryset, name, value):
        # As AlignmentCheck.is_late says: not submitted and the due date has passed, or
        # submitted on a later day.
        today = timezone.localdate()
        late = Q(submitted_at__isnull=True, cycle__due_on__lt=today) | Q(
            submitted_at__date__gt=F("cycle__due_on")
        )
        return queryset.filter(late) if value else queryset.exclude(late)


class ActionFilter(filters.FilterSet):
    owner = filters.CharFilter(field_name="owner__code", label="owner team's code")
    open = filters.BooleanFilter(field_name="completed_at", lookup_expr="isnull")

    class Meta:
        model = Action
        fields = ["cycle", "kind", "objective", "owner", "open"]


class SignalFilter(filters.FilterSet):
    class Meta:
        model = StoredSignal
        fields = ["kind", "team", "objective", "region", "flagged"]


class DeliveryFilter(filters.FilterSet):
    recipient = filters.CharFilter(field_name="recipient__username", label="username")

    class Meta:
        model = Delivery
        fields = ["cycle", "state", "kind", "recipient", "endpoint", "channel"]
