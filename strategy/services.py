"""Work on the strategy and the organisation that spans several rows or has side effects."""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, DenseRank
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from strategy import roles, signals, translations
from strategy.invitations import invitation_tokens
from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    ContentTranslation,
    CustomerPriority,
    Membership,
    Objective,
    PositioningTheme,
    RefreshDecision,
    StrategicPosition,
    Unit,
    company_tzinfo,
)
from strategy.prepared import as_models, prepared
from strategy.roles import DEPARTMENT_HEAD, MEMBER

log = logging.getLogger(__name__)

PARKING = {
    CustomerPriority: {"rank": F("rank") + 10_000},
    PositioningTheme: {"theme": Concat(Value("~"), Cast("id", CharField()))},
    Competitor: {"name": Concat(Value("~"), Cast("id", CharField()))},
}


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
        changed = [obj for obj, _fields in formset.changed_objects]
        if changed:
            # Rank, theme and competitor name are unique per position: park the changed rows
            # on values no form can enter, so that swapping two of them does not collide half
            # way (QuerySet.update leaves no history: it records only the result).
            formset.model.objects.filter(pk__in=[o.pk for o in changed]).update(
                **PARKING[formset.model]
            )
        for obj in changed + formset.new_objects:
            obj.save()
    return position


TEAMS_NAMED = 10  # teams named in a list that grows with the company; a count stands for the rest


@prepared
def _committed_teams(*, position):
    """The teams committed to each objective of the position, the first TEAMS_NAMED by name,
    with their rank from either end (dense: a team's levers share one) and whether the
    objective has a live commitment."""
    by_name = [F("unit__name").asc(), F("unit_id").asc()]
    return (
        Commitment.objects.filter(objective__position_id=position)
        .annotate(
            first=Window(DenseRank(), partition_by=[F("objective_id")], order_by=by_name),
            last=Window(
                DenseRank(),
                partition_by=[F("objective_id")],
                order_by=[F("unit__name").desc(), F("unit_id").desc()],
            ),
            live=Window(
                Sum(Case(When(~Q(status=Commitment.Status.DROPPED), then=1), default=0)),
                partition_by=[F("objective_id")],
            ),
        )
        .filter(first__lte=TEAMS_NAMED)
        .values_list("objective_id", "unit_id", "unit__name", "unit__code", "first", "last", "live")
        .order_by("objective_id", "first")
    )


@prepared
def _idle_teams(*, position):
    """The first TEAMS_NAMED active teams by name with no live commitment to the position,
    and how many there are."""
    live_commitments = Commitment.objects.filter(
        unit=OuterRef("pk"), objective__position_id=position
    ).exclude(status=Commitment.Status.DROPPED)
    return (
        Unit.objects.active()
        .functional()
        .exclude(Exists(live_commitments))
        .annotate(total=Window(Count("pk")))
        .order_by("name", "pk")
        .values_list("id", "name", "total")[:TEAMS_NAMED]
    )


def position_coverage(position: StrategicPosition, objectives: list[Objective]) -> dict:
    """The teams committed to each of `objectives` (the first TEAMS_NAMED by name, and how
    many in all), which active objectives no team supports, and the active teams that commit
    to nothing this year (the first TEAMS_NAMED, and how many): two prepared reads whatever
    the size (strategy.prepared: their window functions cost more to compile than to run)."""
    named, counts, supported = defaultdict(dict), {}, set()
    for objective_id, unit_id, name, code, first, last, live in _committed_teams(
        position=position.pk
    ):
        named[objective_id][unit_id] = (name, code)
        counts[objective_id] = first + last - 1  # the objective's teams, from any of its rows
        if live:
            supported.add(objective_id)
    for objective in objectives:
        objective.teams = list(named[objective.pk].values())
        objective.team_count = counts.get(objective.pk, 0)
        objective.teams_hidden = objective.team_count - len(objective.teams)
    rows = _idle_teams(position=position.pk)
    idle = as_models(Unit, ("id", "name"), [row[:2] for row in rows])
    idle_count = rows[0][2] if rows else 0
    return {
        "unsupported": [o for o in objectives if not o.is_retired and o.pk not in supported],
        "idle_teams": idle,
        "idle_count": idle_count,
        "idle_hidden": idle_count - len(idle),
    }


