"""The endpoints of /api/v1/ (docs/api.md): each reads what the matching page shows, to the
people the page shows it to, through the same querysets, rules and services."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from api import checks, filters, permissions, upserts
from api import serializers as s
from api.models import AccessToken
from api.problems import InvalidParameters
from notifications.models import Delivery
from reviews import standings
from reviews.models import Action, AlignmentCheck, ReviewCycle
from strategy import roles
from strategy.models import (
    Commitment,
    Measure,
    MeasureActual,
    Membership,
    Objective,
    StrategicPosition,
    Unit,
)
from sustain.models import StoredSignal

PROBLEM = OpenApiResponse(description=gettext_lazy("Problem details (RFC 9457)."))


def _positions(request):
    """The positions the user sees: drafts only for those who see drafts."""
    return StrategicPosition.objects.visible_to(request.user)


def _measures():
    return Measure.objects.select_related("reporting_team")


def _objectives():
    measures = Prefetch("measures", queryset=_measures())
    return Objective.objects.select_related("position", "owner").prefetch_related(measures)


class ReadOnly(viewsets.ReadOnlyModelViewSet):
    """A list (paginated, filtered, ordered) and its items, read-only."""

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the code
            return self.model.objects.none()
        return self.visible()

    def visible(self):
        raise NotImplementedError


# --- The strategy ----------------------------------------------------------------------------


class PositionViewSet(ReadOnly):
    """Strategic positions, each with its themes, customer priorities, competitors, objectives
    and their measures. Drafts only for executives and admins, as on the pages."""

    model = StrategicPosition
    serializer_class = s.PositionSerializer
    lookup_field = "fiscal_year"
    lookup_value_converter = "int"
    filterset_class = filters.PositionFilter
    ordering_fields = ["fiscal_year"]
    ordering = ["-fiscal_year"]

    def visible(self):
        return _positions(self.request).prefetch_related(
            "themes", "priorities", "competitors", Prefetch("objectives", queryset=_objectives())
        )


class ObjectiveViewSet(ReadOnly):
    """Objectives of the positions the user sees, with their measures."""

    model = Objective
    serializer_class = s.ObjectiveSerializer
    lookup_value_converter = "int"
    filterset_class = filters.ObjectiveFilter
    ordering_fields = ["order", "id", "priority_weight", "title"]
    ordering = ["position__fiscal_year", "order", "id"]

    def visible(self):
        return _objectives().filter(position__in=_positions(self.request))


class MeasureViewSet(ReadOnly):
    model = Measure
    serializer_class = s.MeasureSerializer
    lookup_value_converter = "int"
    filterset_class = filters.MeasureFilter
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def visible(self):
        return _measures().filter(objective__position__in=_positions(self.request))


class MeasureActualViewSet(ReadOnly):
    """The values the measures reached, one per period: read by whoever sees the measure;
    written in bulk by those who enter them (`bulk`)."""

    model = MeasureActual
    serializer_class = s.MeasureActualSerializer
    lookup_value_converter = "int"
    filterset_class = filters.MeasureActualFilter
    ordering_fields = ["entered_at", "fiscal_year", "period", "measure", "id"]
    ordering = ["measure", "fiscal_year", "period"]

    def visible(self):
        # alignment.view_measure_actuals (roles.sees_measure): the measure's position is seen.
        return MeasureActual.objects.select_related("measure", "entered_by").filter(
            measure__objective__position__in=_positions(self.request)
        )

    @extend_schema(
        request=s.ValuesUpsert,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description=gettext_lazy(
                    "Your name for this request (at most 120 characters): sent again "
                    "with the same body, it is answered as the first time and writes nothing."
                ),
            )
        ],
        responses={200: s.UpsertResult, 409: PROBLEM},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Record or correct many values at once, all of them or none: by measure, fiscal year
        and period. The same rules as the pages: the measure's team's head (or an executive)
        enters its values, in a published strategy, for an objective not retired."""
        return upserts.bulk_upsert(request)


# --- The organisation ------------------------------------------------------------------------


def _units():
    head, member = Membership.Role.HEAD, Membership.Role.MEMBER
    return Unit.objects.select_related("parent").annotate(
        children_count=Count("children", distinct=True),
        head_count=Count("memberships", filter=Q(memberships__role=head), distinct=True),
        member_count=Count("memberships", filter=Q(memberships__role=member), distinct=True),
    )


