"""Permissions only the rules define are answered without reading the permission tables;
the admin's model permissions still come from those tables."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_rule_that_says_no_costs_no_permission_query(admin_user):
    admin_user.has_perm("reviews.view_cycles")  # reads the user's groups, once

    with CaptureQueriesContext(connection) as queries:
        assert not admin_user.has_perm("alignment.edit_company")
        assert not admin_user.has_perm("alignment.edit_strategy")

    assert len(queries) == 0, [q["sql"] for q in queries]


def test_a_rule_that_says_yes_still_says_yes(executive, admin_user):
    assert executive.has_perm("alignment.edit_company")
    assert admin_user.has_perm("reviews.view_operations")


def test_a_superuser_keeps_every_permission(db):
    boss = UserFactory(username="root", is_superuser=True)

    assert boss.has_perm("alignment.edit_company")
    assert boss.has_perm("reviews.edit_check")


def test_a_model_permission_granted_in_the_admin_still_counts(outsider):
    # alignment.view_unit is both a rule and a Permission row (Django's default view_unit).
    outsider.user_permissions.add(Permission.objects.get(codename="view_unit"))
    outsider.user_permissions.add(Permission.objects.get(codename="change_unit"))

    assert outsider.has_perm("alignment.view_unit")
    assert outsider.has_perm("alignment.change_unit")


def test_the_header_of_a_non_executive_asks_no_permission_table(client, admin_user):
    client.force_login(admin_user)
    client.get("/strategy/units/")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/strategy/units/")

    assert response.status_code == 200
    assert not [q for q in queries if "auth_permission" in q["sql"]]
    assert "Company settings" not in response.content.decode()
