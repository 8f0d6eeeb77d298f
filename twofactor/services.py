"""The second factor: setting it up, checking a code, turning it off, an admin's reset.

A person's factor is a confirmed django-otp TOTPDevice (the authenticator app) and a
StaticDevice holding their recovery codes, each usable once. Every change and every wrong code
is a FactorEvent and a line in the log."""

from __future__ import annotations

import base64
import io
import logging
from datetime import datetime

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from twofactor.models import FactorEvent

log = logging.getLogger(__name__)
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def is_enrolled(user) -> bool:
    return user_has_device(user, confirmed=True)


def is_required(user) -> bool:
    """Whether this person must have a second factor to sign in with a password: when
    SECOND_FACTOR_REQUIRED is on, superusers, staff and the members of
    SECOND_FACTOR_REQUIRED_GROUPS (Executive and Admin by default)."""
    if not settings.SECOND_FACTOR_REQUIRED:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.groups.filter(name__in=settings.SECOND_FACTOR_REQUIRED_GROUPS).exists()


def new_key() -> str:
    """A device key (hex), kept in the session while the person sets up their app: nothing is
    written until a code it makes is typed."""
    return random_hex(20)


def unsaved_device(*, user, key: str) -> TOTPDevice:
    return TOTPDevice(user=user, name=DEVICE_NAME, key=key, confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def qr_svg(device: TOTPDevice) -> bytes:
    """The otpauth:// address of the device as a QR code, an SVG with no script or style."""
    out = io.BytesIO()
    # config_url names the issuer (OTP_TOTP_ISSUER) and the username.
    segno.make(device.config_url, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=gettext("QR code")
    )
    return out.getvalue()


def _event(*, user, kind, now: datetime, address: str | None, by=None) -> None:
    FactorEvent.objects.create(user=user, kind=kind, at=now, address=address, by=by)


@transaction.atomic
def factor_enrol(*, user, key: str, token: str, now: datetime, address: str | None):
    """Save the device of `key` if `token` is one of its codes (this period's or a neighbour's),
    with new recovery codes, which are returned: shown once, then only kept. None if the code
    is wrong. Any device the person had is replaced."""
    device = unsaved_device(user=user, key=key)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = now.timestamp()
    if not token.isdigit() or not totp.verify(int(token), tolerance=device.tolerance):
        return None
    _remove(user)
    device.confirmed = True
    device.last_t = totp.t()  # that code, and earlier ones, cannot sign in
    device.save()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.SECOND_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=c) for c in codes)
    _event(user=user, kind=FactorEvent.Kind.ENROLLED, now=now, address=address)
    log.info("second factor set up by %s from %s", user, address)
    return codes


def code_check(*, user, token: str, now: datetime, address: str | None):
    """The device that accepts `token` (a recovery code is used up), or None, which is written
    as a failure."""
    token = "".join(token.split())
    device = match_token(user, token) if token else None
    if device is None:
        _event(user=user, kind=FactorEvent.Kind.FAILED, now=now, address=address)
        log.warning("wrong second-factor code for %s from %s", user, address)
    elif isinstance(device, StaticDevice):
        _event(user=user, kind=FactorEvent.Kind.RECOVERY_USED, now=now, address=address)
        log.info("recovery code used by %s from %s", user, address)
    return device


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def factor_disable(*, user, token: str, now: datetime, address: str | None) -> bool:
    """Turn the person's factor off, if `token` is a code of theirs."""
    if code_check(user=user, token=token, now=now, address=address) is None:
        return False
    _remove(user)
    _event(user=user, kind=FactorEvent.Kind.DISABLED, now=now, address=address)
    log.info("second factor turned off by %s from %s", user, address)
    return True


@transaction.atomic
def factor_reset(*, user, by, now: datetime, address: str | None) -> bool:
    """An admin removes someone's factor (a lost phone): they sign in with their password
    alone, and set one up again (at once, if it is required of them). False if there was none."""
    if not any(devices_for_user(user, confirmed=None)):
        return False
    _remove(user)
    _event(user=user, kind=FactorEvent.Kind.RESET, now=now, address=address, by=by)
    log.warning("second factor of %s reset by %s from %s", user, by, address)
    return True


def _remove(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
