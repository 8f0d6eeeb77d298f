"""Alignment checks over the API: read as the check page reads them, written through the same
form and service as the page's save (reviews.forms.CheckForm, reviews.services.check_save), so
the same rules and the same version check hold: an API save never overwrites a page's save
made since the version it read, nor the reverse."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from api import serializers as s
from api.problems import InvalidHeaders, Problem
from reviews import services
from reviews.forms import CheckForm
from reviews.models import LEVERS, AlignmentCheck
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


def _if_match(request) -> int | None:
    """The version an If-Match header names (the check's ETag), None without one."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidHeaders({"If-Match": [_('Give the check\'s ETag, such as "3".')]})
    return int(value)


def _form_data(check: AlignmentCheck, change: dict, version: int) -> tuple[dict, dict]:
    """The check as its page would post it: the stored values, with the change over them.
    Returns the data and, for each posted item's form prefix, its index in the change."""
    items = {item.pk: item for item in check.items.all()}
    data = {"version": str(version)}
    for item in items.values():
        prefix = f"item-{item.pk}"
        for lever in LEVERS:
            score = getattr(item, f"score_{lever}")
            data[f"{prefix}-score_{lever}"] = "" if score is None else str(score)
        data[f"{prefix}-evidence"], data[f"{prefix}-blockers"] = item.evidence, item.blockers
    unknown, where = [], {}
    for index, entry in enumerate(change.get("items", [])):
        if entry["id"] not in items:
            unknown.append((f"items/{index}/id", _("This is not an item of this check.")))
            continue
        prefix = f"item-{entry['id']}"
        where[prefix] = index
        for lever, score in entry.get("scores", {}).items():
            data[f"{prefix}-score_{lever}"] = "" if score is None else str(score)
        for field in ("evidence", "blockers"):
            if field in entry:
                data[f"{prefix}-{field}"] = entry[field]
    for entry in change.get("commitments", []):
        data[f"commitment-{entry['id']}-status"] = entry["status"]
    if change.get("submit"):
        data["submit"] = "on"
    if unknown:
        raise Problem(
            "invalid-request",
            _("The request names items that are not this check's."),
            errors=[{"pointer": f"#/{p}", "detail": d} for p, d in unknown],
        )
    return data, where


def _form_errors(form: CheckForm, where: dict, change: dict) -> list[dict]:
    errors = []
    for item_form in form.item_forms:
        index = where.get(item_form.prefix)
        for field, messages in item_form.errors.items():
            place = (
                f"scores/{field.removeprefix('score_')}" if field.startswith("score_") else field
            )
            # A stored value the form refuses, in an item the request left out: the items.
            path = f"items/{index}/{place}" if index is not None else "items"
            errors += [{"pointer": f"#/{path}", "detail": m} for m in messages]
    positions = {entry["id"]: i for i, entry in enumerate(change.get("commitments", []))}
    for status_form in form.status_forms:
        index = positions.get(status_form.commitment.pk)
        for messages in status_form.errors.values():
            errors += [{"pointer": f"#/commitments/{index}/status", "detail": m} for m in messages]
    return errors


def _stale(exc: services.StaleCheck, *, version: int, by_header: bool) -> Problem:
    saved = exc.check
    who = (
        (saved.updated_by.get_full_name() or saved.updated_by.username) if saved.updated_by else ""
    )
    when = (
        timezone.localtime(saved.updated_at).strftime("%Y-%m-%d %H:%M") if saved.updated_at else ""
    )
    if who and when:
        detail = _(
            "The check was saved by %(who)s at %(when)s since version %(version)s, which you "
            "read: nothing was saved. Read it again (version %(current)s) and send your change "
            "again."
        )
    elif who:
        detail = _(
            "The check was saved by %(who)s since version %(version)s, which you read: nothing "
            "was saved. Read it again (version %(current)s) and send your change again."
        )
    elif when:
        detail = _(
            "The check was saved at %(when)s since version %(version)s, which you read: nothing "
            "was saved. Read it again (version %(current)s) and send your change again."
        )
    else:
        detail = _(
            "The check was saved since version %(version)s, which you read: nothing was saved. "
            "Read it again (version %(current)s) and send your change again."
        )
    named = {"who": who, "when": when, "version": version, "current": saved.version}
    return Problem(
        "stale-version",
        detail % named,
        status_code=status.HTTP_412_PRECONDITION_FAILED if by_header else status.HTTP_409_CONFLICT,
        current_version=saved.version,
    )


def check_change(request, check: AlignmentCheck) -> Response:
    """PATCH a check: the changes of the body over what is stored, saved as the page saves."""
    roles.require(request, "reviews.edit_check", check)
    body = s.CheckChange(data=request.data)
    body.is_valid(raise_exception=True)
    change = body.validated_data
    header_version = _if_match(request)
    version = change.get("version", header_version)
    if version is None:
        raise Problem(
            "precondition-required",
            _(
                'Say which version of the check you change: its ETag as If-Match: "<version>", '
                "or `version` in the body."
            ),
            status_code=status.HTTP_428_PRECONDITION_REQUIRED,
        )
    if header_version is not None and version != header_version:
        raise InvalidHeaders(
            {"If-Match": [_("It names another version than the body's `version`.")]}
        )
    data, where = _form_data(check, change, version)
    form = CheckForm(data, check=check)
    posted = {entry["id"] for entry in change.get("commitments", [])}
    known = {f.commitment.pk for f in form.status_forms}
    if posted - known:
        raise Problem(
            "invalid-request",
            _("The request names commitments that are not this check's."),
            errors=[
                {"pointer": f"#/commitments/{i}/id", "detail": _("Not a commitment of this check.")}
                for i, entry in enumerate(change.get("commitments", []))
                if entry["id"] not in known
            ],
        )
    if not form.is_valid():
        raise Problem(
            "invalid-request",
            _("Some values are not valid: see `errors`."),
            errors=_form_errors(form, where, change),
        )
    try:
        saved = services.check_save(check=check, by=request.user, **form.save_arguments())
    except services.StaleCheck as exc:
        raise _stale(exc, version=version, by_header=header_version is not None) from None
    except ValidationError as exc:
        raise Problem("not-saved", " ".join(exc.messages)) from None
    # The service's copy of the check as saved: its cycle and team come with it.
    return check_response(saved)


def check_reopen(request, check: AlignmentCheck) -> Response:
    """POST reopen: as the check page's Reopen button, for those who run the reviews."""
    roles.require(request, "reviews.run_reviews")
    body = s.CheckReopen(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        reopened = services.check_reopen(
            check=check, by=request.user, reason=body.validated_data["reason"]
        )
    except ValidationError as exc:
        raise Problem("not-saved", " ".join(exc.messages)) from None
    return check_response(reopened)
