"""The endpoints of /api/v1/ (docs/api.md): each reads what the matching page shows, to the
people the page shows it to, through the same querysets, rules and services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.models import AccessToken
from strategy import roles
from strategy.models import Unit


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
