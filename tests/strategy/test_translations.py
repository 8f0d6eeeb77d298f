"""Executives' translations of a position's texts: entered per language, never made by the
product, shown to readers of that language with the original one click away."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pytest_django.asserts import assertContains, assertRedirects

from strategy import services, translations, versions
from strategy.models import ContentTranslation, StrategicPosition
from tests.factories import CompetitorFactory, MeasureFactory

pytestmark = pytest.mark.django_db

PAGE = "/strategy/positions/2026/translations/de/"


def field_name(row, field: str) -> str:
    kind = translations.KIND_OF_MODEL[type(row)]
    return f"{kind}-{row.pk}-{field}"


def page_data(response) -> dict:
    """What the form posts back as it stands: every field and its hidden initial value."""
    form = response.context["form"]
    data = {}
    for bound in form.rows():
        data[bound.html_name] = bound.value() or ""
        data[bound.html_initial_name] = form[bound.name].initial or ""
    return data


def test_an_executive_translates_a_position_s_texts(login, executive, current_position):
    objective = current_position.objectives.first()
    client = login(executive)
    page = client.get(PAGE)
    assertContains(page, current_position.statement)
    assertContains(page, objective.external_promise)
    data = page_data(page)
    data[field_name(current_position, "statement")] = "Wir beraten jeden Kunden."
    data[field_name(objective, "external_promise")] = "  Lieferung am nächsten Tag.  "

    response = client.post(PAGE, data, follow=True)

    assertRedirects(response, PAGE)
    saved = {(t.kind, t.field): t for t in ContentTranslation.objects.all()}
    assert saved[("position", "statement")].text == "Wir beraten jeden Kunden."
    assert saved[("objective", "external_promise")].text == "Lieferung am nächsten Tag."
    assert saved[("position", "statement")].original_digest == translations.digest(
        current_position.statement
    )
    assert {t.language for t in saved.values()} == {"de"}
    assert {t.translated_by for t in saved.values()} == {executive}
    assertContains(response, "2 translations into Deutsch saved.")


def test_the_page_names_each_language_and_how_much_of_it_is_translated(
    login, executive, current_position
):
    translations.translations_save(
        position=current_position,
        language="fr",
        entered={("position", current_position.pk, "statement"): "Nous conseillons."},
        by=executive,
    )

    page = login(executive).get(PAGE)

    counts = {language.code: language.translated for language in page.context["tabs"]}
    assert counts == {"en-gb": 0, "de": 0, "fr": 1, "es": 0}
    texts = len(translations.texts_of(current_position))
    assert {language.texts for language in page.context["tabs"]} == {texts}
    assertContains(page, 'href="/strategy/positions/2026/translations/fr/"')


def test_only_executives_translate_and_only_into_the_product_s_languages(
    login, head, executive, current_position
):
    assert login(head).get(PAGE).status_code == 403
    assert login(executive).get("/strategy/positions/2026/translations/xx/").status_code == 404


def test_an_emptied_field_removes_its_translation_and_an_unchanged_one_is_not_written(
    login, executive, current_position
):
    objective = current_position.objectives.first()
    keep = ("objective", objective.pk, "title")
    remove = ("position", current_position.pk, "statement")
    translations.translations_save(
        position=current_position,
        language="de",
        entered={keep: "Jeden Kunden beraten", remove: "Wir beraten."},
        by=executive,
    )
    kept = ContentTranslation.objects.get(field="title")
    client = login(executive)
    data = page_data(client.get(PAGE))
    data[field_name(current_position, "statement")] = ""

    response = client.post(PAGE, data, follow=True)

    assert list(ContentTranslation.objects.values_list("field", flat=True)) == ["title"]
    assert ContentTranslation.objects.get().updated_at == kept.updated_at
    assertContains(response, "1 translation removed.")


def test_two_executives_translating_different_texts_at_once_both_keep_their_work(
    login, executive, current_position, client
):
    other = type(executive).objects.create(username="olga-exec")
    other.groups.set(executive.groups.all())
    first, second = current_position.objectives.all()[:2]
    client.force_login(executive)
    theirs = page_data(client.get(PAGE))
    client.force_login(other)
    mine = page_data(client.get(PAGE))
    theirs[field_name(first, "title")] = "Erstes Ziel"
    mine[field_name(second, "title")] = "Zweites Ziel"

    client.force_login(executive)
    client.post(PAGE, theirs)
    client.force_login(other)
    client.post(PAGE, mine)

    assert dict(ContentTranslation.objects.values_list("object_id", "text")) == {
        first.pk: "Erstes Ziel",
        second.pk: "Zweites Ziel",
    }


def test_a_text_someone_translated_meanwhile_is_not_overwritten_without_a_second_look(
    login, executive, current_position, client
):
    other = type(executive).objects.create(username="olga-exec")
    other.groups.set(executive.groups.all())
    objective = current_position.objectives.first()
    name = field_name(objective, "title")
    client.force_login(executive)
    theirs = page_data(client.get(PAGE))
    client.force_login(other)
    mine = page_data(client.get(PAGE))
    theirs[name] = "Ihr Ziel"
    mine[name] = "Mein Ziel"
    client.force_login(executive)
    client.post(PAGE, theirs)

    client.force_login(other)
    refused = client.post(PAGE, mine)

    assert refused.status_code == 409
    assertContains(refused, "Someone saved another translation of this text", status_code=409)
    assertContains(refused, 'value="Mein Ziel"', status_code=409)  # the input is kept
    assert ContentTranslation.objects.get().text == "Ihr Ziel"
    # Saved again from that page (which now knows theirs), the second one wins.
    again = {key: value for key, value in refused.context["form"].data.items()}
    client.post(PAGE, again)
    assert ContentTranslation.objects.get().text == "Mein Ziel"


def test_a_translation_too_long_for_its_original_s_field_is_refused_and_nothing_is_saved(
    login, executive, current_position
):
    objective = current_position.objectives.first()
    client = login(executive)
    data = page_data(client.get(PAGE))
    data[field_name(current_position, "statement")] = "Wir beraten."
    data[field_name(objective, "title")] = "x" * 161

    response = client.post(PAGE, data)

    assert response.status_code == 200
    assertContains(response, "Nothing was saved")
    assertContains(response, "at most 160 characters")
    assert not ContentTranslation.objects.exists()


def test_a_translation_older_than_its_original_says_so(login, executive, current_position):
    key = ("position", current_position.pk, "statement")
    translations.translations_save(
        position=current_position, language="de", entered={key: "Wir beraten."}, by=executive
    )
    StrategicPosition.objects.filter(pk=current_position.pk).update(statement="A new statement.")
    current_position.refresh_from_db()

    page = login(executive).get(PAGE)

    assertContains(page, "The original changed after this was translated")
    shown = translations.reading(current_position.pk, "de").of(current_position, "statement")
    assert (shown.text, shown.original, shown.is_older) == (
        "Wir beraten.",
        "A new statement.",
        True,
    )


def test_readers_see_the_translation_of_their_language_only(executive, current_position):
    key = ("position", current_position.pk, "statement")
    translations.translations_save(
        position=current_position, language="de", entered={key: "Wir beraten."}, by=executive
    )

    with translation.override("de"):
        german = translations.reading(current_position.pk).of(current_position, "statement")
    with translation.override("fr"):
        french = translations.reading(current_position.pk).of(current_position, "statement")

    assert (german.text, german.original, german.is_translated) == (
        "Wir beraten.",
        current_position.statement,
        True,
    )
    assert (french.text, french.is_translated) == (current_position.statement, False)


def test_texts_of_another_position_are_not_taken(executive, current_position, draft_position):
    elsewhere = draft_position.objectives.get()

    translations.translations_save(
        position=current_position,
        language="de",
        entered={("objective", elsewhere.pk, "title"): "Fremd"},
        by=executive,
    )

    assert not ContentTranslation.objects.exists()


def test_a_saved_translation_moves_the_content_version_on(executive, current_position):
    before = versions.current()

    translations.translations_save(
        position=current_position,
        language="de",
        entered={("position", current_position.pk, "statement"): "Wir beraten."},
        by=executive,
    )

    assert versions.current() > before


def test_the_annual_refresh_carries_the_translations_to_next_year_s_draft(
    executive, current_position
):
    objective = current_position.objectives.first()
    measure = MeasureFactory(objective=objective, reporting_team=None)
    competitor = CompetitorFactory(position=current_position)
    priority = current_position.priorities.first()
    entered = {
        ("position", current_position.pk, "statement"): "Wir beraten.",
        ("objective", objective.pk, "external_promise"): "Morgen geliefert.",
        ("measure", measure.pk, "name"): "Pünktlichkeit",
        ("competitor", competitor.pk, "positioning"): "Billig.",
    }
    if priority is not None:
        entered[("priority", priority.pk, "title")] = "Schnell"
    translations.translations_save(
        position=current_position, language="de", entered=entered, by=executive
    )

    draft = services.position_copy_for_refresh(source=current_position, fiscal_year=2027)

    copies = {(t.kind, t.field): t for t in draft.translations.all()}
    assert len(copies) == len(entered)
    copied_objective = draft.objectives.get(previous=objective)
    assert copies[("objective", "external_promise")].object_id == copied_objective.pk
    assert copies[("measure", "name")].object_id == copied_objective.measures.get().pk
    assert (
        copies[("competitor", "positioning")].object_id
        == draft.competitors.get(name=competitor.name).pk
    )
    assert copies[("position", "statement")].object_id == draft.pk
    # The originals were copied too: the translations are not older than them.
    reading = translations.reading(draft.pk, "de")
    assert not reading.of(draft, "statement").is_older


# --- What readers see ------------------------------------------------------------------------


@pytest.fixture
def german_texts(executive, current_position):
    objective = current_position.objectives.order_by("order").first()
    translations.translations_save(
        position=current_position,
        language="de",
        entered={
            ("position", current_position.pk, "statement"): "Wir gewinnen mit Service.",
            ("objective", objective.pk, "title"): "Pünktlich liefern",
            ("objective", objective.pk, "external_promise"): "Ihre Bestellung kommt pünktlich.",
        },
        by=executive,
    )
    return objective


def test_a_german_reader_sees_the_translations_with_the_originals_one_click_away(
    login, member, current_position, german_texts
):
    client = login(member)

    position = client.get("/strategy/positions/2026/", HTTP_ACCEPT_LANGUAGE="de")
    objective = client.get(german_texts.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="de")

    for page in (position, objective):
        assertContains(page, "Pünktlich liefern")
        assertContains(page, "Ihre Bestellung kommt pünktlich.")
        assertContains(page, f"</summary>{german_texts.external_promise}</details>")
        assertContains(page, f"</summary>{german_texts.title}</details>")
    assertContains(position, "Wir gewinnen mit Service.")
    assertContains(home, "Wir gewinnen mit Service.")
    assertContains(home, f"</summary>{current_position.statement}</details>")


def test_a_reader_of_another_language_sees_the_originals_and_no_disclosure(
    login, member, current_position, german_texts
):
    client = login(member)
    # The German page first, so that a cached German body would show if the key lacked the
    # language.
    client.get("/strategy/positions/2026/", HTTP_ACCEPT_LANGUAGE="de")

    french = client.get("/strategy/positions/2026/", HTTP_ACCEPT_LANGUAGE="fr")

    assertContains(french, german_texts.title)
    assert "Pünktlich liefern" not in french.content.decode()
    assert '<details class="original' not in french.content.decode()


def test_a_translation_older_than_its_original_says_so_to_readers(
    login, member, current_position, german_texts
):
    type(german_texts).objects.filter(pk=german_texts.pk).update(title="Deliver on the day")

    page = login(member).get(german_texts.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")

    assertContains(page, "Pünktlich liefern")
    assertContains(page, "Deliver on the day</details>")
    with translation.override("de"):
        assertContains(page, gettext("Original (changed since this translation)"))


def test_executives_find_each_language_s_translations_from_the_position(
    login, executive, member, current_position, german_texts
):
    page = login(executive).get("/strategy/positions/2026/")

    assertContains(page, 'href="/strategy/positions/2026/translations/de/"')
    assertContains(page, "3 texts")
    assert "/translations/" not in login(member).get("/strategy/positions/2026/").content.decode()
