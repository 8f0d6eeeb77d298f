"""What the check page shows beside each lever: its rubric questions and last quarter's score;
and the check's score history."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import LEVERS, RubricQuestion
from tests.factories import (
    CommitmentFactory,
    make_executive,
    make_open_cycle,
    make_published_position,
)
from tests.reviews.conftest import WORKED_EXAMPLE, levers, score_check

pytestmark = pytest.mark.django_db


def control(html: str, item, lever: str) -> str:
    """The block of the page around one lever's select: label, select, hints."""
    name = f"item-{item.pk}-score_{lever}"
    found = re.search(
        rf'<div class="col-md-6 col-xl-4">\s*<label[^>]*for="id_{name}".*?(?=<div class="col-md-6 '
        r'col-xl-4">|</div>\s*</div>\s*<div class="row g-2 mt-1">)',
        html,
        re.S,
    )
    assert found, f"no control for {name}"
    return found[0]


@pytest.fixture
def second_quarter(worked_example, executive):
    """Q1 FY2026 closed as in the worked example; Q2 FY2026 open."""
    services.cycle_close(cycle=worked_example, by=executive)
    return make_open_cycle(worked_example.position, quarter=2)


def item_of(check, objective):
    return check.items.get(objective=objective)


# --- Rubric questions -------------------------------------------------------------------------


def test_each_lever_shows_its_rubric_questions_beside_its_control(
    client, head, logistics_check, objectives
):
    RubricQuestion.objects.create(lever="people", theme="", text="Is the team staffed for it?")
    RubricQuestion.objects.create(lever="funding", theme="", text="Is there a budget line?")
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    for objective in objectives:
        item = item_of(logistics_check, objective)
        people, funding = control(html, item, "people"), control(html, item, "funding")
        assert "Is the team staffed for it?" in people
        assert "Is the team staffed for it?" not in funding
        assert "Is there a budget line?" in funding
        assert f'aria-describedby="id_item-{item.pk}-score_people-questions"' in people


def test_items_scored_alike_each_have_their_own_controls(client, head, logistics_check, objectives):
    # Each lever's control is written once per value and given its item: the same scores on
    # two objectives still name two fields.
    a, b = objectives
    score_check(logistics_check, by=head, scores={a: 3, b: 3}, submit=False)
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    for objective in objectives:
        item = item_of(logistics_check, objective)
        people = control(html, item, "people")
        assert f'name="item-{item.pk}-score_people" id="id_item-{item.pk}-score_people"' in people
        assert "selected>3 · " in people
    assert "§" not in html


def test_a_saved_score_is_shown_at_once_in_place_of_the_one_written_before(
    client, head, logistics_check, objectives
):
    a, _b = objectives
    client.force_login(head)
    score_check(logistics_check, by=head, scores={a: 2}, submit=False)
    client.get(logistics_check.get_absolute_url())

    score_check(logistics_check, by=head, scores={a: 4}, submit=False)
    people = control(
        client.get(logistics_check.get_absolute_url()).content.decode(),
        item_of(logistics_check, a),
        "people",
    )

    assert "selected>4 · " in people
    assert "selected>2 · " not in people


def test_rubric_questions_with_braces_and_markup_are_shown_escaped(
    client, head, logistics_check, objectives
):
    RubricQuestion.objects.create(
        lever="people", theme="", text="{0} <§item§> <b>staffed</b>? {name}"
    )
    client.force_login(head)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    people = control(html, item_of(logistics_check, objectives[0]), "people")
    assert "{0} &lt;§item§&gt; &lt;b&gt;staffed&lt;/b&gt;? {name}" in people
    assert "<b>staffed</b>" not in html


def test_the_controls_are_written_in_the_readers_language(
    client, head, logistics_check, objectives
):
    a, _b = objectives
    score_check(logistics_check, by=head, scores={a: 2}, submit=False)
    client.force_login(head)
    english = client.get(logistics_check.get_absolute_url()).content.decode()
    client.post(reverse("language-set"), {"language": "de", "next": "/"})

    german = client.get(logistics_check.get_absolute_url()).content.decode()

    item = item_of(logistics_check, a)
    assert "Barely supports it" in control(english, item, "people")
    assert "Unterstützt es kaum" in control(german, item, "people")
    assert "Barely supports it" not in control(german, item, "people")


# --- Last quarter's score ---------------------------------------------------------------------


