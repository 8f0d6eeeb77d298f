"""The webhook endpoints' pages (admins only, from the Operations page) and the webhook
requests in the Operations page's delivery log, with their retry."""

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from notifications import notify, webhooks
from notifications.models import Delivery, WebhookEndpoint
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("notifications:webhook-list")
CREATE_URL = reverse("notifications:webhook-create")
OPERATIONS_URL = reverse("notifications:operations")


@pytest.fixture(autouse=True)
def _hooks_allowed(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com", ".partner.example"]
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False


def endpoint_data(**fields) -> dict:
    data = {
        "name": "BI feed",
        "url": "https://hooks.example.com/alignment",
        "events": ["cycle.closed", "check.submitted"],
        "is_active": "on",
        "secret": "",
    }
    return {**data, **fields}


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin_user", 200), ("executive", 403), ("head", 403), ("member", 403), ("outsider", 403)],
)
def test_only_admins_see_the_webhooks_page(login, request, who, status):
    assert login(request.getfixturevalue(who)).get(LIST_URL).status_code == status


@pytest.mark.parametrize("who", ["executive", "head", "outsider"])
def test_only_admins_register_change_or_remove_an_endpoint(login, request, who):
    endpoint = WebhookEndpointFactory()
    client = login(request.getfixturevalue(who))

    answers = [
        client.post(CREATE_URL, endpoint_data()).status_code,
        client.post(reverse("notifications:webhook-edit", args=[endpoint.pk]), endpoint_data()),
        client.post(reverse("notifications:webhook-secret", args=[endpoint.pk])),
        client.post(reverse("notifications:webhook-delete", args=[endpoint.pk])),
    ]

    assert [a if isinstance(a, int) else a.status_code for a in answers] == [403] * 4
    assert list(WebhookEndpoint.objects.values_list("name", "secret")) == [
        (endpoint.name, endpoint.secret)
    ]


def test_the_operations_page_and_the_menu_link_to_the_webhooks(login, admin_user):
    client = login(admin_user)

    assertContains(client.get(OPERATIONS_URL), f'href="{LIST_URL}"')
    assertContains(client.get(reverse("home")), f'href="{LIST_URL}"')


def test_an_admin_registers_an_endpoint_and_sees_its_new_secret_once(login, admin_user):
    client = login(admin_user)

    response = client.post(CREATE_URL, endpoint_data())

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.name, endpoint.url, endpoint.events, endpoint.is_active) == (
        "BI feed",
        "https://hooks.example.com/alignment",
        ["check.submitted", "cycle.closed"],
        True,
    )
    assert endpoint.created_by == admin_user
    assert len(webhooks.secret_key(endpoint.secret)) == webhooks.SECRET_BYTES
    page = client.get(LIST_URL)
    assertContains(page, endpoint.secret)
    assertContains(page, "Check submitted, Review cycle closed")
    assertNotContains(client.get(LIST_URL), endpoint.secret)  # once


