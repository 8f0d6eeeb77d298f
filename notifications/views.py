"""The pages of the notifications app."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import digests, notify, preferences, selectors, webhooks
from notifications.forms import ChatChannelForm, WebhookEndpointCreateForm, WebhookEndpointForm
from notifications.models import ChatChannel, Delivery, Digest, WebhookEndpoint
from strategy import roles

log = logging.getLogger(__name__)
# The session key that holds the secret of the endpoint just made, until its page shows it once.
NEW_SECRET = "webhook_new_secret"  # noqa: S105  (a key's name, not a secret)


def operations(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    context = selectors.operations_page(params=request.GET, now=timezone.now())
    ignored = context["ignored"]
    if ignored:
        messages.warning(
            request,
            ngettext(
                "The %(filters)s filter was not valid and was ignored; the others apply.",
                "The %(filters)s filters were not valid and were ignored; the others apply.",
                len(ignored),
            )
            % {"filters": get_text_list(ignored, _("and"))},
        )
    return render(request, "notifications/operations.html", context)


@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    delivery = get_object_or_404(Delivery, pk=pk)
    if notify.retry_failed(delivery=delivery, now=timezone.now()):
        to = delivery.endpoint or delivery.channel or delivery.recipient
        messages.success(request, _("Delivery to %(to)s queued again.") % {"to": to})
    else:
        messages.info(request, _("Only a failed delivery is retried; this one did not fail."))
    return redirect(reverse("notifications:operations") + "?state=failed")


@require_POST
def digest_retry(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    digest = get_object_or_404(Digest.objects.select_related("recipient"), pk=pk)
    if digests.retry_failed(digest=digest, now=timezone.now()):
        messages.success(
            request, _("Digest to %(to)s queued again.") % {"to": digest.recipient.username}
        )
    else:
        messages.info(request, _("Only a failed digest is retried; this one did not fail."))
    return redirect(reverse("notifications:operations") + "#failed-digests")


def notification_list(request: HttpRequest) -> HttpResponse:
    lines = selectors.notification_lines(user=request.user)
    return render(request, "notifications/notification_list.html", {"lines": lines})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Read a line of the list: the note and those it stands for (same kind, same review)."""
    notification = get_object_or_404(request.user.notifications.select_related("delivery"), pk=pk)
    notification.mark_read()
    if notification.delivery:
        request.user.notifications.unread().filter(
            delivery__kind=notification.delivery.kind,
            delivery__cycle_id=notification.delivery.cycle_id,
        ).update(read_at=notification.read_at)
    return redirect(
        notification.link if url_has_allowed_host_and_scheme(notification.link, None) else "home"
    )


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    request.user.notifications.unread().update(read_at=timezone.now())
    messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:notification-list")


# --- Webhook endpoints (admins: the Operations page's permission) ---------------------------


def _webhooks_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    new = request.session.pop(NEW_SECRET, None)  # shown on this page only
    context = {
        "form": form,
        "endpoints": WebhookEndpoint.objects.all(),
        "new_secret": new,
        "allowed_hosts": settings.WEBHOOK_ALLOWED_HOSTS,
    }
    return render(request, "notifications/webhook_list.html", context, status=status)


def _show_secret_once(request: HttpRequest, endpoint: WebhookEndpoint) -> None:
    # Kept in the session (on the server) only until the list shows it, once.
    request.session[NEW_SECRET] = {
        "id": endpoint.pk,
        "name": endpoint.name,
        "secret": endpoint.secret,
    }


@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    return _webhooks_page(request, WebhookEndpointCreateForm())


@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    form = WebhookEndpointCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("No endpoint was registered: please correct the errors below."))
        return _webhooks_page(request, form, status=400)
    form.instance.created_by = request.user
    endpoint = form.save()
    _show_secret_once(request, endpoint)
    log.info("%s registered webhook endpoint %s (%s)", request.user, endpoint.pk, endpoint.url)
    return redirect("notifications:webhook-list")


@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Endpoint “%(name)s” saved.") % {"name": endpoint.name})
            return redirect("notifications:webhook-list")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    status = 400 if form.errors else 200
    context = {"form": form, "endpoint": endpoint}
    return render(request, "notifications/webhook_edit.html", context, status=status)


@require_POST
def webhook_secret(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    endpoint.secret = webhooks.secret_new()
    endpoint.save(update_fields=["secret"])
    _show_secret_once(request, endpoint)
    log.info("%s made a new secret for webhook endpoint %s", request.user, endpoint.pk)
    return redirect("notifications:webhook-list")


@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    endpoint.delete()
    log.info("%s removed webhook endpoint %s (%s)", request.user, pk, endpoint.url)
    messages.success(
        request, _("Endpoint “%(name)s” removed, with its deliveries.") % {"name": endpoint.name}
    )
    return redirect("notifications:webhook-list")


# --- Chat channels (admins: the Operations page's permission) -------------------------------


def _chat_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "channels": ChatChannel.objects.select_related("unit"),
        "allowed_hosts": settings.WEBHOOK_ALLOWED_HOSTS,
    }
    return render(request, "notifications/chat_list.html", context, status=status)


@require_GET
def chat_list(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    return _chat_page(request, ChatChannelForm())


@require_POST
def chat_create(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    form = ChatChannelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("No channel was added: please correct the errors below."))
        return _chat_page(request, form, status=400)
    form.instance.created_by = request.user
    channel = form.save()
    log.info("%s added chat channel %s (%s)", request.user, channel.pk, channel.url_masked)
    messages.success(request, _("Channel “%(name)s” added.") % {"name": channel.name})
    return redirect("notifications:chat-list")


@require_http_methods(["GET", "POST"])
def chat_edit(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    channel = get_object_or_404(ChatChannel, pk=pk)
    form = ChatChannelForm(request.POST or None, instance=channel)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Channel “%(name)s” saved.") % {"name": channel.name})
            return redirect("notifications:chat-list")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    status = 400 if form.errors else 200
    context = {"form": form, "channel": channel}
    return render(request, "notifications/chat_edit.html", context, status=status)


@require_POST
def chat_delete(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    channel = get_object_or_404(ChatChannel, pk=pk)
    channel.delete()
    log.info("%s removed chat channel %s", request.user, pk)
    messages.success(
        request, _("Channel “%(name)s” removed, with its deliveries.") % {"name": channel.name}
    )
    return redirect("notifications:chat-list")


# --- Preferences ------------------------------------------------------------------------------


def _choices_posted(post) -> dict[str, preferences.Channels]:
    """The channels ticked on the preferences form, for every topic (unticked: off), with the
    timing and chat choice chosen (None where the form has none: kept as it is)."""
    return {
        topic: preferences.Channels(
            email=post.get(f"{topic}-email") == "on",
            in_app=post.get(f"{topic}-in_app") == "on",
            timing=post.get(f"{topic}-timing"),
            chat=post.get(f"{topic}-chat"),
        )
        for topic in preferences.Topic.values
    }


@require_http_methods(["GET", "POST"])
def preferences_page(request: HttpRequest) -> HttpResponse:
    """What a person is told how; also shown on their profile page, which posts here."""
    if request.method == "POST":
        changed = preferences.save(user=request.user, choices=_choices_posted(request.POST))
        log.info("%s changed their notification preferences: %s", request.user, changed or "none")
        messages.success(
            request,
            _("Your notification preferences are saved.") if changed else _("Nothing changed."),
        )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("notifications:preferences")
        return redirect(back)
    context = {"preference_rows": preferences.of_user(request.user)}
    return render(request, "notifications/preferences.html", context)
