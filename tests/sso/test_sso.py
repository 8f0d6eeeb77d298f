"""Single sign-on against a real OpenID Connect provider on loopback (the oidc_provider
fixture): the product's test client goes to it, a requests session signs in and consents there
as a browser would, and the callback comes back with the provider's real code."""

import html
import logging
import re
import sqlite3
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from axes.models import AccessFailureLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from jwcrypto import jwk

from strategy import sso
from strategy.models import Membership, SSOIdentity
from strategy.roles import ADMIN, DEPARTMENT_HEAD, EXECUTIVE
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
# As tests/conftest.py's PROVIDER_PEOPLE have them at the provider.
PASSWORDS = {name: f"provider-pw-{n}" for n, name in enumerate(["ada", "hal", "una", "nob"], 1)}


def start(client: Client) -> str:
    """The product's sign-in button: the provider's authorization URL it redirects to."""
    response = client.get("/accounts/sso/login/")
    assert response.status_code == 302
    return response["Location"]


def consent(authorize_url: str, username: str) -> str:
    """Signs in at the provider and consents; the callback URL it sends the browser to."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert "Provider sign in" in page.text, page.text[:500]
    page = browser.post(
        page.url,
        data={
            "username": username,
            "password": PASSWORDS[username],
            "csrfmiddlewaretoken": browser.cookies["providercsrf"],
        },
        headers={"Referer": page.url},
        timeout=10,
    )
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    hidden = {k: html.unescape(v) for k, v in hidden.items()}
    assert hidden.get("client_id"), page.text[:1000]
    answer = browser.post(
        page.url,
        data={**hidden, "allow": "Authorize"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def provider_groups(provider, username: str, names: list[str]) -> None:
    """Sets a person's groups at the provider, as its administrator would."""
    with sqlite3.connect(provider.db) as db:
        (user_id,) = db.execute(
            "SELECT id FROM auth_user WHERE username = ?", [username]
        ).fetchone()
        db.execute("DELETE FROM auth_user_groups WHERE user_id = ?", [user_id])
        for name in names:
            db.execute("INSERT OR IGNORE INTO auth_group (name) VALUES (?)", [name])
            db.execute(
                "INSERT INTO auth_user_groups (user_id, group_id)"
                " SELECT ?, id FROM auth_group WHERE name = ?",
                [user_id, name],
            )


def sign_in(client: Client, username: str):
    return client.get(consent(start(client), username), follow=True)


def refusal(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_first_sign_in_creates_the_person_with_the_claims_roles(client, sso_on, caplog):
    caplog.set_level(logging.INFO, logger="strategy.sso")
    authorize = start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{sso_on.issuer}/authorize/")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"]

    response = client.get(consent(authorize, "ada"), follow=True)

    assert response.redirect_chain[-1][0] == "/"
    ada = get_user_model().objects.get(email="ada@example.com")
    assert response.context["user"] == ada
    assert ada.username == "ada" and not ada.has_usable_password()
    assert set(ada.groups.values_list("name", flat=True)) == {EXECUTIVE}
    identity = SSOIdentity.objects.get(user=ada)
    assert identity.subject and identity.issuer == sso_on.issuer
    assert identity.claim_values == ["strategy-execs"]
    assert identity.roles_from_claim == [EXECUTIVE]
    assert identity.history.get().history_change_reason == "created; + Executive"
    assert "SSO sign-in: ada" in caplog.text and "created" in caplog.text


