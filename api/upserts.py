"""Measures' values in bulk over the API (POST /api/v1/measure-actuals/bulk/): every line
checked first, by the pages' rules, then all recorded or none, through
strategy.outcomes.measure_actual_record (source "api"). Idempotent with an Idempotency-Key:
the same key and body again are answered as the first time, and write nothing."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rest_framework import status
from rest_framework.response import Response

from api import serializers as s
from api import services
from api.models import IdempotentRequest
from api.problems import InvalidHeaders, Problem
from strategy import outcomes
from strategy.models import Measure, MeasureActual, StrategicPosition

log = logging.getLogger(__name__)

ENDPOINT = "measure-actuals-bulk"
KEY_MAX_LENGTH = 120
PERMISSION = "alignment.enter_measure_actuals"
CREATED, CHANGED, UNCHANGED = "created", "changed", "unchanged"


class _Answered(Exception):
    """Another request with the same Idempotency-Key was answered first: give its answer."""


def _key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise InvalidHeaders(
            {
                "Idempotency-Key": [
                    _(
                        "Required: your name for this request, so that sending it again (after "
                        "a timeout, say) writes nothing twice."
                    )
                ]
            }
        )
    if len(key) > KEY_MAX_LENGTH:
        raise InvalidHeaders(
            {"Idempotency-Key": [_("At most %(count)s characters.") % {"count": KEY_MAX_LENGTH}]}
        )
    return key


def _replay(kept: IdempotentRequest, digest: str) -> Response:
    if kept.request_digest != digest:
        raise Problem(
            "idempotency-key-reused",
            _(
                "This Idempotency-Key was sent before with another body: use a new key for a new "
                "request."
            ),
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(kept.response, status=kept.status, headers={"Idempotent-Replayed": "true"})


def bulk_upsert(request) -> Response:
    key = _key(request)
    body = s.ValuesUpsert(data=request.data)
    body.is_valid(raise_exception=True)
    digest = services.request_digest(request.data)
    user = request.user
    kept = services.idempotent_answer(user=user, endpoint=ENDPOINT, key=key, now=timezone.now())
    if kept is not None:
        return _replay(kept, digest)
    try:
        with transaction.atomic():
            claim = services.idempotent_claim(user=user, endpoint=ENDPOINT, key=key, digest=digest)
            if claim is None:
                raise _Answered
            result = _record(request, body.validated_data["values"])
            services.idempotent_keep(claim=claim, status=200, response=result)
    except _Answered:
        kept = IdempotentRequest.objects.get(user=user, endpoint=ENDPOINT, key=key)
        return _replay(kept, digest)
    except IntegrityError:
        # The first value of a period, recorded by someone else at the same moment.
        raise Problem(
            "value-changed",
            _(
                "Someone recorded one of these values at the same moment: nothing was saved. Read "
                "the values again, then send your request again."
            ),
            status_code=status.HTTP_409_CONFLICT,
        ) from None
    return Response(result)


def _error(index: int, field: str, message: str) -> dict:
    return {"pointer": f"#/values/{index}/{field}", "detail": message}


def _check(request, lines: list[dict]) -> list[tuple[Measure, outcomes.Period, Decimal]]:
    """Each line's measure, period and value; a Problem naming every line that does not hold."""
    user = request.user
    visible = StrategicPosition.objects.visible_to(user)
    measures = Measure.objects.filter(
        pk__in={line["measure"] for line in lines}, objective__position__in=visible
    ).select_related("objective__position")
    found = {m.pk: m for m in measures}
    refused, invalid, checked, first_line = [], [], [], {}
    for index, line in enumerate(lines):
        measure = found.get(line["measure"])
        if measure is None:
            invalid.append(
                _error(
                    index,
                    "measure",
                    _("There is no measure %(measure)s.") % {"measure": line["measure"]},
                )
            )
            continue
        if not user.has_perm(PERMISSION, measure):
            team = measure.reporting_team_id
            if team:
                message = _("You do not enter its values: its team's head reports it.")
            else:
                message = _("You do not enter its values: no team reports it yet.")
            refused.append(_error(index, "measure", message))
            continue
        refusal = outcomes.measure_entry_refusal(measure)
        year = measure.objective.position.fiscal_year
        if refusal:
            invalid.append(_error(index, "measure", refusal))
            continue
        if line["fiscal_year"] != year:
            invalid.append(
                _error(
                    index,
                    "fiscal_year",
                    _(
                        "Measure %(measure)s is FY%(year)s's: an earlier year's values go to "
                        "that year's measure (this one's `previous`)."
                    )
                    % {"measure": measure.pk, "year": year},
                )
            )
            continue
        problems = {}
        try:
            period = outcomes.Period.parse(
                line["period"], fiscal_year=year, frequency=measure.frequency
            )
        except ValidationError as exc:
            problems["period"] = exc.messages[0]
        for field in ("value", "expected"):
            if line.get(field) is not None:
                try:
                    outcomes.parse_value(line[field])
                except ValidationError as exc:
                    problems[field] = exc.messages[0]
        if problems:
            invalid += [_error(index, f, m) for f, m in problems.items()]
            continue
        where = (measure.pk, period.number)
        earlier = first_line.setdefault(where, index)
        if earlier != index:
            invalid.append(
                _error(
                    index,
                    "period",
                    _("%(period)s of this measure is also line %(line)s.")
                    % {"period": period, "line": earlier},
                )
            )
            continue
        checked.append((measure, period, outcomes.parse_value(line["value"])))
    if refused:
        log.warning("refused %s to %s on %s", PERMISSION, user, request.path)
        raise Problem(
            "",  # about:blank: a 403 says enough
            _("You may not enter some of these values: nothing was saved."),
            status_code=status.HTTP_403_FORBIDDEN,
            errors=refused + invalid,
        )
    if invalid:
        raise Problem("invalid-request", _("Nothing was saved: see `errors`."), errors=invalid)
    return checked


