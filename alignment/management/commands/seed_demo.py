"""Load a demo company: a distributor that competes on service, its people and this year's plan.

`make run` calls this on every start, so running it again must change nothing. Rows are found
by their natural keys (unit code, username, unit and user of a membership, fiscal year) and only
created when missing; rows that exist are left as they are, so edits made in the demo survive.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from alignment import services
from alignment.models import (
    ADMIN,
    DEPARTMENT_HEAD,
    EXECUTIVE,
    MEMBER,
    ROLE_GROUPS,
    Commitment,
    Competitor,
    CustomerPriority,
    Lever,
    Measure,
    Membership,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Theme,
    Unit,
    fiscal_year_of,
    fiscal_year_start,
)

DEMO_PASSWORD = "demo-pass-2026"  # printed on every start: demo data only

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
        20,
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
        15,
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


def _quarter_end(fiscal_year: int, quarter: int) -> date:
    start = fiscal_year_start(fiscal_year)
    months = start.month - 1 + 3 * quarter
    return date(start.year + months // 12, months % 12 + 1, 1) - timedelta(days=1)


class Command(BaseCommand):
    help = "Load the demo company. Safe to run again: rows that exist are left as they are."

    def handle(self, *args, **options) -> None:
        self.created: Counter[str] = Counter()
        with transaction.atomic():
            units = self.load_units()
            users = self.load_users(units)
            self.load_strategy(units, users)

        if self.created:
            summary = ", ".join(f"{count} {label}" for label, count in self.created.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo: {summary}."))
        else:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.stdout.write("Demo logins (the password is set when a demo user is created):")
        for role, username in LOGINS:
            self.stdout.write(f"  {role:<16} {username:<8} {DEMO_PASSWORD}")

    def create(self, model, *, by=None, **fields):
        obj = model(**fields)
        obj._history_user = by  # read by simple_history, which has no request here
        obj.save()
        self.created[str(model._meta.verbose_name_plural)] += 1
        return obj

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
                self.create(
                    Measure,
                    by=author,
                    objective=objective,
                    name=name,
                    unit=unit,
                    baseline=Decimal(baseline),
                    target=Decimal(target),
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
                    due_on=_quarter_end(fiscal_year, quarter),
                    status=status,
                    amount=amount,
                    currency="EUR" if amount is not None else "",
                )

        services.position_publish(position=position, by=author)
