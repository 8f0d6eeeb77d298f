"""Chromium for Playwright, a page that watches for console errors and CSP violations, and the
demo company with the main pages of every role (for the accessibility and HTML checks)."""

import io
import os
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from notifications import tasks as notification_tasks
from reports import tasks as report_tasks

# Playwright's sync API runs an event loop in the test thread; the test itself only touches the
# database to set up data and check results, never concurrently with the loop's callbacks.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The live server reads what a test writes, so these tests commit (transaction=True).
LIVE_DB = pytest.mark.django_db(transaction=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def watched_page(page):
    """A page that records console errors and uncaught exceptions, with the page they came
    from; the test asserts there are none. Chromium reports a CSP violation ("Refused to load
    ...", "Refused to execute inline script ...") as a console error, so this catches those too.
    """
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: console {msg.type}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: page error: {exc}"))
    # The console says "Failed to load resource: ... 404" without the address; this names it.
    page.on(
        "response",
        lambda r: (
            problems.append(f"{page.url}: HTTP {r.status} for {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    page.set_default_timeout(10_000)  # a missing element fails in seconds, not half a minute
    page.problems = problems
    yield page


def assert_no_problems(page) -> None:
    assert not page.problems, "console errors or CSP violations:\n" + "\n".join(page.problems)


@pytest.fixture
def queued_tasks(monkeypatch):
    """No broker and no worker: the ids the app would send to Celery are recorded instead.

    The live server runs in this process, so the patch applies to its requests too; a test runs
    a queued report with `reports.report_build(report_id=...)`, as the worker would.
    """

    queued = SimpleNamespace(reports=[], deliveries=[])
    monkeypatch.setattr(report_tasks, "build_report", SimpleNamespace(delay=queued.reports.append))
    monkeypatch.setattr(
        notification_tasks, "send_deliveries", SimpleNamespace(delay=queued.deliveries.extend)
    )
    return queued


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def log_out(page) -> None:
    page.get_by_role("button", name=page.locator("nav .dropdown-toggle").inner_text()).click()
    page.get_by_role("button", name="Log out").click()


@contextmanager
def autosaved(page):
    """Wait for the htmx autosave that the block's change triggers to come back: it returns the
    check's new version, and a later save with the old one would be refused as stale."""
    # htmx binds the autosave when the page has loaded; a change made before then (the heading
    # can be visible while the script at the end of the body is still loading) sends nothing.
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    version = page.locator("#check-version")
    before = version.input_value()
    yield
    expect(version).not_to_have_value(before)


def session_cookie(user, base_url: str) -> dict:
    """A logged-in session for `user`, as a Playwright cookie: skips the login form."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": base_url}


# --- The main pages of every role --------------------------------------------------------------


@dataclass(frozen=True)
class MainPage:
    name: str
    username: str | None  # None: not logged in
    path: str


@pytest.fixture
def demo_company(queued_tasks):
    """The demo company of `make run` (four closed quarters and an open one, with charts,
    agenda, signals and notifications), plus next year's draft position to edit."""
    from strategy.models import StrategicPosition, Unit
    from tests.factories import ChatChannelFactory, WebhookEndpointFactory, make_draft_position

    call_command("seed_demo", stdout=io.StringIO())
    current = StrategicPosition.objects.get(is_current=True)
    make_draft_position(
        fiscal_year=current.fiscal_year + 1,
        owner=current.objectives.first().owner,
    )
    WebhookEndpointFactory(name="BI feed", url="https://hooks.example.com/in")
    ChatChannelFactory(
        name="#logistics",
        unit=Unit.objects.get(code="logistics"),
        url="https://hooks.example.com/services/T0/B0/x",
    )
    return current


def main_pages() -> list[MainPage]:
    """Every main page, each seen by a person of the role that uses it (demo usernames)."""
    from notifications.models import ChatChannel, WebhookEndpoint
    from reviews.models import AlignmentCheck, ReviewCycle
    from strategy.models import StrategicPosition

    current = StrategicPosition.objects.get(is_current=True)
    draft = StrategicPosition.objects.get(status=StrategicPosition.Status.DRAFT)
    cycle = ReviewCycle.objects.get(state=ReviewCycle.State.OPEN)
    check = AlignmentCheck.objects.get(cycle=cycle, unit__code="logistics")
    hook = WebhookEndpoint.objects.values_list("pk", flat=True).first()
    channel = ChatChannel.objects.values_list("pk", flat=True).first()
    return [
        MainPage("login page", None, reverse("login")),
        MainPage("home (executive)", "exec", reverse("home")),
        MainPage("home (head)", "head", reverse("home")),
        MainPage("home (member)", "member", reverse("home")),
        MainPage("home (admin)", "admin", reverse("home")),
        MainPage("strategy page", "member", current.get_absolute_url()),
        MainPage("strategy page (executive)", "exec", current.get_absolute_url()),
        # Its measures' values beside the plan, their charts and the form to record a value.
        MainPage(
            "objective page",
            "exec",
            current.objectives.order_by("order").first().get_absolute_url(),
        ),
        MainPage(
            "position edit form",
            "exec",
            reverse("strategy:position-edit", args=[draft.fiscal_year]),
        ),
        MainPage(
            "objective form",
            "exec",
            reverse("strategy:objective-create", args=[draft.fiscal_year]),
        ),
        MainPage(
            "commitment form", "head", reverse("strategy:commitment-create", args=["logistics"])
        ),
        MainPage("organisation", "exec", reverse("strategy:unit-list")),
        MainPage("unit page", "head", reverse("strategy:unit-detail", args=["logistics"])),
        MainPage("coverage matrix", "exec", reverse("strategy:matrix")),
        MainPage("review list", "exec", reverse("reviews:cycle-list")),
        MainPage("cycle page", "exec", cycle.get_absolute_url()),
        MainPage("heatmap", "exec", reverse("reviews:cycle-heatmap", args=[cycle.pk])),
        MainPage("check page", "head", check.get_absolute_url()),
        MainPage("trends", "exec", reverse("reviews:trends")),
        MainPage("signals", "exec", reverse("sustain:signals")),
        MainPage("signals explained", "exec", reverse("reviews:doc-detail", args=["signals"])),
        MainPage("operations", "admin", reverse("notifications:operations")),
        MainPage("webhooks", "admin", reverse("notifications:webhook-list")),
        MainPage("webhook endpoint", "admin", reverse("notifications:webhook-edit", args=[hook])),
        MainPage("chat channels", "admin", reverse("notifications:chat-list")),
        MainPage("chat channel", "admin", reverse("notifications:chat-edit", args=[channel])),
        MainPage("cadence settings", "exec", reverse("reviews:cadence-edit")),
        MainPage("notifications", "head", reverse("notifications:notification-list")),
        MainPage("profile and tokens", "head", reverse("api:profile")),
        MainPage("second factor set-up", "head", reverse("twofactor:setup")),
        MainPage("API help", "head", reverse("reviews:doc-detail", args=["api"])),
    ]
