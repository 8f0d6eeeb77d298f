"""Single sign-on through OpenID Connect (mozilla-django-oidc): the provider's endpoints read
from its discovery document, the ID token's checks the library leaves out (issuer, audience,
expiry), who a sign-in is (the provider's subject, or a verified email the first time), the
roles a claim maps to (SSO_ROLE_MAP), applied at each sign-in, and the password gate of
SSO_ONLY. The views are in sso_views.py; the settings in "Single sign-on" of settings.py."""

from __future__ import annotations

import logging
import time
from functools import cache

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from strategy import services
from strategy.models import Membership, SSOIdentity, Unit
from strategy.roles import ADMIN, EXECUTIVE, read_user

# The role groups a claim may give; Department head and Member follow the memberships.
CLAIM_GROUPS = (EXECUTIVE, ADMIN)

log = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 60


class SignInRefused(Exception):
    """A sign-in through the provider that must not go on: the reason is logged and shown."""


def enabled() -> bool:
    return bool(settings.SSO_ISSUER and settings.SSO_CLIENT_ID)


@cache
def _discovery(issuer: str) -> dict:
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.SSO_TIMEOUT_SECONDS
    )
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"The discovery document of {issuer} names another issuer: {document.get('issuer')}"
        )
    return document


def discovery() -> dict:
    """The provider's discovery document, read once per process and issuer."""
    if not enabled():
        raise ImproperlyConfigured("Single sign-on is not configured (SSO_ISSUER, SSO_CLIENT_ID).")
    return _discovery(settings.SSO_ISSUER)


# --- The role mapping -----------------------------------------------------------------------


def role_map() -> dict[str, list[str]]:
    return parse_role_map(settings.SSO_ROLE_MAP)


@cache
def parse_role_map(text: str) -> dict[str, list[str]]:
    """The map's text, "claim value=target;target, claim value=target", as {claim value: [targets]}.
    A target is Executive, Admin (Department head and Member follow the memberships),
    head:<unit code> or member:<unit code>; anything else is an error, said at the first use."""
    mapping: dict[str, list[str]] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        value, sep, targets = entry.rpartition("=")
        if not sep or not value.strip():
            raise ImproperlyConfigured(f"SSO_ROLE_MAP: {entry!r} is not 'claim value=target'.")
        for target in filter(None, (t.strip() for t in targets.split(";"))):
            kind, _, code = target.partition(":")
            if target not in CLAIM_GROUPS and not (kind in ("head", "member") and code):
                raise ImproperlyConfigured(
                    f"SSO_ROLE_MAP: {target!r} is neither a role group ({', '.join(CLAIM_GROUPS)})"
                    " nor head:<unit code> or member:<unit code>."
                )
            mapping.setdefault(value.strip(), []).append(target)
    return mapping


