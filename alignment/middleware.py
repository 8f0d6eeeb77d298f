"""Session lifetimes: an idle timeout and an absolute cap, on top of Django's session cookie."""

from __future__ import annotations

import logging
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation.trans_real import parse_accept_lang_header

from strategy import languages

log = logging.getLogger(__name__)

LOGIN_AT = "_auth_login_at"  # seconds since the epoch, like SEEN_AT
SEEN_AT = "_auth_seen_at"
# Saving the session on every request would write to the database each time; a minute's
# precision is plenty for an idle timeout of half an hour.
SEEN_WRITE_INTERVAL = 60

# The REST API's endpoints (api/urls.py): see LanguageMiddleware.
API_PREFIX = "/api/v1/"


def _reason_text(reason: str) -> str:
    """Why the session ended ("idle" or "max"), in the reader's language."""
    if reason == "idle":
        count = settings.SESSION_IDLE_SECONDS // 60
        text = ngettext(
            "You were logged out after %(count)s minute without activity. Please log in again.",
            "You were logged out after %(count)s minutes without activity. Please log in again.",
            count,
        )
    else:
        count = settings.SESSION_MAX_SECONDS // 3600
        text = ngettext(
            "You were logged out because a session lasts at most %(count)s hour. Please log in "
            "again.",
            "You were logged out because a session lasts at most %(count)s hours. Please log in "
            "again.",
            count,
        )
    return text % {"count": count}


class SessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_SECONDS or older than SESSION_MAX_SECONDS.

    The session keeps when it logged in and when it was last used. A session that has neither
    (it predates this middleware, or a test's force_login made it) starts counting now.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = int(timezone.now().timestamp())
        was_authenticated = request.user.is_authenticated
        if was_authenticated:
            reason = _expiry_reason(request.session, now)
            if reason:
                response = _end_session(request, reason)
                if request.path != resolve_url(settings.LOGIN_URL):
                    return response
                was_authenticated = False  # on the login page already: show it
        response = self.get_response(request)
        # The view may have logged someone in (a new login starts both clocks) or out. Only a
        # session that carries a login is timed: an API request authenticated by its token
        # (request.user set by the API) has no session to start.
        if request.user.is_authenticated and SESSION_KEY in request.session:
            _touch(request.session, now, new_login=not was_authenticated)
        return response


def _expiry_reason(session: SessionBase, now: int) -> str | None:
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        return None
    if now - login_at > settings.SESSION_MAX_SECONDS:
        return "max"
    if now - seen_at > settings.SESSION_IDLE_SECONDS:
        return "idle"
    return None


def _touch(session: SessionBase, now: int, *, new_login: bool) -> None:
    if new_login or LOGIN_AT not in session or SEEN_AT not in session:
        session[LOGIN_AT] = now
        session[SEEN_AT] = now
    elif now - session[SEEN_AT] >= SEEN_WRITE_INTERVAL:
        session[SEEN_AT] = now


def _end_session(request: HttpRequest, reason: str) -> HttpResponse:
    username = request.user.get_username()
    logout(request)
    log.info("session of %s ended: %s timeout", username, reason)
    messages.info(request, _reason_text(reason))
    if request.htmx:
        # An autosave or a poll: say so where its answer goes, and leave the page (and
        # whatever was typed on it) alone instead of swapping the login page into it.
        page = urlsplit(request.htmx.current_url or "")
        page_path = page._replace(scheme="", netloc="", fragment="").geturl()
        login_url = (
            redirect_to_login(page_path)["Location"]
            if page_path.startswith("/")
            else resolve_url(settings.LOGIN_URL)
        )
        return HttpResponse(
            format_html(
                '<p class="text-danger" role="alert">{}</p>',
                format_html(
                    # Translators: {url} is the login page's address; keep it as it is.
                    gettext(
                        "Your session has ended, and this was not saved. Copy anything you "
                        'typed, then <a href="{url}">log in again</a>.'
                    ),
                    url=login_url,
                ),
            )
        )
    if request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    # What was posted is lost; coming back to a POST-only address after logging in would fail.
    return redirect(settings.LOGIN_URL)


class LanguageMiddleware:
    """Activate the request's language and the company's time zone, without a database query.

    The language is the signed-in person's choice on their profile (kept in their session), or
    an anonymous visitor's choice in the footer (a cookie); else the first of the browser's
    Accept-Language that LANGUAGES has; else the company's default; else LANGUAGE_CODE. Like
    Django's LocaleMiddleware, the language stays active after the response is returned, so
    that a streamed export is still written in it, and the response says which it is
    (Content-Language) and what chose it (Vary).

    The API (API_PREFIX) is for programs: it answers in the language its client asks for, else
    LANGUAGE_CODE, and its times stay in TIME_ZONE, as they always were.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            language = _browser_language(request.headers.get("Accept-Language", ""))
            languages.activate(language or settings.LANGUAGE_CODE)
            timezone.deactivate()
        else:
            company_language, time_zone = languages.company_locale()
            languages.activate(request_language(request, company_language))
            timezone.activate(zoneinfo.ZoneInfo(time_zone))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def request_language(request: HttpRequest, company_language: str) -> str:
    codes = languages.codes()
    # A session sign-in (not an API token, whose person the API finds later) keeps the choice.
    if request.user.is_authenticated and SESSION_KEY in request.session:
        chosen = languages.session_language(request)
    else:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in codes:
        return chosen
    browser = _browser_language(request.headers.get("Accept-Language", ""))
    if browser:
        return browser
    return company_language if company_language in codes else settings.LANGUAGE_CODE


def _browser_language(header: str) -> str:
    """The first language of the header, in its order of preference, that LANGUAGES has ("de-AT"
    is "de", "en-US" is "en-gb"); "" for none."""
    for code, _quality in parse_accept_lang_header(header[:500]):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return ""
