"""Content Security Policy: on every page, and nothing inline in the templates that it blocks."""

import re
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver, reverse

from strategy.models import Lever
from tests.factories import CommitmentFactory, make_open_cycle

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# JSON, and it checks the broker; it carries the header like every response, but is no page.
NOT_PAGES = {"healthz"}


# --- The header ------------------------------------------------------------------------------


def _policy(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy-Report-Only" not in response.headers
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = (d.split() for d in header.split(";") if d.strip())
    return {name: values for name, *values in directives}


def _strict_policy_problems(response) -> list[str]:
    try:
        policy = _policy(response)
    except AssertionError as exc:
        return [str(exc)]
    problems = [
        f"{name} is {policy.get(name)}, not 'none'"
        for name in ("object-src", "base-uri", "frame-ancestors")
        if policy.get(name) != ["'none'"]
    ]
    for name, values in policy.items():
        if name.startswith(("script-src", "style-src", "default-src")):
            problems += [f"{name} allows {v}" for v in values if v.startswith("'unsafe-")]
    if "script-src" not in policy and "default-src" not in policy:
        problems.append("neither script-src nor default-src is set")
    return problems


@pytest.fixture
def world(current_position, draft_position, logistics, finance, head, other_head):
    """Something behind every address: objectives, commitments, an open review with checks."""
    objective = current_position.objectives.first()
    commitment = CommitmentFactory(unit=logistics, objective=objective, lever=Lever.PEOPLE)
    CommitmentFactory(unit=finance, objective=objective, lever=Lever.FUNDING)
    cycle = make_open_cycle(current_position, quarter=1)
    return {
        "objective": objective.pk,
        "commitment": commitment.pk,
        "cycle": cycle.pk,
        "check": cycle.checks.get(unit=logistics).pk,
        "draft_year": draft_position.fiscal_year,
        "year": current_position.fiscal_year,
    }


def _url_names(resolver=None, prefix: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":  # Django's own pages, checked through admin:index
                namespace = f"{pattern.namespace}:" if pattern.namespace else ""
                yield from _url_names(pattern, prefix + namespace)
        elif pattern.name and pattern.name not in NOT_PAGES:
            yield prefix + pattern.name, list(pattern.pattern.converters)


def _kwargs(name: str, params: list[str], world: dict) -> dict:
    """Sample arguments that reach a real object where there is one (else the 404 page)."""
    if name.startswith("reviews:check-"):
        pk = world["check"]
    elif name.startswith(("strategy:objective-", "reviews:trend-objective")):
        pk = world["objective"]
    elif name.startswith("strategy:commitment-"):
        pk = world["commitment"]
    else:
        pk = world["cycle"]
    drafts = {"strategy:position-edit", "strategy:objective-create"}
    samples = {
        "pk": pk,
        "fiscal_year": world["draft_year"] if name in drafts else world["year"],
        "code": "logistics",
        "direction": "up",
        "decision": "kept",
        "fmt": "pdf",
        "uidb64": "MQ",
        "token": "set-password",
        "name": "signals",
        "part": 1,
        "language": "de",
    }
    return {param: samples[param] for param in params}


@pytest.mark.parametrize("who", ["executive", "head", "admin_user", None])
def test_every_page_carries_a_strict_content_security_policy(client, request, world, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    pages = [
        (name, reverse(name, kwargs=_kwargs(name, params, world))) for name, params in _url_names()
    ] + [("admin:index", reverse("admin:index"))]

    problems, html_pages = [], 0
    for name, url in pages:
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html_pages += response.status_code == 200
        problems += [
            f"{name} ({url}, {response.status_code}): {p}"
            for p in _strict_policy_problems(response)
        ]

    assert not problems, "\n".join(problems)
    # The walk must reach real pages, not only redirects and refusals.
    assert html_pages >= (5 if who is None else 15)


def test_the_locked_out_page_and_error_pages_carry_it_too(client, head):
    missing = client.get("/no-such-page/")
    for _ in range(6):
        locked = client.post(reverse("login"), {"username": head.username, "password": "x"})

    assert missing.status_code in (302, 404)
    assert locked.status_code == 429
    assert _strict_policy_problems(locked) == []
    assert _strict_policy_problems(missing) == []


# --- The templates ---------------------------------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
INLINE_CHECKS = [
    # An inline script or style element, with something in it.
    (re.compile(r"<script\b[^>]*>(?P<body>.*?)</script\s*>", re.S | re.I), "inline <script>"),
    (re.compile(r"<style\b[^>]*>(?P<body>.*?)</style\s*>", re.S | re.I), "inline <style>"),
]
ATTRIBUTE_CHECKS = [
    (re.compile(r"\s(on[a-z]+)\s*=", re.I), "event handler attribute"),
    (re.compile(r"\s(hx-on[:\w-]*)\s*=", re.I), "htmx inline handler"),
    (re.compile(r"\s(style)\s*=", re.I), "style attribute"),
    (re.compile(r"""=\s*["']?\s*(javascript:)""", re.I), "javascript: URL"),
]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _inline_problems(path: Path) -> list[str]:
    text = path.read_text()
    where = path.relative_to(TEMPLATES.parent)
    problems = [
        f"{where}:{_line(text, m.start())}: {what}"
        for pattern, what in INLINE_CHECKS
        for m in pattern.finditer(text)
        if m.group("body").strip()
    ]
    for tag in TAG.finditer(text):
        for pattern, what in ATTRIBUTE_CHECKS:
            for m in pattern.finditer(tag.group()):
                problems.append(
                    f"{where}:{_line(text, tag.start() + m.start())}: {what} {m.group(1)!r}"
                )
    return problems


def _page_templates() -> list[Path]:
    # HTML emails are read in mail programs, not under the site's policy.
    return [p for p in sorted(TEMPLATES.rglob("*.html")) if "emails" not in p.parts]


def test_no_template_has_inline_script_style_or_event_handlers():
    templates = _page_templates()
    problems = [problem for path in templates for problem in _inline_problems(path)]

    assert len(templates) > 30
    assert not problems, "The CSP blocks these; move them to static/:\n" + "\n".join(problems)


def test_the_template_check_finds_what_it_looks_for(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.TEMPLATES", tmp_path / "templates")
    page = tmp_path / "templates" / "bad.html"
    page.parent.mkdir()
    page.write_text(
        '<script src="/static/app.js"></script>\n'
        "<script>alert(1)</script>\n"
        '<button type="button"\n  onclick="go()">Go</button>\n'
        '<p style="color: red" hx-on:click="x()">Hi</p>\n'
        '<a href="javascript:go()">Go</a>\n'
        "<style>p { color: red }</style>\n"
    )

    assert _inline_problems(page) == [
        "templates/bad.html:2: inline <script>",
        "templates/bad.html:7: inline <style>",
        "templates/bad.html:4: event handler attribute 'onclick'",
        "templates/bad.html:5: htmx inline handler 'hx-on:click'",
        "templates/bad.html:5: style attribute 'style'",
        "templates/bad.html:6: javascript: URL 'javascript:'",
    ]
