"""Issue #15: an invitation's set-password link works once and expires; under single sign-on
the invitation says to sign in with the provider instead."""

import re

import pytest
import time_machine
from django.utils import timezone

from strategy import tasks
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def newcomer(db):
    user = UserFactory(username="nina", email="nina@example.com")
    user.set_unusable_password()
    user.save()
    return user


def invitation_path(mail) -> str:
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def choose_password(client, path):
    form = client.get(path, follow=True)
    if not form.context["validlink"]:
        return form
    return client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )


def test_the_link_works_once(client, newcomer, mailoutbox, settings):
    assert tasks.send_invitations([newcomer.pk]) == 1
    [mail] = mailoutbox
    assert f"for {settings.INVITATION_DAYS} days" in mail.body
    path = invitation_path(mail)
    assert choose_password(client, path).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)

    again = choose_password(client, path)
    assert again.status_code == 200 and not again.context["validlink"]
    assert "This invitation has expired" in again.content.decode()


def test_the_link_expires_after_the_days_of_the_setting(client, newcomer, mailoutbox, settings):
    settings.INVITATION_DAYS = 7
    sent = timezone.now()
    with time_machine.travel(sent, tick=False):
        tasks.send_invitations([newcomer.pk])
    path = invitation_path(mailoutbox[0])
    with time_machine.travel(sent + timezone.timedelta(days=6, hours=23), tick=False):
        assert client.get(path, follow=True).context["validlink"]
    with time_machine.travel(sent + timezone.timedelta(days=7, hours=1), tick=False):
        late = choose_password(client, path)
    assert not late.context["validlink"]
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_password_reset_link_does_not_open_the_invitation_page(client, newcomer):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(newcomer.pk))
    token = default_token_generator.make_token(newcomer)
    response = client.get(f"/accounts/invitation/{uid}/{token}/", follow=True)
    assert not response.context["validlink"]


def test_under_single_sign_on_the_invitation_says_to_use_the_provider(
    newcomer, mailoutbox, settings
):
    settings.SSO_ISSUER = "https://login.example.com/tenant/v2.0"
    settings.SSO_CLIENT_ID = "alignment-reviews"
    settings.SSO_PROVIDER_NAME = "Contoso Entra ID"
    tasks.send_invitations([newcomer.pk])
    [mail] = mailoutbox
    assert "Sign in with Contoso Entra ID" in mail.body
    assert "/accounts/invitation/" not in mail.body and "Choose your password" not in mail.body
    html = mail.alternatives[0][0]
    assert "Sign in with Contoso Entra ID" in html and "/accounts/invitation/" not in html
