"""The second step of a password sign-in, and the pages that set up and turn off the factor.

The password step is Django's LoginView (and the admin's): when the person has a factor, a
right password does not sign them in but keeps who they are in the session, for at most
PENDING_SECONDS, until the code step signs them in. A wrong code counts as a failed login for
django-axes, so five wrong passwords or codes lock the (username, address) pair out."""

from __future__ import annotations

import time

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_lockout_response
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from twofactor import services
from twofactor.forms import CodeForm

PENDING = "twofactor_pending"  # who typed the right password, until their code
ENROL = "twofactor_enrol"  # set: this session may only set up its factor
NEW_KEY = "twofactor_key"  # the key of the app being set up, until it is confirmed
NEW_CODES = "twofactor_codes"  # the recovery codes just made, until the page shows them once
PENDING_SECONDS = 300


class PasswordLoginView(LoginView):
    """The password step: signs in at once only those who have no factor."""

    def form_valid(self, form):
        user = form.get_user()
        if services.is_enrolled(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "at": time.time(),
            }
            return redirect("twofactor:verify")
        response = super().form_valid(form)
        if services.is_required(user):
            self.request.session[ENROL] = True
            messages.info(self.request, _("Your role needs a second factor: set it up to go on."))
            return redirect("twofactor:setup")
        return response


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, _("Please log in again."))
        return redirect("login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, credentials=credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.code_check(
            user=user,
            token=form.cleaned_data["code"],
            now=timezone.now(),
            address=get_client_ip_address(request),
        )
        if device is not None:
            del request.session[PENDING]
            user.backend = pending["backend"]
            user.otp_device = device  # django-otp keeps it in the session at login
            auth_login(request, user)
            return redirect(pending["next"])
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            return get_lockout_response(request, credentials=credentials)
        form.add_error("code", _("That code is not right, or was already used. Try the next one."))
    status = 400 if form.errors else 200
    return render(request, "twofactor/verify.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    if services.is_enrolled(request.user):
        messages.info(request, _("Your second factor is already set up."))
        return redirect("api:profile")
    key = request.session.setdefault(NEW_KEY, services.new_key())
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.factor_enrol(
            user=request.user,
            key=key,
            token=form.cleaned_data["code"],
            now=timezone.now(),
            address=get_client_ip_address(request),
        )
        if codes is not None:
            request.session.pop(ENROL, None)
            request.session.pop(NEW_KEY, None)
            request.session[NEW_CODES] = codes
            return redirect("twofactor:recovery")
        form.add_error("code", _("That code is not right: type the six digits the app shows now."))
    device = services.unsaved_device(user=request.user, key=key)
    context = {"form": form, "secret": services.secret_text(device)}
    return render(request, "twofactor/setup.html", context, status=400 if form.errors else 200)


@never_cache
@require_GET
def qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being set up (an image, so the page needs no inline SVG)."""
    if services.is_enrolled(request.user):
        raise Http404("The second factor is already set up.")
    key = request.session.setdefault(NEW_KEY, services.new_key())  # the set-up page's key
    device = services.unsaved_device(user=request.user, key=key)
    return HttpResponse(services.qr_svg(device), content_type="image/svg+xml")


@never_cache
@require_GET
def recovery(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(NEW_CODES, None)  # shown on this page only, once
    if not codes:
        messages.info(request, _("Recovery codes are shown only once, when the factor is set up."))
        return redirect("api:profile")
    return render(request, "twofactor/recovery.html", {"codes": codes})


@never_cache
@require_http_methods(["GET", "POST"])
def disable(request: HttpRequest) -> HttpResponse:
    if not services.is_enrolled(request.user):
        messages.info(request, _("You have no second factor to turn off."))
        return redirect("api:profile")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = services.factor_disable(
            user=request.user,
            token=form.cleaned_data["code"],
            now=timezone.now(),
            address=get_client_ip_address(request),
        )
        if done:
            messages.success(
                request, _("Your second factor is off: you sign in with your password.")
            )
            if services.is_required(request.user):
                request.session[ENROL] = True
                return redirect("twofactor:setup")
            return redirect("api:profile")
        form.add_error("code", _("That code is not right: nothing was changed."))
    context = {"form": form, "required": services.is_required(request.user)}
    return render(request, "twofactor/disable.html", context, status=400 if form.errors else 200)


def guard_admin_login() -> None:
    """The admin's login page asks for the second factor too: its view is Django's, with the
    password step above instead of LoginView (otherwise the admin would be a way around it)."""
    from django.contrib import admin
    from django.contrib.admin.forms import AdminAuthenticationForm

    site = admin.site

    @login_not_required
    @never_cache
    def login(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET" and site.has_permission(request):
            return redirect(reverse("admin:index", current_app=site.name))
        context = {
            **site.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=site.name)
        context.update(extra_context or {})
        request.current_app = site.name
        return PasswordLoginView.as_view(
            extra_context=context,
            authentication_form=site.login_form or AdminAuthenticationForm,
            template_name=site.login_template or "admin/login.html",
        )(request)

    site.login = login
