"""axe-core finds no serious or critical accessibility problem on any main page."""

from itertools import groupby
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import LIVE_DB, main_pages, session_cookie

pytestmark = [pytest.mark.browser, LIVE_DB]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def describe(page_name: str, url: str, violation: dict) -> str:
    lines = [
        f"{page_name} ({url}): [{violation['impact']}] {violation['id']}: {violation['help']}",
        f"    {violation['helpUrl']}",
    ]
    for node in violation["nodes"][:5]:
        lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
        if node.get("failureSummary"):
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def test_no_main_page_has_a_serious_or_critical_axe_violation(live_server, browser, demo_company):
    users = {u.username: u for u in get_user_model().objects.all()}
    pages = sorted(main_pages(), key=lambda p: p.username or "")
    found = []
    checked = 0
    for username, group in groupby(pages, key=lambda p: p.username):
        # The strict CSP forbids injecting axe; only this context bypasses it (the journeys
        # keep the CSP and watch for violations).
        context = browser.new_context(base_url=live_server.url, bypass_csp=True)
        if username:
            context.add_cookies([session_cookie(users[username], live_server.url)])
        page = context.new_page()
        for main_page in group:
            response = page.goto(main_page.path)
            assert response.ok, f"{main_page.name}: HTTP {response.status} at {main_page.path}"
            page.add_script_tag(path=AXE)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            found += [
                describe(main_page.name, main_page.path, v)
                for v in result["violations"]
                if v["impact"] in BLOCKING
            ]
            checked += 1
        context.close()

    assert checked == len(pages)
    assert not found, "axe-core found serious or critical violations:\n\n" + "\n\n".join(found)
