"""A closed cycle's snapshot is read only by what shows that cycle in full.

The snapshot is megabytes of JSON at a big company: a label, a date or a figure of a cycle
comes from its other columns and its FrozenScore rows. Every page here is requested with
closed quarters around, and the SQL it runs is searched for the snapshot column.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Delivery
from reviews import services
from reviews.models import Action, ReviewCycle
from tests.factories import fill_check, make_open_cycle

pytestmark = pytest.mark.django_db


def close_quarter(position, *, fiscal_year: int, quarter: int, by, scores: dict) -> ReviewCycle:
    cycle = make_open_cycle(position, fiscal_year=fiscal_year, quarter=quarter)
    for check in cycle.checks.select_related("unit"):
        head, value = scores[check.unit.code]
        fill_check(check, by=head, scores=value)
    services.cycle_close(cycle=cycle, by=by)
    return cycle


@pytest.fixture
def quarters(current_position, commitments, head, other_head, executive, cycle):
    """Q3 and Q4 FY2025 closed (with an open action raised in each, and a delivery of Q4),
    Q1 FY2026 open with Logistics submitted."""
    q3 = close_quarter(
        current_position,
        fiscal_year=2025,
        quarter=3,
        by=executive,
        scores={"logistics": (head, 3), "finance": (other_head, 4)},
    )
    q4 = close_quarter(
        current_position,
        fiscal_year=2025,
        quarter=4,
        by=executive,
        scores={"logistics": (head, 4), "finance": (other_head, 5)},
    )
    for closed in (q3, q4):
        Action.objects.create(
            cycle=closed,
            title=f"Fix what {closed.label} found",
            owner=closed.checks.first().unit,
            due_on=date(2026, 6, 30),
            created_by=executive,
        )
    Delivery.objects.create(cycle=q4, recipient=head, kind=Delivery.Kind.CYCLE_CLOSED)
    fill_check(cycle.checks.get(unit__code="logistics"), by=head, scores=3)
    return q3, q4, cycle


def snapshot_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if '"snapshot"' in q["sql"]]


def of_other_cycles(reads: list[str], shown: ReviewCycle | None) -> list[str]:
    """The reads left when the page's own cycle row (one open cycle's NULL) is set aside."""
    own = f'WHERE "reviews_reviewcycle"."id" = {shown.pk} LIMIT' if shown else None
    return [sql for sql in reads if own is None or own not in sql]


def requested(client, user, url: str) -> list[str]:
    client.force_login(user)
    client.get(url)  # the first request may fill per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return snapshot_reads(queries)


# page: (who, URL from the quarters)
PAGES = {
    "home": ("executive", lambda q3, q4, q1: reverse("home")),
    "cycle list": ("executive", lambda q3, q4, q1: reverse("reviews:cycle-list")),
    "open cycle page": ("executive", lambda q3, q4, q1: q1.get_absolute_url()),
    "open cycle heatmap": (
        "executive",
        lambda q3, q4, q1: reverse("reviews:cycle-heatmap", args=[q1.pk]),
    ),
    "operations": ("admin_user", lambda q3, q4, q1: reverse("notifications:operations")),
    "operations filtered by a closed cycle": (
        "admin_user",
        lambda q3, q4, q1: reverse("notifications:operations") + f"?cycle={q4.pk}",
    ),
    "trends": ("executive", lambda q3, q4, q1: reverse("reviews:trends")),
    "team trend": (
        "executive",
        lambda q3, q4, q1: reverse("reviews:trend-team", args=["logistics"]),
    ),
    "objective trend": (
        "executive",
        lambda q3, q4, q1: reverse(
            "reviews:trend-objective", args=[q1.position.objectives.first().pk]
        ),
    ),
    "signals": ("executive", lambda q3, q4, q1: reverse("sustain:signals")),
    "check page": (
        "head",
        lambda q3, q4, q1: q1.checks.get(unit__code="logistics").get_absolute_url(),
    ),
    "check page of a closed review": (
        "head",
        lambda q3, q4, q1: q4.checks.get(unit__code="logistics").get_absolute_url(),
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_page_never_reads_the_snapshot_of_a_closed_cycle_it_does_not_show(
    client, quarters, request, page
):
    who, url = PAGES[page]

    reads = requested(client, request.getfixturevalue(who), url(*quarters))

    shown = quarters[2] if page.startswith("open cycle") else None  # the open Q1
    assert of_other_cycles(reads, shown) == []


@pytest.mark.parametrize(
    ("url", "cached"),
    [
        (lambda cycle: cycle.get_absolute_url(), True),
        (lambda cycle: reverse("reviews:cycle-heatmap", args=[cycle.pk]), False),
    ],
    ids=["closed cycle page", "closed cycle heatmap"],
)
def test_a_closed_cycles_page_reads_its_own_snapshot_once_and_no_other(
    client, quarters, executive, url, cached
):
    q3, q4, q1 = quarters
    client.force_login(executive)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url(q4)).status_code == 200
    read = snapshot_reads(first)  # before the next request empties the queries' log

    reads = requested(client, executive, url(q4))

    assert len(read) == 1
    assert f'WHERE "reviews_reviewcycle"."id" = {q4.pk} LIMIT' in read[0]
    # The cycle page's body is cached by the first request: the next reads no snapshot.
    assert reads == ([] if cached else read)


def test_a_closed_cycles_print_view_reads_no_snapshot_once_its_page_is_cached(
    client, quarters, executive
):
    q3, q4, q1 = quarters
    url = reverse("reports:report-print", args=[q4.pk])
    client.force_login(executive)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    filling = snapshot_reads(first)  # before the next request empties the queries' log

    reads = requested(client, executive, url)

    assert reads == []
    # The first request, which fills the cache, reads no other cycle's.
    assert filling and of_other_cycles(filling, q4) == []


def test_cycles_come_without_their_snapshot_unless_asked_for(quarters):
    q3, q4, q1 = quarters

    with CaptureQueriesContext(connection) as queries:
        list(ReviewCycle.objects.all())
        list(q4.position.review_cycles.all())
    loaded = ReviewCycle.objects.with_snapshot().get(pk=q4.pk)

    assert snapshot_reads(queries) == []
    assert "snapshot" not in loaded.get_deferred_fields()
    assert loaded.snapshot["label"] == "Q4 FY2025"


def test_a_closed_cycles_scores_are_those_of_its_snapshot(quarters):
    q3, q4, q1 = quarters
    snapshot = ReviewCycle.objects.with_snapshot().get(pk=q4.pk).snapshot

    with CaptureQueriesContext(connection) as queries:
        scores = services.cycle_scores(q4)
        index = services.cycle_scores(q4, index_only=True)

    def scored(rows):
        return sorted((r["id"], r["score"]) for r in rows if r["score"] is not None)

    assert snapshot_reads(queries) == []
    assert scores["index"] == index["index"] == snapshot["index"] == 82.5
    assert scored(scores["objectives"]) == scored(snapshot["objectives"])
    assert scored(scores["teams"]) == scored(snapshot["teams"]) != []


def test_a_running_cycles_scores_are_computed_from_its_checks(quarters):
    q3, q4, q1 = quarters

    assert services.cycle_scores(q1)["index"] == services.results(q1)["index"] == 50
    assert services.cycle_scores(q1, index_only=True) == {"index": 50}


def test_a_cycle_closed_without_freezing_is_computed_like_its_results(quarters):
    q3, q4, q1 = quarters
    ReviewCycle.objects.filter(pk=q1.pk).update(state=ReviewCycle.State.CLOSED)
    q1.refresh_from_db()

    assert services.cycle_scores(q1)["index"] == services.results(q1)["index"] == 50


def test_the_closed_cycle_page_compares_with_the_quarter_before(client, quarters, executive):
    q3, q4, q1 = quarters
    client.force_login(executive)

    response = client.get(q4.get_absolute_url())

    # Q3: A 62.5, B 50, index 57.5; Q4: A 87.5, B 75, index 82.5.
    assert response.context["change"] == 25
    assert '<span class="text-success">+25</span> since Q3 FY2025' in response.content.decode()
