"""The API's pages: the profile page, where people make and revoke their access tokens, and
the API's documentation (the OpenAPI description, browsable)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from api import services
from api.forms import AccessTokenForm
from notifications import preferences
from strategy import languages
from strategy.language_views import LanguageForm
from twofactor import selectors as twofactor_selectors

log = logging.getLogger(__name__)
# The session key that holds the secret of the token just made, until the page shows it once.
NEW_SECRET = "api_new_token"  # noqa: S105  (a key's name, not a secret)


def _profile_page(request: HttpRequest, form: AccessTokenForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    tokens = list(request.user.access_tokens.all())
    new = request.session.pop(NEW_SECRET, None)  # shown on this page only
    context = {
        "form": form,
        "active": [t for t in tokens if t.is_active(now=now)],
        "inactive": [t for t in tokens if not t.is_active(now=now)][:20],
        "new_token": next((t for t in tokens if new and t.pk == new["id"]), None),
        "new_secret": new["secret"] if new else "",
        "limit": services.MAX_ACTIVE_TOKENS,
        "preference_rows": preferences.of_user(request.user),
        "factor": twofactor_selectors.profile_section(user=request.user),
        "language_form": LanguageForm(initial={"language": languages.session_language(request)}),
    }
    return render(request, "api/profile.html", context, status=status)


@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return _profile_page(request, AccessTokenForm())


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = AccessTokenForm(request.POST)
    active = request.user.access_tokens.active(now=timezone.now()).count()
    if active >= services.MAX_ACTIVE_TOKENS:
        messages.error(request, _("You have as many tokens as allowed: revoke one first."))
        return _profile_page(request, form, status=400)
    if not form.is_valid():
        messages.error(request, _("No token was made: please correct the errors below."))
        return _profile_page(request, form, status=400)
    token, secret = services.token_create(
        user=request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        expires_at=form.expires_at(),
    )
    # Kept in the session (on the server) only until the profile page shows it, once.
    request.session[NEW_SECRET] = {"id": token.pk, "secret": secret}
    log.info("%s made access token %s (%s)", request.user, token, token.scope)
    return redirect("api:profile")


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(request.user.access_tokens, pk=pk)
    if services.token_revoke(token=token, by=request.user):
        log.info("%s revoked access token %s", request.user, token)
        messages.success(
            request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
        )
    else:  # revoking twice is a no-op
        messages.info(request, _("Token “%(name)s” was already revoked.") % {"name": token.name})
    return redirect("api:profile")


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html")