class UnitViewSet(ReadOnly):
    """Business units and functional teams. The list is the whole organisation, as its page
    shows it to everyone; a unit's own page (its people, its commitments) is for those who may
    open it (alignment.view_unit)."""

    model = Unit
    serializer_class = s.UnitSerializer
    lookup_field = "code"
    lookup_value_converter = "slug"
    filterset_class = filters.UnitFilter
    ordering_fields = ["name", "code", "id"]
    ordering = ["name", "id"]

    def visible(self):
        if self.action == "retrieve":
            # Four levels of parents read with the unit, for its ancestors.
            parents = "__".join(["parent"] * 4)
            return (
                _units()
                .filter(pk__in=Unit.objects.visible_to(self.request.user).values("pk"))
                .select_related(parents)
                .prefetch_related(Prefetch("children", Unit.objects.order_by("name")))
            )
        return _units()

    def get_serializer_class(self):
        return s.UnitDetailSerializer if self.action == "retrieve" else s.UnitSerializer

    @extend_schema(responses=s.UnitNode(many=True), filters=False, parameters=[])
    @action(detail=False, pagination_class=None, filter_backends=[])
    def tree(self, request):
        """The whole organisation as a tree, in one answer: the top-level units, each with its
        children, by name (what the organisation page shows, unpaginated like it)."""
        fields = ("id", "code", "name", "level", "kind", "is_active", "parent_id")
        units = list(Unit.objects.order_by("name").values(*fields))
        nodes = {u["id"]: {**u, "children": []} for u in units}
        roots = []
        for node in nodes.values():
            parent = nodes.get(node.pop("parent_id"))
            (parent["children"] if parent else roots).append(node)
        return Response(roots)


class MembershipViewSet(ReadOnly):
    """Who is in which unit, as head or member: for the units the user may open."""

    model = Membership
    serializer_class = s.MembershipSerializer
    lookup_value_converter = "int"
    filterset_class = filters.MembershipFilter
    ordering_fields = ["id", "role"]
    ordering = ["unit__name", "role", "user__username"]

    def visible(self):
        units = Unit.objects.visible_to(self.request.user).values("pk")
        return Membership.objects.select_related("unit", "user").filter(unit__in=units)


class CommitmentViewSet(ReadOnly):
    """What teams commit to, for the units the user may open."""

    model = Commitment
    serializer_class = s.CommitmentSerializer
    lookup_value_converter = "int"
    filterset_class = filters.CommitmentFilter
    ordering_fields = ["due_on", "id", "updated_at"]
    ordering = ["unit__name", "objective__order", "objective_id", "lever", "due_on", "id"]

    def visible(self):
        units = Unit.objects.visible_to(self.request.user).values("pk")
        return Commitment.objects.select_related("unit", "objective__position").filter(
            unit__in=units
        )


# --- Reviews ---------------------------------------------------------------------------------


class TeamResultsQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=200, default=50)
    state = serializers.ChoiceField(
        choices=[*AlignmentCheck.State.values, standings.UNSUBMITTED], required=False
    )
    q = serializers.CharField(
        max_length=120, required=False, help_text=gettext_lazy("Part of a team's name.")
    )
    region = serializers.IntegerField(
        required=False, help_text=gettext_lazy("A business unit's id.")
    )
    ordering = serializers.ChoiceField(choices=list(standings.SORTS), default="name")


