"""The filters of the API's lists (django-filter): ?name=value, each as the list's docs say."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
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


class IntegerFilter(filters.NumberFilter):
    """A whole number: django-filter's NumberFilter takes 0.5 for an integer field."""

    field_class = forms.IntegerField


class _Boolean(forms.Field):
    WORDS = {"true": True, "false": False, "True": True, "False": False, "1": True, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value not in self.WORDS:
            raise forms.ValidationError(gettext("true or false."), code="invalid")
        return self.WORDS[value]


class BooleanFilter(filters.BooleanFilter):
    """true or false: django-filter's takes any other word as no filter at all."""

    field_class = _Boolean

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """Integers as whole numbers and booleans as true or false, refusing anything else."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **{
            field: {"filter_class": IntegerFilter}
            for field in (
                models.IntegerField,
                models.SmallIntegerField,
                models.BigIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
            )
        },
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose refusals name the query parameters (problem details)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        # django-filter takes `?state=` as no filter; the description asks for a value.
        empty = [n for n in filterset.filters if request.query_params.get(n, None) == ""]
        if empty:
            message = [gettext("Give a value, or leave the parameter out.")]
            raise InvalidParameters({name: message for name in empty})
        if not filterset.is_valid():
            errors = filterset.errors.get_json_data()
            raise InvalidParameters(
                {name: [e["message"] for e in found] for name, found in errors.items()}
            )
        return filterset.qs


class PositionFilter(FilterSet):
    class Meta:
        model = StrategicPosition
        fields = ["status", "is_current"]


class ObjectiveFilter(FilterSet):
    position = IntegerFilter(field_name="position__fiscal_year", label=gettext_lazy("fiscal year"))
    theme = filters.ChoiceFilter(choices=Theme.choices)
    retired = BooleanFilter(field_name="retired_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Objective
        fields = ["position", "theme", "retired", "owner"]


class MeasureFilter(FilterSet):
    fiscal_year = IntegerFilter(field_name="objective__position__fiscal_year")
    reporting_team = filters.CharFilter(
        field_name="reporting_team__code", label=gettext_lazy("team code")
    )

    class Meta:
        model = Measure
        fields = ["objective", "fiscal_year", "reporting_team", "frequency"]


class MeasureActualFilter(FilterSet):
    reporting_team = filters.CharFilter(field_name="measure__reporting_team__code")
    objective = IntegerFilter(field_name="measure__objective")
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


class UnitFilter(FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label=gettext_lazy("parent's code"))
    root = BooleanFilter(field_name="parent", lookup_expr="isnull", label=gettext_lazy("top level"))

    class Meta:
        model = Unit
        fields = ["code", "level", "kind", "is_active", "parent", "root"]


class MembershipFilter(FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label=gettext_lazy("unit's code"))
    user = filters.CharFilter(field_name="user__username", label=gettext_lazy("username"))

    class Meta:
        model = Membership
        fields = ["unit", "user", "role"]


class CommitmentFilter(FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label=gettext_lazy("unit's code"))
    fiscal_year = IntegerFilter(field_name="objective__position__fiscal_year")
    lever = filters.ChoiceFilter(choices=Lever.choices)
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    open = BooleanFilter(method="filter_open", label=gettext_lazy("not done nor dropped"))

    class Meta:
        model = Commitment
        fields = ["unit", "objective", "fiscal_year", "status", "lever", "due_before", "due_after"]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


class CycleFilter(FilterSet):
    class Meta:
        model = ReviewCycle
        fields = ["kind", "state", "fiscal_year", "quarter"]


class CheckFilter(FilterSet):
    unit = filters.CharFilter(field_name="unit__code", label=gettext_lazy("team's code"))
    late = BooleanFilter(
        method="filter_late", label=gettext_lazy("submitted after, or not by, the due date")
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


class ActionFilter(FilterSet):
    owner = filters.CharFilter(field_name="owner__code", label=gettext_lazy("owner team's code"))
    open = BooleanFilter(field_name="completed_at", lookup_expr="isnull")

    class Meta:
        model = Action
        fields = ["cycle", "kind", "objective", "owner", "open"]


class SignalFilter(FilterSet):
    class Meta:
        model = StoredSignal
        fields = ["kind", "team", "objective", "region", "flagged"]


class DeliveryFilter(FilterSet):
    recipient = filters.CharFilter(field_name="recipient__username", label=gettext_lazy("username"))

    class Meta:
        model = Delivery
        fields = ["cycle", "state", "kind", "recipient", "endpoint", "channel"]
