"""A request's language has no empty catalogue in its chain (strategy.languages.activate), and
every message translates as Django's own chain of catalogues translates it."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

from strategy import languages

pytestmark = pytest.mark.django_db

# Messages of the product, of Django's forms and of its admin, with and without a context, and
# one that no catalogue has.
SAMPLES = [
    ("", "Signals"),
    ("", "Heatmap"),
    ("column", "Team"),
    ("sheet name", "Summary"),
    ("", "This field is required."),
    ("", "Enter a valid email address."),
    ("", "Log out"),
    ("", "A sentence no catalogue translates."),
]


def _chain(found) -> list:
    links = []
    while found is not None:
        links.append(found)
        found = getattr(found, "_fallback", None)
    return links


def _messages(found) -> list[tuple[str, ...]]:
    """Every message that `found` and its fallbacks know (the catalogues' keys), plus SAMPLES."""
    keys = set()
    for link in _chain(found):
        catalogue = getattr(link, "_catalog", None)
        if catalogue is not None:
            # A TranslationCatalog has keys() but no iteration of its own.
            found = catalogue.keys()
            keys.update(key for key in found if isinstance(key, str) and key)
    return sorted(keys)[:: max(1, len(keys) // 400)]  # a spread of a few hundred


def _translated(found, context: str, message: str) -> str:
    return found.pgettext(context, message) if context else found.gettext(message)


@pytest.mark.parametrize("code", [code for code, _ in settings.LANGUAGES])
def test_a_pages_language_has_no_empty_catalogue_and_translates_the_same(client, code):
    fresh = trans_real.DjangoTranslation(code)  # the chain as Django builds it
    client.get("/accounts/login/", headers={"accept-language": code})

    pruned = trans_real.translation(code)
    for link in _chain(pruned)[1:]:
        catalogue = getattr(link, "_catalog", None)
        assert not (isinstance(catalogue, dict) and set(catalogue) <= {""}), link
    assert len(_chain(pruned)) < len(_chain(fresh)) or code != "en-gb"

    for context, message in SAMPLES:
        assert _translated(pruned, context, message) == _translated(fresh, context, message)
    for message in _messages(fresh):
        assert pruned.gettext(message) == fresh.gettext(message), message
    for count in (0, 1, 2, 5):
        assert pruned.ngettext("%(count)d team", "%(count)d teams", count) == fresh.ngettext(
            "%(count)d team", "%(count)d teams", count
        )


def test_a_german_page_still_reads_in_german_and_english_where_untranslated():
    languages.activate("de")
    try:
        assert (
            translation.gettext("This field is required.")
            == "Dieses Feld ist zwingend erforderlich."
        )
        assert translation.gettext("A sentence no catalogue translates.") == (
            "A sentence no catalogue translates."
        )
    finally:
        translation.activate(settings.LANGUAGE_CODE)


def test_a_language_built_again_after_a_settings_change_is_pruned_again(settings):
    languages.activate("en-gb")
    first = trans_real.translation("en-gb")
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS]  # Django drops its built translations
    languages.activate("en-gb")

    again = trans_real.translation("en-gb")
    assert again is not first
    assert len(_chain(again)) == len(_chain(first))
