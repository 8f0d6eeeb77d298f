from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    """The second factor of a password sign-in (TOTP and recovery codes, with django-otp's
    devices) and its history. At the bottom of the apps: it reads only Django's users."""

    name = "twofactor"
    verbose_name = _("Second factor")

    def ready(self) -> None:
        from twofactor import views

        views.guard_admin_login()
