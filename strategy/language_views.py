"""The language switch: the footer's buttons and the profile page's choice post here."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from strategy import languages


class LanguageForm(forms.Form):
    """A language of LANGUAGES, or none ("as my browser, else the company's default")."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[
            ("", gettext_lazy("As my browser, else the company default")),
            *settings.LANGUAGES,
        ],
    )


def _back(request: HttpRequest) -> str:
    """Where the form came from: its `next`, if it is a page of this site, else the home page."""
    url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return "/"


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Signed in, the choice is saved on the person's profile; anonymous (the login page), in a
    cookie. Either way back to the same page, now in that language."""
    form = LanguageForm(request.POST)
    response = redirect(_back(request))
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        languages.profile_language_set(request=request, language=language)
    elif language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
    return response
