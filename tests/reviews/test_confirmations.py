"""Irreversible actions carry a data-confirm question that static/js/confirm.js asks (the
browser test tests/browser/test_confirm.py shows the dialog itself)."""

import re

import pytest
from django.urls import reverse

from tests.factories import ReviewCycleFactory, fill_check, make_draft_position

pytestmark = pytest.mark.django_db


def confirm_of(html: str, action: str) -> str:
    """The data-confirm question of the form that posts to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>', html).group(0)
    return re.search(r'data-confirm="([^"]+)"', form).group(1)


def test_every_page_loads_the_confirmation_script(client, executive):
    client.force_login(executive)

    html = client.get(reverse("home")).content.decode()

    assert '<script src="/static/js/confirm.js"></script>' in html


def test_opening_and_closing_a_review_ask_first(client, executive, current_position, cycle):
    planned = ReviewCycleFactory(position=current_position, quarter=2)
    client.force_login(executive)

    running = client.get(cycle.get_absolute_url()).content.decode()
    to_open = client.get(planned.get_absolute_url()).content.decode()

    assert confirm_of(running, reverse("reviews:cycle-close", args=[cycle.pk])) == (
        "Close Q1 FY2026 and freeze its results? Checks and scores can no longer change; "
        "this cannot be undone."
    )
    assert confirm_of(to_open, reverse("reviews:cycle-open", args=[planned.pk])) == (
        "Open Q2 FY2026 now? Every team's heads are emailed that their check is open."
    )


def test_reopening_a_check_asks_first(client, executive, logistics_check, head):
    fill_check(logistics_check, by=head)
    client.force_login(executive)

    html = client.get(logistics_check.get_absolute_url()).content.decode()

    assert confirm_of(html, reverse("reviews:check-reopen", args=[logistics_check.pk])) == (
        "Reopen this check? It goes back to draft and the head has to submit it again."
    )


def test_publishing_a_position_asks_first(client, executive):
    draft = make_draft_position(fiscal_year=2027, owner=executive)
    client.force_login(executive)

    html = client.get(draft.get_absolute_url()).content.decode()

    assert confirm_of(html, reverse("strategy:position-publish", args=[2027])) == (
        "Publish the FY2027 position? Everyone sees it, and a published position can no longer "
        "be edited."
    )
