"""Authentication backends: the password backend, reading a session's user by a prepared
query, and one that keeps pages from reading permissions no one can hold."""

from __future__ import annotations

from functools import cache

import rules
from django.apps import apps
from django.contrib.auth import backends
from django.core.exceptions import PermissionDenied

from strategy.roles import read_user

# What sessions signed in with Django's own password backend name; alignment.sessions reads
# them as signed in with ModelBackend below, so that nobody is signed out by the change.
DJANGO_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
MODEL_BACKEND = "alignment.backends.ModelBackend"


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


class ModelBackend(backends.ModelBackend):
    """Django's password backend (the same sign-in, permissions and active check), whose
    session reads go through strategy.roles.read_user: every signed-in request asks for its
    user, and the ORM built and compiled the same query each time."""

    def get_user(self, user_id):
        user = read_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
