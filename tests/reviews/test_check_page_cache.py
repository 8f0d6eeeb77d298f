"""The check page's cached parts: its measures (selectors.check_measures_section), written once
per what they show and read from the cache after, and the "How to score" box (check_tags). A
change to anything they show is on the next page, for every reader, in their language and
with what their permission gives them."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import data
from reviews import selectors, services
from strategy.models import MeasureActual
from tests.factories import MeasureFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def page(client, check) -> str:
    response = client.get(check.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def measures_part(html: str) -> str:
    """The measures' section, its CSRF token (masked anew for each request) left out."""
    start = html.index('aria-labelledby="measures-heading"')
    part = html[start : html.index("</section>", start)]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", part)


def test_the_measures_are_read_and_written_once_then_come_from_the_cache(
    client, head, logistics_check, on_time, monkeypatch
):
    client.force_login(head)
    first = page(client, logistics_check)
    calls = []
    monkeypatch.setattr(
        selectors, "check_measures", lambda **kw: calls.append(kw) or pytest.fail("read again")
    )
    monkeypatch.setattr(services, "check_measures", lambda check: pytest.fail("read again"))

    again = page(client, logistics_check)

    assert calls == []
    assert measures_part(again) == measures_part(first)
    assert "On-time share" in again


def test_each_request_gets_its_own_csrf_token_in_the_cached_measures_form(
    head, logistics_check, on_time
):
    tokens = []
    for _visit in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(head)
        html = page(client, logistics_check)
        form = html[html.index('id="measures-form"') :]
        (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[:600])
        name = f"measure-{on_time.pk}-Q1"
        posted = client.post(
            reverse("reviews:check-measures-save", args=[logistics_check.pk]),
            {"csrfmiddlewaretoken": token, name: "85", f"{name}-shown": ""},
        )
        assert posted.status_code == 302  # the token is this session's
        MeasureActual.objects.filter(measure=on_time).delete()
        tokens.append(token)
    assert tokens[0] != tokens[1]


def test_a_value_entered_shows_at_once(client, head, logistics_check, on_time):
    client.force_login(head)
    assert "87.50" not in page(client, logistics_check)

    MeasureActual.objects.create(measure=on_time, fiscal_year=2026, period=1, value=Decimal("87.5"))

    assert 'value="87.50"' in page(client, logistics_check)


def test_a_measure_added_or_renamed_shows_at_once(
    client, head, logistics_check, on_time, objectives
):
    client.force_login(head)
    assert "Returns" not in page(client, logistics_check)

    MeasureFactory(objective=objectives[1], name="Returns", reporting_team=logistics_check.unit)
    assert "Returns" in page(client, logistics_check)

    on_time.name = "Delivered on the day"
    on_time.save()
    html = page(client, logistics_check)
    assert "Delivered on the day" in html and "On-time share" not in html


def test_a_change_to_the_strategy_shown_beside_the_measures_shows_at_once(
    client, head, logistics_check, on_time, objectives
):
    client.force_login(head)
    page(client, logistics_check)

    objectives[0].title = "Deliver every order on the day"
    objectives[0].save()

    assert "Deliver every order on the day" in measures_part(page(client, logistics_check))


def test_an_objective_added_to_the_check_shows_at_once(
    client, head, logistics_check, on_time, current_position
):
    client.force_login(head)
    extra = ObjectiveFactory(position=current_position, title="Open a second warehouse")
    assert "Open a second warehouse" in page(client, logistics_check)  # to add, in the list

    response = client.post(
        reverse("reviews:check-add-objective", args=[logistics_check.pk]), {"objective": extra.pk}
    )
    assert response.status_code == 302

    html = page(client, logistics_check)
    assert f'name="item-{logistics_check.items.get(objective=extra).pk}-score_people"' in html


