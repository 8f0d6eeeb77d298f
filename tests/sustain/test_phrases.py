"""Signal reasons in the reader's language (strategy.phrases): a reason is kept as a phrase, its
msgid and parameters, beside its text; the pages render the phrase in the language they are read
in, and the text of a row or a snapshot written before phrases were kept.

The catalogues are translated separately: these tests compare a rendering with gettext (or
ngettext, pgettext) of the msgid under the same language, which holds whatever the catalogue
has, and with the text that was stored, which the pages must not show when a phrase is there."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext, pgettext

from reviews.models import ReviewCycle
from strategy import phrases
from strategy.phrases import Phrase
from sustain import board, measures
from sustain.models import StoredSignal
from tests.sustain.support import text

ROLLER = {"window": 4, "min_mean_change": 15, "min_reversals": 2}
SINGULAR = (
    "%(name)s: %(values)s over the last %(quarters)s quarters: moves %(change)s points a "
    "quarter on average and changed direction %(reversals)s time."
)
PLURAL = SINGULAR.replace("%(reversals)s time.", "%(reversals)s times.")
LANGUAGES = ["en-gb", "de", "fr", "es"]


# --- The phrase --------------------------------------------------------------------------------


def _nested() -> Phrase:
    """A promise's reason: a phrase inside a phrase, topics joined by a translated " and ", lever
    labels lower-cased with their context, clauses joined by punctuation."""
    topics = phrases.joined(
        [measures.PROMISE_TOPICS["delivery"], measures.PROMISE_TOPICS["service"]], measures.AND
    )
    levers = phrases.joined(
        [phrases.Phrase("Processes and policies", context="lever", lower=True)], ", "
    )
    clause = phrases.gettext_lazy(
        "a %(topics)s promise with no commitment on %(levers)s", topics=topics, levers=levers
    )
    return phrases.gettext_lazy(
        "“%(title)s”: %(problems)s.", title="Deliver on time", problems=phrases.joined([clause])
    )


def test_a_phrase_survives_json_and_renders_the_same():
    phrase = _nested()

    stored = json.loads(json.dumps(phrase.to_json()))
    read = Phrase.from_json(stored)

    assert read == phrase
    for language in LANGUAGES:
        with translation.override(language):
            assert str(read) == str(phrase)
    with translation.override("en-gb"):
        assert str(read) == (
            "“Deliver on time”: a delivery and service promise with no commitment on "
            "processes and policies."
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_nested_phrase_renders_each_part_with_gettext_in_the_active_language(language):
    with translation.override(language):
        topics = pgettext("promise topic", "delivery") + gettext(" and ")
        topics += pgettext("promise topic", "service")
        clause = gettext("a %(topics)s promise with no commitment on %(levers)s") % {
            "topics": topics,
            "levers": pgettext("lever", "Processes and policies").lower(),
        }
        expected = gettext("“%(title)s”: %(problems)s.") % {
            "title": "Deliver on time",
            "problems": clause,
        }

        assert str(_nested()) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [1, 5])
def test_the_plural_form_is_chosen_by_the_count_in_the_active_language(language, count):
    params = {"name": "Logistics", "values": "1, 2", "quarters": 4, "change": "20"}
    phrase = phrases.ngettext_lazy(SINGULAR, PLURAL, "reversals", **params, reversals=count)
    read = Phrase.from_json(json.loads(json.dumps(phrase.to_json())))

    with translation.override(language):
        expected = ngettext(SINGULAR, PLURAL, count) % {**params, "reversals": count}
        assert str(phrase) == str(read) == expected
    if language == "en-gb":
        assert expected.endswith(f"{count} time." if count == 1 else f"{count} times.")


def test_a_plural_phrase_needs_its_count_and_a_phrase_stores_no_lazy_string():
    with pytest.raises(TypeError):
        phrases.ngettext_lazy(SINGULAR, PLURAL, "reversals", name="Logistics")
    with pytest.raises(TypeError):  # its words would be frozen in the language it is stored in
        phrases.gettext_lazy("%(team)s", team=translation.gettext_lazy("Funding")).to_json()


def test_a_reason_of_the_measures_is_its_phrase_rendered():
    result = measures.roller_coaster([100, 25, 100, 25], name="Logistics", **ROLLER)

    assert result.flagged
    assert result.phrase.plural == PLURAL
    for language in LANGUAGES:
        with translation.override(language):
            assert result.reason == ngettext(SINGULAR, PLURAL, 2) % {
                "name": "Logistics",
                "values": "100, 25, 100, 25",
                "quarters": 4,
                "change": "75",
                "reversals": 2,
            }


def test_a_review_label_inside_a_reason_is_named_in_the_reader_language():
    cycle = ReviewCycle(kind=ReviewCycle.Kind.QUARTERLY, fiscal_year=2026, quarter=3)
    phrase = Phrase.from_json(
        phrases.gettext_lazy(
            "%(team)s: every lever scored 5 in %(latest)s, and no commitment changed that quarter.",
            team="Logistics",
            latest=cycle.label_phrase,
        ).to_json()
    )

    for language in LANGUAGES:
        with translation.override(language):
            label = gettext("Q%(quarter)s FY%(year)s") % {"quarter": 3, "year": 2026}
            assert label == cycle.label
            assert str(phrase) == gettext(
                "%(team)s: every lever scored 5 in %(latest)s, and no commitment changed that "
                "quarter."
            ) % {"team": "Logistics", "latest": label}


# --- Stored and shown ------------------------------------------------------------------------


@pytest.fixture
def stored(org):
    """A board with a roller-coaster (Logistics) and a late team (Finance), stored."""
    org.quarters(
        {org.logistics: [5, 2, 5, 2], org.finance: [4, 4, 4, 4]},
        late={1: {org.finance}, 3: {org.finance}},
    )
    org.settle(timezone.now())
    board.board_refresh(now=timezone.now())
    return org


@pytest.mark.django_db
def test_a_stored_signal_keeps_its_phrase_beside_its_text(stored):
    rows = list(StoredSignal.objects.all())

    assert rows and all(row.phrase for row in rows)
    for row in rows:
        with translation.override("en-gb"):
            assert str(Phrase.from_json(row.phrase)) == row.reason
        with translation.override("de"):
            assert board.signal_reason({"phrase": row.phrase, "reason": row.reason}) == str(
                Phrase.from_json(row.phrase)
            )
    roller = next(row for row in rows if row.kind == "roller")
    assert roller.phrase["msgid"] == SINGULAR
    assert roller.phrase["plural"] == PLURAL
    assert roller.phrase["params"]["name"] == "Logistics"


@pytest.mark.django_db
def test_pages_render_the_phrase_in_the_reader_language_and_old_rows_their_text(
    stored, login, executive, head
):
    roller = StoredSignal.objects.get(kind="roller", team=stored.logistics.pk)
    # Stored text that is not the phrase's rendering: a page showing it did not use the phrase.
    StoredSignal.objects.filter(pk=roller.pk).update(reason="Words stored in English")
    old = StoredSignal.objects.get(kind="complacency", team=stored.finance.pk)
    StoredSignal.objects.filter(pk=old.pk).update(phrase=None, reason="A reason stored before")
    with translation.override("de"):
        expected = str(Phrase.from_json(roller.phrase))

    signals = text(login(executive).get(reverse("sustain:signals"), HTTP_ACCEPT_LANGUAGE="de"))
    team = text(login(head).get(stored.logistics.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de"))
    csv = login(executive).get(reverse("reports:signals-csv"), HTTP_ACCEPT_LANGUAGE="de")

    for page in (signals, team):
        assert expected in page
        assert "Words stored in English" not in page
    assert "A reason stored before" in signals
    rows = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert expected in rows
    assert "A reason stored before" in rows


@pytest.mark.django_db
def test_a_closed_review_renders_its_frozen_phrases_and_an_older_snapshot_its_text(
    stored, login, executive
):
    cycle = ReviewCycle.objects.quarterly().closed().order_by("-fiscal_year", "-quarter")[0]
    signals = cycle.snapshot["signals"]
    assert len(signals) >= 2 and all(s["phrase"] for s in signals)
    with translation.override("fr"):
        expected = str(Phrase.from_json(signals[0]["phrase"]))
    signals[0]["reason"] = "Frozen in English"
    del signals[1]["phrase"]  # frozen before phrases were kept
    signals[1]["reason"] = "Frozen before phrases"
    ReviewCycle.objects.filter(pk=cycle.pk).update(snapshot=cycle.snapshot)

    page = text(login(executive).get(cycle.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"))

    assert expected in page
    assert "Frozen in English" not in page
    assert "Frozen before phrases" in page


@pytest.mark.django_db
def test_a_running_review_reads_the_stored_phrases(stored):
    running = ReviewCycle(state=ReviewCycle.State.OPEN)  # read from the stored board

    found = board.cycle_board(running)
    stored_rows = {row.order: row for row in StoredSignal.objects.all()}

    assert found["signals"]
    for order, signal in enumerate(found["signals"]):
        assert signal["phrase"] == stored_rows[order].phrase  # JSON read back, not its text
        with translation.override("es"):
            assert board.signal_reason(signal) == str(Phrase.from_json(signal["phrase"]))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [1, 5])
def test_a_phrase_with_a_context_renders_with_pgettext_and_npgettext(language, count):
    singular, plural = "%(count)s quarter in a row", "%(count)s quarters in a row"
    word = Phrase.from_json(phrases.pgettext_lazy("lever", "Funding").to_json())
    counted = Phrase.from_json(
        phrases.npgettext_lazy("streak", singular, plural, "count", count=count).to_json()
    )

    with translation.override(language):
        assert str(word) == pgettext("lever", "Funding")
        assert str(counted) == translation.npgettext("streak", singular, plural, count) % {
            "count": count
        }
