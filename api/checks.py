"""Alignment checks over the API, read as the check page reads them."""

from __future__ import annotations

from django.http import Http404
from rest_framework.response import Response

from api import serializers as s
from reviews.models import AlignmentCheck
from strategy import roles
from strategy.models import Commitment

sees_every_check = roles.is_executive | roles.is_admin


def visible_checks(user):
    """The checks reviews.view_check lets the user read: every team's for executives and
    admins, their own teams' for heads, none for anyone else."""
    checks = AlignmentCheck.objects.select_related("cycle", "unit", "updated_by").defer(
        "cycle__snapshot"
    )
    if sees_every_check(user):
        return checks
    return checks.filter(unit_id__in=roles.headed_unit_ids(user))


def check_for_user(request, check: AlignmentCheck) -> AlignmentCheck:
    # As the page: a check the user may not read is not found.
    if not request.user.has_perm("reviews.view_check", check):
        raise Http404
    return check


def etag(check: AlignmentCheck) -> str:
    return f'"{check.version}"'


def check_response(check: AlignmentCheck) -> Response:
    """The check with its items and the statuses of the team's commitments they concern, and
    its version as the ETag."""
    items = list(check.items.select_related("objective"))
    check.items_read = items
    check.team_commitments = list(
        Commitment.objects.filter(
            unit_id=check.unit_id, objective_id__in=[i.objective_id for i in items]
        ).order_by("objective__order", "objective_id", "lever", "pk")
    )
    response = Response(s.CheckDetailSerializer(check).data)
    response["ETag"] = etag(check)
    return response
