"""The pages of the notifications app."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications import notify
from notifications.forms import DeliveryFilterForm
from notifications.models import Delivery
from reviews.models import CadenceSettings
from reviews.operations import schedule_overview, upcoming_reminders
from strategy import roles
from strategy.models import company_tzinfo

DELIVERIES_PER_PAGE = 50


def operations(request: HttpRequest) -> HttpResponse:
    roles.require(request, "reviews.view_operations")
    now = timezone.now()
    config = CadenceSettings.load()
    filters = DeliveryFilterForm(request.GET or None)
    deliveries = (
        Delivery.objects.select_related("recipient", "cycle")
        .defer("cycle__snapshot")
        .order_by("-created_at", "-pk")
    )
    # Each filter applies on its own: one that is not valid (a cycle since deleted, a state
    # typed in the address) is ignored and named, and the others still apply.
    ignored = []
    if filters.is_bound:
        filters.is_valid()
        for field in ("state", "kind", "cycle"):
            if field in filters.errors:
                ignored.append(filters[field].label.lower())
            elif filters.cleaned_data.get(field):
                deliveries = deliveries.filter(**{field: filters.cleaned_data[field]})
    if ignored:
        messages.warning(
            request,
            f"The {' and '.join(ignored)} filter{'s' if len(ignored) > 1 else ''} "
            f"{'were' if len(ignored) > 1 else 'was'} not valid and "
            f"{'were' if len(ignored) > 1 else 'was'} ignored; the others apply.",
        )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    counts = dict(
        Delivery.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/operations.html",
        {
            "schedule": schedule_overview(now=now),
            "upcoming": upcoming_reminders(now=now, config=config),
            "time_zone": company_tzinfo().key,
            "filters": filters,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
            "filtered": any(request.GET.get(f) for f in ("state", "kind", "cycle")),
        },
    )


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
