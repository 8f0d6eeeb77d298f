"""Who may open and post to every strategy page: one table, read across by person."""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse

from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    CustomerPriority,
    ExchangeRate,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    RefreshDecision,
    StrategicPosition,
    Unit,
)
from strategy.urls import urlpatterns as strategy_patterns
from tests.factories import (
    CommitmentFactory,
    commitment_data,
    company_data,
    make_draft_position,
    make_published_position,
    objective_data,
    objective_edit_data,
    position_data,
    position_edit_data,
)

pytestmark = pytest.mark.django_db

PEOPLE = ("executive", "admin_user", "head", "other_head", "member", "outsider")
MODELS = [
    StrategicPosition,
    PositioningTheme,
    CustomerPriority,
    Competitor,
    Objective,
    Measure,
    Unit,
    Membership,
    Commitment,
    CompanySettings,
    ExchangeRate,
]


@pytest.fixture
def world(executive, admin_user, head, other_head, member, outsider, logistics, finance):
    """The published FY2026 strategy, a FY2027 draft and a commitment from each team."""
    last_year = make_published_position(fiscal_year=2025, by=executive, objectives=1)
    current = make_published_position(fiscal_year=2026, by=executive)
    draft = make_draft_position(fiscal_year=2027, owner=executive, objectives=2)
    objective, continued = current.objectives.order_by("order")
    # The annual refresh carried last year's objective over to this year's second one.
    old_objective = last_year.objectives.get()
    continued.previous = old_objective
    continued.save()
    # And the draft's second objective continues this year's first, already kept.
    carried = draft.objectives.order_by("order").last()
    carried.previous, carried.refresh_decision = objective, RefreshDecision.KEPT
    carried.save()
    return {
        "carried objective": carried,
        "logistics old commitment": CommitmentFactory(unit=logistics, objective=old_objective),
        "finance old commitment": CommitmentFactory(unit=finance, objective=old_objective),
        "current": current,
        "draft": draft,
        "objective": objective,
        "draft objective": draft.objectives.order_by("order").first(),
        "logistics commitment": CommitmentFactory(unit=logistics, objective=objective),
        "finance commitment": CommitmentFactory(unit=finance, objective=objective),
    }


