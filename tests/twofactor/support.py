"""Codes of a person's authenticator app, computed as the app would."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_code(device: TOTPDevice, *, step_ahead: int = 0) -> str:
    """The code the app shows now, or `step_ahead` periods later: a device accepts a code once,
    and the next period's code within its tolerance of one step."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + step_ahead)
    return f"{totp.token():0{device.digits}d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Set up a person's factor as the set-up page does; returns the device and the codes."""
    from django.utils import timezone

    from twofactor import services

    key = services.new_key()
    code = totp_code(services.unsaved_device(user=user, key=key))
    codes = services.factor_enrol(user=user, key=key, token=code, now=timezone.now(), address=None)
    assert codes
    return TOTPDevice.objects.get(user=user), codes