def test_an_existing_person_is_linked_through_a_verified_email_and_follows_the_claim(
    client, sso_on
):
    hal = UserFactory(username="hal.jordan", email="HAL@example.com")
    sales = UnitFactory(code="sales")

    sign_in(client, "hal")

    assert SSOIdentity.objects.get().user == hal
    assert Membership.objects.get(user=hal, unit=sales).role == Membership.Role.HEAD
    assert set(hal.groups.values_list("name", flat=True)) == {ADMIN, DEPARTMENT_HEAD}
    reason = Membership.history.get().history_change_reason
    assert reason == "SSO sign-in (Test IdP): groups=['sales-heads']"

    # At the provider, hal moves from the heads to the team: the next sign-in follows.
    provider_groups(sso_on, "hal", ["sales-team"])
    sign_in(Client(), "hal")

    assert Membership.objects.get(user=hal, unit=sales).role == Membership.Role.MEMBER
    assert ADMIN not in hal.groups.values_list("name", flat=True)
    assert SSOIdentity.objects.count() == 1
    newest = SSOIdentity.objects.get().history.order_by("-history_date").first()
    assert newest.history_change_reason == "signed in; - Admin; + Member of sales"
    provider_groups(sso_on, "hal", ["sales-heads"])


def test_roles_are_read_again_at_each_request(client, sso_on):
    sign_in(client, "ada")
    assert client.get("/").context["role"].is_executive

    get_user_model().objects.get(username="ada").groups.remove(Group.objects.get(name=EXECUTIVE))

    assert not client.get("/").context["role"].is_executive


def test_a_callback_with_a_state_this_session_did_not_send_is_refused(client, sso_on):
    callback = consent(start(Client()), "ada")  # another browser's state and code

    response = client.get(callback, follow=True)

    assert "state" in refusal(response)
    assert not response.context["user"].is_authenticated
    assert not get_user_model().objects.exists()


def test_a_replayed_code_is_refused(client, sso_on):
    first = consent(start(client), "ada")
    assert client.get(first).status_code == 302
    code = parse_qs(urlsplit(first).query)["code"][0]

    thief = Client()
    state = parse_qs(urlsplit(start(thief)).query)["state"][0]
    response = thief.get("/accounts/sso/callback/", {"code": code, "state": state}, follow=True)

    assert "provider answered 400" in refusal(response)
    assert not response.context["user"].is_authenticated