# Each target: the URL, and the data a POST sends (None: the page takes no POST of its own).
# The data is valid, so that a forbidden POST would change something if it got through.
TARGETS = {
    "home": (lambda w: reverse("home"), None),
    "strategy": (lambda w: reverse("strategy:strategy"), None),
    "position list": (lambda w: reverse("strategy:position-list"), None),
    "position create": (
        lambda w: reverse("strategy:position-create"),
        lambda w: position_data(fiscal_year=2028),
    ),
    "published position": (lambda w: w["current"].get_absolute_url(), None),
    "draft position": (lambda w: w["draft"].get_absolute_url(), None),
    "draft position edit": (
        lambda w: reverse("strategy:position-edit", args=[2027]),
        lambda w: position_edit_data(w["draft"]) | {"statement": "Changed."},
    ),
    "published position edit": (
        lambda w: reverse("strategy:position-edit", args=[2026]),
        lambda w: position_edit_data(w["current"]) | {"statement": "Changed."},
    ),
    "draft position publish": (
        lambda w: reverse("strategy:position-publish", args=[2027]),
        lambda w: {},
    ),
    "draft position switch": (
        lambda w: reverse("strategy:position-switch", args=[2027]),
        lambda w: {},
    ),
    "draft objective create": (
        lambda w: reverse("strategy:objective-create", args=[2027]),
        lambda w: objective_data(owner=w["draft"].objectives.first().owner),
    ),
    "published objective": (lambda w: w["objective"].get_absolute_url(), None),
    "draft objective": (lambda w: w["draft objective"].get_absolute_url(), None),
    "draft objective edit": (
        lambda w: reverse("strategy:objective-edit", args=[w["draft objective"].pk]),
        lambda w: objective_edit_data(w["draft objective"], title="Changed"),
    ),
    "published objective edit": (
        lambda w: reverse("strategy:objective-edit", args=[w["objective"].pk]),
        lambda w: objective_edit_data(w["objective"], title="Changed"),
    ),
    "published objective remove": (
        lambda w: reverse("strategy:objective-remove", args=[w["objective"].pk]),
        lambda w: {},
    ),
    "draft objective remove": (
        lambda w: reverse("strategy:objective-remove", args=[w["draft objective"].pk]),
        lambda w: {},
    ),
    "draft objective move": (
        lambda w: reverse("strategy:objective-move", args=[w["draft objective"].pk, "down"]),
        lambda w: {},
    ),
    "draft objective retire": (
        lambda w: reverse("strategy:objective-decide", args=[w["carried objective"].pk, "retired"]),
        lambda w: {},
    ),
    "company settings": (lambda w: reverse("strategy:company-edit"), lambda w: company_data()),
    "matrix": (lambda w: reverse("strategy:matrix"), None),
    "matrix csv": (lambda w: reverse("strategy:matrix-csv"), None),
    "unit list": (lambda w: reverse("strategy:unit-list"), None),
    "logistics unit": (lambda w: reverse("strategy:unit-detail", args=["logistics"]), None),
    "finance unit": (lambda w: reverse("strategy:unit-detail", args=["finance"]), None),
    "logistics commitment create": (
        lambda w: reverse("strategy:commitment-create", args=["logistics"]),
        lambda w: commitment_data(w["objective"]),
    ),
    "finance commitment create": (
        lambda w: reverse("strategy:commitment-create", args=["finance"]),
        lambda w: commitment_data(w["objective"]),
    ),
    "logistics commitment edit": (
        lambda w: w["logistics commitment"].get_absolute_url(),
        lambda w: commitment_data(w["objective"], statement="Changed."),
    ),
    "finance commitment edit": (
        lambda w: w["finance commitment"].get_absolute_url(),
        lambda w: commitment_data(w["objective"], statement="Changed."),
    ),
    "logistics commitment carry": (
        lambda w: reverse(
            "strategy:commitment-confirm", args=[w["logistics old commitment"].pk, "carry"]
        ),
        lambda w: {},
    ),
    "finance commitment drop": (
        lambda w: reverse(
            "strategy:commitment-confirm", args=[w["finance old commitment"].pk, "drop"]
        ),
        lambda w: {},
    ),
}

