"""Issue #10: a 10,000-row import fits in the web timeout. Its cost is a bounded number of
queries (bulk lookups and inserts), whatever the number of rows; timings live in bench.imports."""

import pytest
from django.contrib.auth import get_user_model

from strategy.models import Membership, Unit
from strategy.roles import DEPARTMENT_HEAD
from tests.strategy.test_admin_import import PEOPLE, UNITS, confirm, preview

pytestmark = pytest.mark.django_db

ROWS = 10_000
# Per request, preview or confirm: the session, one lookup per table, and the INSERTs in
# batches (SQLite takes 999 parameters a query: about 90 history rows, 160 units). Row by row it
# was over 100,000.
QUERIES = 400


def units_csv(rows: int) -> str:
    """A company, 20 regions and teams under them: parents come earlier in the file."""
    lines = ["code,name,level,kind,parent,is_active", "acme,Acme,business,company,,1"]
    lines += [f"region-{r},Region {r},business,region,acme,1" for r in range(20)]
    lines += [f"team-{i},Team {i},functional,team,region-{i % 20},1" for i in range(rows - 21)]
    return "\n".join(lines) + "\n"


def people_csv(rows: int, units: list[str]) -> str:
    lines = ["username,email,first_name,last_name,unit,role"]
    for i in range(rows):
        role = "head" if i % 10 == 0 else "member"
        lines.append(f"p{i},p{i}@example.com,First{i},Last{i},{units[i % len(units)]},{role}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def staff(login, admin_user):
    return login(admin_user)


def test_ten_thousand_units_preview_and_confirm_in_a_bounded_number_of_queries(
    staff, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERIES):
        checked = preview(staff, UNITS, units_csv(ROWS))
    assert not Unit.objects.exists()

    with django_assert_max_num_queries(QUERIES):
        confirm(staff, UNITS, checked)

    assert Unit.objects.count() == ROWS
    team = Unit.objects.get(code="team-41")
    assert [u.code for u in team.ancestors()] == ["acme", "region-1"]
    assert Unit.history.count() == ROWS


def test_ten_thousand_people_preview_and_confirm_in_a_bounded_number_of_queries(
    staff, django_assert_max_num_queries, invitations, django_capture_on_commit_callbacks
):
    codes = [f"u{i}" for i in range(200)]
    Unit.objects.bulk_create(Unit(code=c, name=c, level="functional", kind="team") for c in codes)
    csv = people_csv(ROWS, codes)

    with django_assert_max_num_queries(QUERIES):
        checked = preview(staff, PEOPLE, csv)
    with django_assert_max_num_queries(QUERIES), django_capture_on_commit_callbacks(execute=True):
        confirm(staff, PEOPLE, checked)

    assert Membership.objects.count() == ROWS
    assert get_user_model().objects.filter(groups__name=DEPARTMENT_HEAD).count() == ROWS // 10
    assert sum(len(ids) for ids in invitations) == ROWS
