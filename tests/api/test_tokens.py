"""Personal access tokens: made on the profile page and shown once, stored as a digest, acting as
their user within their scope, recorded when used, expired, revoked by their user or an
administrator, and throttled each on its own."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from api.models import AccessToken
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- The profile page ------------------------------------------------------------------------


def test_a_token_made_on_the_profile_page_is_shown_once_and_only_its_digest_is_kept(login, head):
    client = login(head)
    response = client.post(
        reverse("api:token-create"), {"name": "ERP export", "scope": "write", "expires_in": "30"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("api:profile")

    page = client.get(reverse("api:profile"))
    secret = page.context["new_secret"]
    token = AccessToken.objects.get()
    assert secret.startswith("ar_") and len(secret) > 40
    assert secret in page.content.decode()
    assert (token.user, token.name, token.scope) == (head, "ERP export", "write")
    assert token.prefix == secret[:11] and token.digest == services.token_digest(secret)
    stored = [str(v) for v in AccessToken.objects.values_list().get()]
    assert not any(secret in value for value in stored)
    expires = token.expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < expires <= timedelta(days=30)
    # Shown once: the next visit lists the token by its first characters only.
    again = client.get(reverse("api:profile")).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert not any(secret in str(s.get_decoded()) for s in Session.objects.all())


def test_a_token_without_a_name_or_with_an_unknown_scope_is_not_made(login, head):
    client = login(head)
    response = client.post(
        reverse("api:token-create"), {"name": "", "scope": "admin", "expires_in": "5000"}
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scope", "expires_in"}
    assert not AccessToken.objects.exists()


def test_nobody_has_more_than_twenty_active_tokens(login, head):
    for n in range(services.MAX_ACTIVE_TOKENS):
        make_token(head, name=f"Token {n}")
    response = login(head).post(
        reverse("api:token-create"), {"name": "One more", "scope": "read", "expires_in": "7"}
    )

    assert response.status_code == 400
    assert AccessToken.objects.count() == services.MAX_ACTIVE_TOKENS


def test_the_user_revokes_a_token_on_the_profile_page_and_it_stops_working(login, head):
    token, secret = make_token(head)
    assert bearer(secret).get(ME).status_code == 200

    response = login(head).post(reverse("api:token-revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == head
    refused = bearer(secret).get(ME)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


def test_revoking_twice_keeps_the_first_revocation(login, head):
    token, _ = make_token(head)
    client = login(head)
    client.post(reverse("api:token-revoke", args=[token.pk]))
    first = AccessToken.objects.get().revoked_at

    client.post(reverse("api:token-revoke", args=[token.pk]))

    assert AccessToken.objects.get().revoked_at == first


def test_nobody_revokes_another_persons_token_on_their_profile_page(login, head, other_head):
    token, secret = make_token(other_head)

    response = login(head).post(reverse("api:token-revoke", args=[token.pk]))

    assert response.status_code == 404
    assert not AccessToken.objects.get().is_revoked
    assert bearer(secret).get(ME).status_code == 200


def test_an_administrator_revokes_tokens_in_the_django_admin(client, admin_user, head):
    token, secret = make_token(head)
    client.force_login(admin_user)
    changelist = reverse("admin:api_accesstoken_changelist")
    assert token.prefix in client.get(changelist).content.decode()

    response = client.post(
        changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.is_revoked and token.revoked_by == admin_user
    assert bearer(secret).get(ME).status_code == 401


def test_only_administrators_see_the_tokens_in_the_admin_and_nobody_adds_one(
    client, admin_user, executive
):
    client.force_login(executive)
    assert client.get(reverse("admin:api_accesstoken_changelist")).status_code == 302  # login

    client.force_login(admin_user)
    assert client.get(reverse("admin:api_accesstoken_add")).status_code == 403
    token, _ = make_token(executive)
    assert client.post(reverse("admin:api_accesstoken_delete", args=[token.pk])).status_code == 403
    assert AccessToken.objects.filter(pk=token.pk).exists()


# --- Using a token -----------------------------------------------------------------------------


def test_a_token_acts_as_its_user_and_its_use_is_recorded(head, logistics):
    token, secret = make_token(head, scope="read")

    response = bearer(secret).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": head.pk, "username": "hugo-head", "name": head.get_full_name()},
        "roles": ["head"],
        "heads": [{"id": logistics.pk, "code": "logistics", "name": "Logistics"}],
        "token": {"name": "Tests", "scope": "read", "expires_at": token.expires_at.isoformat()},
    }
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_the_last_use_is_written_at_most_once_a_minute(head):
    token, secret = make_token(head)
    client = bearer(secret)
    client.get(ME)
    first = AccessToken.objects.get().last_used_at

    client.get(ME)

    assert AccessToken.objects.get().last_used_at == first
    AccessToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get(ME)
    assert AccessToken.objects.get().last_used_at > first


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": timezone.now() - timedelta(seconds=1)},
        {"revoked_at": timezone.now()},
    ],
    ids=["expired", "revoked"],
)
def test_an_expired_or_revoked_token_is_refused(head, change):
    token, secret = make_token(head)
    AccessToken.objects.filter(pk=token.pk).update(**change)

    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert response.json()["detail"].startswith("This token is not valid")
    assert AccessToken.objects.get().last_used_at is None


def test_the_token_of_someone_who_can_no_longer_sign_in_is_refused(head):
    _, secret = make_token(head)
    head.is_active = False
    head.save()

    assert bearer(secret).get(ME).status_code == 401


@pytest.mark.parametrize(
    "header", ["Bearer ar_not-a-token", "Bearer ", "Bearer a b", "Bearer " + "x" * 500]
)
def test_anything_else_than_a_token_is_refused(head, header):
    make_token(head)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_without_a_token_or_session_the_api_asks_for_a_bearer_token(db):
    response = APIClient().get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
        "instance": ME,
    }


def test_an_address_of_the_api_that_is_no_endpoint_is_not_found_as_problem_details(head):
    _, secret = make_token(head)

    response = bearer(secret).get("/api/v1/positionz/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "There is no /api/v1/positionz/ in the API: its endpoints are at /api/v1/schema/."
    )


def test_a_read_only_token_may_not_write(head, caplog):
    _, secret = make_token(head, scope="read")

    response = bearer(secret).post(ME, {}, format="json")

    assert response.status_code == 403
    assert "may only read" in response.json()["detail"]
    assert any("read-only token" in r.getMessage() for r in caplog.records)


def test_requests_with_a_token_start_no_session(head):
    _, secret = make_token(head)

    response = bearer(secret).get(ME)

    assert response.status_code == 200
    assert not response.cookies
    assert not Session.objects.exists()


def test_each_token_has_its_own_allowance_of_requests(settings, head):
    settings.API_THROTTLE_RATE = "2/minute"
    _, first = make_token(head, name="First")
    _, second = make_token(head, name="Second")
    busy = bearer(first)

    assert [busy.get(ME).status_code for _ in range(2)] == [200, 200]
    refused = busy.get(ME)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["title"] == "Too Many Requests"
    assert bearer(second).get(ME).status_code == 200


# --- The browser's session ---------------------------------------------------------------------


def test_the_browser_session_is_accepted_and_its_writes_need_the_csrf_token(head):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(head)

    assert client.get(ME).json()["token"] is None
    refused = client.post(ME, {}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