# Expected status, in the order of PEOPLE:
#                                  executive admin head other_head member outsider
GET = {
    "home":                        (200, 200, 200, 200, 200, 200),
    "strategy":                    (302, 302, 302, 302, 302, 302),
    "position list":               (200, 200, 200, 200, 200, 200),
    "position create":             (200, 403, 403, 403, 403, 403),
    "published position":          (200, 200, 200, 200, 200, 200),
    "draft position":              (200, 200, 404, 404, 404, 404),
    "draft position edit":         (200, 403, 403, 403, 403, 403),
    "published position edit":     (302, 403, 403, 403, 403, 403),
    "draft position publish":      (405, 405, 405, 405, 405, 405),
    "draft position switch":       (405, 405, 405, 405, 405, 405),
    "draft objective create":      (200, 403, 403, 403, 403, 403),
    "published objective":         (200, 200, 200, 200, 200, 200),
    "draft objective":             (200, 200, 404, 404, 404, 404),
    "draft objective edit":        (200, 403, 404, 404, 404, 404),
    "published objective edit":    (302, 403, 403, 403, 403, 403),
    "published objective remove":  (405, 405, 405, 405, 405, 405),
    "draft objective remove":      (405, 405, 405, 405, 405, 405),
    "draft objective move":        (405, 405, 405, 405, 405, 405),
    "draft objective retire":      (405, 405, 405, 405, 405, 405),
    "company settings":            (200, 403, 403, 403, 403, 403),
    "matrix":                      (200, 200, 200, 200, 200, 200),
    "matrix csv":                  (200, 200, 200, 200, 200, 200),
    "unit list":                   (200, 200, 200, 200, 200, 200),
    "logistics unit":              (200, 200, 200, 200, 200, 404),
    "finance unit":                (200, 200, 200, 200, 404, 404),
    "logistics commitment create": (403, 403, 200, 403, 403, 404),
    "finance commitment create":   (403, 403, 403, 200, 404, 404),
    "logistics commitment edit":   (403, 403, 200, 403, 403, 404),
    "finance commitment edit":     (403, 403, 403, 200, 404, 404),
    "logistics commitment carry":  (405, 405, 405, 405, 405, 405),
    "finance commitment drop":     (405, 405, 405, 405, 405, 405),
}  # fmt: skip
POST = {
    "position create":             (302, 403, 403, 403, 403, 403),
    "draft position edit":         (302, 403, 403, 403, 403, 403),
    "published position edit":     (302, 403, 403, 403, 403, 403),
    "draft position publish":      (302, 403, 403, 403, 403, 403),
    "draft position switch":       (302, 403, 403, 403, 403, 403),
    "draft objective create":      (302, 403, 403, 403, 403, 403),
    "draft objective edit":        (302, 403, 404, 404, 404, 404),
    "published objective edit":    (302, 403, 403, 403, 403, 403),
    "published objective remove":  (302, 403, 403, 403, 403, 403),
    "draft objective remove":      (302, 403, 403, 403, 403, 403),
    "draft objective move":        (302, 403, 404, 404, 404, 404),
    "draft objective retire":      (302, 403, 404, 404, 404, 404),
    "company settings":            (302, 403, 403, 403, 403, 403),
    "logistics commitment create": (403, 403, 302, 403, 403, 404),
    "finance commitment create":   (403, 403, 403, 302, 404, 404),
    "logistics commitment edit":   (403, 403, 302, 403, 403, 404),
    "finance commitment edit":     (403, 403, 403, 302, 404, 404),
    "logistics commitment carry":  (403, 403, 302, 403, 403, 404),
    "finance commitment drop":     (403, 403, 403, 302, 404, 404),
}  # fmt: skip
# A published position or objective is read-only: its edit page redirects and changes nothing;
# a draft cannot become current.
REDIRECTS_WITHOUT_CHANGE = {
    "published position edit",
    "published objective edit",
    "draft position switch",
}


def snapshot() -> dict:
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}
    rows["user groups"] = list(
        get_user_model().groups.through.objects.order_by("pk").values_list("user", "group")
    )
    return rows


def test_the_tables_cover_home_and_every_strategy_page(world):
    pages = {resolve(url(world)).view_name for url, _ in TARGETS.values()}

    assert pages == {"home"} | {f"strategy:{p.name}" for p in strategy_patterns}
    assert set(GET) == set(TARGETS)
    assert set(POST) == {name for name, (_, data) in TARGETS.items() if data is not None}


@pytest.mark.parametrize("target", GET)
def test_who_may_open_each_page(request, client, world, target):
    url = TARGETS[target][0](world)

    statuses = {}
    for person in PEOPLE:
        client.force_login(request.getfixturevalue(person))
        statuses[person] = client.get(url).status_code

    assert statuses == dict(zip(PEOPLE, GET[target], strict=True))


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("target", POST)
def test_who_may_post_to_each_page_and_a_refused_post_changes_nothing(
    request, client, world, target, person
):
    url, data = TARGETS[target]
    expected = dict(zip(PEOPLE, POST[target], strict=True))[person]
    client.force_login(request.getfixturevalue(person))
    before = snapshot()

    response = client.post(url(world), data(world))

    assert response.status_code == expected
    if expected == 302 and target not in REDIRECTS_WITHOUT_CHANGE:
        assert snapshot() != before, "an allowed POST should have changed something"
    else:
        assert snapshot() == before


# --- Anonymous visitors ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("target", TARGETS)
def test_anonymous_visitors_are_sent_to_log_in(client, world, target, method):
    url = TARGETS[target][0](world)
    before = snapshot()

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={quote(url)}"
    assert snapshot() == before


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/password_reset/", "/accounts/password_reset/done/"]
)
def test_logging_in_and_resetting_a_password_are_open_to_anonymous_visitors(client, url):
    assert client.get(url).status_code == 200


def test_changing_a_password_needs_a_login(client):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_health_check_is_open_to_anonymous_visitors(client):
    assert client.get("/healthz").status_code in (200, 503)