def position_problems(position: StrategicPosition) -> list[str]:
    """What stops a draft from being published, in words an executive can act on."""
    problems = []
    weights = position.themes.aggregate(total=Sum("weight"))["total"] or 0
    if weights != 100:
        problems.append(
            _("The positioning theme weights add up to %(total)s, not 100.") % {"total": weights}
        )
    if not position.priorities.exists():
        problems.append(_("There is no customer priority."))
    if not position.objectives.active().exists():
        problems.append(_("There is no corporate objective."))
    undecided = undecided_objectives(position).count()
    if undecided:
        problems.append(
            ngettext(
                "%(count)s objective carried over from last year still need a decision: kept, "
                "revised or retired.",
                "%(count)s objectives carried over from last year still need a decision: kept, "
                "revised or retired.",
                undecided,
            )
            % {"count": undecided}
        )
    return problems


def cadence_today() -> date:
    """Today in the organisation's time zone (the cadence settings')."""
    return timezone.localdate(timezone.now(), company_tzinfo())


_UNREAD = object()


def position_waits_for_its_year(
    position: StrategicPosition, *, today: date, current=_UNREAD
) -> bool:
    """A position for a later year than the current one, whose fiscal year has not started:
    published, it becomes current only when its year starts (or an executive switches now).
    Pass the `current` position (or None) when it has been read."""
    if current is _UNREAD:
        current = StrategicPosition.objects.current()
    return (
        current is not None
        and current.pk != position.pk
        and position.fiscal_year > current.fiscal_year
        and position.starts_on > today
    )


def _make_current(position: StrategicPosition, current: StrategicPosition | None) -> None:
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    position.is_current = True
    position.save(update_fields=["is_current"])


@transaction.atomic
def position_publish(
    *, position: StrategicPosition, by, today: date | None = None, switch_now: bool = False
) -> StrategicPosition:
    """Publish a draft. It becomes current if there is no current position, or if it is for a
    later year whose fiscal year has started; for a year still to come the current position
    stays current until that year starts (see position_take_over), unless `switch_now`."""
    today = today or cadence_today()
    # Lock the positions so that two executives publishing at once cannot both become current.
    positions = list(StrategicPosition.objects.select_for_update().order_by("pk"))
    position = next(p for p in positions if p.pk == position.pk)
    if position.is_published:
        return position  # publishing twice is a no-op
    problems = position_problems(position)
    if problems:
        raise ValidationError(problems)
    current = next((p for p in positions if p.is_current), None)
    becomes_current = current is None or (
        position.fiscal_year >= current.fiscal_year and (switch_now or position.starts_on <= today)
    )
    position.status = StrategicPosition.Status.PUBLISHED
    position.published_at = timezone.now()
    position.published_by = by
    position.save(update_fields=["status", "published_at", "published_by"])
    if becomes_current:
        _make_current(position, current)
    return position


@transaction.atomic
def position_switch_now(*, position: StrategicPosition) -> StrategicPosition | None:
    """Make a published position for a later year current before its year starts (an
    executive's choice). Returns it, now current; None if it is not published, already
    current, or not for a later year."""
    positions = list(StrategicPosition.objects.select_for_update().order_by("pk"))
    position = next(p for p in positions if p.pk == position.pk)
    current = next((p for p in positions if p.is_current), None)
    if not position.is_published or position.is_current:
        return None
    if current is not None and position.fiscal_year <= current.fiscal_year:
        return None
    _make_current(position, current)
    return position


@transaction.atomic
def position_take_over(*, today: date) -> StrategicPosition | None:
    """When a fiscal year starts, its published position takes over as current from an
    earlier year's. Returns the position that became current, or None (also when run again)."""
    positions = list(StrategicPosition.objects.select_for_update().order_by("pk"))
    current = next((p for p in positions if p.is_current), None)
    started = [
        p
        for p in positions
        if p.is_published
        and p.starts_on <= today
        and (current is None or p.fiscal_year > current.fiscal_year)
    ]
    if not started:
        return None
    latest = max(started, key=lambda p: p.fiscal_year)
    _make_current(latest, current)
    return latest


@transaction.atomic
def objective_create(*, form, measures, position: StrategicPosition, by=None) -> Objective:
    objective = form.save(commit=False)
    objective.position = position
    last = position.objectives.aggregate(last=Max("order"))["last"]
    objective.order = 0 if last is None else last + 1
    objective.save()
    measures.instance = objective
    measures.save()
    measures.save_plans(by=by)
    return objective


