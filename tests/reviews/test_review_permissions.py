"""Who may open and post to every review page: one table, read across by person."""

from datetime import date
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.urls import resolve, reverse

from reviews import services
from reviews.models import (
    LEVERS,
    Action,
    AlignmentCheck,
    CadenceSettings,
    CheckItem,
    CheckReopening,
    Delivery,
    ExecutiveScore,
    FrozenScore,
    Notification,
    ReportFile,
    ReviewCycle,
    RubricQuestion,
    SignalSettings,
)
from reviews.urls import urlpatterns
from strategy.models import Acknowledgement, Commitment
from tests.factories import ObjectiveFactory, ReviewCycleFactory, fill_check, make_open_cycle

pytestmark = pytest.mark.django_db

PEOPLE = ("executive", "admin_user", "head", "other_head", "member", "outsider")
MODELS = [
    ReviewCycle,
    AlignmentCheck,
    CheckItem,
    CheckReopening,
    ExecutiveScore,
    Action,
    FrozenScore,
    RubricQuestion,
    Delivery,
    Notification,
    CadenceSettings,
    Commitment,
    ReportFile,
    SignalSettings,
    Acknowledgement,
]


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(request, executive, head, other_head, logistics, finance, objectives, commitments):
    """Q4 FY2025 closed (with an open action and a PDF report), Q1 FY2026 open (the Finance
    check submitted, the Logistics one not started), Q2 FY2026 planned, a failed email to the
    head, and an unread notification for everyone."""
    current_position = objectives[0].position
    a, b = objectives
    closed = make_open_cycle(current_position, fiscal_year=2025, quarter=4)
    fill_check(closed.checks.get(unit=logistics), by=head)
    fill_check(closed.checks.get(unit=finance), by=other_head)
    services.cycle_close(cycle=closed, by=executive)
    running = make_open_cycle(current_position, quarter=1)
    fill_check(running.checks.get(unit=finance), by=other_head)
    report = ReportFile.objects.create(cycle=closed, format="pdf", state="done", progress=100)
    report.file.save("q4.pdf", ContentFile(b"%PDF-1.4 test"))
    notes = {
        person: Notification.objects.create(
            user=request.getfixturevalue(person), title="Your check is open", link="/"
        )
        for person in PEOPLE
    }
    return {
        "closed": closed,
        "running": running,
        "planned": ReviewCycleFactory(position=current_position, quarter=2),
        "objective": a,
        "unscored objective": ObjectiveFactory(position=current_position, title="Online"),
        "logistics check": running.checks.get(unit=logistics),
        "finance check": running.checks.get(unit=finance),
        "action": Action.objects.create(
            cycle=closed,
            title="Hire pickers",
            objective=a,
            owner=logistics,
            due_on=date(2026, 3, 31),
            created_by=executive,
        ),
        "delivery": Delivery.objects.create(
            cycle=running,
            recipient=head,
            kind=Delivery.Kind.CHECK_OPENED,
            state=Delivery.State.FAILED,
            attempts=5,
            last_error="SMTP down",
        ),
        "head's notification": notes["head"],
        "cadence": CadenceSettings.load(),
        "signal settings": SignalSettings.load(),
        "report": report,
    }