def claim_values(claims: dict) -> list[str]:
    value = claims.get(settings.SSO_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return sorted(str(v) for v in value)


def mapped_targets(values: list[str]) -> set[str]:
    return {t for v in values for t in role_map().get(v, [])}


def _managed() -> tuple[set[str], set[str]]:
    """The role groups and unit codes the mapping speaks for: only those a sign-in changes."""
    targets = {t for ts in role_map().values() for t in ts}
    return {t for t in targets if t in CLAIM_GROUPS}, {
        t.partition(":")[2] for t in targets if ":" in t
    }


def roles_apply(*, user, values: list[str], reason: str) -> list[str]:
    """Make the user's role groups and team memberships the ones the claim values map to, among
    those the mapping speaks for; the rest (set by an admin) stay. Returns the changes, in words;
    each membership change is in that membership's history with the reason."""
    targets = mapped_targets(values)
    groups, codes = _managed()
    changes = []
    held = set(user.groups.filter(name__in=groups).values_list("name", flat=True))
    for name in sorted(groups):
        if name in targets and name not in held:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
            changes.append(f"+ {name}")
        elif name not in targets and name in held:
            user.groups.remove(Group.objects.get(name=name))
            changes.append(f"- {name}")
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    for code in sorted(codes - units.keys()):
        log.warning("SSO_ROLE_MAP names unit %r, which does not exist", code)
    memberships = {m.unit.code: m for m in user.memberships.filter(unit__code__in=codes)}
    for code, unit in sorted(units.items()):
        wanted = (
            Membership.Role.HEAD
            if f"head:{code}" in targets
            else Membership.Role.MEMBER
            if f"member:{code}" in targets
            else None
        )
        current = memberships.get(code)
        if wanted is None:
            if current is not None:
                current._change_reason = reason
                current.delete()
                changes.append(f"- {_stored_role(current)} of {code}")
            continue
        if current is None:
            current = Membership(unit=unit, user=user, role=wanted)
        elif current.role == wanted:
            continue
        current.role = wanted
        current._change_reason = reason
        current.save()
        changes.append(f"+ {_stored_role(current)} of {code}")
    services.user_sync_role_groups(user=user)
    return changes


def _stored_role(membership: Membership) -> str:
    """The membership's role as the stored texts of a sign-in name it (the identity's last
    changes, its history's reason): in the site's language, whoever signs in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(membership.get_role_display())


@checks.register(checks.Tags.security, deploy=False)
def settings_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A role map that cannot be read stops the site at start-up, not at someone's sign-in."""
    found: list[checks.CheckMessage] = []
    try:
        role_map()
    except ImproperlyConfigured as exc:
        found.append(checks.Error(str(exc), id="alignment.E901"))
    if settings.SSO_ONLY and not enabled():
        found.append(
            checks.Error(
                "SSO_ONLY is on but single sign-on is not configured (SSO_ISSUER, SSO_CLIENT_ID).",
                id="alignment.E902",
            )
        )
    if settings.SSO_ONLY and not settings.SSO_BREAK_GLASS_USERNAME:
        found.append(
            checks.Warning(
                "SSO_ONLY is on with no SSO_BREAK_GLASS_USERNAME: if the provider is down,"
                " no one can sign in.",
                id="alignment.W903",
            )
        )
    return found


# --- The backend ----------------------------------------------------------------------------


def _verified(claims: dict) -> bool:
    value = claims.get(settings.SSO_EMAIL_VERIFIED_CLAIM)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _free_username(claims: dict) -> str:
    User = get_user_model()
    base = (claims.get("preferred_username") or claims["email"].split("@")[0])[:140]
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class SSOBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, its endpoints from discovery (read when a sign-in comes
    back, not when any other backend is asked), with the ID token's remaining checks and the
    product's rules for who a sign-in is and what roles it carries."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    # The library's attributes, read when it needs them.
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.SSO_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None
    OIDC_RP_CLIENT_ID = property(lambda self: settings.SSO_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.SSO_CLIENT_SECRET)
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: discovery()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: discovery().get("userinfo_endpoint"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: discovery()["jwks_uri"])

    def get_user(self, user_id):
        # The library's read of a session's user, by a prepared query as for a password's.
        return read_user(user_id)

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or "code" not in request.GET:
            return None
        try:
            user = super().authenticate(request, **kwargs)
        except jwt.PyJWTError as exc:
            reason = f"the ID token is refused ({exc})"
        except (SignInRefused, SuspiciousOperation, requests.RequestException) as exc:
            reason = str(exc) if isinstance(exc, SignInRefused) else _short(exc)
        else:
            return user
        request.sso_refusal = reason
        log.warning("SSO sign-in refused: %s", reason)
        return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if kwargs.get("nonce") is None:  # the userinfo endpoint's JWT: no ID token claims
            return payload
        now = time.time()
        if str(payload.get("iss", "")).rstrip("/") != settings.SSO_ISSUER:
            raise SignInRefused(f"the ID token's issuer is {payload.get('iss')!r}")
        audience = payload.get("aud")
        audience = audience if isinstance(audience, list) else [audience]
        if settings.SSO_CLIENT_ID not in audience:
            raise SignInRefused(
                f"the ID token is for another client ({', '.join(map(str, audience))})"
            )
        if (
            not isinstance(payload.get("exp"), int | float)
            or payload["exp"] < now - CLOCK_SKEW_SECONDS
        ):
            raise SignInRefused("the ID token has expired")
        self._id_claims = payload
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SignInRefused("the userinfo is about another subject than the ID token")
            claims.update(info)
        return claims

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    @transaction.atomic
    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SignInRefused("the provider sent no subject")
        values = claim_values(claims)
        if role_map() and not mapped_targets(values):
            raise SignInRefused(
                f"the {settings.SSO_GROUPS_CLAIM!r} claim ({', '.join(values) or 'empty'})"
                " maps to no role or team"
            )
        issuer, subject = settings.SSO_ISSUER, str(claims["sub"])
        identity = (
            SSOIdentity.objects.select_related("user")
            .select_for_update()
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        how = "signed in"
        if identity is None:
            if not claims.get("email") or not _verified(claims):
                raise SignInRefused(
                    f"the email {claims.get('email')!r} is not verified by the provider"
                )
            users = list(self.UserModel.objects.filter(email__iexact=claims["email"])[:2])
            if len(users) > 1:
                raise SignInRefused(f"two people have the email {claims['email']!r}")
            if users:
                user, how = users[0], "linked by verified email"
            else:
                user = self.UserModel.objects.create_user(
                    _free_username(claims),
                    email=claims["email"],
                    first_name=str(claims.get("given_name", ""))[:150],
                    last_name=str(claims.get("family_name", ""))[:150],
                )
                how = "created"
            identity = SSOIdentity(user=user, issuer=issuer, subject=subject)
        user = identity.user
        if not user.is_active:
            raise SignInRefused(f"{user.username} is deactivated")
        reason = f"SSO sign-in ({settings.SSO_PROVIDER_NAME}): {settings.SSO_GROUPS_CLAIM}={values}"
        changes = roles_apply(user=user, values=values, reason=reason)
        identity.claim_values = values
        identity.roles_from_claim = sorted(mapped_targets(values))
        identity.last_changes = "; ".join(changes)
        identity.last_sign_in_at = timezone.now()
        identity._change_reason = f"{how}; " + ("; ".join(changes) or "no role change")
        identity.save()
        log.info(
            "SSO sign-in: %s (%s, sub %s) %s; claim %s; roles %s",
            user.username,
            issuer,
            subject,
            how,
            values,
            "; ".join(changes) or "unchanged",
        )
        return user


def _short(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        text = f"the provider answered {exc.response.status_code}: {exc.response.text[:200]}"
    return text


def provider_logout_url(request) -> str | None:
    """Where the provider ends its session (end_session_endpoint), if it offers one and this
    session signed in through it; back to the login page after."""
    id_token = request.session.get("oidc_id_token")
    if not enabled() or not id_token:
        return None
    endpoint = discovery().get("end_session_endpoint")
    if not endpoint:
        return None
    query = requests.models.RequestEncodingMixin._encode_params(
        {
            "id_token_hint": id_token,
            "client_id": settings.SSO_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class PasswordGate:
    """With SSO_ONLY, refuses every password sign-in but the break-glass superuser's. Placed
    after the lockout's backend, before the ones that check a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.SSO_ONLY or password is None:
            return None
        allowed = settings.SSO_BREAK_GLASS_USERNAME
        if (
            allowed
            and username == allowed
            and get_user_model().objects.filter(username=allowed, is_superuser=True).exists()
        ):
            return None
        log.warning("password sign-in refused for %r: SSO_ONLY is on", username)
        raise PermissionDenied