def _record(request, lines: list[dict]) -> dict:
    checked = _check(request, lines)
    wanted = Q()
    for measure, period, _value in checked:
        wanted |= Q(measure_id=measure.pk, fiscal_year=period.fiscal_year, period=period.number)
    # Locked until the end: what a value is compared with (`expected`, the outcome) stays true.
    stored = {
        (a.measure_id, a.period): a
        for a in MeasureActual.objects.select_for_update().filter(wanted)
    }
    changed_meanwhile = []
    for index, (line, (measure, period, _value)) in enumerate(zip(lines, checked, strict=True)):
        if "expected" not in line:
            continue
        before = stored.get((measure.pk, period.number))
        now = before.value if before is not None else None
        expected = outcomes.parse_value(line["expected"]) if line["expected"] is not None else None
        if now != expected:
            shown = pgettext("no value", "none") if now is None else str(now)
            changed_meanwhile.append(
                _error(
                    index, "expected", _("The value stored now is %(value)s.") % {"value": shown}
                )
            )
    if changed_meanwhile:
        raise Problem(
            "value-changed",
            _("Some values were changed since you read them: nothing was saved."),
            status_code=status.HTTP_409_CONFLICT,
            errors=changed_meanwhile,
        )
    counts = {CREATED: 0, CHANGED: 0, UNCHANGED: 0}
    values = []
    for index, (line, (measure, period, value)) in enumerate(zip(lines, checked, strict=True)):
        before = stored.get((measure.pk, period.number))
        was = (before.value, before.comment) if before is not None else None
        actual = outcomes.measure_actual_record(
            measure=measure,
            period=period,
            value=value,
            by=request.user,
            source=MeasureActual.Source.API,
            comment=line.get("comment"),
        )
        outcome = (
            CREATED
            if was is None
            else (UNCHANGED if was == (actual.value, actual.comment) else CHANGED)
        )
        counts[outcome] += 1
        values.append(
            {
                "line": index,
                "measure": measure.pk,
                "fiscal_year": period.fiscal_year,
                "period": period.number,
                "period_code": period.code,
                "value": str(actual.value),
                "outcome": outcome,
            }
        )
    return {**counts, "values": values}
