"""What drf-spectacular cannot read from the code alone: the token scheme, and the problem
details (api/problems.py) that any operation may answer with."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.problems import MEDIA_TYPE


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": gettext(
                "A personal access token, made on your profile page: "
                "`Authorization: Bearer ar_…`. It acts as you, within its scope (read, or read "
                "and write), until it expires or you revoke it."
            ),
        }


PROBLEM = {
    "type": "object",
    "description": gettext_lazy("Problem details (RFC 9457)."),
    "properties": {
        "type": {"type": "string", "description": gettext_lazy("`about:blank`, or the link to "
                 "the problem type's section of the API's help page.")},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": gettext_lazy("Each mistake of the request and where it is: a JSON "
            "pointer into the body, a query parameter or a header."),
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                    "header": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["detail"],
            },
        },
        "current_version": {
            "type": "integer",
            "description": gettext_lazy("stale-version: the version stored now."),
        },
    },
    "required": ["type", "title", "status", "detail"],
}  # fmt: skip


def add_problem_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the Problem schema, and every operation's 4XX answers as one."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    problem = {
        "description": gettext("The request was refused: see the problem's detail and errors."),
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in [c for c in responses if str(c).startswith("4")]:
                if MEDIA_TYPE not in responses[code].get("content", {}):
                    del responses[code]
            responses.setdefault("4XX", problem)
    return result
