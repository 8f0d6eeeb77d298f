"""An authentication backend that keeps pages from reading permissions no one can hold."""

from __future__ import annotations

from functools import cache

import rules
from django.apps import apps
from django.core.exceptions import PermissionDenied


@cache
def model_permissions() -> frozenset[str]:
    """Every "app_label.codename" Django creates a Permission row for: each model's default
    permissions (add, change, delete, view) and those of its Meta.permissions."""
    names = set()
    for model in apps.get_models():
        opts = model._meta
        names.update(f"{opts.app_label}.{a}_{opts.model_name}" for a in opts.default_permissions)
        names.update(f"{opts.app_label}.{codename}" for codename, _ in opts.permissions)
    return frozenset(names)


class RulesOnlyBackend:
    """Ends the search for a permission only django-rules defines (reviews.view_cycles,
    alignment.edit_company…) once the rules said no.

    No Permission row of such a name exists, so no user or group holds it: ModelBackend,
    next in line, would read the user's and the groups' permissions (two queries) to say no
    as well. Pages ask several of them of everyone who is not an executive. Placed after the
    rules' backend, before ModelBackend; raising PermissionDenied is how a backend refuses for
    the ones after it.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if rules.perm_exists(perm) and perm not in model_permissions():
            raise PermissionDenied
        return False
