"""Issue #14: the authorisation matrix over the REST API, every endpoint asked with every method
by every kind of person, as tests/matrix/test_url_matrix.py asks the pages.

Each endpoint below builds its URL from the shared world (tests/matrix/conftest.py), where
everyone has a personal access token that may write. GET holds the answer each person gets, in
the order of PEOPLE (anonymous, outsider, member of A, head of A, head of B, executive, admin);
OTHER the answer to every other method (POST, PUT, PATCH, DELETE) an endpoint does not accept;
WRITES the answers to those it does, with the body each sends. An endpoint of the API that no
row reaches fails the first test.

Every request runs inside a savepoint that is rolled back afterwards, so each answer is given by
the same world. Around each request the test checks that:
  - a GET and any refused request change no row of the project;
  - an accepted write changes something (its body is valid, so a refusal really protected
    something);
  - a refusal (401, 403, 404, 405) is logged, and a 403 of a permission of the rules leaves
    the "refused ..." record of its check.
The same writes are then sent with the browser's session: refused without the CSRF token, and
answered as with a token with it. A read-only token is refused every write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

import pytest
from django.conf import settings
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from api.models import AccessToken
from strategy.models import MeasureActual
from sustain.models import StoredSignal
from tests.factories import MeasureFactory
from tests.matrix.support import PEOPLE, api_endpoint_names, changed_tables, snapshot, undone

pytestmark = pytest.mark.django_db

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
REFUSED = {401, 403, 404, 405, 409, 412, 428}


def r(name: str, *args) -> str:
    return reverse(name, args=args)


def no_body(w, who) -> dict:
    return {}


class Endpoint(NamedTuple):
    url: Callable  # world → URL
    # The methods it accepts besides GET: method → (world, person's user) → the body it sends.
    writes: dict = {}
    headers: Callable = lambda w, who: {}  # (world, user) → the headers its writes send


@pytest.fixture
def world(world):
    """The pages' world, and what only the API's rows need: a value of A's measure, a measure
    of the draft, and a signal about team A."""
    world.actual = MeasureActual.objects.create(
        measure=world.measure, fiscal_year=2026, period=2, value=Decimal("90.5")
    )
    world.draft_measure = MeasureFactory(objective=world.draft_objective)
    world.signal = StoredSignal.objects.create(
        order=99, kind="late", label="Late", subject="Logistics", reason="Late twice",
        team=world.logistics.pk,
    )  # fmt: skip
    return world


ENDPOINTS: dict[str, Endpoint] = {
    "an address that is no endpoint": Endpoint(lambda w: "/api/v1/no-such-list/"),
    "me": Endpoint(lambda w: r("api:me")),
    "schema": Endpoint(lambda w: r("api:schema")),
    "positions": Endpoint(lambda w: r("api:position-list")),
    "published position": Endpoint(lambda w: r("api:position-detail", 2026)),
    "draft position": Endpoint(lambda w: r("api:position-detail", 2027)),
    "objectives": Endpoint(lambda w: r("api:objective-list")),
    "published objective": Endpoint(lambda w: r("api:objective-detail", w.a.pk)),
    "draft objective": Endpoint(lambda w: r("api:objective-detail", w.draft_objective.pk)),
    "measures": Endpoint(lambda w: r("api:measure-list")),
    "A's measure": Endpoint(lambda w: r("api:measure-detail", w.measure.pk)),
    "draft measure": Endpoint(lambda w: r("api:measure-detail", w.draft_measure.pk)),
    "measure actuals": Endpoint(lambda w: r("api:measure-actual-list")),
    "A's measure actual": Endpoint(lambda w: r("api:measure-actual-detail", w.actual.pk)),
    # Q3 of A's measure, which Logistics reports: its head enters it, and the executives.
    "measure actuals bulk": Endpoint(
        lambda w: r("api:measure-actual-bulk"),
        writes={
            "POST": lambda w, who: {
                "values": [
                    {"measure": w.measure.pk, "fiscal_year": 2026, "period": "Q3", "value": "93.5"}
                ]
            }
        },
        headers=lambda w, who: {"Idempotency-Key": "matrix"},
    ),  # fmt: skip
    "units": Endpoint(lambda w: r("api:unit-list")),
    "unit tree": Endpoint(lambda w: r("api:unit-tree")),
    "A's unit": Endpoint(lambda w: r("api:unit-detail", "logistics")),
    "B's unit": Endpoint(lambda w: r("api:unit-detail", "finance")),
    "memberships": Endpoint(lambda w: r("api:membership-list")),
    "B's head membership": Endpoint(
        lambda w: r("api:membership-detail", w.finance.memberships.get().pk)
    ),
    "commitments": Endpoint(lambda w: r("api:commitment-list")),
    "B's commitment": Endpoint(lambda w: r("api:commitment-detail", w.commitments["finance A"].pk)),
    "cycles": Endpoint(lambda w: r("api:cycle-list")),
    "closed cycle": Endpoint(lambda w: r("api:cycle-detail", w.closed.pk)),
    "closed cycle results": Endpoint(lambda w: r("api:cycle-results", w.closed.pk)),
    "running cycle team results": Endpoint(lambda w: r("api:cycle-team-results", w.running.pk)),
    "checks": Endpoint(lambda w: r("api:check-list")),
    # A score of A's running check: its head writes it.
    "A's check": Endpoint(
        lambda w: r("api:check-detail", w.logistics_check.pk),
        writes={
            "PATCH": lambda w, who: {
                "version": w.logistics_check.version,
                "items": [{"id": w.logistics_check.items.first().pk, "scores": {"people": 2}}],
            }
        },
    ),  # fmt: skip
    # B's running check, submitted: reopened by those who run the reviews.
    "B's check reopen": Endpoint(
        lambda w: r("api:check-reopen", w.finance_check.pk),
        writes={"POST": lambda w, who: {"reason": "Scores to revisit"}},
    ),
    "actions": Endpoint(lambda w: r("api:action-list")),
    "action": Endpoint(lambda w: r("api:action-detail", w.action.pk)),
    # The closed review's open action: those who run the reviews mark it done.
    "action complete": Endpoint(
        lambda w: r("api:action-complete", w.action.pk), writes={"POST": no_body}
    ),
    "signals": Endpoint(lambda w: r("api:signal-list")),
    "deliveries": Endpoint(lambda w: r("api:delivery-list")),
    "delivery": Endpoint(lambda w: r("api:delivery-detail", w.delivery.pk)),
}

# Expected answers, in the order of PEOPLE:
#                               anonymous outsider member head_a head_b executive admin
GET = {
    "an address that is no endpoint": (401, 404, 404, 404, 404, 404, 404),
    "me":                         (401, 200, 200, 200, 200, 200, 200),
    "schema":                     (401, 200, 200, 200, 200, 200, 200),
    "positions":                  (401, 200, 200, 200, 200, 200, 200),
    "published position":         (401, 200, 200, 200, 200, 200, 200),
    "draft position":             (401, 404, 404, 404, 404, 200, 200),
    "objectives":                 (401, 200, 200, 200, 200, 200, 200),
    "published objective":        (401, 200, 200, 200, 200, 200, 200),
    "draft objective":            (401, 404, 404, 404, 404, 200, 200),
    "measures":                   (401, 200, 200, 200, 200, 200, 200),
    "A's measure":                (401, 200, 200, 200, 200, 200, 200),
    "draft measure":              (401, 404, 404, 404, 404, 200, 200),
    "measure actuals":            (401, 200, 200, 200, 200, 200, 200),
    "A's measure actual":         (401, 200, 200, 200, 200, 200, 200),
    "measure actuals bulk":       (401, 405, 405, 405, 405, 405, 405),
    "units":                      (401, 200, 200, 200, 200, 200, 200),
    "unit tree":                  (401, 200, 200, 200, 200, 200, 200),
    "A's unit":                   (401, 404, 200, 200, 200, 200, 200),
    "B's unit":                   (401, 404, 404, 200, 200, 200, 200),
    "memberships":                (401, 200, 200, 200, 200, 200, 200),
    "B's head membership":        (401, 404, 404, 200, 200, 200, 200),
    "commitments":                (401, 200, 200, 200, 200, 200, 200),
    "B's commitment":             (401, 404, 404, 200, 200, 200, 200),
    "cycles":                     (401, 403, 403, 403, 403, 200, 200),
    "closed cycle":               (401, 403, 403, 403, 403, 200, 200),
    "closed cycle results":       (401, 403, 403, 403, 403, 200, 200),
    "running cycle team results": (401, 403, 403, 403, 403, 200, 200),
    "checks":                     (401, 200, 200, 200, 200, 200, 200),
    "A's check":                  (401, 404, 404, 200, 404, 200, 200),
    "B's check reopen":           (401, 405, 405, 405, 405, 405, 405),
    "actions":                    (401, 403, 403, 403, 403, 200, 200),
    "action":                     (401, 403, 403, 403, 403, 200, 200),
    "action complete":            (401, 403, 403, 403, 403, 405, 405),
    "signals":                    (401, 403, 403, 200, 200, 200, 200),
    "deliveries":                 (401, 403, 403, 403, 403, 403, 200),
    "delivery":                   (401, 403, 403, 403, 403, 403, 200),
}  # fmt: skip

# Every method an endpoint does not accept, asked with a token that may write: refused by the
# endpoint's role before the method is looked at, else not allowed.
OTHER = {
    name: (401, 405, 405, 405, 405, 405, 405)
    for name in GET
} | {
    "an address that is no endpoint": (401, 404, 404, 404, 404, 404, 404),
    "cycles":                     (401, 403, 403, 403, 403, 405, 405),
    "closed cycle":               (401, 403, 403, 403, 403, 405, 405),
    "closed cycle results":       (401, 403, 403, 403, 403, 405, 405),
    "running cycle team results": (401, 403, 403, 403, 403, 405, 405),
    "actions":                    (401, 403, 403, 403, 403, 405, 405),
    "action":                     (401, 403, 403, 403, 403, 405, 405),
    "action complete":            (401, 403, 403, 403, 403, 405, 405),
    "deliveries":                 (401, 403, 403, 403, 403, 403, 405),
    "delivery":                   (401, 403, 403, 403, 403, 403, 405),
}  # fmt: skip

# (endpoint, method) → answers, for the writes endpoints accept.
WRITES: dict[tuple[str, str], tuple] = {
    ("measure actuals bulk", "POST"): (401, 403, 403, 200, 403, 200, 403),
    ("A's check", "PATCH"):           (401, 404, 404, 200, 404, 403, 403),
    ("B's check reopen", "POST"):     (401, 404, 404, 404, 403, 200, 403),
    ("action complete", "POST"):      (401, 403, 403, 403, 403, 200, 403),
}  # fmt: skip


def test_every_endpoint_of_the_api_has_a_row_in_the_table(world):
    reached = {resolve(e.url(world)).view_name for e in ENDPOINTS.values()}

    assert api_endpoint_names() - reached == set(), "API endpoints with no row in the table"
    assert set(GET) == set(OTHER) == set(ENDPOINTS)
    assert {name for name, _ in WRITES} <= set(ENDPOINTS)
    assert all(set(e.writes) <= set(UNSAFE) for e in ENDPOINTS.values())
    assert all((name, method) in WRITES for name, e in ENDPOINTS.items() for method in e.writes), (
        "every write an endpoint accepts has its answers"
    )
    assert all(len(row) == len(PEOPLE) for row in [*GET.values(), *OTHER.values()])
    assert all(len(row) == len(PEOPLE) for row in WRITES.values())


# --- Asking -----------------------------------------------------------------------------------


class Answer(NamedTuple):
    status: int | str
    changed: list[str]
    records: list[logging.LogRecord]


def token_client(world, person: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if world.people[person] is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.secrets[person]}")
    return client


def ask(client, caplog, baseline, method: str, url: str, body=None, headers=None) -> Answer:
    first = len(caplog.records)
    with undone(client):
        if method == "GET":
            response = client.get(url)
        else:
            send = getattr(client, method.lower())
            response = send(url, body if body is not None else {}, format="json", **(headers or {}))
        after = snapshot()
    status = response.status_code
    if status == 500:
        status = f"500 {response.exc_info[1]!r}" if response.exc_info else 500
    elif status >= 400 and response.get("Content-Type") != "application/problem+json":
        status = f"{status} without problem details"
    return Answer(status, changed_tables(baseline, after), caplog.records[first:])


def _headers(endpoint: Endpoint, world, user) -> dict:
    return {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in endpoint.headers(world, user).items()
    }


def _expected(name: str, method: str, column: int):
    if method == "GET":
        return GET[name][column]
    return WRITES.get((name, method), OTHER[name])[column]


def _problems(label: str, method: str, want, answer: Answer) -> list[str]:
    problems = []
    allowed_write = method != "GET" and isinstance(want, int) and want < 300
    if allowed_write and not answer.changed:
        problems.append(f"{label} was accepted but changed nothing: is its body valid?")
    if not allowed_write and answer.changed:
        problems.append(f"{label} answered {answer.status} and changed {answer.changed}")
    if answer.status in REFUSED:
        if not any(rec.levelno >= logging.WARNING for rec in answer.records):
            problems.append(f"{label} was refused ({answer.status}) without a log record")
        refusal_logged = any(rec.getMessage().startswith("refused ") for rec in answer.records)
        if answer.status == 403 and not refusal_logged:
            problems.append(f"{label}: 403 without a 'refused ...' log record")
    return problems


@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_gets_the_answers_of_the_table_and_refusals_change_nothing(
    world, person, caplog
):
    user = world.people[person]
    column = PEOPLE.index(person)
    client = token_client(world, person)
    baseline = snapshot()
    expected, answers, problems = {}, {}, []

    for name, endpoint in ENDPOINTS.items():
        url = endpoint.url(world)
        for method in ("GET", *UNSAFE):
            body = endpoint.writes.get(method, no_body)(world, user)
            headers = _headers(endpoint, world, user) if method in endpoint.writes else {}
            answer = ask(client, caplog, baseline, method, url, body, headers)
            label = f"{method} {name}"
            want = _expected(name, method, column)
            expected[label], answers[label] = want, answer.status
            problems += _problems(label, method, want, answer)

    assert answers == expected
    assert problems == []


@pytest.mark.parametrize("person", [p for p in PEOPLE if p != "anonymous"])
def test_the_browser_session_gets_the_same_answers_and_its_writes_need_the_csrf_token(
    world, person, caplog
):
    """Signed in on the pages instead of with a token: the same answers; a write without the
    CSRF token is refused before it is looked at."""
    user = world.people[person]
    column = PEOPLE.index(person)
    client = APIClient(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(user)
    token = client.get(reverse("login")).cookies[settings.CSRF_COOKIE_NAME].value
    baseline = snapshot()
    expected, answers, problems = {}, {}, []

    for (name, method), row in WRITES.items():
        endpoint = ENDPOINTS[name]
        url, body = endpoint.url(world), endpoint.writes[method](world, user)
        headers = _headers(endpoint, world, user)
        bare = ask(client, caplog, baseline, method, url, body, headers)
        label = f"{method} {name}"
        if bare.status != 403 or bare.changed:
            problems.append(f"{label} without a CSRF token: {bare.status} {bare.changed}")
        answer = ask(
            client, caplog, baseline, method, url, body, headers | {"HTTP_X_CSRFTOKEN": token}
        )
        expected[label], answers[label] = row[column], answer.status
        problems += _problems(label, method, row[column], answer)
    for name, endpoint in ENDPOINTS.items():
        answer = ask(client, caplog, baseline, "GET", endpoint.url(world))
        expected[f"GET {name}"], answers[f"GET {name}"] = GET[name][column], answer.status

    assert answers == expected
    assert problems == []


@pytest.mark.parametrize("person", [p for p in PEOPLE if p != "anonymous"])
def test_a_read_only_token_is_refused_every_write(world, person, caplog):
    user = world.people[person]
    AccessToken.objects.filter(pk=world.tokens[person].pk).update(scope=AccessToken.Scope.READ)
    client = token_client(world, person)
    baseline = snapshot()
    answers = {}

    for name, endpoint in ENDPOINTS.items():
        for method in UNSAFE:
            body = endpoint.writes.get(method, no_body)(world, user)
            answer = ask(client, caplog, baseline, method, endpoint.url(world), body)
            answers[f"{method} {name}"] = (answer.status, answer.changed)

    assert answers == {label: (403, []) for label in answers}
