"""The header and footer of every page (base.html), each written once for what it shows.

The header lists the product's sections and marks the one the page is in, names the user with
the menu their roles open, and counts their unread notifications; the footer names the company
and offers the languages. Django would render their eighty-odd template nodes anew on every
request, as much CPU as the rest of the stack spends on a small page, for an answer that
changes only with those facts. Here each is rendered from its template (_page_header.html,
_page_footer.html) once per process for each set of them: the active language, the company's
name, the user's name, which of the menu's entries their permissions give, their unread count
and the section of the page; all of them are read on every request, so a change shows on the
next page. A bounded cache (least recently used) keeps the results. What belongs to one
request, the CSRF token of the log-out and language forms and the address the language switch
returns to, is put in afterwards.

The templates are rendered without the request: they read only the values given here.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.template import Library
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from strategy.html import format_html

register = Library()

# Where the request's own parts go: comments, which no escaped text can be.
CSRF_MARK = format_html("<!--{}-->", "csrf")
NEXT_MARK = format_html("<!--{}-->", "next")
CACHED = 512  # sets of facts kept per process, for each of the header and the footer


def _csrf_input(request) -> str:
    """What {% csrf_token %} writes."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


@lru_cache(maxsize=8)
def _section_urls(prefix: str, urlconf) -> tuple[str, str]:
    return reverse("home"), reverse("strategy:matrix")


def _sections(path: str) -> tuple[bool, ...]:
    """Which of the header's sections the page at `path` is in (home, strategy, matrix, units,
    reviews, trends, signals)."""
    home, matrix = _section_urls(get_script_prefix(), get_urlconf())
    return (
        path == home,
        "/strategy/positions" in path,
        path == matrix,
        "/strategy/units" in path,
        path[:9] == "/reviews/" and "/trends/" not in path,
        "/reviews/trends/" in path,
        "/reviews/signals/" in path,
    )


SECTION_NAMES = ("home", "strategy", "matrix", "units", "reviews", "trends", "signals")
PERMISSIONS = ("view_cycles", "edit_company", "edit_cadence", "administer")


@lru_cache(maxsize=CACHED)
def _header(language, prefix, urlconf, company, user_name, can, unread, sections) -> str:
    context = {
        "company_name": company,
        "authenticated": user_name is not None,
        "user_name": user_name,
        "can": dict(zip(PERMISSIONS, can, strict=True)),
        "unread_count": unread,
        "active": dict(zip(SECTION_NAMES, sections, strict=True)),
        "csrf_input": CSRF_MARK,
    }
    return _pattern(render_to_string("_page_header.html", context))


@lru_cache(maxsize=CACHED)
def _footer(language, prefix, urlconf, company, authenticated, languages) -> str:
    context = {
        "company_name": company,
        "authenticated": authenticated,
        "language_choices": languages,
        "LANGUAGE_CODE": language,
        "csrf_input": CSRF_MARK,
        "next_path": NEXT_MARK,
    }
    return _pattern(render_to_string("_page_footer.html", context))


def _pattern(html: str) -> str:
    """The rendered part as a format_html pattern: its braces doubled, the marks replaced by
    the names of what each request puts there."""
    html = html.strip().replace("{", "{{").replace("}", "}}")
    return html.replace(CSRF_MARK, "{csrf}").replace(NEXT_MARK, "{next}")


@register.simple_tag(takes_context=True)
def page_header(context) -> str:
    request, user = context.get("request"), context.get("user")
    can, unread, user_name = (False,) * len(PERMISSIONS), "", None
    if user is not None and user.is_authenticated:
        user_name = user.get_full_name() or user.username
        can = (
            user.has_perm("reviews.view_cycles"),
            user.has_perm("alignment.edit_company"),
            user.has_perm("reviews.edit_cadence"),
            bool(context["role"].is_admin),
        )
        count = context.get("unread_count")
        unread = str(count) if count else ""  # as the template writes it
    html = _header(
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        str(context.get("company_name") or ""),
        user_name,
        can,
        unread,
        _sections(request.path if request is not None else ""),
    )
    return _completed(html, request)


@register.simple_tag(takes_context=True)
def page_footer(context) -> str:
    request, user = context.get("request"), context.get("user")
    html = _footer(
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        str(context.get("company_name") or ""),
        user is not None and user.is_authenticated,
        tuple(tuple(choice) for choice in context.get("language_choices", settings.LANGUAGES)),
    )
    return _completed(html, request)


def _completed(pattern: str, request) -> str:
    """The request's own parts put in: the forms' CSRF token and the page's address
    (escaped, as every value format_html is given)."""
    if request is None:  # rendered outside a request: forms that could not be posted
        return format_html(pattern, csrf="", next="")
    return format_html(pattern, csrf=_csrf_input(request), next=request.get_full_path())


@receiver(setting_changed)
def _settings_changed(**kwargs):
    """A test's changed settings (templates, languages, URLs) start from a fresh cache."""
    _header.cache_clear()
    _footer.cache_clear()
