"""The catalogues of locale/ hold every string the code and templates mark, and their compiled
.mo files are what their .po files say.

`make messages` makes them again; this runs the same makemessages into a folder of its own and
compares. A language of LANGUAGES_COMPLETE must also have every string translated (not
fuzzy): add one when its translators are done. Needs GNU gettext's xgettext (.ci/services
installs it).
"""

import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import TranslatorCommentWarning

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# The languages whose catalogue must be wholly translated.
LANGUAGES_COMPLETE: set[str] = set()
# As the Makefile's MESSAGES_IGNORE: what is not the product's; and locale/, which makemessages
# would otherwise write to, as a "locale" folder it meets comes before LOCALE_PATHS.
IGNORE = [".venv", "var", "tests", "bench", "static", "docs", "*.egg-info", ".catalogue-*"]
IGNORE += ["locale"]


def _read_po(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _entries(catalog) -> dict:
    """(context, msgid) → the message, the header left out; a plural by its singular."""
    # Babel reads a plural's ids and strings as a tuple from a .po file, a list from a .mo file.
    return {
        (m.context, m.id[0] if isinstance(m.id, (tuple, list)) else m.id): m
        for m in catalog
        if m.id
    }


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _translated(message) -> bool:
    return not message.fuzzy and all(_strings(message))


@pytest.fixture(scope="module")
def extracted():
    """makemessages' catalogues of the code as it is now, per language.

    makemessages writes a file's strings to the first of LOCALE_PATHS whose parent folder holds
    it, so the fresh catalogues go to a folder beside locale/, at the top of the repository."""
    folder = Path(tempfile.mkdtemp(prefix=".catalogue-", dir=ROOT))
    try:
        with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
            patch.setattr(settings, "LOCALE_PATHS", [folder])
            patch.chdir(ROOT)
            # A translator comment that is not the last item on its line is dropped: the
            # translators would never see it.
            warnings.simplefilter("error", TranslatorCommentWarning)
            call_command(
                "makemessages",
                locale=LANGUAGES,
                no_obsolete=True,
                add_location="file",
                ignore_patterns=IGNORE,
                verbosity=0,
            )
        yield {
            language: _entries(_read_po(folder / language / "LC_MESSAGES" / "django.po"))
            for language in LANGUAGES
        }
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_has_every_marked_string_and_no_other(language, extracted):
    committed = _entries(_read_po(LOCALE / language / "LC_MESSAGES" / "django.po"))
    fresh = extracted[language]

    missing = sorted(str(key) for key in fresh.keys() - committed.keys())
    unused = sorted(str(key) for key in committed.keys() - fresh.keys())
    assert not missing and not unused, (
        f"locale/{language} is not what the code marks: run `make messages`.\n"
        f"Missing: {missing}\nNo longer marked: {unused}"
    )
    assert fresh, "makemessages found no string"


if LANGUAGES_COMPLETE:  # collected once a language is complete: no test is ever skipped

    @pytest.mark.parametrize("language", sorted(LANGUAGES_COMPLETE))
    def test_a_complete_language_has_every_string_translated(language):
        committed = _entries(_read_po(LOCALE / language / "LC_MESSAGES" / "django.po"))
        untranslated = sorted(str(key) for key, m in committed.items() if not _translated(m))
        assert not untranslated, f"locale/{language}: not translated or fuzzy: {untranslated}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_its_po_file(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as f:
        compiled = {key: _strings(m) for key, m in _entries(read_mo(f)).items()}
    written = {
        key: _strings(m)
        for key, m in _entries(_read_po(folder / "django.po")).items()
        if _translated(m)
    }
    assert compiled == written, f"locale/{language}: django.mo is stale, run `make messages`"


def test_complete_languages_are_languages_of_the_product():
    assert set(LANGUAGES) >= LANGUAGES_COMPLETE