def test_each_lever_shows_last_quarters_score_beside_this_quarters(
    client, head, logistics, second_quarter, objectives
):
    a, b = objectives
    check = second_quarter.checks.get(unit=logistics)
    score_check(check, by=head, scores={a: 2}, submit=False)
    client.force_login(head)

    html = client.get(check.get_absolute_url()).content.decode()

    for objective, key in ((a, "A"), (b, "B")):
        item = item_of(check, objective)
        for lever, score in levers(WORKED_EXAMPLE["logistics", key]).items():
            shown = "N/A" if score == 0 else str(score)
            assert f"Q1 FY2026: <strong>{shown}</strong>" in control(html, item, lever)
    assert "selected>2 · Barely supports it</option>" in control(html, item_of(check, a), "people")


def test_a_check_not_submitted_last_quarter_shows_no_last_score(
    client, head, logistics, logistics_check, executive
):
    services.cycle_close(cycle=logistics_check.cycle, by=executive)
    check = make_open_cycle(logistics_check.cycle.position, quarter=2).checks.get(unit=logistics)
    client.force_login(head)

    html = client.get(check.get_absolute_url()).content.decode()

    assert "Q1 FY2026:" not in html


def test_the_first_quarter_after_a_refresh_shows_the_continued_objectives_last_score(
    client, head, logistics, second_quarter, objectives
):
    a, _ = objectives
    services.cycle_close(cycle=second_quarter, by=make_executive(username="ezra-exec"))
    next_year = make_published_position(fiscal_year=2027, objectives=1)
    continued = next_year.objectives.get()
    continued.previous = a
    continued.save()
    CommitmentFactory(unit=logistics, objective=continued)
    check = make_open_cycle(next_year, quarter=1).checks.get(unit=logistics)
    client.force_login(head)

    html = client.get(check.get_absolute_url()).content.decode()

    # Q2 FY2026 was closed without a submitted check from Logistics: nothing to show.
    assert "FY2026:" not in html
    # With Logistics' Q2 check submitted, its score on A shows against A's successor.
    q2_check = second_quarter.checks.get(unit=logistics)
    q2_check.state = "submitted"
    q2_check.save()
    q2_check.items.filter(objective=a).update(**{f"score_{lever}": 3 for lever in LEVERS})

    html = client.get(check.get_absolute_url()).content.decode()

    item = item_of(check, continued)
    assert "Q2 FY2026: <strong>3</strong>" in control(html, item, "people")


def test_the_check_page_never_reads_a_reviews_snapshot(client, head, logistics, second_quarter):
    check = second_quarter.checks.get(unit=logistics)
    client.force_login(head)
    client.get(check.get_absolute_url())

    with CaptureQueriesContext(connection) as queries:
        response = client.get(check.get_absolute_url())

    assert "Q1 FY2026: <strong>" in response.content.decode()
    assert not [q["sql"] for q in queries if "snapshot" in q["sql"]]


