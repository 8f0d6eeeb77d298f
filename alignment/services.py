"""Work on the strategy and the organisation that spans several rows or has side effects."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from alignment import roles
from alignment.models import (
    DEPARTMENT_HEAD,
    MEMBER,
    CustomerPriority,
    Membership,
    Objective,
    StrategicPosition,
    Unit,
)

RANK_PARKING = 10_000


@transaction.atomic
def position_save(*, form, formsets: dict) -> StrategicPosition:
    """Save a position and its themes, priorities and competitors together, or nothing."""
    position = form.save()
    for formset in formsets.values():
        formset.instance = position
        # Deletions first, so that a rank or theme freed by one row can be taken by another.
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        changed = [obj for obj, _ in formset.changed_objects]
        if formset.model is CustomerPriority and changed:
            # Ranks are unique per position: park the re-ranked rows out of the way first so
            # that swapping two ranks does not collide half-way (history sees only the result).
            CustomerPriority.objects.filter(pk__in=[o.pk for o in changed]).update(
                rank=F("rank") + RANK_PARKING
            )
        for obj in changed + formset.new_objects:
            obj.save()
    return position


def position_coverage(position: StrategicPosition) -> dict:
    """Which objectives no team supports, and which active teams commit to nothing this year."""
    objectives = list(
        position.objectives.active().annotate(team_count=Count("commitments__unit", distinct=True))
    )
    teams = list(
        Unit.objects.active()
        .functional()
        .annotate(
            commitment_count=Count(
                "commitments", filter=Q(commitments__objective__position=position)
            )
        )
    )
    return {
        "unsupported": [o for o in objectives if o.team_count == 0],
        "idle_teams": [t for t in teams if t.commitment_count == 0],
    }


def position_problems(position: StrategicPosition) -> list[str]:
    """What stops a draft from being published, in words an executive can act on."""
    problems = []
    weights = position.themes.aggregate(total=Sum("weight"))["total"] or 0
    if weights != 100:
        problems.append(f"The positioning theme weights add up to {weights}, not 100.")
    if not position.priorities.exists():
        problems.append("There is no customer priority.")
    if not position.objectives.active().exists():
        problems.append("There is no corporate objective.")
    return problems


@transaction.atomic
def position_publish(*, position: StrategicPosition, by) -> StrategicPosition:
    # Lock the positions so that two executives publishing at once cannot both become current.
    positions = list(StrategicPosition.objects.select_for_update().order_by("pk"))
    position = next(p for p in positions if p.pk == position.pk)
    if position.is_published:
        return position  # publishing twice is a no-op
    problems = position_problems(position)
    if problems:
        raise ValidationError(problems)
    current = next((p for p in positions if p.is_current), None)
    becomes_current = current is None or position.fiscal_year >= current.fiscal_year
    if becomes_current and current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    position.status = StrategicPosition.Status.PUBLISHED
    position.published_at = timezone.now()
    position.published_by = by
    position.is_current = becomes_current
    position.save(update_fields=["status", "published_at", "published_by", "is_current"])
    return position


@transaction.atomic
def objective_create(*, form, measures, position: StrategicPosition) -> Objective:
    objective = form.save(commit=False)
    objective.position = position
    last = position.objectives.aggregate(last=Max("order"))["last"]
    objective.order = 0 if last is None else last + 1
    objective.save()
    measures.instance = objective
    measures.save()
    return objective


@transaction.atomic
def objective_update(*, form, measures) -> Objective:
    objective = form.save()
    measures.instance = objective
    measures.save()
    return objective


@transaction.atomic
def objective_remove(*, objective: Objective) -> str:
    """Delete an objective nobody committed to; retire one with commitments, keeping history.

    Returns "deleted" or "retired".
    """
    if objective.commitments.exists() or objective.position.is_published:
        objective.retire()
        return "retired"
    objective.delete()
    return "deleted"


@transaction.atomic
def objective_move(*, objective: Objective, up: bool) -> None:
    """Swap the objective with its neighbour above or below; the ends stay put."""
    siblings = list(objective.position.objectives.select_for_update().order_by("order", "pk"))
    index = next(i for i, o in enumerate(siblings) if o.pk == objective.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for order, sibling in enumerate(siblings):
        if sibling.order != order:
            sibling.order = order
            sibling.save(update_fields=["order"])


def user_sync_role_groups(*, user) -> None:
    """Keep the Department head and Member groups in step with the user's memberships."""
    roles_held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    groups = {g.name: g for g in Group.objects.filter(name__in=[DEPARTMENT_HEAD, MEMBER])}
    for role, name in ((Membership.Role.HEAD, DEPARTMENT_HEAD), (Membership.Role.MEMBER, MEMBER)):
        if name not in groups:
            continue
        if role in roles_held:
            user.groups.add(groups[name])
        else:
            user.groups.remove(groups[name])
    roles.forget(user)


@transaction.atomic
def membership_set(*, unit, user, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        unit=unit, user=user, defaults={"role": role}
    )
    user_sync_role_groups(user=user)
    return membership
