"""The signals fixtures: the FY2026 strategy and what Logistics and Finance commit to."""

from decimal import Decimal

import pytest

from strategy.models import Lever, Objective
from tests.factories import CommitmentFactory
from tests.sustain.support import DELIVERY_PROMISE, SERVICE_PROMISE, Org


@pytest.fixture
def org(current_position, executive, logistics, finance, head, other_head) -> Org:
    """FY2026: objective A (weight 60, a delivery promise) and B (weight 40, a service
    promise). Logistics commits to A on inventory and processes and to B on people; Finance
    funds A with 6,000 EUR and B with 4,000 EUR, so money follows the weights exactly and every
    promise is backed by the levers it needs."""
    a, b = current_position.objectives.order_by("order")
    Objective.objects.filter(pk=a.pk).update(
        title="Deliver on the promised date", priority_weight=60, external_promise=DELIVERY_PROMISE
    )
    Objective.objects.filter(pk=b.pk).update(
        title="Advise every customer", priority_weight=40, external_promise=SERVICE_PROMISE
    )
    a.refresh_from_db()
    b.refresh_from_db()
    CommitmentFactory(unit=logistics, objective=a, lever=Lever.INVENTORY)
    CommitmentFactory(unit=logistics, objective=a, lever=Lever.PROCESSES)
    CommitmentFactory(unit=logistics, objective=b, lever=Lever.PEOPLE)
    for objective, amount in ((a, "6000"), (b, "4000")):
        CommitmentFactory(
            unit=finance,
            objective=objective,
            lever=Lever.FUNDING,
            amount=Decimal(amount),
            currency="EUR",
        )
    return Org(
        position=current_position,
        a=a,
        b=b,
        logistics=logistics,
        finance=finance,
        executive=executive,
    )