def test_the_measures_and_the_box_are_written_in_the_readers_language(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    english = page(client, logistics_check)
    assert "Measures we report" in english and "How to score" in english

    german = client.get(logistics_check.get_absolute_url(), headers={"accept-language": "de"})

    html = german.content.decode()
    assert "Kennzahlen, die wir melden" in html and "So bewerten Sie" in html
    assert "Measures we report" in page(client, logistics_check)  # English again


def test_who_may_not_enter_values_is_never_shown_the_fields_cached_for_who_may(
    client, head, admin_user, logistics_check, on_time
):
    name = f'name="measure-{on_time.pk}-Q1"'
    client.force_login(head)
    assert name in page(client, logistics_check)

    client.force_login(admin_user)  # sees the check, enters no value
    html = page(client, logistics_check)
    assert "On-time share" in html and name not in html and "Save values" not in html

    client.force_login(head)
    assert name in page(client, logistics_check)


def test_closing_the_review_makes_the_cached_measures_read_only_at_once(
    client, head, executive, cycle, logistics_check, on_time
):
    name = f'name="measure-{on_time.pk}-Q1"'
    client.force_login(head)
    assert name in page(client, logistics_check)

    services.cycle_close(cycle=cycle, by=executive)

    html = page(client, logistics_check)
    assert "On-time share" in html and name not in html


def test_a_refused_save_shows_its_values_and_errors_not_the_cached_part(
    client, head, logistics_check, on_time
):
    client.force_login(head)
    page(client, logistics_check)
    name = f"measure-{on_time.pk}-Q1"

    response = client.post(
        reverse("reviews:check-measures-save", args=[logistics_check.pk]),
        {name: "not a number", f"{name}-shown": ""},
    )

    assert response.status_code == 400
    assert 'value="not a number"' in response.content.decode()
    assert 'value="not a number"' not in page(client, logistics_check)


def _check_page_queries(**size) -> int:
    dataset = data.build(**size)
    client = Client()
    client.force_login(dataset.head)
    url = dataset.check.get_absolute_url()
    assert client.get(url).status_code == 200  # fills the cache, as a worker's first request
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_check_page_runs_as_many_queries_at_12_teams_as_at_3():
    with transaction.atomic():  # the small company rolled back before the larger is built
        small = _check_page_queries(teams=3, objectives=3, quarters=3)
        transaction.set_rollback(True)
    large = _check_page_queries(teams=12, objectives=5, quarters=4)

    assert small == large <= 15


# --- The newest changes ----------------------------------------------------------------------


def history_part(html: str) -> str:
    start = html.index('aria-labelledby="history-heading"')
    return html[start : html.index("</section>", start)]


def history_reads(client, check) -> tuple[int, str]:
    """The queries of the check's history that one page made, and the page's history part."""
    with CaptureQueriesContext(connection) as queries:
        html = page(client, check)
    reads = [q for q in queries if 'FROM "reviews_historicalcheckitem"' in q["sql"]]
    return len(reads), history_part(html)


def autosave(client, check, **values) -> None:
    from reviews.models import LEVERS

    check.refresh_from_db()
    data = {"version": str(check.version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": "3" for lever in LEVERS}
        data |= {f"item-{item.pk}-evidence": "", f"item-{item.pk}-blockers": ""}
    response = client.post(
        reverse("reviews:check-save", args=[check.pk]), data | values, HTTP_HX_REQUEST="true"
    )
    assert "Draft saved" in response.content.decode()


def test_the_newest_changes_are_read_once_then_come_from_the_cache(client, head, logistics_check):
    client.force_login(head)
    autosave(client, logistics_check)

    first_reads, first = history_reads(client, logistics_check)
    again_reads, again = history_reads(client, logistics_check)

    assert (first_reads, again_reads) == (1, 0)
    assert again == first and first.count('<li class="mb-2">') == 2


def test_a_save_shows_in_the_newest_changes_at_once(client, head, logistics_check):
    client.force_login(head)
    autosave(client, logistics_check)
    before = history_part(page(client, logistics_check))
    item = logistics_check.items.order_by("pk").first()

    autosave(client, logistics_check, **{f"item-{item.pk}-evidence": "Fill rate 97%"})

    after = history_part(page(client, logistics_check))
    assert "Fill rate 97%" not in before and "Fill rate 97%" in after
    assert after.count('<li class="mb-2">') == before.count('<li class="mb-2">') + 1


def test_a_renamed_objective_or_person_shows_in_the_newest_changes_at_once(
    client, head, logistics_check, objectives
):
    client.force_login(head)
    autosave(client, logistics_check)
    page(client, logistics_check)

    objectives[0].title = "Deliver every order on the day"
    objectives[0].save()
    head.first_name, head.last_name = "Harriet", "Renamed"
    head.save()

    history = history_part(page(client, logistics_check))
    assert "<em>Deliver every order on the day</em>" in history
    assert "<strong>Harriet Renamed</strong>" in history


def test_an_objective_added_shows_in_the_newest_changes_at_once(
    client, head, logistics_check, current_position
):
    client.force_login(head)
    page(client, logistics_check)
    extra = ObjectiveFactory(position=current_position, title="Open a second warehouse")
    client.post(
        reverse("reviews:check-add-objective", args=[logistics_check.pk]), {"objective": extra.pk}
    )

    assert "<em>Open a second warehouse</em>" in history_part(page(client, logistics_check))


def test_the_newest_changes_are_written_in_the_readers_language(client, head, logistics_check):
    client.force_login(head)
    autosave(client, logistics_check)
    english = history_part(page(client, logistics_check))

    german = client.get(logistics_check.get_absolute_url(), headers={"accept-language": "de"})

    assert "History" in english
    assert "History" not in history_part(german.content.decode())
    assert history_part(page(client, logistics_check)) == english