def test_the_check_page_reads_no_reopenings_of_a_check_never_reopened_nor_the_themes_apart(
    client, head, logistics_check, objectives
):
    a, _ = objectives
    client.force_login(head)
    client.post(
        reverse("reviews:check-save", args=[logistics_check.pk]), form_data(logistics_check)
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.get(logistics_check.get_absolute_url())

    assert f"changed check item <em>{a.title}</em>" in response.content.decode()
    reads = [q["sql"] for q in queries]
    assert not [q for q in reads if q.startswith('SELECT "reviews_checkreopening"')]
    assert not [q for q in reads if q.startswith('SELECT "alignment_positioningtheme"')]
    # The history names the items' objectives from the rows the page has already read: the
    # one read of objectives is the list of those the head may add.
    assert len([q for q in reads if q.startswith('SELECT "alignment_objective"')]) == 1


def test_a_reopened_check_page_lists_its_reopenings(
    client, worked_example, head, executive, logistics_check
):
    services.check_reopen(check=logistics_check, by=executive, reason="Scores look too high")
    client.force_login(head)

    response = client.get(logistics_check.get_absolute_url())

    assert "Scores look too high" in response.content.decode()


# --- Score history ----------------------------------------------------------------------------


def form_data(check, **values) -> dict:
    """The check form as posted, every lever at 4, with `values` for the named fields."""
    data = {"version": str(check.version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": "4" for lever in LEVERS}
        data |= {f"item-{item.pk}-evidence": "", f"item-{item.pk}-blockers": ""}
    return data | values


def history_section(html: str) -> str:
    return re.search(r'<section[^>]*aria-labelledby="history-heading".*?</section>', html, re.S)[0]


def test_the_check_page_shows_who_changed_which_score_when_with_before_and_after(
    client, head, logistics_check, objectives
):
    a, _ = objectives
    item = item_of(logistics_check, a)
    client.force_login(head)
    save = reverse("reviews:check-save", args=[logistics_check.pk])
    client.post(save, form_data(logistics_check))
    logistics_check.refresh_from_db()
    client.post(
        save,
        form_data(
            logistics_check,
            **{f"item-{item.pk}-score_funding": "0", f"item-{item.pk}-evidence": "Fill rate 97%"},
        ),
    )

    history = history_section(client.get(logistics_check.get_absolute_url()).content.decode())

    entries = re.findall(r"<li class=\"mb-2\">.*?</li>", history, re.S)
    assert len(entries) == 3  # the first save of A and of B, then the change to A
    latest = entries[0]
    name = head.get_full_name() or head.username
    assert f"<strong>{name}</strong> changed check item <em>{a.title}</em>" in latest
    assert re.search(r"<th scope=\"row\">Funding</th><td>4</td><td>not applicable</td>", latest)
    assert re.search(r"<th scope=\"row\">Evidence</th><td>—</td><td>Fill rate 97%</td>", latest)
    assert "People and skills" not in latest  # unchanged
    assert "<time" in latest
    first = entries[-1]
    assert re.search(r"<th scope=\"row\">People and skills</th><td>—</td><td>4</td>", first)
    assert "Alignment check" not in history


def test_an_autosave_that_changes_nothing_adds_nothing_to_the_history(
    client, head, logistics_check
):
    client.force_login(head)
    save = reverse("reviews:check-save", args=[logistics_check.pk])
    client.post(save, form_data(logistics_check), HTTP_HX_REQUEST="true")
    records = [item.history.count() for item in logistics_check.items.all()]
    logistics_check.refresh_from_db()

    client.post(save, form_data(logistics_check), HTTP_HX_REQUEST="true")

    logistics_check.refresh_from_db()
    assert logistics_check.version == 2
    assert [item.history.count() for item in logistics_check.items.all()] == records


def test_the_check_page_shows_its_newest_changes_and_links_to_the_whole_history(
    client, head, logistics_check, objectives
):
    a, _ = objectives
    item = item_of(logistics_check, a)
    client.force_login(head)
    save = reverse("reviews:check-save", args=[logistics_check.pk])
    # Thirteen saves: the first scores A and B, each changes A's evidence (e0, e1 ... e12).
    for n in range(13):
        logistics_check.refresh_from_db()
        client.post(save, form_data(logistics_check, **{f"item-{item.pk}-evidence": f"e{n}"}))

    page = history_section(client.get(logistics_check.get_absolute_url()).content.decode())

    shown = re.findall(r"<li class=\"mb-2\">.*?</li>", page, re.S)
    assert len(shown) == 10
    # Each shown change has its own "before", even the oldest shown, whose record before it
    # is not shown: e12 replaced e11, ..., e3 replaced e2.
    for n, entry in zip(range(12, 2, -1), shown, strict=True):
        assert f"<td>e{n - 1}</td><td>e{n}</td>" in entry
    whole = reverse("reviews:check-history", args=[logistics_check.pk])
    assert f'<a href="{whole}">The whole history</a>' in page

    response = client.get(whole)

    assert response.status_code == 200
    every = re.findall(
        r"<li class=\"mb-2\">.*?</li>", history_section(response.content.decode()), re.S
    )
    assert len(every) == 14  # A's 13 changes and B's first save
    assert "<td>—</td><td>e0</td>" in every[-1] or "<td>—</td><td>e0</td>" in every[-2]


def test_a_short_history_has_no_link_to_the_whole_history(client, head, logistics_check):
    client.force_login(head)
    client.post(
        reverse("reviews:check-save", args=[logistics_check.pk]), form_data(logistics_check)
    )

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    assert "The whole history" not in html
    assert reverse("reviews:check-history", args=[logistics_check.pk]) not in html


def test_the_whole_history_is_refused_to_whom_the_check_is(client, logistics_check, member):
    client.force_login(member)

    response = client.get(reverse("reviews:check-history", args=[logistics_check.pk]))

    assert response.status_code == 404
