"""Brute force (django-axes): a (username, address) pair is locked after five failures."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from tests.security.conftest import PRODUCTION, settings_in

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.5"
OFFICE = "198.51.100.7"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(form_login, client, user, times: int, address: str = ATTACKER):
    return [form_login(client, user, password="wrong", address=address) for _ in range(times)]


def test_the_settings_lock_a_username_and_address_pair_after_five_failures():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_four_failures_still_show_the_login_form(client, form_login, head):
    responses = _fail(form_login, client, head, 4)

    assert [r.status_code for r in responses] == [200] * 4
    assert form_login(client, head, address=ATTACKER).status_code == 302
    assert _is_logged_in(client)


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, form_login, head):
    responses = _fail(form_login, client, head, 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]

    response = form_login(client, head, address=ATTACKER)

    assert response.status_code == 429
    assert not _is_logged_in(client)


def test_the_same_user_from_another_address_still_logs_in(client, form_login, head):
    _fail(form_login, client, head, 6)

    response = form_login(client, head, address=OFFICE)

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_another_user_from_the_locked_address_still_logs_in(client, form_login, head, other_head):
    _fail(form_login, client, head, 6)

    assert form_login(client, other_head, address=ATTACKER).status_code == 302


def test_the_lock_ends_fifteen_minutes_after_the_last_attempt(client, form_login, head):
    with time_machine.travel(T0, tick=False) as clock:
        _fail(form_login, client, head, 5)
        clock.move_to(T0 + timedelta(minutes=10))
        assert form_login(client, head, address=ATTACKER).status_code == 429  # the wait restarts

        clock.move_to(T0 + timedelta(minutes=24))
        assert form_login(client, head, address=ATTACKER).status_code == 429

        clock.move_to(T0 + timedelta(minutes=40))
        assert form_login(client, head, address=ATTACKER).status_code == 302


def test_a_successful_login_clears_the_earlier_failures(client, form_login, head):
    _fail(form_login, client, head, 4)
    form_login(client, head, address=ATTACKER)
    client.post(reverse("logout"))

    responses = _fail(form_login, client, head, 4)

    assert [r.status_code for r in responses] == [200] * 4


def test_the_locked_out_page_is_a_styled_page_that_says_when_to_try_again(client, form_login, head):
    response = _fail(form_login, client, head, 5)[-1]

    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "base.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert "Try again in 15 minutes" in text
    assert "object-src 'none'" in response["Content-Security-Policy"]


def test_the_admin_login_is_locked_out_too(client, admin_user):
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": admin_user.username, "password": "x"}, REMOTE_ADDR=ATTACKER)

    response = client.post(
        url, {"username": admin_user.username, "password": "correct"}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429


def test_every_attempt_is_recorded_and_logged(client, form_login, head, caplog):
    caplog.set_level(logging.INFO, logger="axes")

    _fail(form_login, client, head, 6)
    form_login(client, head, address=OFFICE)

    failures = AccessFailureLog.objects.filter(username=head.username)
    assert failures.filter(ip_address=ATTACKER).count() == 6
    assert failures.filter(ip_address=ATTACKER, locked_out=True).count() == 2
    assert AccessLog.objects.filter(username=head.username, ip_address=OFFICE).count() == 1
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    failed = [line for line in lines if "login failure by" in line and ATTACKER in line]
    assert len(failed) == 6
    assert all(head.username in line for line in failed)
    assert any("Locking out" in line for line in lines)
    assert any("Successful login" in line and OFFICE in line for line in lines)
    assert not any("wrong" in line or "correct-horse" in line for line in lines)  # no passwords


# --- The client's address --------------------------------------------------------------------


def _address(**meta) -> str | None:
    return get_client_ip_address(RequestFactory().get("/", **meta))


def test_without_a_proxy_a_forwarded_for_header_is_ignored():
    assert _address(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=OFFICE) == ATTACKER


@pytest.fixture
def behind_one_proxy(settings):
    """What CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR and TRUSTED_PROXY_COUNT=1 set."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    settings.AXES_IPWARE_PROXY_COUNT = 0


def test_behind_a_proxy_the_address_comes_from_the_configured_header(behind_one_proxy):
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OFFICE) == OFFICE


def test_behind_a_proxy_addresses_a_client_writes_into_the_header_are_ignored(behind_one_proxy):
    # The client sent "X-Forwarded-For: 198.51.100.7"; the proxy appended the real peer.
    spoofed = f"{OFFICE}, {ATTACKER}"

    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=spoofed) == ATTACKER


def test_behind_a_proxy_users_are_not_locked_out_together(
    behind_one_proxy, client, form_login, head
):
    for _ in range(6):
        client.post(
            reverse("login"),
            {"username": head.username, "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )

    response = client.post(
        reverse("login"),
        {"username": head.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=OFFICE,
    )

    assert response.status_code == 302
    assert AccessAttempt.objects.get().ip_address == ATTACKER


IPWARE = ["AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT"]


def test_production_uses_the_peer_address_unless_a_header_is_configured(tmp_path):
    assert settings_in(PRODUCTION, IPWARE, tmp_path) == {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
        "AXES_IPWARE_PROXY_COUNT": None,
        "IPWARE_STRICT": False,
    }


def test_client_ip_header_and_trusted_proxy_count_configure_ipware(tmp_path):
    env = PRODUCTION | {"CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "TRUSTED_PROXY_COUNT": "2"}

    assert settings_in(env, IPWARE, tmp_path) == {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR"],
        "AXES_IPWARE_PROXY_COUNT": 1,
        "IPWARE_STRICT": False,
    }
