"""The API's lists run as many SQL queries for a large organisation as for a small one: their
cost follows the page size, not the number of rows returned (tests/reviews/test_query_counts.py
has the pages'). Each list is asked for a page of up to 200 rows, so that the large
organisation's page holds more rows than the small one's."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from bench import data
from notifications.models import Delivery
from strategy.roles import ADMIN
from sustain.models import StoredSignal
from tests.api.conftest import make_token
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

SMALL = {"teams": 3, "objectives": 3, "quarters": 3}
LARGE = {"teams": 12, "objectives": 5, "quarters": 4}
MAX_QUERIES = 12  # no list needs more, whatever the data

# list: (who asks, its URL in a dataset)
LISTS = {
    "positions": ("executive", lambda d: "/api/v1/positions/"),
    "objectives": ("executive", lambda d: "/api/v1/objectives/"),
    "measures": ("executive", lambda d: "/api/v1/measures/"),
    "measure actuals": ("executive", lambda d: "/api/v1/measure-actuals/"),
    "units": ("executive", lambda d: "/api/v1/units/"),
    "unit tree": ("executive", lambda d: "/api/v1/units/tree/"),
    "memberships": ("executive", lambda d: "/api/v1/memberships/"),
    "commitments": ("executive", lambda d: "/api/v1/commitments/"),
    "commitments of a head": ("head", lambda d: "/api/v1/commitments/"),
    "cycles": ("executive", lambda d: "/api/v1/cycles/"),
    "cycle results": ("executive", lambda d: f"/api/v1/cycles/{d.open_cycle.pk}/results/"),
    "closed cycle results": ("executive", lambda d: f"/api/v1/cycles/{d.cycles[-2].pk}/results/"),
    "team results": ("executive", lambda d: f"/api/v1/cycles/{d.open_cycle.pk}/results/teams/"),
    "closed team results": (
        "executive",
        lambda d: f"/api/v1/cycles/{d.cycles[-2].pk}/results/teams/",
    ),
    "checks": ("executive", lambda d: "/api/v1/checks/"),
    "late checks": ("executive", lambda d: "/api/v1/checks/?late=true"),
    "checks of a head": ("head", lambda d: "/api/v1/checks/"),
    "check": ("head", lambda d: f"/api/v1/checks/{d.check.pk}/"),
    "actions": ("executive", lambda d: "/api/v1/actions/"),
    "signals": ("executive", lambda d: "/api/v1/signals/"),
    "signals of a head": ("head", lambda d: "/api/v1/signals/"),
    "deliveries": ("admin", lambda d: "/api/v1/deliveries/"),
}


def _build(size: dict):
    """The bench's organisation, with deliveries and signals as many as its teams."""
    dataset = data.build(**size)
    admin, _ = get_user_model().objects.get_or_create(username="count-admin", is_staff=True)
    admin.groups.add(Group.objects.get(name=ADMIN))
    dataset.admin = admin
    heads = get_user_model().objects.filter(memberships__role="head")
    Delivery.objects.bulk_create(
        Delivery(cycle=dataset.open_cycle, recipient=h, kind=Delivery.Kind.CHECK_OPENED)
        for h in heads
    )
    # All about the dataset's head's team, so that the head's list grows with the organisation.
    team = dataset.head.memberships.filter(role="head").values_list("unit_id", flat=True)[0]
    StoredSignal.objects.bulk_create(
        StoredSignal(
            order=n, kind="late", label="Late", subject=f"Team {n}", reason="Late", team=team
        )
        for n in range(heads.count())
    )
    return dataset


def _clients(dataset) -> dict[str, APIClient]:
    clients = {}
    for who in ("executive", "head", "admin"):
        _, secret = make_token(getattr(dataset, who))
        clients[who] = APIClient()
        clients[who].credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return clients


def _count(clients, dataset, name: str) -> tuple[int, int]:
    """(queries, rows) of a second request of the list: the first fills per-process caches."""
    who, url = LISTS[name]
    url = url(dataset) + ("&" if "?" in url(dataset) else "?") + "page_size=200"
    client = clients[who]
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), _rows(response.json())


def _rows(body) -> int:
    """The rows of a page, the objectives of results, or the units of the tree."""
    if isinstance(body, list):
        return sum(1 + _rows(node["children"]) for node in body)
    return len(body["results"] if "results" in body else body.get("objectives", []))


@pytest.fixture(scope="module")
def small_counts(django_db_setup, django_db_blocker) -> dict[str, tuple[int, int]]:
    counts = {}
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            API_THROTTLE_RATE="10000/minute",
        ),
        transaction.atomic(),
    ):
        dataset = _build(SMALL)
        clients = _clients(dataset)
        counts = {name: _count(clients, dataset, name) for name in LISTS}
        transaction.set_rollback(True)
    return counts


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_runs_no_more_queries_for_a_larger_organisation(name, small_counts):
    expected, small_rows = small_counts[name]
    large = _build(LARGE)

    queries, large_rows = _count(_clients(large), large, name)

    assert queries <= expected, f"{name}: {queries} queries, {expected} for {SMALL}"
    assert expected <= MAX_QUERIES, f"{name}: {expected} queries for {SMALL}"
    if name not in {"positions", "check", "cycle results", "closed cycle results"}:
        assert large_rows > small_rows, f"{name}: the large page should hold more rows"


# A value of a bulk is recorded by strategy.outcomes.measure_actual_record, as on the pages: in
# its savepoint, the stored row locked, written, its history written, the signal board marked
# stale. A request adds a fixed few: the token, its Idempotency-Key (looked up, claimed, its
# answer kept), the rules, the measures.
QUERIES_PER_VALUE = 6
QUERIES_PER_BULK = 12
# The page's autosave is within 15 (tests/reviews/test_query_counts.py); the API reads the
# check's items twice (its change over the stored values, then the page's form) and answers
# with the saved items and commitments.
QUERIES_CHECK_CHANGE = 16


@pytest.mark.parametrize("count", [3, 12])
def test_a_bulk_of_values_costs_a_fixed_number_of_queries_per_value(
    count, head, current_position, logistics
):
    objective = current_position.objectives.first()
    measures = [MeasureFactory(objective=objective, reporting_team=logistics) for _ in range(count)]
    _, secret = make_token(head)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    values = [
        {"measure": m.pk, "fiscal_year": 2026, "period": "Q1", "value": "90"} for m in measures
    ]

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/measure-actuals/bulk/", {"values": values}, format="json",
            HTTP_IDEMPOTENCY_KEY="counted",
        )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["created"] == count
    assert len(queries) <= QUERIES_PER_BULK + QUERIES_PER_VALUE * count


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_a_change_of_every_item_of_a_check_runs_at_most_16_queries(size):
    """The API's save of a check goes through the check page's form and service, whatever the
    number of its objectives, and answers with the check as saved: its items and commitments
    read again."""
    dataset = _build(size)
    client = _clients(dataset)["head"]
    check = client.get(f"/api/v1/checks/{dataset.check.pk}/").json()
    change = {
        "version": check["version"],
        "items": [
            {"id": i["id"], "scores": {"people": 3}, "evidence": "API"} for i in check["items"]
        ],
    }

    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"/api/v1/checks/{dataset.check.pk}/", change, format="json")

    assert response.status_code == 200, response.json()
    assert dataset.check.items.filter(evidence="API").count() == len(check["items"]) > 1
    assert len(queries) <= QUERIES_CHECK_CHANGE, [q["sql"][:80] for q in queries]