def check_form(check) -> dict:
    data = {"version": str(check.version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": "4" for lever in LEVERS}
    return data


def settings_form(config, **changes) -> dict:
    data = model_to_dict(config, exclude=["id"])
    return {k: v for k, v in data.items() if v is not None} | changes


def rubric_form() -> dict:
    return {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-lever": "people", "form-0-theme": "", "form-0-text": "Who trains new staff?",
        "form-0-order": "1", "form-0-is_active": "on",
    }  # fmt: skip


def r(name, *args):
    return reverse(f"reviews:{name}", args=args)


# Each target: the URL, and the data a POST sends (None: the page takes no POST of its own).
# The data is valid, so that a forbidden POST would change something if it got through.
TARGETS = {
    "home": (lambda w: reverse("home"), None),
    "cycle list": (lambda w: r("cycle-list"), None),
    "cycle create": (
        lambda w: r("cycle-create"),
        lambda w: {
            "fiscal_year": "2026",
            "quarter": "3",
            "opens_on": "2026-10-01",
            "due_on": "2026-10-15",
        },
    ),
    "running cycle": (lambda w: r("cycle-detail", w["running"].pk), None),
    "closed cycle": (lambda w: r("cycle-detail", w["closed"].pk), None),
    "heatmap": (lambda w: r("cycle-heatmap", w["running"].pk), None),
    "cycle open": (lambda w: r("cycle-open", w["planned"].pk), lambda w: {}),
    "cycle start review": (lambda w: r("cycle-start-review", w["running"].pk), lambda w: {}),
    "cycle close": (lambda w: r("cycle-close", w["running"].pk), lambda w: {}),
    "executive score": (
        lambda w: r("executive-score", w["running"].pk),
        lambda w: {
            "unit": w["logistics check"].unit_id,
            "objective": w["objective"].pk,
            "score": "2",
            "note": "",
        },
    ),
    "action create": (
        lambda w: r("action-create", w["running"].pk),
        lambda w: {
            "kind": "decision",
            "title": "Hire",
            "objective": w["objective"].pk,
            "owner": w["logistics check"].unit_id,
            "due_on": "2026-06-30",
        },
    ),
    "action complete": (lambda w: r("action-complete", w["action"].pk), lambda w: {}),
    "logistics check": (lambda w: r("check-edit", w["logistics check"].pk), None),
    "finance check": (lambda w: r("check-edit", w["finance check"].pk), None),
    "logistics check save": (
        lambda w: r("check-save", w["logistics check"].pk),
        lambda w: check_form(w["logistics check"]),
    ),
    "logistics check add objective": (
        lambda w: r("check-add-objective", w["logistics check"].pk),
        lambda w: {"objective": w["unscored objective"].pk},
    ),
    "finance check reopen": (
        lambda w: r("check-reopen", w["finance check"].pk),
        lambda w: {"reason": "The scores look too high."},
    ),
    "rubric": (lambda w: r("rubric-edit"), lambda w: rubric_form()),
    "cadence": (
        lambda w: r("cadence-edit"),
        lambda w: settings_form(w["cadence"], due_days_after_opening=10),
    ),
    "operations": (lambda w: r("operations"), None),
    "delivery retry": (lambda w: r("delivery-retry", w["delivery"].pk), lambda w: {}),
    "notifications": (lambda w: r("notification-list"), None),
    "head's notification read": (
        lambda w: r("notification-read", w["head's notification"].pk),
        lambda w: {},
    ),
    "notifications read all": (lambda w: r("notification-read-all"), lambda w: {}),
    "trends": (lambda w: r("trends"), None),
    "signals": (lambda w: r("signals"), None),
    "signals doc": (lambda w: r("doc-detail", "signals"), None),
    "signal settings": (
        lambda w: r("signal-settings-edit"),
        lambda w: settings_form(w["signal settings"], window=5),
    ),
    "acknowledge": (lambda w: r("acknowledge"), lambda w: {}),
    "objective trend": (lambda w: r("trend-objective", w["objective"].pk), None),
    "logistics trend": (lambda w: r("trend-team", "logistics"), None),
    "finance trend": (lambda w: r("trend-team", "finance"), None),
    "report print": (lambda w: r("report-print", w["closed"].pk), None),
    "report part": (lambda w: r("report-part", w["closed"].pk, 1), None),
    "report csv": (lambda w: r("report-csv", w["closed"].pk), None),
    "report status": (lambda w: r("report-status", w["closed"].pk), None),
    "report request": (lambda w: r("report-request", w["running"].pk, "xlsx"), lambda w: {}),
    "report download": (lambda w: r("report-download", w["report"].pk), None),
}

# Expected status, in the order of PEOPLE:
#                                    executive admin head other_head member outsider
GET = {
    "home":                          (200, 200, 200, 200, 200, 200),
    "cycle list":                    (200, 200, 403, 403, 403, 403),
    "cycle create":                  (200, 403, 403, 403, 403, 403),
    "running cycle":                 (200, 200, 403, 403, 403, 403),
    "closed cycle":                  (200, 200, 403, 403, 403, 403),
    "heatmap":                       (200, 200, 403, 403, 403, 403),
    "cycle open":                    (405, 405, 405, 405, 405, 405),
    "cycle start review":            (405, 405, 405, 405, 405, 405),
    "cycle close":                   (405, 405, 405, 405, 405, 405),
    "executive score":               (405, 405, 405, 405, 405, 405),
    "action create":                 (200, 403, 403, 403, 403, 403),
    "action complete":               (405, 405, 405, 405, 405, 405),
    "logistics check":               (200, 200, 200, 404, 404, 404),
    "finance check":                 (200, 200, 404, 200, 404, 404),
    "logistics check save":          (405, 405, 405, 405, 405, 405),
    "logistics check add objective": (405, 405, 405, 405, 405, 405),
    "finance check reopen":          (405, 405, 405, 405, 405, 405),
    "rubric":                        (200, 403, 403, 403, 403, 403),
    "cadence":                       (200, 200, 403, 403, 403, 403),
    "operations":                    (403, 200, 403, 403, 403, 403),
    "delivery retry":                (405, 405, 405, 405, 405, 405),
    "notifications":                 (200, 200, 200, 200, 200, 200),
    "head's notification read":      (405, 405, 405, 405, 405, 405),
    "notifications read all":        (405, 405, 405, 405, 405, 405),
    "trends":                        (200, 200, 403, 403, 403, 403),
    "signals":                       (200, 200, 403, 403, 403, 403),
    "signals doc":                   (200, 200, 200, 200, 200, 200),
    "signal settings":               (200, 403, 403, 403, 403, 403),
    "acknowledge":                   (405, 405, 405, 405, 405, 405),
    "objective trend":               (200, 200, 403, 403, 403, 403),
    "logistics trend":               (200, 200, 200, 403, 403, 403),
    "finance trend":                 (200, 200, 403, 200, 403, 403),
    "report print":                  (200, 200, 403, 403, 403, 403),
    "report part":                   (200, 200, 403, 403, 403, 403),
    "report csv":                    (200, 200, 403, 403, 403, 403),
    "report status":                 (200, 200, 403, 403, 403, 403),
    "report request":                (405, 405, 405, 405, 405, 405),
    "report download":               (200, 200, 403, 403, 403, 403),
}  # fmt: skip
POST = {
    "cycle create":                  (302, 403, 403, 403, 403, 403),
    "cycle open":                    (302, 403, 403, 403, 403, 403),
    "cycle start review":            (302, 403, 403, 403, 403, 403),
    "cycle close":                   (302, 403, 403, 403, 403, 403),
    "executive score":               (302, 403, 403, 403, 403, 403),
    "action create":                 (302, 403, 403, 403, 403, 403),
    "action complete":               (302, 403, 403, 403, 403, 403),
    "logistics check save":          (403, 403, 302, 404, 404, 404),
    "logistics check add objective": (403, 403, 302, 404, 404, 404),
    "finance check reopen":          (302, 403, 404, 403, 404, 404),
    "rubric":                        (302, 403, 403, 403, 403, 403),
    "cadence":                       (302, 302, 403, 403, 403, 403),
    "delivery retry":                (403, 302, 403, 403, 403, 403),
    "head's notification read":      (404, 404, 302, 404, 404, 404),
    "notifications read all":        (302, 302, 302, 302, 302, 302),
    "report request":                (302, 302, 403, 403, 403, 403),
    "signal settings":               (302, 403, 403, 403, 403, 403),
    "acknowledge":                   (302, 302, 302, 302, 302, 302),
}  # fmt: skip


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def test_the_tables_cover_home_and_every_review_page(world):
    pages = {resolve(url(world)).view_name for url, _ in TARGETS.values()}

    assert pages == {"home"} | {f"reviews:{p.name}" for p in urlpatterns}
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
    if expected == 302:
        assert snapshot() != before, "an allowed POST should have changed something"
    else:
        assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("target", TARGETS)
def test_anonymous_visitors_are_sent_to_log_in(client, world, target, method):
    url = TARGETS[target][0](world)
    before = snapshot()

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={quote(url)}"
    assert snapshot() == before