class CycleViewSet(ReadOnly):
    """Review cycles with their index and their results: frozen once closed, as they stand
    while they run. For executives and admins (reviews.view_cycles)."""

    model = ReviewCycle
    serializer_class = s.CycleSerializer
    lookup_value_converter = "int"
    permission_classes = [
        permissions.SignedIn,
        permissions.TokenScope,
        permissions.rule("reviews.view_cycles"),
    ]
    filterset_class = filters.CycleFilter
    ordering_fields = ["fiscal_year", "quarter", "opens_on", "id"]
    ordering = ["-fiscal_year", "-quarter", "-opens_on"]

    def visible(self):
        fields = ("kind", "fiscal_year", "quarter", "state", "opens_on", "due_on", "opened_at")
        return (
            standings.cycle_rows()
            .only(*fields, "closed_at", "position")
            .annotate(position_year=F("position__fiscal_year"))
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        standings.add_live_index(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        cycle = self.get_object()
        standings.add_live_index([cycle])
        return Response(self.get_serializer(cycle).data)

    @extend_schema(responses=s.CycleResults, filters=False)
    @action(detail=True, filter_backends=[])
    def results(self, request, pk=None):
        """The index and the objectives' scores, and how many checks are in."""
        cycle = self.get_object()
        current = standings.summary(cycle)
        data = {
            "cycle": cycle,
            "is_frozen": cycle.is_closed,
            "index": current["index"],
            "completion": standings.completion(cycle),
            "objectives": current["objectives"],
        }
        return Response(s.CycleResults(data).data)

    @extend_schema(
        parameters=[TeamResultsQuery],
        filters=False,
        responses=inline_serializer(
            "PaginatedTeamResultList",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": s.TeamResult(many=True),
            },
        ),
    )
    @action(detail=True, url_path="results/teams", filter_backends=[], pagination_class=None)
    def team_results(self, request, pk=None):
        """Each team's fit, and its fit on each objective (`cells`, in the order of the
        results' objectives): a page of teams, grouped by region as on the heatmap."""
        query = TeamResultsQuery(data=request.query_params)
        if not query.is_valid():
            raise InvalidParameters(query.errors)
        params = query.validated_data
        cycle = self.get_object()
        current = standings.summary(cycle)
        filters_ = {k: params.get(k) for k in ("state", "q", "region")}
        teams = standings.team_page(
            cycle,
            current,
            total=standings.completion(cycle)["total"],
            filters=filters_ | {"sort": params["ordering"]},
            page_number=params["page"],
            per_page=params["page_size"],
        )
        objective_ids = [o["id"] for o in current["objectives"]]
        results = [
            {
                "team": row["team"],
                "check": row["check_id"],
                "state": row["team"]["state"],
                "score": row["team"]["score"],
                "region": row["region"],
                "cells": [
                    {"objective": o, "score": c["score"]}
                    for o, c in zip(objective_ids, row["cells"], strict=True)
                ],
            }
            for row in teams.rows
        ]
        page = teams.page
        url = request.build_absolute_uri()
        return Response(
            {
                "count": teams.matching,
                "next": replace_query_param(url, "page", page.next_page_number())
                if page.has_next()
                else None,
                "previous": (
                    remove_query_param(url, "page")
                    if page.previous_page_number() == 1
                    else replace_query_param(url, "page", page.previous_page_number())
                )
                if page.has_previous()
                else None,
                "results": s.TeamResult(results, many=True).data,
            }
        )


class CheckViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Alignment checks: executives and admins read every team's, a head reads and writes their
    own team's (reviews.view_check, reviews.edit_check), with the version check of the page."""

    serializer_class = s.CheckSerializer
    lookup_value_converter = "int"
    filterset_class = filters.CheckFilter
    ordering_fields = ["id", "submitted_at", "updated_at", "unit__name"]
    ordering = ["-cycle__fiscal_year", "-cycle__quarter", "unit__name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AlignmentCheck.objects.none()
        return checks.visible_checks(self.request.user)

    def get_serializer_class(self):
        return s.CheckDetailSerializer if self.action == "retrieve" else s.CheckSerializer

    def retrieve(self, request, *args, **kwargs):
        check = checks.check_for_user(request, self.get_object())
        return checks.check_response(check)

    @extend_schema(
        request=s.CheckChange,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=gettext_lazy(
                    'The check\'s ETag ("<version>"), or its `version` in the body.'
                ),
            )
        ],
        responses={200: s.CheckDetailSerializer, 409: PROBLEM, 412: PROBLEM, 428: PROBLEM},
    )
    def partial_update(self, request, *args, **kwargs):
        """Change the scores, evidence and blockers of items, the statuses of the team's
        commitments, or submit: as the check page saves it, refused if anyone saved the check
        since the version you read (409, or 412 with If-Match)."""
        check = checks.check_for_user(request, self.get_object())
        return checks.check_change(request, check)

    @extend_schema(request=s.CheckReopen, responses={200: s.CheckDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, *args, **kwargs):
        """Reopen a submitted check so that its head can change it again, with the reason kept
        in its history: for executives, as on the check page. Reopening a check not submitted
        changes nothing; a check of a closed cycle stays frozen (400, not-saved)."""
        check = checks.check_for_user(request, self.get_object())
        return checks.check_reopen(request, check)


class ActionViewSet(ReadOnly):
    """Decisions and corrective actions of the reviews: for executives and admins."""

    model = Action
    serializer_class = s.ActionSerializer
    lookup_value_converter = "int"
    permission_classes = [
        permissions.SignedIn,
        permissions.TokenScope,
        permissions.rule("reviews.view_cycles"),
    ]
    filterset_class = filters.ActionFilter
    ordering_fields = ["due_on", "created_at", "completed_at", "id"]
    ordering = ["completed_at", "due_on", "id"]

    def visible(self):
        return (
            Action.objects.select_related("cycle", "objective", "owner", "created_by")
            .defer("cycle__snapshot")
            .order_by(*self.ordering)
        )

    @extend_schema(request=None, responses={200: s.ActionSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, *args, **kwargs):
        """Mark the action done, as the cycle page's Done button: for executives
        (reviews.run_reviews). Completing it again keeps the first completion time."""
        roles.require(request, "reviews.run_reviews")
        done = self.get_object()
        done.complete()
        return Response(s.ActionSerializer(done).data)


class SignalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The sustained-alignment signals of the stored board (docs/signals.md): all of them for
    executives and admins (reviews.view_signals), their own teams' for heads
    (reviews.view_team_signals). A list only: each refresh of the board rewrites its signals."""

    serializer_class = s.SignalSerializer
    filterset_class = filters.SignalFilter
    ordering_fields = ["order"]
    ordering = ["order"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StoredSignal.objects.none()
        user = self.request.user
        if user.has_perm("reviews.view_signals"):
            return StoredSignal.objects.all()
        if not roles.is_head(user):
            roles.require(self.request, "reviews.view_signals")
        return StoredSignal.objects.filter(team__in=roles.headed_unit_ids(user))


class DeliveryViewSet(ReadOnly):
    """The emails and webhook requests the product sends and their state: for admins
    (reviews.view_operations)."""

    model = Delivery
    serializer_class = s.DeliverySerializer
    lookup_value_converter = "int"
    permission_classes = [
        permissions.SignedIn,
        permissions.TokenScope,
        permissions.rule("reviews.view_operations"),
    ]
    filterset_class = filters.DeliveryFilter
    ordering_fields = ["created_at", "next_attempt_at", "id"]
    ordering = ["-created_at", "-id"]

    def visible(self):
        return Delivery.objects.select_related("cycle", "recipient", "endpoint", "channel").defer(
            "cycle__snapshot", "payload", "endpoint__secret", "channel__url"
        )


class NotFoundView(APIView):
    """Any other address under /api/v1/: not found, answered as problem details like every
    refusal of the API (rather than the pages' HTML)."""

    schema = None  # not an endpoint of the description

    def _not_found(self, request, *args, **kwargs):
        raise NotFound(
            _("There is no %(path)s in the API: its endpoints are at %(schema)s.")
            % {"path": request.path, "schema": reverse("api:schema")}
        )

    get = post = put = patch = delete = _not_found


class MeView(APIView):
    """Who the request acts as: the user, their roles, the teams they head, and the token."""

    @extend_schema(responses=s.Me)
    def get(self, request):
        user = request.user
        names = [
            name
            for name, predicate in (
                ("executive", roles.is_executive),
                ("admin", roles.is_admin),
                ("head", roles.is_head),
            )
            if predicate(user)
        ]
        token = request.auth if isinstance(request.auth, AccessToken) else None
        heads = Unit.objects.filter(pk__in=roles.headed_unit_ids(user)).order_by("name")
        data = {
            "user": user,
            "roles": names,
            "heads": heads,
            "token": {
                "name": token.name,
                "scope": token.scope,
                "expires_at": token.expires_at.isoformat(),
            }
            if token
            else None,
        }
        return Response(s.Me(data).data)