def test_an_admin_may_bring_a_secret_of_their_own(login, admin_user):
    secret = webhooks.secret_new()

    login(admin_user).post(CREATE_URL, endpoint_data(secret=secret))

    assert WebhookEndpoint.objects.get().secret == secret


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"url": "https://evil.example.org/x"}, "url", "Webhooks may not go to evil.example.org"),
        ({"url": "http://hooks.example.com/x"}, "url", "The URL must start with https://"),
        ({"url": "http://127.0.0.1:9000/x"}, "url", "may not go to 127.0.0.1"),
        ({"url": "https://u:p@hooks.example.com/x"}, "url", "must not hold a user name"),
        ({"url": "ftp://hooks.example.com/x"}, "url", "The URL must start with https://"),
        ({"events": []}, "events", "Choose at least one event to send."),
        ({"events": ["cycle.deleted"]}, "events", "Select a valid choice."),
        ({"secret": "my-password"}, "secret", "A secret starts with whsec_."),
        ({"secret": "whsec_not base64!"}, "secret", "The part after whsec_ is not base64."),
        ({"secret": "whsec_c2hvcnQ="}, "secret", "This secret&#x27;s key is 5 bytes long"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_a_refused_endpoint_says_why_next_to_its_field(login, admin_user, fields, field, error):
    response = login(admin_user).post(CREATE_URL, endpoint_data(**fields))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assertContains(response, error, status_code=400)
    assertContains(response, "No endpoint was registered", status_code=400)
    assert not WebhookEndpoint.objects.exists()


def test_a_subdomain_of_an_allowed_domain_is_allowed(login, admin_user):
    login(admin_user).post(CREATE_URL, endpoint_data(url="https://eu.hooks.partner.example/in"))

    assert WebhookEndpoint.objects.get().url == "https://eu.hooks.partner.example/in"


def test_loopback_over_http_only_when_the_setting_allows_it(login, admin_user, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True

    login(admin_user).post(CREATE_URL, endpoint_data(url="http://127.0.0.1:9000/hook"))

    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9000/hook"


def test_an_admin_edits_an_endpoint_and_its_secret_stays(login, admin_user):
    endpoint = WebhookEndpointFactory()
    url = reverse("notifications:webhook-edit", args=[endpoint.pk])
    client = login(admin_user)
    assertContains(client.get(url), endpoint.url)

    response = client.post(url, endpoint_data(events=["signal.raised"], is_active=""))

    assertRedirects(response, LIST_URL)
    saved = WebhookEndpoint.objects.get()
    assert (saved.events, saved.is_active, saved.secret) == (
        ["signal.raised"],
        False,
        endpoint.secret,
    )
    refused = client.post(url, endpoint_data(url="https://elsewhere.example.org/"))
    assertContains(refused, "Webhooks may not go to elsewhere.example.org", status_code=400)


def test_a_new_secret_replaces_the_old_and_is_shown_once(login, admin_user):
    endpoint = WebhookEndpointFactory()
    old = endpoint.secret
    client = login(admin_user)

    response = client.post(reverse("notifications:webhook-secret", args=[endpoint.pk]))

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert len(webhooks.secret_key(endpoint.secret)) == webhooks.SECRET_BYTES
    page = client.get(LIST_URL)
    assertContains(page, endpoint.secret)
    assertNotContains(page, old)


def test_removing_an_endpoint_removes_its_deliveries(login, admin_user):
    endpoint = WebhookEndpointFactory()
    notify.webhooks_emit(event="cycle.opened", step="cycle-1", data=dict, now=timezone.now())

    login(admin_user).post(reverse("notifications:webhook-delete", args=[endpoint.pk]))

    assert not WebhookEndpoint.objects.exists()
    assert not Delivery.objects.exists()


# --- In the delivery log ---------------------------------------------------------------------


def test_the_operations_page_lists_a_failed_webhook_and_retries_it(
    login, admin_user, enqueued, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(name="BI feed")
    [pk] = notify.webhooks_emit(event="cycle.opened", step="cycle-1", data=dict, now=timezone.now())
    Delivery.objects.filter(pk=pk).update(
        state=Delivery.State.FAILED, attempts=5, last_error="HTTP 500 Internal Server Error"
    )
    client = login(admin_user)

    page = client.get(OPERATIONS_URL, {"endpoint": endpoint.pk})

    assert [d.pk for d in page.context["page"]] == [pk]
    assertContains(page, "Webhook: review cycle opened")
    assertContains(page, "BI feed")
    assertContains(page, "HTTP 500 Internal Server Error")
    assertContains(page, 'aria-label="Retry the webhook to BI feed"')
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:delivery-retry", args=[pk]))
    assertRedirects(response, OPERATIONS_URL + "?state=failed", fetch_redirect_response=False)
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("pending", 0, "")
    assert enqueued == [pk]


def test_the_delivery_log_filters_by_kind_of_webhook(login, admin_user):
    WebhookEndpointFactory()
    notify.webhooks_emit(event="cycle.opened", step="cycle-1", data=dict, now=timezone.now())
    notify.webhooks_emit(event="cycle.closed", step="cycle-1", data=dict, now=timezone.now())

    page = login(admin_user).get(OPERATIONS_URL, {"kind": "cycle.closed"})

    assert [d.kind for d in page.context["page"]] == ["cycle.closed"]
    assert page.context["ignored"] == []
