"""The API's documentation page: Swagger UI, vendored, draws the OpenAPI description under the
strict CSP (nothing blocked, nothing fetched from elsewhere), and "Try it out" sends requests
with the browser's session."""

import json

import pytest
from playwright.sync_api import expect

from strategy.models import MeasureActual
from tests.browser.conftest import LIVE_DB, assert_no_problems, session_cookie
from tests.factories import MeasureFactory

pytestmark = [pytest.mark.browser, LIVE_DB]


def test_the_docs_page_draws_the_api_and_tries_a_request_as_the_signed_in_person(
    live_server, watched_page, head, logistics
):
    page = watched_page
    elsewhere = []
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="API", exact=True).click()

    expect(page.get_by_role("heading", name="Alignment Reviews API")).to_be_visible()
    me = page.locator("#operations-me-me_retrieve")
    expect(me).to_be_visible()
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()

    status = me.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")
    expect(me.locator(".live-responses-table .microlight").first).to_contain_text("hugo-head")
    assert elsewhere == []
    assert_no_problems(page)


def test_trying_a_write_on_the_docs_page_sends_the_csrf_token_of_the_session(
    live_server, watched_page, head, logistics, current_position
):
    measure = MeasureFactory(
        objective=current_position.objectives.first(), reporting_team=logistics
    )
    page = watched_page
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(f"{live_server.url}/api/docs/")

    bulk = page.locator("#operations-measure-actuals-measure_actuals_bulk_create")
    bulk.locator(".opblock-summary").click()
    bulk.get_by_role("button", name="Try it out").click()
    bulk.get_by_placeholder("Idempotency-Key").fill("from-the-docs-page")
    body = {
        "values": [{"measure": measure.pk, "fiscal_year": 2026, "period": "Q1", "value": "91.5"}]
    }
    bulk.locator("textarea.body-param__text").fill(json.dumps(body))
    bulk.get_by_role("button", name="Execute").click()

    status = bulk.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")
    assert MeasureActual.objects.get().source == "api"
    assert_no_problems(page)
