"""counted_page: the page Paginator.get_page gives, its count read with its rows."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from strategy.models import Unit
from strategy.selectors import counted_page
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    for n in range(7):
        UnitFactory(name=f"Team {n}")
    return Unit.objects.order_by("name", "pk")


def _shown(page) -> tuple:
    rows = [row if isinstance(row, dict) else row.name for row in page.object_list]
    return page.number, page.paginator.count, page.paginator.num_pages, rows


@pytest.mark.parametrize("number", [None, "", "1", "2", 3, "4", "99", "0", "-1", "x", "2.5"])
@pytest.mark.parametrize("values", [False, True], ids=["rows", "values"])
def test_a_counted_page_is_the_page_the_paginator_gives(units, number, values):
    queryset = units.values("name") if values else units

    assert _shown(counted_page(queryset, 3, number)) == _shown(
        Paginator(queryset, 3).get_page(number)
    )


def test_a_counted_page_reads_its_rows_and_count_in_one_query(units):
    with CaptureQueriesContext(connection) as captured:
        page = counted_page(units, 3, "2")
        assert (page.paginator.count, len(page.object_list)) == (7, 3)
        assert page.has_next() and page.has_previous()

    assert len(captured) == 1


def test_an_empty_list_has_its_one_empty_page_from_one_query():
    with CaptureQueriesContext(connection) as captured:
        page = counted_page(Unit.objects.order_by("pk"), 3, None)
        assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, [])
        assert not page.has_other_pages()

    assert len(captured) == 1
    for number in ("2", "0", "x"):
        assert _shown(counted_page(Unit.objects.order_by("pk"), 3, number)) == _shown(
            Paginator(Unit.objects.order_by("pk"), 3).get_page(number)
        )
