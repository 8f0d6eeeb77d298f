"""Single sign-on in Chromium, against the test OpenID Connect provider (tests/sso/provider/):
the login page's button, the provider's sign-in and consent, back with a session whose roles
come from the groups claim, and a sign-out that ends the provider's session too."""

import sqlite3

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from strategy.models import SSOIdentity
from strategy.roles import EXECUTIVE
from tests.browser.conftest import LIVE_DB, assert_no_problems, log_out

pytestmark = [pytest.mark.browser, LIVE_DB]


@pytest.fixture
def sso_live(sso_on, live_server, settings):
    """The provider also sends the browser back to the live server (it is on "localhost")."""
    base = live_server.url
    with sqlite3.connect(sso_on.db) as db:
        db.execute(
            "UPDATE oauth2_provider_application SET redirect_uris = redirect_uris || ?,"
            " post_logout_redirect_uris = post_logout_redirect_uris || ?",
            [f" {base}/accounts/sso/callback/", f" {base}/accounts/login/"],
        )
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {
            **policy["DIRECTIVES"],
            "form-action": [*policy["DIRECTIVES"]["form-action"], sso_on.url],
        },
    }
    return sso_on


def test_sign_in_with_the_provider_and_out_again(watched_page, live_server, sso_live):
    page = watched_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()

    # At the provider: its own sign-in, then its consent page.
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("provider-pw-1")
    page.get_by_role("button", name="Provider sign in").click()
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/")
    ada = get_user_model().objects.get(username="ada")
    assert list(ada.groups.values_list("name", flat=True)) == [EXECUTIVE]
    assert SSOIdentity.objects.get(user=ada).roles_from_claim == [EXECUTIVE]
    # An executive's menu: the company settings are theirs to edit.
    page.locator("nav .dropdown-toggle").click()
    expect(page.get_by_role("link", name="Company settings")).to_be_visible()
    page.locator("nav .dropdown-toggle").click()

    log_out(page)

    page.wait_for_url(f"{live_server.url}/accounts/login/")
    # Signed out of the provider too: the button leads to its sign-in form again.
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.get_by_role("button", name="Provider sign in")).to_be_visible()
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/accounts/login/?next=/")
    assert_no_problems(page)
