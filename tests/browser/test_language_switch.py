"""The footer's language switch, as a person uses it: the login page in German, then signed in
in French, and the choice kept on the profile for the next visit."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from strategy.models import Profile
from tests.browser.conftest import LIVE_DB, assert_no_problems, session_cookie

pytestmark = [pytest.mark.browser, LIVE_DB]


def said_in(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def test_a_person_switches_the_language_in_the_footer(live_server, watched_page, head):
    page = watched_page
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    page.get_by_role("button", name="Deutsch").click()

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name=said_in("de", "Log in"))).to_be_visible()
    assert page.url == f"{live_server.url}/accounts/login/"  # the same address

    page.context.clear_cookies()
    page.context.add_cookies([session_cookie(head, live_server.url)])
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Français").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name=said_in("fr", "Home"), exact=True)).to_be_visible()
    assert page.url == f"{live_server.url}/"
    assert Profile.objects.get(user=head).language == "fr"
    assert_no_problems(page)
