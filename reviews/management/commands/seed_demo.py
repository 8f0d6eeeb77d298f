"""Load a demo company: a distributor that competes on service, its people and this year's plan.

`make run` calls this on every start, so running it again must change nothing. Rows are found
by their natural keys (unit code, username, unit and user of a membership, fiscal year, fiscal
year and quarter of a review cycle) and only created when missing; rows that exist are left as
they are, so edits made in the demo survive.

The review history is four closed quarters and today's open one, filled in through the review
services as heads and executives would, so that every chart and agenda item has something to
show. A quarter that already has a cycle is skipped whole.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from reviews import agenda, cadence
from reviews import services as review_services
from reviews.models import (
    LEVERS,
    NOT_APPLICABLE,
    Action,
    AlignmentCheck,
    CadenceSettings,
    ReviewCycle,
    quarter_end,
)
from strategy import services
from strategy.models import (
    Acknowledgement,
    Commitment,
    CompanySettings,
    Competitor,
    CustomerPriority,
    Lever,
    Measure,
    MeasureActual,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Theme,
    Unit,
    fiscal_year_of,
    fiscal_year_start,
)
from strategy.roles import ADMIN, DEPARTMENT_HEAD, EXECUTIVE, MEMBER, ROLE_GROUPS

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  printed on every start: demo data only

DEMO_COMPANY = "Northwind Distribution"
BUSINESS, FUNCTIONAL = Unit.Level.BUSINESS, Unit.Level.FUNCTIONAL
HEAD_ROLE, MEMBER_ROLE = Membership.Role.HEAD, Membership.Role.MEMBER
PLANNED, ON_TRACK, AT_RISK, DONE, DROPPED = (
    Commitment.Status.PLANNED,
    Commitment.Status.ON_TRACK,
    Commitment.Status.AT_RISK,
    Commitment.Status.DONE,
    Commitment.Status.DROPPED,
)

# code, name, level, kind, parent code. Parents come before their children.
UNITS = [
    ("northwind", "Northwind Distribution", BUSINESS, Unit.Kind.COMPANY, None),
    ("north", "North region", BUSINESS, Unit.Kind.REGION, "northwind"),
    ("south", "South region", BUSINESS, Unit.Kind.REGION, "northwind"),
    ("hamburg", "Hamburg branch", BUSINESS, Unit.Kind.BRANCH, "north"),
    ("bremen", "Bremen branch", BUSINESS, Unit.Kind.BRANCH, "north"),
    ("munich", "Munich branch", BUSINESS, Unit.Kind.BRANCH, "south"),
    ("hr", "HR", FUNCTIONAL, Unit.Kind.DEPARTMENT, "northwind"),
    ("finance", "Finance", FUNCTIONAL, Unit.Kind.DEPARTMENT, "northwind"),
    ("logistics", "Logistics", FUNCTIONAL, Unit.Kind.DEPARTMENT, "northwind"),
    ("purchasing", "Purchasing and supply", FUNCTIONAL, Unit.Kind.DEPARTMENT, "northwind"),
    ("operations", "Production and operations", FUNCTIONAL, Unit.Kind.DEPARTMENT, "northwind"),
    ("inside-sales", "Inside sales", FUNCTIONAL, Unit.Kind.TEAM, "northwind"),
    ("outside-sales", "Outside sales", FUNCTIONAL, Unit.Kind.TEAM, "northwind"),
]

# username, first name, last name, role group, (unit code, membership role) or None
USERS = [
    ("exec", "Maria", "Keller", EXECUTIVE, None),
    ("exec2", "Thomas", "Brandt", EXECUTIVE, None),
    ("admin", "Priya", "Nair", ADMIN, None),
    ("head", "Jonas", "Weber", None, ("logistics", HEAD_ROLE)),
    ("member", "Lena", "Fischer", None, ("logistics", MEMBER_ROLE)),
    ("head-hr", "Sofia", "Romano", None, ("hr", HEAD_ROLE)),
    ("head-finance", "Daniel", "Okafor", None, ("finance", HEAD_ROLE)),
    ("head-purchasing", "Ingrid", "Larsen", None, ("purchasing", HEAD_ROLE)),
    ("head-operations", "Marek", "Nowak", None, ("operations", HEAD_ROLE)),
    ("head-inside-sales", "Aylin", "Demir", None, ("inside-sales", HEAD_ROLE)),
    ("head-outside-sales", "Paul", "Martin", None, ("outside-sales", HEAD_ROLE)),
    ("member-operations", "Tom", "Becker", None, ("operations", MEMBER_ROLE)),
    ("member-inside-sales", "Nina", "Schulz", None, ("inside-sales", MEMBER_ROLE)),
    ("member-outside-sales", "Luca", "Moretti", None, ("outside-sales", MEMBER_ROLE)),
]

LOGINS = [(EXECUTIVE, "exec"), (DEPARTMENT_HEAD, "head"), (MEMBER, "member"), (ADMIN, "admin")]

STATEMENT = (
    "For contractors and maintenance teams who cannot afford to wait, we are the distributor "
    "that delivers what we promised, on the day we promised it, with people who know the "
    "products. We are not the cheapest and do not try to be: our prices are fair, and our "
    "customers can plan around us."
)

THEMES = [(Theme.SERVICE, 60), (Theme.QUALITY, 25), (Theme.PRICE, 15)]

# rank, title, description
PRIORITIES = [
    (
        1,
        "On-time delivery as promised",
        "Orders arrive complete on the date we confirmed, not some time next week.",
    ),
    (
        2,
        "Product availability",
        "The items they buy again and again are in stock at the branch or the central warehouse.",
    ),
    (
        3,
        "Knowledgeable advice",
        "Someone who knows the products answers the phone and comes to the site.",
    ),
    (4, "Fair prices", "Prices that are fair for the service, with no surprises on the invoice."),
]

# name, positioning, our difference
COMPETITORS = [
    (
        "PartsDirect Online",
        "Lowest list prices, ordering on the web only, delivery in three to five days and no "
        "advice.",
        "We confirm a delivery date and keep it, and our people help choose the right part.",
    ),
    (
        "Central Industrial Supply",
        "Broad catalogue and national coverage; built around large accounts and slow to answer "
        "smaller customers.",
        "Local branches and a named inside-sales contact for every account, who answers within "
        "the hour.",
    ),
    (
        "Meyer & Sons",
        "Family-owned local supplier with close relationships and thin stock.",
        "The same personal service, backed by stock on the shelf and next-day delivery.",
    ),
]

DELIVER = "Deliver on the promised date"
STOCK = "Keep the right inventory in stock"
SKILLS = "Skilled people where customers meet us"
REWARD = "Reward the behaviours that serve customers"
FUND = "Fund the service promise"
ONLINE = "Make ordering online as easy as calling us"  # no team commits to it: on the agenda

# title, owner, weight, customer priority rank, theme, description, internal message,
# external promise, measures as (name, unit, baseline, target)
OBJECTIVES = [
    (
        DELIVER,
        "exec2",
        30,
        1,
        Theme.SERVICE,
        "Logistics, purchasing and operations plan together around the date we give the customer.",
        "A confirmed delivery date is a promise. If we cannot keep it, the customer hears it "
        "from us before the date, not after.",
        "Your order arrives complete on the date we confirm, or we call you first.",
        [
            ("On-time, in-full deliveries", "%", "86", "95"),
            ("Orders confirmed with a delivery date", "%", "70", "98"),
        ],
    ),
    (
        STOCK,
        "exec2",
        25,
        2,
        Theme.SERVICE,
        "Stock the items customers buy again and again, at the levels that meet the promised "
        "dates.",
        "Purchasing plans stock around what customers reorder, not around the best volume "
        "discount.",
        "The items you buy regularly are on our shelves.",
        [
            ("Fill rate on A and B items", "%", "91", "97"),
            ("Stock-outs on A items per month", "lines", "42", "10"),
        ],
    ),
    (
        SKILLS,
        "exec",
        15,
        3,
        Theme.QUALITY,
        "Enough skilled people at the counter, on the phone and on the road to give advice "
        "customers trust.",
        "Everyone who talks to customers can answer a product question, or knows who can, the "
        "same day.",
        "Talk to someone who knows the products.",
        [
            ("Customer-facing staff certified on the core product lines", "%", "40", "80"),
            ("Calls answered within 60 seconds", "%", "72", "90"),
        ],
    ),
    (
        REWARD,
        "exec",
        10,
        1,
        Theme.SERVICE,
        "Incentives reward kept promises and satisfied customers, not volume alone.",
        "Bonuses pay for deliveries on the promised date and for satisfied customers, not for "
        "volume at any price.",
        "The person you deal with is measured on whether you are satisfied.",
        [("Customer satisfaction score", "points of 10", "7.4", "8.5")],
    ),
    (
        FUND,
        "exec",
        10,
        4,
        Theme.PRICE,
        "Put money where it protects the promise, and pay for it by cutting the cost customers "
        "do not value.",
        "We spend on stock, routes and training that customers notice, and cut what they do not.",
        "Fair prices, with no surprise charges on the invoice.",
        [
            ("Service investment committed", "EUR", "0", "650000"),
            ("Cost to serve as a share of sales", "%", "9.8", "8.5"),
        ],
    ),
    (
        ONLINE,
        "exec2",
        10,
        2,
        Theme.SERVICE,
        "Customers see live stock and a confirmed delivery date in the web shop, and reorder "
        "their usual items in a few clicks.",
        "The web shop is a sales channel like the phone: its stock and dates must be as reliable "
        "as what inside sales says.",
        "See what is in stock and when it arrives before you order, online at any hour.",
        [
            ("Orders placed through the web shop", "%", "12", "30"),
            ("Web orders with a confirmed delivery date", "%", "0", "95"),
        ],
    ),
]

# unit code -> (objective, lever, statement, target, quarter due, status, amount in EUR)
COMMITMENTS = {
    "hr": [
        (
            SKILLS,
            Lever.PEOPLE,
            "Run a product-knowledge onboarding week for every new inside and outside sales hire.",
            "Every new sales hire completes the week within 30 days of starting",
            3,
            ON_TRACK,
            None,
        ),
        (
            REWARD,
            Lever.INCENTIVES,
            "Redesign the sales bonus so that 40% of it depends on on-time delivery and customer "
            "satisfaction.",
            "New bonus plan signed off and explained to every salesperson",
            3,
            AT_RISK,
            None,
        ),
        (
            DELIVER,
            Lever.PEOPLE,
            "Fill the two open picker positions at the central warehouse.",
            "Both positions filled and trained",
            1,
            DONE,
            None,
        ),
    ],
    "finance": [
        (
            FUND,
            Lever.FUNDING,
            "Fund the certification programme for customer-facing staff.",
            "Budget released to HR by the end of the first quarter",
            1,
            DONE,
            Decimal("120000"),
        ),
        (
            STOCK,
            Lever.FUNDING,
            "Release working capital for safety stock on A items.",
            "Safety stock budget available to Purchasing",
            2,
            DONE,
            Decimal("450000"),
        ),
        (
            FUND,
            Lever.PROCESSES,
            "Report the cost to serve per customer segment every month.",
            "Monthly report in the management pack",
            4,
            PLANNED,
            None,
        ),
    ],
    "logistics": [
        (
            DELIVER,
            Lever.PROCESSES,
            "Confirm a delivery date on every order within two hours of receiving it.",
            "98% of orders confirmed within two hours",
            2,
            ON_TRACK,
            None,
        ),
        (
            DELIVER,
            Lever.COMMUNICATION,
            "Call the customer before the promised date whenever a delivery will be late.",
            "Every late delivery announced at least one working day ahead",
            1,
            DONE,
            None,
        ),
        (
            DELIVER,
            Lever.FUNDING,
            "Add a second afternoon route from the central warehouse to the branches.",
            "Route running five days a week",
            3,
            AT_RISK,
            Decimal("85000"),
        ),
        (
            DELIVER,
            Lever.COMMUNICATION,
            "Show each route's on-time rate on the depot board every week.",
            "Board updated every Monday",
            4,
            PLANNED,
            None,
        ),
    ],
    "purchasing": [
        (
            STOCK,
            Lever.INVENTORY,
            "Set minimum stock levels for the 800 A items from twelve months of sales.",
            "Minimum and maximum levels live in the ERP for every A item",
            1,
            DONE,
            None,
        ),
        (
            STOCK,
            Lever.INVENTORY,
            "Agree consignment stock with the three largest suppliers.",
            "Consignment agreements signed with three suppliers",
            3,
            AT_RISK,
            None,
        ),
        (
            DELIVER,
            Lever.PROCESSES,
            "Chase supplier orders that threaten a confirmed customer date.",
            "Late supplier lines flagged to Logistics within one working day",
            2,
            ON_TRACK,
            None,
        ),
    ],
    "operations": [
        (
            DELIVER,
            Lever.PROCESSES,
            "Pick and pack the same day every order received before 2 pm.",
            "95% of orders received before 2 pm shipped the same day",
            2,
            ON_TRACK,
            None,
        ),
        (
            SKILLS,
            Lever.PEOPLE,
            "Cross-train warehouse staff on the kitting and assembly bench.",
            "Six people qualified on both benches",
            4,
            PLANNED,
            None,
        ),
        (
            STOCK,
            Lever.INVENTORY,
            "Count A items every month instead of once a year.",
            "Stock record accuracy above 98%",
            4,
            ON_TRACK,
            None,
        ),
    ],
    "inside-sales": [
        (
            SKILLS,
            Lever.PEOPLE,
            "Certify every inside salesperson on the two core product lines.",
            "All inside salespeople certified",
            4,
            ON_TRACK,
            None,
        ),
        (
            SKILLS,
            Lever.PROCESSES,
            "Answer customer calls within 60 seconds during opening hours.",
            "90% of calls answered within 60 seconds",
            3,
            AT_RISK,
            None,
        ),
        (
            DELIVER,
            Lever.COMMUNICATION,
            "Quote the confirmed delivery date, not the standard lead time, on every quote.",
            "A delivery date on every quote sent",
            1,
            DONE,
            None,
        ),
    ],
    "outside-sales": [
        (
            DELIVER,
            Lever.COMMUNICATION,
            "Explain the delivery promise and the call-ahead rule at every key-account review.",
            "All 40 key accounts briefed",
            2,
            DONE,
            None,
        ),
        (
            REWARD,
            Lever.FUNDING,
            "Offer free express delivery to key accounts for one quarter.",
            "Express delivery free of charge for the 40 key accounts",
            2,
            DROPPED,
            Decimal("30000"),
        ),
        (
            SKILLS,
            Lever.PEOPLE,
            "Visit each top-50 customer with a product specialist once a quarter.",
            "200 joint visits in the year",
            4,
            PLANNED,
            None,
        ),
    ],
}


# --- Review history ------------------------------------------------------------------------

# Each team's fit (0 to 100) in the four closed quarters, oldest first. The head's lever scores
# are whole numbers whose mean comes as close to it as they can. Every team plays a part in the
# agenda or in the trend signals:
CLOSED_FITS = {
    "logistics": [82, 41, 79, 38],  # a roller-coaster
    "finance": [81, 84, 87, 86],  # steady and high: a sustained streak
    "hr": [63, 63, 63, 63],  # the same scores and the same words every quarter
    "outside-sales": [100, 100, 100, 100],  # a 5 on every lever, and nothing ever changes
    "purchasing": [68, 71, 74, 48],  # drops sharply in the latest closed quarter
    "operations": [66, 70, 67, 72],  # falls in the open quarter
    "inside-sales": [58, 63, 60, 64],
}
MODERATE_FIT = 60  # a team the story does not know
# The open quarter: submitted or in draft, with this fit. Teams not listed have not started.
OPEN_FITS = {
    "finance": ("submitted", 88),
    "hr": ("submitted", 63),
    "outside-sales": ("submitted", 100),
    "operations": ("submitted", 42),
    "logistics": ("draft", 80),
    "purchasing": ("draft", 62),
}
ITEM_OFFSETS = [0, -6, 6]  # a team's objectives differ a little from its overall fit
SAME_EVERY_QUARTER = {"hr", "outside-sales"}
NO_STOCK = {"hr", "finance", "inside-sales", "outside-sales"}  # inventory is not applicable
ALL_FIVES = {"outside-sales"}  # a 5 on every lever of every objective, applicable or not
BLOCKERS = {
    "logistics": "One driver short: the afternoon route ran only every other week.",
    "purchasing": "Two of the three suppliers left the consignment talks.",
    "operations": "Two pickers on long-term sick leave; same-day shipping fell to 71%.",
}
EVIDENCE = {
    "hr": "Onboarding week and bonus redesign are progressing as planned.",
    "outside-sales": "All on track.",
}

# quarter (0 to 3 the closed ones, 4 the open one), executive, team, objective, score, note
EXECUTIVE_SCORES = [
    (3, "exec2", "purchasing", STOCK, 2, "Agreed: stock-outs on A items are back to 30 a month."),
    (
        3,
        "exec",
        "hr",
        REWARD,
        1,
        "The new bonus plan has slipped two quarters; no salesperson has seen it.",
    ),
    (
        4,
        "exec2",
        "outside-sales",
        DELIVER,
        2,
        "A 5 on every lever, yet two key accounts complained about late deliveries this month.",
    ),
    (4, "exec", "finance", FUND, 4, "Budget released on time; the cost-to-serve report is due."),
    (4, "exec", "operations", SKILLS, 2, "Cross-training has not started."),
]

# quarter (0 to 3, closed), kind, owner team, objective, title, due days after the review, done
ACTIONS = [
    (
        1,
        Action.Kind.CORRECTIVE,
        "logistics",
        DELIVER,
        "Cover the afternoon route with a temporary driver until the new hire starts",
        45,
        True,
    ),
    (
        3,
        Action.Kind.CORRECTIVE,
        "logistics",
        DELIVER,
        "Staff the afternoon route for the peak season so that it runs every day",
        60,
        False,
    ),
    (
        3,
        Action.Kind.DECISION,
        "purchasing",
        STOCK,
        "Take the consignment talks to the suppliers' managing directors",
        30,
        False,
    ),
]


LATE_TEAM = "inside-sales"
ACKNOWLEDGED = ["head", "head-finance", "head-hr", "member-operations", "exec"]
LATE_QUARTERS = {1, 3}  # of the four closed quarters, oldest first
LATE_CLOSE_QUARTER = 1


# How each measure is reported, and its story over the eight quarters up to the last closed
# review, oldest first: how far each value falls short of the plan, as a share of the year's
# planned change (0 on plan, 0.3 behind, 0.7 off track, negative ahead of it; None: no value).
# Earlier years' values belong to that year's measure, one planned change lower (the annual
# refresh links them): direction, reporting team, frequency, shortfalls.
HIGHER, LOWER = Measure.Direction.HIGHER, Measure.Direction.LOWER
QUARTERLY, MONTHLY = Measure.Frequency.QUARTERLY, Measure.Frequency.MONTHLY
ON_PLAN = [0, 0.05, 0, 0.05, 0, 0.05, 0, 0.05]
MEASURE_STORIES = {
    # Rides up and down: roller-coaster outcomes.
    "On-time, in-full deliveries": (
        HIGHER,
        "logistics",
        QUARTERLY,
        [0, 0, 0, 0, 0.5, -0.3, 0.5, -0.3],
    ),
    "Orders confirmed with a delivery date": (HIGHER, "inside-sales", QUARTERLY, ON_PLAN),
    # Off track in the latest quarter: the promise to keep stock is at risk.
    "Fill rate on A and B items": (HIGHER, "purchasing", QUARTERLY, [0, 0, 0, 0, 0, 0, 0.1, 0.7]),
    "Stock-outs on A items per month": (LOWER, "purchasing", QUARTERLY, ON_PLAN),
    "Customer satisfaction score": (HIGHER, "outside-sales", QUARTERLY, ON_PLAN),
    # The same number copied forward every quarter: not measuring.
    "Customer-facing staff certified on the core product lines": (HIGHER, "hr", QUARTERLY, None),
    # No value for the latest month: not measuring.
    "Calls answered within 60 seconds": (HIGHER, "inside-sales", MONTHLY, ON_PLAN[:-1] + [None]),
    "Service investment committed": (HIGHER, "finance", QUARTERLY, ON_PLAN),
    # Finance scores itself high while its cost to serve stays behind plan: a say-do gap.
    "Cost to serve as a share of sales": (
        LOWER,
        "finance",
        QUARTERLY,
        [0, 0, 0, 0, 0, 0.3, 0.35, 0.4],
    ),
    "Orders placed through the web shop": (HIGHER, "operations", QUARTERLY, ON_PLAN),
    "Web orders with a confirmed delivery date": (HIGHER, "operations", MONTHLY, ON_PLAN),
}
# Internal measures: customers feel neither, so neither judges the promise to fair prices
# (Measure.customer_felt); Finance's cost to serve, behind plan, is a say-do gap, not a promise
# at risk.
INTERNAL_MEASURES = {"Service investment committed", "Cost to serve as a share of sales"}
COPIED_VALUE = Decimal("55")  # the staff certified share, the same every quarter


def _recent_quarters(today: date) -> list[tuple[int, int]]:
    """(fiscal year, quarter) of the four quarters before today's and of today's, oldest first."""
    fiscal_year = fiscal_year_of(today)
    quarter = next(q for q in range(1, 5) if today <= quarter_end(fiscal_year, q))
    quarters = [(fiscal_year, quarter)]
    for _ in range(4):
        fiscal_year, quarter = (fiscal_year, quarter - 1) if quarter > 1 else (fiscal_year - 1, 4)
        quarters.insert(0, (fiscal_year, quarter))
    return quarters


def _at(day: date, hour: int) -> datetime:
    """That hour of that day, or now if it is still to come (early in a quarter)."""
    return min(timezone.make_aware(datetime.combine(day, time(hour))), timezone.now())


def _lever_scores(fit: float, not_applicable: set[str], turn: int) -> dict[str, int]:
    """Whole scores from 1 to 5 whose mean is as close to `fit` as whole numbers allow.

    `turn` picks which levers get the higher scores, so that teams and quarters differ.
    """
    counted = [lever for lever in LEVERS if lever not in not_applicable]
    total = round((fit / 25 + 1) * len(counted))
    base, extra = divmod(max(len(counted), min(5 * len(counted), total)), len(counted))
    scores = dict.fromkeys(not_applicable, NOT_APPLICABLE)
    for i, lever in enumerate(counted):
        scores[lever] = base + (1 if (i + turn) % len(counted) < extra else 0)
    return scores


class Command(BaseCommand):
    help = "Load the demo company. Safe to run again: rows that exist are left as they are."

    def handle(self, *args, **options) -> None:
        self.created: Counter[str] = Counter()
        with transaction.atomic():
            self.load_company()
            units = self.load_units()
            users = self.load_users(units)
            self.load_strategy(units, users)
            # The values first: each review closed freezes the signals they trip.
            self.load_outcomes(users, today=timezone.localdate())
            self.load_reviews(units, users, today=timezone.localdate())

        if self.created:
            summary = ", ".join(f"{count} {label}" for label, count in self.created.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo: {summary}."))
        else:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.stdout.write("Demo logins (the password is set when a demo user is created):")
        for role, username in LOGINS:
            self.stdout.write(f"  {role:<16} {username:<8} {DEMO_PASSWORD}")

    def create(self, model, *, by=None, at=None, **fields):
        obj = model(**fields)
        obj._history_user = by  # read by simple_history, which has no request here
        if at is not None:
            obj._history_date = at  # when it happened, not when the demo was loaded
        obj.save()
        self.created[str(model._meta.verbose_name_plural)] += 1
        return obj

    def load_company(self) -> None:
        # The settings row exists from the migrations; a name nobody gave yet becomes the demo's.
        company = CompanySettings.load()
        if not company.name:
            company.name = DEMO_COMPANY
            company.save(update_fields=["name"])
            self.created["company settings"] += 1

    def load_units(self) -> dict[str, Unit]:
        units = {}
        for code, name, level, kind, parent in UNITS:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                unit = self.create(
                    Unit, code=code, name=name, level=level, kind=kind, parent=units.get(parent)
                )
            units[code] = unit
        return units

    def load_users(self, units: dict[str, Unit]) -> dict:
        User = get_user_model()
        groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_GROUPS)}
        # Hash once: the password is the same for everyone and printed anyway, and each hash
        # costs a noticeable fraction of a second.
        password = None
        users = {}
        for username, first_name, last_name, group, membership in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                password = password or make_password(DEMO_PASSWORD)
                is_admin = group == ADMIN
                user = self.create(
                    User,
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{first_name}.{last_name}@example.com".lower(),
                    password=password,
                    is_staff=is_admin,
                    is_superuser=False,  # the Admin group grants what the role needs
                )
                if group:
                    user.groups.add(groups[group])
            if membership:
                code, role = membership
                if not Membership.objects.filter(unit=units[code], user=user).exists():
                    services.membership_set(unit=units[code], user=user, role=role)
                    self.created["memberships"] += 1
            users[username] = user
        return users

    def load_strategy(self, units: dict[str, Unit], users: dict) -> None:
        fiscal_year = fiscal_year_of(timezone.localdate())
        if StrategicPosition.objects.filter(fiscal_year=fiscal_year).exists():
            # An earlier run's position, or one somebody wrote: adding demo objectives to it
            # could break its theme weights, so its content is left alone.
            return

        author = users["exec"]
        position = self.create(
            StrategicPosition, by=author, fiscal_year=fiscal_year, statement=STATEMENT
        )
        for theme, weight in THEMES:
            self.create(PositioningTheme, by=author, position=position, theme=theme, weight=weight)
        priorities = {}
        for rank, title, description in PRIORITIES:
            priorities[rank] = self.create(
                CustomerPriority,
                by=author,
                position=position,
                rank=rank,
                title=title,
                description=description,
            )
        for name, positioning, difference in COMPETITORS:
            self.create(
                Competitor,
                by=author,
                position=position,
                name=name,
                positioning=positioning,
                our_difference=difference,
            )

        objectives = {}
        for order, spec in enumerate(OBJECTIVES):
            title, owner, weight, rank, theme, description, internal, external, measures = spec
            objective = self.create(
                Objective,
                by=author,
                position=position,
                title=title,
                description=description,
                owner=users[owner],
                priority_weight=weight,
                customer_priority=priorities[rank],
                theme=theme,
                internal_message=internal,
                external_promise=external,
                order=order,
            )
            for name, unit, baseline, target in measures:
                direction, code, frequency, _ = MEASURE_STORIES[name]
                self.create(
                    Measure,
                    by=author,
                    objective=objective,
                    name=name,
                    unit=unit,
                    baseline=Decimal(baseline),
                    target=Decimal(target),
                    direction=direction,
                    reporting_team=units[code],
                    frequency=frequency,
                    customer_felt=name not in INTERNAL_MEASURES,
                )
            objectives[title] = objective

        heads = {m[0]: users[username] for username, *_, m in USERS if m and m[1] == HEAD_ROLE}
        for code, commitments in COMMITMENTS.items():
            head = heads[code]
            for title, lever, statement, target, quarter, status, amount in commitments:
                self.create(
                    Commitment,
                    by=head,
                    unit=units[code],
                    objective=objectives[title],
                    lever=lever,
                    statement=statement,
                    target=target,
                    due_on=quarter_end(fiscal_year, quarter),
                    status=status,
                    amount=amount,
                    currency="EUR" if amount is not None else "",
                )

        services.position_publish(position=position, by=author)

    def load_reviews(self, units: dict[str, Unit], users: dict, *, today: date) -> None:
        """Four closed quarterly reviews and today's open one; a quarter with a cycle is skipped.

        Everything goes through the review services, as a head or an executive would.
        """
        position = StrategicPosition.objects.current()
        if position is None:
            return  # nothing published to review against
        existing = set(ReviewCycle.objects.quarterly().values_list("fiscal_year", "quarter"))
        *closed, current = _recent_quarters(today)
        if all(q in existing for q in [*closed, current]):
            return

        self.units, self.users = units, users
        # The organisation's cadence, or its defaults; reading it must not create the row.
        self.cadence = CadenceSettings.objects.first() or CadenceSettings()
        self.objectives = {o.title: o for o in position.objectives.active()}
        self.heads = {
            m.unit_id: m.user
            for m in Membership.objects.filter(role=HEAD_ROLE).select_related("user")
        }
        commitments = Commitment.objects.exclude(status=DROPPED)
        self.funded = set(
            commitments.filter(lever=Lever.FUNDING).values_list("unit_id", "objective_id")
        )
        self.targets: dict[tuple[int, int], list[str]] = {}
        for unit_id, objective_id, target in commitments.values_list(
            "unit_id", "objective_id", "target"
        ):
            self.targets.setdefault((unit_id, objective_id), []).append(target)

        for index, (fiscal_year, quarter) in enumerate(closed):
            if (fiscal_year, quarter) not in existing:
                self.load_closed_cycle(position, fiscal_year, quarter, index)
        if current not in existing:
            self.load_open_cycle(position, *current, today=today)

    def load_outcomes(self, users: dict, *, today: date) -> None:
        """Eight quarters of values for the current strategy's measures that have none: those of
        earlier fiscal years under that year's measure (and a published position of that
        year's, not the current one), which this year's continues."""
        position = StrategicPosition.objects.current()
        if position is None:
            return
        *closed, _ = _recent_quarters(today)
        quarters = closed
        for _ in range(4):
            year, quarter = quarters[0]
            quarters = [(year, quarter - 1) if quarter > 1 else (year - 1, 4), *quarters]
        author = users["exec"]
        for measure in Measure.objects.filter(objective__position=position).select_related(
            "objective"
        ):
            story = MEASURE_STORIES.get(measure.name)
            if story is None or measure.previous_id or measure.actuals.exists():
                continue
            span = measure.target - measure.baseline
            members = {position.fiscal_year: measure}
            for year in sorted({y for y, _ in quarters if y < position.fiscal_year}, reverse=True):
                if measure.baseline >= 0 > measure.baseline - span * (position.fiscal_year - year):
                    break  # a year before it would plan a negative amount: new this year
                earlier = StrategicPosition.objects.filter(fiscal_year=year).first() or self.create(
                    StrategicPosition,
                    by=author,
                    fiscal_year=year,
                    statement=STATEMENT,
                    status=StrategicPosition.Status.PUBLISHED,
                    published_at=_at(fiscal_year_start(year), 9),
                    published_by=author,
                )
                objective = earlier.objectives.filter(title=measure.objective.title).first()
                if objective is None:
                    objective = self.create(
                        Objective,
                        by=author,
                        position=earlier,
                        title=measure.objective.title,
                        owner=measure.objective.owner,
                        priority_weight=measure.objective.priority_weight,
                        theme=measure.objective.theme,
                        order=measure.objective.order,
                    )
                back = position.fiscal_year - year
                members[year] = self.create(
                    Measure,
                    by=author,
                    objective=objective,
                    name=measure.name,
                    unit=measure.unit,
                    baseline=measure.baseline - span * back,
                    target=measure.target - span * back,
                    direction=measure.direction,
                    reporting_team=measure.reporting_team,
                    frequency=measure.frequency,
                )
            chain = [members[y] for y in sorted(members)]
            for earlier, later in pairwise(chain):
                later.previous = earlier
                later.save(update_fields=["previous"])
            shortfalls = story[3] or [0] * len(quarters)
            for (year, quarter), short in zip(quarters, shortfalls, strict=True):
                member = members.get(year)
                if member is None or short is None:
                    continue
                count = member.periods_per_year
                numbers = range(quarter * 3 - 2, quarter * 3 + 1) if count == 12 else [quarter]
                # Entered in the quarter's review, before it closed: a closed review's reports
                # read the values as they stood then (their history).
                entered = min(
                    _at(quarter_end(year, quarter) + timedelta(days=3), 9), timezone.now()
                )
                for number in numbers:
                    planned = member.baseline + span * Decimal(number) / count
                    miss = span * Decimal(str(short))
                    value = planned - miss  # span carries the direction
                    if story[3] is None:
                        value = COPIED_VALUE
                    self.create(
                        MeasureActual,
                        by=users["exec"],
                        at=entered,
                        measure=member,
                        fiscal_year=year,
                        period=number,
                        value=value.quantize(Decimal("0.01")),
                        entered_by=users["exec"],
                        entered_at=entered,
                    )

    def load_closed_cycle(self, position, fiscal_year: int, quarter: int, index: int) -> None:
        opens_on, due_on = cadence.quarter_opening(
            fiscal_year,
            quarter,
            open_days=self.cadence.open_days_after_quarter_end,
            due_days=self.cadence.due_days_after_opening,
        )
        cycle = self.open_cycle(position, fiscal_year, quarter, opens_on, due_on)
        for n, check in enumerate(self.checks(cycle)):
            fit = CLOSED_FITS.get(check.unit.code, [MODERATE_FIT] * 4)[index]
            self.save_check(check, self.item_inputs(check, fit, index), submit=True)
            # Submitted while the cycle was open, not today. Inside sales is late twice in the
            # four quarters (a complacency signal); everyone else is on time.
            submitted_at = _at(min(opens_on + timedelta(days=2 + n), due_on), 10)
            if check.unit.code == LATE_TEAM and index in LATE_QUARTERS:
                submitted_at = _at(due_on + timedelta(days=4), 10)
            AlignmentCheck.objects.filter(pk=check.pk).update(
                submitted_at=submitted_at, updated_at=submitted_at
            )
        self.set_executive_scores(cycle, index)
        # One review closed a month late, for the "review cadence kept" trend.
        late_close = 30 if index == LATE_CLOSE_QUARTER else 3
        review_services.cycle_close(
            cycle=cycle, by=self.users["exec"], now=_at(due_on + timedelta(days=late_close), 16)
        )
        cycle.refresh_from_db()
        self.load_actions(cycle, index)

    def load_open_cycle(self, position, fiscal_year: int, quarter: int, *, today: date) -> None:
        # Opened a few days ago and due in a little over a week, although its quarter has not
        # ended: the demo needs a review under way. Not before the last review opened, so that
        # that review's open actions carry over to this one.
        started = ReviewCycle.objects.quarterly().exclude(state=ReviewCycle.State.PLANNED)
        latest = started.aggregate(latest=Max("opens_on"))["latest"]
        opens_on = max(today - timedelta(days=5), latest or today)
        due_on = max(today + timedelta(days=9), opens_on)
        cycle = self.open_cycle(position, fiscal_year, quarter, opens_on, due_on)
        for check in self.checks(cycle):
            state, fit = OPEN_FITS.get(check.unit.code, (None, None))
            if state is None:
                continue  # not started
            items = self.item_inputs(check, fit, 4)
            if state == "draft" and items:
                # Half of the first objective scored; the rest still to do.
                pk, first = next(iter(items.items()))
                half = {lever: first.scores[lever] for lever in LEVERS[: len(LEVERS) // 2]}
                items = {pk: review_services.ItemInput(half, first.evidence, first.blockers)}
            self.save_check(check, items, submit=state == "submitted")
        self.set_executive_scores(cycle, 4)
        # Some people have confirmed they read the strategy; the demo member has not yet.
        for username in ACKNOWLEDGED:
            user = self.users.get(username)
            if user is not None:
                Acknowledgement.objects.get_or_create(user=user, position=position)

    def open_cycle(self, position, fiscal_year, quarter, opens_on, due_on) -> ReviewCycle:
        cycle = self.create(
            ReviewCycle,
            by=self.users["exec"],
            kind=ReviewCycle.Kind.QUARTERLY,
            fiscal_year=fiscal_year,
            quarter=quarter,
            position=position,
            opens_on=opens_on,
            due_on=due_on,
        )
        opened = review_services.cycle_open(cycle=cycle, now=_at(opens_on, 8))
        self.created["alignment checks"] += opened
        if due_on >= timezone.localdate():
            # The running review tells its heads, as the cadence would have: the emails go out
            # when the worker starts, and each head has a notification.
            from reviews import dispatch

            dispatch.cycle_open_and_notify(cycle=cycle, now=timezone.now())
        return cycle

    def checks(self, cycle: ReviewCycle) -> list[AlignmentCheck]:
        checks = cycle.checks.select_related("unit").prefetch_related("items")
        return list(checks.order_by("unit__name"))

    def item_inputs(self, check: AlignmentCheck, fit: float, index: int) -> dict:
        """The head's scores and words for each objective of the check."""
        code = check.unit.code
        inputs = {}
        for n, item in enumerate(check.items.all()):
            item_fit, not_applicable = fit, set()
            if code not in ALL_FIVES:
                item_fit += ITEM_OFFSETS[n % len(ITEM_OFFSETS)]
                if code in NO_STOCK:
                    not_applicable.add(Lever.INVENTORY.value)
                if (check.unit_id, item.objective_id) not in self.funded:
                    not_applicable.add(Lever.FUNDING.value)
            turn = n if code in SAME_EVERY_QUARTER else 2 * index + n
            inputs[item.pk] = review_services.ItemInput(
                scores=_lever_scores(item_fit, not_applicable, turn),
                evidence=self.evidence(check, item.objective_id, item_fit),
                blockers=BLOCKERS.get(code, "") if item_fit < 50 else "",
            )
        return inputs

    def evidence(self, check: AlignmentCheck, objective_id: int, fit: float) -> str:
        if check.unit.code in EVIDENCE:
            return EVIDENCE[check.unit.code]
        progress = "On track" if fit >= 70 else "Behind" if fit < 50 else "Progressing"
        targets = self.targets.get((check.unit_id, objective_id))
        return f"{progress}: {'; '.join(targets)}." if targets else f"{progress}."

    def save_check(self, check: AlignmentCheck, items: dict, *, submit: bool) -> None:
        review_services.check_save(
            check=check,
            version=check.version,
            items=items,
            statuses={},  # no commitment changes
            by=self.heads.get(check.unit_id, self.users["exec"]),
            submit=submit,
        )

    def set_executive_scores(self, cycle: ReviewCycle, index: int) -> None:
        for quarter, username, code, title, score, note in EXECUTIVE_SCORES:
            unit, objective = self.units.get(code), self.objectives.get(title)
            if quarter != index or unit is None or objective is None:
                continue
            review_services.executive_score_set(
                cycle=cycle,
                unit=unit,
                objective=objective,
                score=score,
                note=note,
                by=self.users[username],
            )
            self.created["executive scores"] += 1

    def load_actions(self, cycle: ReviewCycle, index: int) -> None:
        actions = [action for action in ACTIONS if action[0] == index]
        if not actions:
            return
        previous = review_services.previous_cycle(cycle)
        items = agenda.build(
            review_services.results(cycle),
            review_services.cycle_scores(previous) if previous else None,
        )
        author = self.users["exec"]
        for _, kind, code, objective, title, due_in, is_done in actions:
            owner = self.units[code]
            # The agenda item the action answers: the owner's drop, as the review saw it.
            answers = next(
                (i.text for i in items if i.kind == "drop" and i.team_id == owner.pk), ""
            )
            action = self.create(
                Action,
                by=author,
                cycle=cycle,
                kind=kind,
                title=title,
                objective=self.objectives.get(objective),
                owner=owner,
                due_on=cycle.due_on + timedelta(days=due_in),
                agenda_item=answers,
                created_by=author,
            )
            if is_done:
                action.complete()