@transaction.atomic
def objective_update(*, form, measures, by=None) -> Objective:
    objective = form.save(commit=False)
    if objective.previous_id and (form.has_changed() or measures.has_changed()):
        # Editing an objective carried over by the annual refresh is revising it.
        objective.refresh_decision = RefreshDecision.REVISED
    objective.save()
    measures.instance = objective
    measures.save()
    measures.save_plans(by=by)
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


def _chunks(ids: list, size: int = 2000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def users_sync_role_groups(*, user_ids: list[int]) -> None:
    """user_sync_role_groups for many users at once, in a few queries (an import's people)."""
    groups = {g.name: g.pk for g in Group.objects.filter(name__in=[DEPARTMENT_HEAD, MEMBER])}
    group_of = {
        Membership.Role.HEAD: groups.get(DEPARTMENT_HEAD),
        Membership.Role.MEMBER: groups.get(MEMBER),
    }
    through = Group.user_set.through
    for chunk in _chunks(list(user_ids)):
        wanted = {
            (user_id, group_of[role])
            for user_id, role in Membership.objects.filter(user_id__in=chunk)
            .values_list("user_id", "role")
            .distinct()
            if group_of.get(role)
        }
        held = {
            (user_id, group_id): pk
            for pk, user_id, group_id in through.objects.filter(
                user_id__in=chunk, group_id__in=groups.values()
            ).values_list("pk", "user_id", "group_id")
        }
        through.objects.filter(
            pk__in=[pk for pair, pk in held.items() if pair not in wanted]
        ).delete()
        through.objects.bulk_create(
            [through(user_id=u, group_id=g) for u, g in wanted - held.keys()], batch_size=1000
        )


@transaction.atomic
def membership_set(*, unit, user, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        unit=unit, user=user, defaults={"role": role}
    )
    user_sync_role_groups(user=user)
    return membership


# --- The annual refresh ----------------------------------------------------------------------


@transaction.atomic
def position_copy_for_refresh(*, source: StrategicPosition, fiscal_year: int) -> StrategicPosition:
    """A draft for `fiscal_year` copied from `source`, its objectives awaiting a decision.

    Returns the existing position for that year if there is one: the refresh starts once.
    """
    existing = StrategicPosition.objects.filter(fiscal_year=fiscal_year).first()
    if existing is not None:
        return existing
    draft = StrategicPosition.objects.create(fiscal_year=fiscal_year, statement=source.statement)
    Kind = ContentTranslation.Kind
    # Each copied row's id by its source's, for the texts' translations to follow them.
    pairs = {(Kind.POSITION, source.pk): draft.pk}
    for theme in source.themes.all():
        draft.themes.create(theme=theme.theme, weight=theme.weight)
    priorities = {}
    for priority in source.priorities.all():
        priorities[priority.pk] = draft.priorities.create(
            rank=priority.rank, title=priority.title, description=priority.description
        )
        pairs[(Kind.PRIORITY, priority.pk)] = priorities[priority.pk].pk
    for competitor in source.competitors.all():
        pairs[(Kind.COMPETITOR, competitor.pk)] = draft.competitors.create(
            name=competitor.name,
            positioning=competitor.positioning,
            our_difference=competitor.our_difference,
        ).pk
    for objective in source.objectives.active().prefetch_related("measures"):
        copy = draft.objectives.create(
            title=objective.title,
            description=objective.description,
            owner=objective.owner,
            priority_weight=objective.priority_weight,
            customer_priority=priorities.get(objective.customer_priority_id),
            theme=objective.theme,
            internal_message=objective.internal_message,
            external_promise=objective.external_promise,
            order=objective.order,
            previous=objective,
        )
        pairs[(Kind.OBJECTIVE, objective.pk)] = copy.pk
        for measure in objective.measures.all():
            # The copy continues the measure: its values and their history stay on last
            # year's row, under last year's plan, and are read through `previous`.
            pairs[(Kind.MEASURE, measure.pk)] = copy.measures.create(
                name=measure.name,
                unit=measure.unit,
                baseline=measure.baseline,
                target=measure.target,
                direction=measure.direction,
                reporting_team_id=measure.reporting_team_id,
                frequency=measure.frequency,
                customer_felt=measure.customer_felt,
                previous=measure,
            ).pk
    translations.translations_copy(pairs=pairs, source_id=source.pk, target_id=draft.pk)
    return draft


OBJECTIVE_CONTENT_FIELDS = [
    "title",
    "description",
    "owner_id",
    "priority_weight",
    "customer_priority_id",
    "theme",
    "internal_message",
    "external_promise",
]


def objective_decide(*, objective: Objective, decision: str) -> None:
    """Record the refresh decision on an objective carried over from last year."""
    if objective.previous_id is None:
        raise ValidationError(_("Only objectives carried over from last year take a decision."))
    if decision == RefreshDecision.RETIRED:
        objective.retire()
    elif objective.retired_at is not None:
        objective.retired_at = None  # un-retiring: kept or revised after all
    objective.refresh_decision = decision
    objective.save(update_fields=["refresh_decision", "retired_at"])


def undecided_objectives(position: StrategicPosition):
    return position.objectives.filter(previous__isnull=False, refresh_decision="")


@transaction.atomic
def commitment_carry_over(*, commitment: Commitment, objective: Objective) -> Commitment:
    """Copy last year's commitment onto its objective's successor, due a year later."""
    existing = Commitment.objects.filter(carried_from=commitment).first()
    if existing is not None:
        return existing
    due_on = commitment.due_on
    try:
        due_on = due_on.replace(year=due_on.year + 1)
    except ValueError:  # 29 February
        due_on = due_on.replace(year=due_on.year + 1, day=28)
    return Commitment.objects.create(
        unit=commitment.unit,
        objective=objective,
        lever=commitment.lever,
        statement=commitment.statement,
        target=commitment.target,
        due_on=due_on,
        amount=commitment.amount,
        currency=commitment.currency,
        carried_from=commitment,
    )


def commitments_to_confirm(
    *, unit: Unit, position: StrategicPosition, objectives: list[Objective] | None = None
) -> list[tuple]:
    """Last year's live commitments of a team whose objective continues in `position`:
    (commitment, successor objective) pairs not yet carried over or dropped. Pass the
    position's active `objectives` when they have been read."""
    if objectives is None:
        objectives = position.objectives.active().filter(previous__isnull=False)
    successors = {o.previous_id: o for o in objectives if o.previous_id is not None}
    if not successors:
        return []
    pending = (
        Commitment.objects.filter(unit=unit, objective_id__in=successors, carried_to__isnull=True)
        .exclude(status__in=[Commitment.Status.DROPPED, Commitment.Status.DONE])
        .select_related("objective")
    )
    return [(c, successors[c.objective_id]) for c in pending]


# --- Invitations -----------------------------------------------------------------------------

INVITATIONS_PER_TASK = 100


def users_invite(*, user_ids: list[int]) -> None:
    """Send each of these people an invitation with a set-password link, once the transaction
    that created them commits (a rolled-back import invites nobody)."""
    ids = list(user_ids)

    def enqueue() -> None:
        for chunk in _chunks(ids, INVITATIONS_PER_TASK):
            signals.invitations_requested.send(sender=None, user_ids=chunk)

    if ids:
        transaction.on_commit(enqueue)


def invitation_message(*, user) -> EmailMultiAlternatives:
    """The invitation: a link to choose a password that works once, for INVITATION_DAYS
    (strategy/invitations.py). With single sign-on on (SSO_ISSUER and SSO_CLIENT_ID set, as
    sso.enabled() says; sso.py imports this module), no password: it says to sign in with the
    identity provider."""
    sso = bool(settings.SSO_ISSUER and settings.SSO_CLIENT_ID)
    context = {
        "recipient": user,
        "login_url": settings.SITE_URL + reverse("login"),
        "days": settings.INVITATION_DAYS,
        "company_name": CompanySettings.read().name,
        "sso": sso,
        "provider": settings.SSO_PROVIDER_NAME,
    }
    if not sso:
        path = reverse(
            "invitation-confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)), invitation_tokens.make_token(user)],
        )
        context["link"] = settings.SITE_URL + path
    message = EmailMultiAlternatives(
        subject=render_to_string("emails/invitation_subject.txt", context).strip(),
        body=render_to_string("emails/invitation_body.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("emails/invitation_body.html", context), "text/html"
    )
    return message


def invitations_send(*, user_ids: list[int]) -> tuple[int, list[int]]:
    """Send the invitations of these people who still have no password and an email address.
    Returns how many were sent and the ids whose sending failed (to try again)."""
    sent, failed = 0, []
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
    for user in users:
        if user.has_usable_password():
            continue  # they chose a password meanwhile: the invitation is not needed
        try:
            invitation_message(user=user).send()
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("invitation to %s failed: %s", user.pk, exc)
            failed.append(user.pk)
        else:
            sent += 1
    return sent, failed
