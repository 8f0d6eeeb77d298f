"""Permissions only the rules define are refused without reading the user's permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.backends import model_permissions

pytestmark = pytest.mark.django_db


def test_a_permission_only_the_rules_define_is_refused_without_a_query(head, logistics):
    assert head.has_perm("alignment.edit_commitments", logistics)  # the roles, read once

    with CaptureQueriesContext(connection) as queries:
        refused = [
            head.has_perm(p)
            for p in ("reviews.view_cycles", "alignment.edit_company", "reviews.edit_cadence")
        ]

    assert refused == [False, False, False]
    assert len(queries) == 0


def test_the_rules_still_grant_what_they_grant(executive, admin_user):
    assert executive.has_perm("alignment.edit_company")
    assert admin_user.has_perm("reviews.edit_cadence")
    assert not admin_user.has_perm("alignment.edit_company")


def test_a_model_permission_granted_to_a_user_is_still_read_from_the_database(head):
    head.user_permissions.add(Permission.objects.get(codename="view_unit"))

    assert "alignment.view_unit" in model_permissions()
    assert head.has_perm("alignment.view_unit")
    assert not head.has_perm("alignment.delete_unit")


def test_every_permission_row_is_a_model_permission():
    rows = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }

    assert rows <= model_permissions()
