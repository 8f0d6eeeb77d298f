"""Sessions: cookie flags, a new key at login, logout, timeouts, password changes."""

from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from alignment.middleware import SEEN_AT
from tests.factories import PASSWORD
from tests.security.conftest import PRODUCTION, settings_in

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
COOKIE_SETTINGS = [
    f"{kind}_COOKIE_{attr}"
    for kind in ("SESSION", "CSRF")
    for attr in ("NAME", "SECURE", "HTTPONLY", "SAMESITE", "PATH", "DOMAIN")
]


@pytest.fixture(scope="module")
def production_cookie_settings(tmp_path_factory):
    return settings_in(PRODUCTION, COOKIE_SETTINGS, tmp_path_factory.mktemp("production"))


@pytest.fixture
def url():
    """A page any logged-in user may see."""
    return reverse("notifications:notification-list")


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _assert_sent_to_login(response, next_url: str | None = None):
    assert response.status_code == 302
    expected = reverse("login") + (f"?next={next_url}" if next_url else "")
    assert response.url == expected


# --- Cookies ---------------------------------------------------------------------------------


def test_production_cookies_are_host_prefixed_secure_http_only_and_same_site(
    production_cookie_settings,
):
    assert production_cookie_settings == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_PATH": "/",
        "CSRF_COOKIE_DOMAIN": None,
    }


def test_with_the_production_settings_browsers_get_cookies_they_accept_as_host_cookies(
    client, settings, production_cookie_settings, head
):
    for name, value in production_cookie_settings.items():
        setattr(settings, name, value)

    login_page = client.get(reverse("login"), secure=True)
    logged_in = client.post(
        reverse("login"), {"username": head.username, "password": PASSWORD}, secure=True
    )

    assert logged_in.status_code == 302
    for cookie in (login_page.cookies["__Host-csrftoken"], logged_in.cookies["__Host-sessionid"]):
        # A __Host- cookie must be Secure, for Path=/ and without a Domain.
        assert cookie["secure"] is True
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_the_session_cookie_lasts_no_longer_than_the_absolute_cap():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_MAX_SECONDS == 12 * 3600
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_SECONDS


# --- Login and logout ------------------------------------------------------------------------


def test_the_session_key_changes_at_login(client, form_login, head):
    planted = client.session  # e.g. a key an attacker got the victim's browser to use
    planted["theme"] = "dark"
    planted.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    form_login(client, head)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not SessionStore().exists(before)
    assert _is_logged_in(client)


def test_a_session_cookie_replayed_after_logout_is_refused(client, form_login, head, url):
    form_login(client, head)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))

    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen

    _assert_sent_to_login(thief.get(url), url)


def test_changing_the_password_ends_the_other_sessions(form_login, head, url):
    laptop, phone = Client(), Client()
    form_login(laptop, head)
    form_login(phone, head)
    new_password = "a-much-longer-passphrase-7"

    response = laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 302
    assert laptop.get(url).status_code == 200  # the session that changed it goes on
    _assert_sent_to_login(phone.get(url), url)


# --- Idle timeout and absolute cap -------------------------------------------------------------


def test_a_session_idle_for_more_than_thirty_minutes_is_logged_out(client, form_login, head, url):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        clock.shift(timedelta(minutes=29))
        assert client.get(url).status_code == 200

        clock.shift(timedelta(minutes=31))
        response = client.get(url)

        _assert_sent_to_login(response, url)
        assert not _is_logged_in(client)
        assert "after 30 minutes without activity" in client.get(response.url).content.decode()


def test_activity_keeps_a_session_alive(client, form_login, head, url):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        for _ in range(12):  # four hours
            clock.shift(timedelta(minutes=20))
            assert client.get(url).status_code == 200


def test_no_session_lasts_longer_than_twelve_hours_however_active(client, form_login, head, url):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        for _ in range(28):  # 11 hours 40 minutes
            clock.shift(timedelta(minutes=25))
            assert client.get(url).status_code == 200

        clock.move_to(T0 + timedelta(hours=12, minutes=1))
        response = client.get(url)

        _assert_sent_to_login(response, url)
        assert "at most 12 hours" in client.get(response.url).content.decode()


