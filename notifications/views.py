"""The pages of the notifications app."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications import notify, selectors
from notifications.models import Delivery
from strategy import roles


def operations(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    context = selectors.operations_page(params=request.GET, now=timezone.now())
    ignored = context["ignored"]
    if ignored:
        many = len(ignored) > 1
        messages.warning(
            request,
            f"The {' and '.join(ignored)} filter{'s' if many else ''} "
            f"{'were' if many else 'was'} not valid and {'were' if many else 'was'} ignored; "
            "the others apply.",
        )
    return render(request, "notifications/operations.html", context)


@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    delivery = get_object_or_404(Delivery, pk=pk)
    if notify.retry_failed(delivery=delivery, now=timezone.now()):
        messages.success(request, f"Delivery to {delivery.recipient} queued again.")
    else:
        messages.info(request, "Only a failed delivery is retried; this one did not fail.")
    return redirect(reverse("notifications:operations") + "?state=failed")


def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.all()[:100]
    return render(request, "notifications/notification_list.html", {"notifications": notifications})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notification.mark_read()
    return redirect(
        notification.link if url_has_allowed_host_and_scheme(notification.link, None) else "home"
    )


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    request.user.notifications.unread().update(read_at=timezone.now())
    messages.success(request, "All notifications marked as read.")
    return redirect("notifications:notification-list")
