"""Issue #15: an executive whose role needs a second factor sets one up in the browser after
their password, signs in with its code, then with a recovery code; all under the strict CSP."""

import base64

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_DB, assert_no_problems, log_out
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, LIVE_DB]


def app_code(secret: str, *, step_ahead: int = 0) -> str:
    """What the authenticator app shows for the key typed from the page."""
    b32 = secret.replace(" ", "")
    key = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    return f"{TOTP(key, drift=step_ahead).token():06d}"


def password_step(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_executive_sets_up_a_factor_and_signs_in_with_it_then_with_a_recovery_code(
    live_server, watched_page, executive, settings
):
    settings.SECOND_FACTOR_REQUIRED = True
    page, base = watched_page, live_server.url

    password_step(page, base, executive.username)
    page.wait_for_url(f"{base}/accounts/second-factor/setup/")
    qr = page.get_by_role("img", name="QR code of your second factor's key")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the SVG loaded, under the CSP
    # Elsewhere is out of reach until the factor is set up.
    page.goto(f"{base}/strategy/positions/")
    page.wait_for_url(f"{base}/accounts/second-factor/setup/")

    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(app_code(secret))
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url(f"{base}/accounts/second-factor/recovery-codes/")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them").click()
    expect(page.locator("#second-factor + p")).to_contain_text("10 recovery codes left")
    log_out(page)

    # The password, then the app's next code (the one just used would not work twice).
    password_step(page, base, executive.username)
    page.wait_for_url(f"{base}/accounts/second-factor/code/")
    page.get_by_label("Code").fill(app_code(secret, step_ahead=1))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    log_out(page)

    # A recovery code in place of the app's.
    password_step(page, base, executive.username)
    page.wait_for_url(f"{base}/accounts/second-factor/code/")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/profile/")
    expect(page.locator("#second-factor + p")).to_contain_text("9 recovery codes left")
    assert_no_problems(page)
