"""Issue #15: the second factor of a password sign-in (TOTP and recovery codes)."""

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, UserFactory
from tests.twofactor.support import enrol, totp_code
from twofactor.models import FactorEvent
from twofactor.services import unsaved_device
from twofactor.views import NEW_KEY, PENDING

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
VERIFY = reverse("twofactor:verify")
SETUP = reverse("twofactor:setup")
HOME = reverse("home")


def password_step(client, user, **extra):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD, **extra})


def signed_in_as(client):
    return client.get(reverse("api:profile")).wsgi_request.user


def test_setting_up_shows_the_qr_code_and_key_then_the_recovery_codes_once(client, member):
    client.force_login(member)
    page = client.get(SETUP)
    assert page.status_code == 200
    assert not TOTPDevice.objects.exists()  # nothing is kept until a code confirms the key
    device = unsaved_device(user=member, key=client.session[NEW_KEY])
    assert page.context["secret"].replace(" ", "") in device.config_url
    qr = client.get(reverse("twofactor:qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<svg") and b"<script" not in qr.content

    wrong = client.post(SETUP, {"code": "000000"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(confirmed=True).exists()

    done = client.post(SETUP, {"code": totp_code(device)}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("twofactor:recovery")
    codes = done.context["codes"]
    assert len(codes) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)
    # Shown once: the page does not show them again.
    again = client.get(reverse("twofactor:recovery"))
    assert again.status_code == 302
    assert FactorEvent.objects.get(user=member).kind == FactorEvent.Kind.ENROLLED
    profile = client.get(reverse("api:profile"))
    assert profile.context["factor"]["enrolled"] and profile.context["factor"]["codes_left"] == 10


def test_a_password_alone_does_not_sign_in_someone_with_a_factor(client, member):
    device, _ = enrol(member)
    response = password_step(client, member, next="/strategy/")
    assert response.url == VERIFY
    assert not signed_in_as(client).is_authenticated  # half-way: not signed in yet
    assert client.get(HOME).status_code == 302

    response = client.post(VERIFY, {"code": totp_code(device, step_ahead=1)})
    assert response.url == "/strategy/"
    assert signed_in_as(client) == member
    assert PENDING not in client.session


def test_a_recovery_code_works_once(client, member):
    _, codes = enrol(member)
    password_step(client, member)
    assert client.post(VERIFY, {"code": codes[0].upper()}).url == reverse("home")
    client.logout()

    password_step(client, member)
    refused = client.post(VERIFY, {"code": codes[0]})
    assert refused.status_code == 400
    assert not signed_in_as(client).is_authenticated
    assert StaticToken.objects.filter(device__user=member).count() == 9
    kinds = list(FactorEvent.objects.filter(user=member).values_list("kind", flat=True))
    assert FactorEvent.Kind.RECOVERY_USED in kinds and FactorEvent.Kind.FAILED in kinds


def test_the_code_step_needs_the_password_step_first(client, member):
    enrol(member)
    response = client.get(VERIFY)
    assert response.url == LOGIN


def test_wrong_codes_count_as_failed_logins_and_lock_the_person_out(client, member, settings):
    device, codes = enrol(member)
    # Two wrong passwords, then three wrong codes: the fifth failure locks out.
    for _ in range(2):
        client.post(LOGIN, {"username": member.username, "password": "wrong"})
    password_step(client, member)
    for _ in range(2):
        assert client.post(VERIFY, {"code": "123456"}).status_code == 400
    locked = client.post(VERIFY, {"code": "654321"})
    assert locked.status_code == 429
    assert AccessAttempt.objects.get(username=member.username).failures_since_start == 5
    assert AccessFailureLog.objects.filter(username=member.username).count() == 5
    # Locked out: even a right code, and the right password, are refused.
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 429
    assert password_step(client, member).status_code == 429
    assert StaticToken.objects.filter(device__user=member).count() == 10
    assert FactorEvent.objects.filter(user=member, kind=FactorEvent.Kind.FAILED).count() == 3


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def test_executives_are_sent_to_set_up_until_they_have_a_factor(client, executive, required):
    response = password_step(client, executive)
    assert response.url == SETUP
    assert client.get(HOME).url == SETUP
    assert client.get(reverse("api:profile")).url == SETUP
    assert client.get(reverse("twofactor:qr")).status_code == 200
    device = unsaved_device(user=executive, key=client.session[NEW_KEY])
    assert client.post(SETUP, {"code": totp_code(device)}).url == reverse("twofactor:recovery")
    assert client.get(HOME).status_code == 200


def test_admins_too_but_not_members(client, admin_user, member, required):
    assert password_step(client, admin_user).url == SETUP
    client.logout()
    assert password_step(client, member).url == HOME


def test_without_the_setting_executives_sign_in_with_a_password(client, executive):
    assert password_step(client, executive).url == HOME


def test_a_person_turns_their_factor_off_with_a_code(client, member, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # the right code at once after a wrong one
    device, codes = enrol(member)
    client.force_login(member)
    refused = client.post(reverse("twofactor:disable"), {"code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=member).exists()
    client.post(reverse("twofactor:disable"), {"code": codes[3]})
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticToken.objects.filter(device__user=member).exists()
    assert FactorEvent.objects.filter(user=member, kind=FactorEvent.Kind.DISABLED).exists()
    client.logout()
    assert password_step(client, member).url == HOME


def test_an_admin_resets_a_factor_but_not_one_of_an_account_with_powers(
    client, admin_user, member, executive
):
    enrol(member)
    enrol(executive)
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [member.pk, executive.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert TOTPDevice.objects.filter(user=executive).exists()
    event = FactorEvent.objects.get(user=member, kind=FactorEvent.Kind.RESET)
    assert event.by == admin_user


def test_the_admin_login_asks_for_the_code_too(client, admin_user):
    device, _ = enrol(admin_user)
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": admin_user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.url == VERIFY
    assert client.get("/admin/").status_code == 302
    response = client.post(VERIFY, {"code": totp_code(device, step_ahead=1)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_someone_without_a_factor_signs_in_at_once_and_the_history_is_theirs(client):
    person = UserFactory(username="plain")
    assert password_step(client, person).url == HOME
    assert not FactorEvent.objects.exists()


def test_the_admin_shows_no_device_keys_but_the_factor_history():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
    assert admin.site.is_registered(FactorEvent)


def test_the_code_step_waits_five_minutes_for_the_code_at_most(client, member):
    device, _ = enrol(member)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_step(client, member)
    with time_machine.travel(start + timezone.timedelta(minutes=6), tick=False):
        late = client.post(VERIFY, {"code": totp_code(device)})
    assert late.url == LOGIN
    assert PENDING not in client.session
    assert not signed_in_as(client).is_authenticated


def test_an_executive_who_turns_the_factor_off_must_set_up_another(client, executive, required):
    _, codes = enrol(executive)
    client.force_login(executive)
    response = client.post(reverse("twofactor:disable"), {"code": codes[0]})
    assert response.url == SETUP
    assert client.get(HOME).url == SETUP