def test_last_activity_is_saved_at_most_once_a_minute(client, form_login, head, url):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        clock.shift(timedelta(seconds=30))
        quiet = client.get(url)
        clock.shift(timedelta(seconds=40))
        saved = client.get(url)

        assert settings.SESSION_COOKIE_NAME not in quiet.cookies  # the session was not written
        assert settings.SESSION_COOKIE_NAME in saved.cookies
        assert client.session[SEEN_AT] == int((T0 + timedelta(seconds=70)).timestamp())


def test_a_session_without_timestamps_starts_counting_at_its_next_request(client, head, url):
    """Sessions from before the middleware, and the tests' force_login, have none."""
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(head)
        clock.shift(timedelta(hours=2))
        assert client.get(url).status_code == 200

        clock.shift(timedelta(minutes=31))
        _assert_sent_to_login(client.get(url), url)


def test_a_form_posted_after_the_timeout_goes_to_the_login_page_without_next(
    client, form_login, head
):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        clock.shift(timedelta(minutes=45))
        response = client.post(reverse("notifications:notification-read-all"))

    _assert_sent_to_login(response)


def test_an_htmx_request_after_the_timeout_answers_in_place_and_leaves_the_page(
    client, form_login, head
):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        clock.shift(timedelta(minutes=45))
        response = client.post(
            "/reviews/checks/5/save/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="https://example.com/reviews/checks/5/",
        )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Your session has ended, and this was not saved" in text
    assert f'href="{reverse("login")}?next=/reviews/checks/5/"' in text
    assert not _is_logged_in(client)


def test_an_expired_session_opening_the_login_page_gets_it_with_the_reason(
    client, form_login, head
):
    with time_machine.travel(T0, tick=False) as clock:
        form_login(client, head)
        clock.shift(timedelta(minutes=45))
        response = client.get(reverse("login"))

        assert response.status_code == 200
        assert "after 30 minutes without activity" in response.content.decode()
        assert not _is_logged_in(client)


def test_a_session_past_its_expiry_date_is_not_read():
    engine = import_module(settings.SESSION_ENGINE)
    with time_machine.travel(T0, tick=False):
        session = engine.SessionStore()
        session["kept"] = "yes"
        session.set_expiry(60)
        session.create()
        key = session.session_key
        assert engine.SessionStore(key).load()["kept"] == "yes"
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        expired = engine.SessionStore(key)
        assert expired.load() == {}
        assert expired.session_key is None  # as Django's database sessions: a new key to come


def test_an_unknown_session_key_reads_an_empty_session():
    engine = import_module(settings.SESSION_ENGINE)
    unknown = engine.SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


# --- The session's user ----------------------------------------------------------------------


def _signed_in(user, backend: str) -> Client:
    """A browser whose session says `user` signed in with `backend`, as login() leaves it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def test_a_password_sign_in_reads_its_user_with_the_products_backend(client, form_login, head):
    form_login(client, head)

    assert client.session["_auth_user_backend"] == "alignment.backends.ModelBackend"
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.wsgi_request.user == head


def test_a_session_signed_in_with_djangos_own_backend_stays_signed_in(head, url):
    """Sessions from before the product's backend replaced Django's keep their person."""
    client = _signed_in(head, "django.contrib.auth.backends.ModelBackend")

    response = client.get(url)

    assert response.status_code == 200
    assert response.wsgi_request.user == head


def test_the_session_of_a_deactivated_or_deleted_user_is_signed_out(head, member, url):
    inactive, deleted = (
        _signed_in(head, "alignment.backends.ModelBackend"),
        _signed_in(member, "alignment.backends.ModelBackend"),
    )
    head.is_active = False
    head.save(update_fields=["is_active"])
    member.delete()

    for client in (inactive, deleted):
        _assert_sent_to_login(client.get(url), url)


def test_a_session_whose_password_changed_since_is_signed_out(head, url):
    client = _signed_in(head, "alignment.backends.ModelBackend")
    head.set_password("a new and long passphrase")
    head.save(update_fields=["password"])

    _assert_sent_to_login(client.get(url), url)


def test_the_session_user_is_the_whole_user_row(head):
    from strategy.roles import read_user

    read = read_user(head.pk)

    assert read is not None and read._state.adding is False
    assert {f.attname: getattr(read, f.attname) for f in type(head)._meta.concrete_fields} == {
        f.attname: getattr(head, f.attname) for f in type(head)._meta.concrete_fields
    }
    assert read_user(head.pk + 10_000) is None
    assert read_user(2**70) is None
