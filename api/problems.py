"""Errors as problem details (RFC 9457): every refusal of the API is a JSON object with its
`type`, `title`, `status` and `detail`, and where the request had mistakes, `errors` naming
each one's place (a JSON pointer into the body, a query parameter or a header).

The `type` of a problem the API defines is a link to its section of the API's help page
(docs/api.md, "Problems"); the HTTP errors that need no more explanation are `about:blank`,
titled with their status's phrase.
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

MEDIA_TYPE = "application/problem+json"

# The problems the API defines: slug → title. docs/api.md describes each under "Problems".
TYPES = {
    "invalid-request": gettext_lazy("Your request is not valid"),
    "not-saved": gettext_lazy("Nothing was saved"),
    "stale-version": gettext_lazy("Changed since you read it"),
    "precondition-required": gettext_lazy("Say which version you change"),
    "value-changed": gettext_lazy("A value changed since you read it"),
    "idempotency-key-reused": gettext_lazy("This Idempotency-Key was used for another request"),
}


def type_uri(slug: str) -> str:
    return f"{settings.SITE_URL}/reviews/help/api/#{slug}"


class Problem(exceptions.APIException):
    """A refusal of the API's own: `slug` of TYPES, with the detail and any extra members
    (`current_version`…) the client needs to act on it."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: list[dict] | None = None,
        **extra,
    ):
        super().__init__(detail)
        self.slug, self.status_code, self.errors, self.extra = slug, status_code, errors, extra


class InvalidParameters(exceptions.ValidationError):
    """Query parameters that are not valid (a filter's, say): their errors name the parameter,
    not a place in the body."""


class InvalidHeaders(exceptions.ValidationError):
    """Request headers that are not valid (an Idempotency-Key too long, say)."""


def _pointer(path: list) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "#/" + "/".join(parts) if parts else "#"


def field_errors(detail, path: list | None = None, *, where: str = "pointer") -> list[dict]:
    """A ValidationError's nested detail as a flat list of {where: place, "detail": message}."""
    path = path or []
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            inner = path if key == api_settings.NON_FIELD_ERRORS_KEY else [*path, key]
            found += field_errors(value, inner, where=where)
        return found
    if isinstance(detail, list):
        if all(isinstance(d, str) for d in detail):
            return [_error(path, str(d), where) for d in detail]
        found = []
        for index, value in enumerate(detail):
            if isinstance(value, str):
                found.append(_error(path, value, where))
            elif value:  # a list of items: the empty dicts are the valid ones
                found += field_errors(value, [*path, index], where=where)
        return found
    return [_error(path, str(detail), where)]


def _error(path: list, message: str, where: str) -> dict:
    if where == "pointer":
        return {"pointer": _pointer(path), "detail": message}
    return {where: ".".join(str(p) for p in path), "detail": message}


def problem_body(*, status_code: int, detail: str, slug: str = "", instance: str = "", **extra):
    body = {
        "type": type_uri(slug) if slug else "about:blank",
        "title": str(TYPES[slug]) if slug else HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    return body | {k: v for k, v in extra.items() if v is not None}


def problem_response(request, *, status_code: int, detail: str, slug: str = "", **extra):
    body = problem_body(
        status_code=status_code,
        detail=detail,
        slug=slug,
        instance=request.get_full_path() if request is not None else "",
        **extra,
    )
    return Response(body, status=status_code, content_type=MEDIA_TYPE)


def exception_handler(exc, context):
    """REST_FRAMEWORK's EXCEPTION_HANDLER: DRF's answer (its status and headers, such as a
    throttle's Retry-After), with a problem details body."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500
    request = context.get("request")
    if isinstance(exc, Problem):
        body = problem_body(
            status_code=exc.status_code,
            detail=str(exc.detail),
            slug=exc.slug,
            instance=request.get_full_path() if request else "",
            errors=exc.errors,
            **exc.extra,
        )
    elif isinstance(exc, exceptions.ValidationError):
        where = "pointer"
        if isinstance(exc, InvalidParameters):
            where = "parameter"
        elif isinstance(exc, InvalidHeaders):
            where = "header"
        errors = field_errors(exc.detail, where=where)
        count = len(errors)
        body = problem_body(
            status_code=response.status_code,
            detail=ngettext(
                "%(count)s mistake in the request: see `errors`.",
                "%(count)s mistakes in the request: see `errors`.",
                count,
            )
            % {"count": count},
            slug="invalid-request",
            instance=request.get_full_path() if request else "",
            errors=errors,
        )
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        body = problem_body(
            status_code=response.status_code,
            detail=str(detail),
            instance=request.get_full_path() if request else "",
        )
    response.data = body
    response.content_type = MEDIA_TYPE
    return response