def _tampered(monkeypatch, provider, **changes):
    """The provider's real token response, its ID token's claims changed and signed again
    with the provider's own key (as a compromised or confused provider might send)."""
    real = sso.SSOBackend.get_token
    kid = jwk.JWK.from_pyca(provider.key).thumbprint()

    def get_token(self, payload):
        tokens = real(self, payload)
        claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        claims.update(changes)
        tokens["id_token"] = jwt.encode(
            claims, provider.key, algorithm="RS256", headers={"kid": kid}
        )
        return tokens

    monkeypatch.setattr(sso.SSOBackend, "get_token", get_token)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"aud": "another-client"}, "the ID token is for another client"),
        ({"exp": int(time.time()) - 3600}, "Signature has expired"),
        ({"iss": "http://127.0.0.1:1/o"}, "the ID token's issuer"),
        ({"nonce": "not-the-one-sent"}, "Nonce verification failed"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused(client, sso_on, monkeypatch, changes, said):
    _tampered(monkeypatch, sso_on, **changes)

    response = sign_in(client, "ada")

    assert said in refusal(response)
    assert not response.context["user"].is_authenticated
    assert not get_user_model().objects.exists()


def test_an_id_token_signed_by_another_key_is_refused(client, sso_on, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    provider = type(sso_on)(**{**vars(sso_on), "key": rsa.generate_private_key(65537, 2048)})
    _tampered(monkeypatch, provider)

    response = sign_in(client, "ada")

    assert "JWKS" in refusal(response)
    assert not response.context["user"].is_authenticated


def test_no_account_for_an_unverified_email(client, sso_on):
    UserFactory(username="una", email="una@example.com")  # not even linked to an existing one

    response = sign_in(client, "una")

    assert "is not verified" in refusal(response)
    assert not response.context["user"].is_authenticated
    assert not SSOIdentity.objects.exists()


def test_a_claim_that_maps_to_nothing_is_refused(client, sso_on):
    response = sign_in(client, "nob")

    assert "(canteen-committee)" in refusal(response) and "maps to no role" in refusal(response)
    assert not get_user_model().objects.exists()


def test_a_refused_sign_in_counts_for_the_lockout(client, sso_on):
    sign_in(client, "nob")

    assert AccessFailureLog.objects.count() == 1


def test_sign_out_ends_the_provider_session_too(client, sso_on):
    sign_in(client, "ada")
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    end = urlsplit(response["Location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{sso_on.issuer}/logout/"
    query = parse_qs(end.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert "_auth_user_id" not in client.session
    # The provider accepts it and sends the browser back to the login page.
    answer = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert answer.headers["Location"] == "http://testserver/accounts/login/"


def test_password_sign_out_stays_local(client, sso_on):
    user = UserFactory()
    client.force_login(user)

    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_the_button_shows_only_when_configured(client, settings):
    settings.SSO_ISSUER = ""
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/sso/login/").status_code == 404

    settings.SSO_ISSUER, settings.SSO_CLIENT_ID = "https://idp.example.com", "alignment"
    settings.SSO_PROVIDER_NAME = "Contoso Entra ID"
    page = client.get("/accounts/login/?next=/reviews/").content.decode()
    assert 'href="/accounts/sso/login/?next=/reviews/">Sign in with Contoso Entra ID</a>' in page


def test_sso_only_refuses_passwords_but_the_break_glass_superusers(client, settings):
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "breakglass"
    UserFactory(username="mia", password="a-long-password-1")
    UserFactory(username="breakglass", password="a-long-password-2", is_superuser=True)

    refused = client.post("/accounts/login/", {"username": "mia", "password": "a-long-password-1"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session

    client.post("/accounts/login/", {"username": "breakglass", "password": "a-long-password-2"})
    assert "_auth_user_id" in client.session


def test_sso_only_names_no_one_when_the_break_glass_account_is_not_a_superuser(settings):
    settings.SSO_ONLY, settings.SSO_BREAK_GLASS_USERNAME = True, "breakglass"
    UserFactory(username="breakglass", password="a-long-password-2")

    client = Client()
    client.post("/accounts/login/", {"username": "breakglass", "password": "a-long-password-2"})
    assert "_auth_user_id" not in client.session


def test_the_role_map_says_what_is_wrong_with_it():
    assert sso.parse_role_map("a=Executive;head:ops, b c=member:x") == {
        "a": [EXECUTIVE, "head:ops"],
        "b c": ["member:x"],
    }
    with pytest.raises(Exception, match="neither a role group"):
        sso.parse_role_map("a=Department head")
    with pytest.raises(Exception, match="is not 'claim value=target'"):
        sso.parse_role_map("Executive")


def test_the_verified_email_claim_is_the_one_the_settings_name(client, sso_on, settings):
    settings.SSO_EMAIL_VERIFIED_CLAIM = "xms_edov"  # Entra ID's; this provider does not send it

    response = sign_in(client, "ada")

    assert "is not verified" in refusal(response)
    assert not get_user_model().objects.exists()


def test_the_persons_admin_page_says_where_their_roles_came_from(client, sso_on):
    sign_in(Client(), "ada")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    ada = get_user_model().objects.get(username="ada")

    page = client.get(f"/admin/auth/user/{ada.pk}/change/").content.decode()

    assert "Single sign-on identity" in page
    assert "strategy-execs" in page and "created; + Executive" in page


def test_refused_sign_ins_lock_out_the_address_for_sso_only(client, sso_on, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(Client(), "nob")

    response = sign_in(client, "ada")

    assert response.status_code == 429  # the lockout's page, as for passwords
    assert not response.context["user"].is_authenticated
    # Passwords are locked out per username and address: someone else's still works.
    UserFactory(username="mia", password="a-long-password-1")
    other = Client()
    other.post("/accounts/login/", {"username": "mia", "password": "a-long-password-1"})
    assert "_auth_user_id" in other.session


def test_the_sso_settings_are_checked_at_start_up(settings):
    assert sso.settings_check(None) == []

    settings.SSO_ROLE_MAP = "execs=Executives"
    settings.SSO_ONLY, settings.SSO_ISSUER = True, ""

    assert [m.id for m in sso.settings_check(None)] == [
        "alignment.E901",
        "alignment.E902",
        "alignment.W903",
    ]
