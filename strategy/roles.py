"""Who may do what. The four roles are Django groups; "head of this team" comes from the data.

Predicates are `rules` predicates, so views call `user.has_perm("alignment.…", obj)` and
templates use `{% has_perm %}`; the per-user group names are cached on the user object so a
page asks the database once.
"""

from __future__ import annotations

import logging

import rules
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, IntegerField, Value

from strategy.prepared import as_models, prepared

# The role groups' names (Django groups).
EXECUTIVE = "Executive"
DEPARTMENT_HEAD = "Department head"
MEMBER = "Member"
ADMIN = "Admin"
ROLE_GROUPS = (EXECUTIVE, DEPARTMENT_HEAD, MEMBER, ADMIN)


def _group_names(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    if getattr(user, "_role_group_names", None) is None:
        _read_roles(user)
    return user._role_group_names


def _headed_unit_ids(user) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    if getattr(user, "_headed_unit_ids", None) is None:
        _read_roles(user)
    return user._headed_unit_ids


def _user_fields() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


@prepared
def _user_row(*, pk):
    return get_user_model()._default_manager.filter(pk=pk).values_list(*_user_fields())


def read_user(pk: int):
    """The user of this primary key, or None: what `User.objects.get(pk=pk)` reads, by a
    prepared read (strategy.prepared). Every signed-in request reads its user; compiling that
    query took more of a plain page's time than the database did."""
    rows = _user_row(pk=pk)
    return as_models(get_user_model(), _user_fields(), rows)[0] if rows else None


@prepared
def _role_rows(*, user):
    person = get_user_model()(pk=user)  # for its relations: the groups, the memberships
    groups = person.groups.annotate(unit=Value(None, output_field=IntegerField()))
    headed = person.memberships.filter(role="head").annotate(
        group=Value(None, output_field=CharField())
    )
    return (
        groups.order_by()
        .values_list("name", "unit")
        .union(headed.order_by().values_list("group", "unit_id"), all=True)
    )


def _read_roles(user) -> None:
    """Remember the user's group names and the units they head, read in one query: most pages
    ask both (the permissions of a team's page, the header's links)."""
    names, units = set(), set()
    for name, unit_id in _role_rows(user=user.pk):
        if unit_id is None:
            names.add(name)
        else:
            units.add(unit_id)
    user._role_group_names = frozenset(names)
    user._headed_unit_ids = frozenset(units)


@rules.predicate
def is_executive(user) -> bool:
    return user.is_authenticated and (user.is_superuser or EXECUTIVE in _group_names(user))


@rules.predicate
def is_admin(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.is_staff or ADMIN in _group_names(user)
    )


@rules.predicate
def is_head(user) -> bool:
    return bool(_headed_unit_ids(user))


@rules.predicate
def is_head_of_unit(user, unit) -> bool:
    return unit is not None and unit.pk in _headed_unit_ids(user)


@rules.predicate
def is_member_of_unit(user, unit) -> bool:
    return (
        unit is not None and user.is_authenticated and user.memberships.filter(unit=unit).exists()
    )


@rules.predicate
def reports_measure(user, measure) -> bool:
    """Heads the team that reports this measure."""
    return measure is not None and measure.reporting_team_id in _headed_unit_ids(user)


can_see_drafts = is_executive | is_admin


@rules.predicate
def sees_measure(user, measure) -> bool:
    """Anyone signed in reads the measures of a published position; drafts' are for those who
    see drafts."""
    if measure is None or not user.is_authenticated:
        return False
    return measure.objective.position.is_published or can_see_drafts(user)


sees_all_teams = is_executive | is_admin | is_head

rules.add_perm("alignment.edit_strategy", is_executive)
# The company's name, base currency and exchange rates: they decide what the funding signal
# counts, which is the executives' strategy.
rules.add_perm("alignment.edit_company", is_executive)
rules.add_perm("alignment.view_drafts", can_see_drafts)
rules.add_perm("alignment.view_unit", sees_all_teams | is_member_of_unit)
rules.add_perm("alignment.edit_commitments", is_head_of_unit)
# Measured outcomes: the executives enter any measure's values, a head those of the measures
# their team reports (strategy/outcomes.py); everyone who sees the measure reads them.
rules.add_perm("alignment.enter_measure_actuals", is_executive | reports_measure)
rules.add_perm("alignment.import_measure_actuals", is_executive | is_head)
rules.add_perm("alignment.view_measure_actuals", sees_measure)


def headed_unit_ids(user) -> frozenset[int]:
    return _headed_unit_ids(user)


def _unit_model():
    from django.apps import apps

    return apps.get_model("alignment", "Unit")


@prepared
def _membership_rows(*, user):
    person = get_user_model()(pk=user)  # for its relation: the memberships
    fields = [f"unit__{f.name}" for f in _unit_model()._meta.concrete_fields]
    return person.memberships.order_by("unit__name", "unit_id").values_list("role", *fields)


def member_units(user) -> list:
    """The units the user belongs to, by name, in one prepared query that also tells which
    they head (remembered for headed_unit_ids)."""
    if not user.is_authenticated:
        return []
    rows = _membership_rows(user=user.pk)
    if getattr(user, "_headed_unit_ids", None) is None:
        user._headed_unit_ids = frozenset(row[1] for row in rows if row[0] == "head")
    unit = _unit_model()
    fields = [f.attname for f in unit._meta.concrete_fields]
    units = as_models(unit, fields, [row[1:] for row in rows])
    return list({u.pk: u for u in units}.values())


def forget(user) -> None:
    """Drop the cached roles, after memberships or groups of this user object changed."""
    for attr in ("_role_group_names", "_headed_unit_ids"):
        if hasattr(user, attr):
            delattr(user, attr)


log = logging.getLogger(__name__)


def require(request, perm: str, obj=None) -> None:
    """Refuse (403) and log a request whose user lacks the permission."""
    if not request.user.has_perm(perm, obj):
        log.warning("refused %s to %s on %s", perm, request.user, request.path)
        raise PermissionDenied
