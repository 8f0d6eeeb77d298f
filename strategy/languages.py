"""The language a person reads the product in, and the company's default language and time zone.

alignment.middleware.LanguageMiddleware asks these on every request without a database query:
the person's choice is kept in their session (read from their profile once, at sign-in, and
written again when they change it), the company's language and time zone in the cache (read
once, deleted when the company settings are saved).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import trans_real

from strategy.models import CompanySettings, Profile

# The signed-in person's choice in their session: a code of LANGUAGES, or "" for none.
SESSION_KEY = "_language"
COMPANY_CACHE_KEY = "strategy:company-locale"
COMPANY_CACHE_SECONDS = 24 * 3600


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def profile_language(user) -> str:
    """The language the person chose on their profile; "" when they chose none. Read with the
    user where it was (`select_related("profile")`, or a user already asked), else one query."""
    state = getattr(user, "_state", None)
    if state is not None and "profile" in state.fields_cache:
        profile = state.fields_cache["profile"]
        found = profile.language if profile is not None else ""
    else:
        found = Profile.objects.filter(user=user).values_list("language", flat=True).first()
    return found if found in codes() else ""


def profile_language_set(*, request: HttpRequest, language: str) -> None:
    """Save the signed-in person's choice ("" for their browser's) and use it at once."""
    Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language


def session_language(request: HttpRequest) -> str:
    """The signed-in person's choice, read from their profile only if the session does not have
    it yet (a session older than this, or one a test made without signing in)."""
    chosen = request.session.get(SESSION_KEY)
    if chosen is None:
        chosen = request.session[SESSION_KEY] = profile_language(request.user)
    return chosen


# The translation of each language whose chain of catalogues activate() has pruned: a language's
# object is built again when the settings that shape it change (tests), and pruned again then.
_pruned: dict[str, object] = {}


def activate(code: str) -> None:
    """translation.activate(code), with the language's catalogues pruned the first time.

    A message that its language does not translate (every one in English, the language the
    product is written in) is looked up in each catalogue of the chain that gettext built: for
    en-gb, after the merged catalogue, one `en` catalogue of Django's own per app, each holding
    nothing but its header, which made a miss cost five times a hit. Those empty catalogues
    are taken out of the chain; what any message translates to is the same.
    """
    translation.activate(code)
    found = trans_real.translation(code)
    if _pruned.get(code) is not found:
        _drop_empty_fallbacks(found)
        _pruned[code] = found


def _drop_empty_fallbacks(chain) -> None:
    """Unlink every fallback of `chain` whose catalogue has no message (only the header, under
    the empty msgid, which gettext never looks up). `_fallback` is gettext's own link between
    the translations of a chain (the standard library's NullTranslations.add_fallback); a
    request reading the chain meanwhile sees the old link or the new, both whole."""
    link = chain
    while (after := getattr(link, "_fallback", None)) is not None:
        catalogue = getattr(after, "_catalog", None)
        if isinstance(catalogue, dict) and set(catalogue) <= {""}:
            link._fallback = getattr(after, "_fallback", None)
        else:
            link = after


def company_locale() -> tuple[str, str]:
    """The company's default language and time zone name, from the cache when they are in it."""
    found = cache.get(COMPANY_CACHE_KEY)
    if found is None:
        try:
            row = CompanySettings.objects.filter(pk=1).values_list("language", "time_zone").first()
        except DatabaseError:
            # The database is down: the defaults, not cached, so that the page that says so (the
            # health check, an error page) can still be answered.
            return settings.LANGUAGE_CODE, settings.TIME_ZONE
        language, time_zone = row or (settings.LANGUAGE_CODE, "")
        found = (language, time_zone or settings.TIME_ZONE)
        cache.set(COMPANY_CACHE_KEY, found, COMPANY_CACHE_SECONDS)
    return found


def company_language() -> str:
    """The company's default language (one of LANGUAGES)."""
    language = company_locale()[0]
    return language if language in codes() else settings.LANGUAGE_CODE


def person_language(user) -> str:
    """The language to write to a person in when they are not there to ask (an email, a digest,
    a file built for them): their profile's choice, else the company's default."""
    return (user is not None and profile_language(user)) or company_language()


def people_languages(user_ids) -> dict[int, str]:
    """Each person's language for writing to them, in one query (person_language for many)."""
    ids = list(user_ids)
    chosen = dict(
        Profile.objects.filter(user_id__in=ids, language__in=codes()).values_list(
            "user_id", "language"
        )
    )
    default = company_language()
    return {user_id: chosen.get(user_id) or default for user_id in ids}


@receiver(user_logged_in, dispatch_uid="strategy.languages.remember_language")
def _remember_language(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = profile_language(user)


@receiver(post_save, sender=CompanySettings, dispatch_uid="strategy.languages.forget_company")
def _forget_company_locale(sender, **kwargs) -> None:
    cache.delete(COMPANY_CACHE_KEY)
    # Again once the save is committed: a request between the two may have cached the old row.
    transaction.on_commit(lambda: cache.delete(COMPANY_CACHE_KEY))
