"""The login page's "Sign in with <provider>" button, shown only when single sign-on is on."""

from django import template
from django.conf import settings

from strategy import sso

register = template.Library()


@register.inclusion_tag("registration/_sso_button.html", takes_context=True)
def sso_button(context):
    return {
        "enabled": sso.enabled(),
        "provider": settings.SSO_PROVIDER_NAME,
        "sso_only": settings.SSO_ONLY,
        "next": context.get("next", ""),
    }
