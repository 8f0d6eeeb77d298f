"""The pages of single sign-on (strategy/sso.py): going to the provider, coming back, and a
sign-out that ends the provider's session too where it offers end-session."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from mozilla_django_oidc import views as oidc_views

from strategy import sso

log = logging.getLogger("strategy.sso")


@method_decorator(login_not_required, name="dispatch")
class SSOLogin(oidc_views.OIDCAuthenticationRequestView):
    """To the provider's authorization endpoint, with state, nonce and a PKCE challenge kept in
    the session."""

    def __init__(self, **kwargs):
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.SSO_CLIENT_ID

    def get(self, request):
        if not sso.enabled():
            raise Http404("Single sign-on is not configured.")
        self.OIDC_OP_AUTH_ENDPOINT = sso.discovery()["authorization_endpoint"]
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class SSOCallback(oidc_views.OIDCAuthenticationCallbackView):
    """Back from the provider. A refusal (an unknown state, a code the provider refuses, a
    token or claim that fails a check) is logged, recorded by the lockout as a failed login,
    and said on the login page."""

    def get(self, request):
        if not sso.enabled():
            raise Http404("Single sign-on is not configured.")
        state = request.GET.get("state")
        if "code" in request.GET and state not in request.session.get("oidc_states", {}):
            request.sso_refusal = (
                "the state is not one this browser was sent (an old or forged link)"
            )
            return self.login_failure()
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            request.sso_refusal = str(exc)
            return self.login_failure()

    def login_failure(self):
        request = self.request
        reason = getattr(request, "sso_refusal", None) or request.GET.get(
            "error_description", request.GET.get("error", "the sign-in did not complete")
        )
        log.warning("SSO sign-in failed: %s", reason)
        # Translators: provider is the sign-in service (Okta, Microsoft Entra ID...); reason is
        # the technical cause, as the provider or the checks give it (in English).
        messages.error(
            request,
            _("Signing in with %(provider)s failed: %(reason)s.")
            % {"provider": settings.SSO_PROVIDER_NAME, "reason": reason},
        )
        return redirect("login")

    def login_success(self):
        response = super().login_success()
        request = self.request
        log.info("SSO session started for %s", request.user.username)
        return response


class Logout(auth_views.LogoutView):
    """Django's sign-out, then the provider's end-session page when the session came from it."""

    def post(self, request, *args, **kwargs):
        provider_url = sso.provider_logout_url(request) if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if provider_url:
            log.info("signed out; ending the provider's session too")
            return HttpResponseRedirect(provider_url)
        return response
