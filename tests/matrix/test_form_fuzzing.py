"""Test 23, form fuzzing: generated data posted through the client to the main forms.

Every example is posted by the person allowed to use the form, inside a savepoint that is rolled
back afterwards, and must:
  - never answer 500 (the client re-raises the exception, and Hypothesis shrinks the input);
  - when it sends a value outside what the field accepts (a score outside its range, a number
    that is not one, a text too long or with a NUL byte), be refused: the page comes back (200,
    400 or 409) showing an error, or redirects with an error message;
  - when refused, store nothing; when accepted, store only rows that pass their model's own
    validation and hold no NUL byte.

Out of range is judged with Django's own field parsers (forms.IntegerField().clean and friends),
so "٣" and " 4.0 " count as the numbers the form reads them as.
"""

from __future__ import annotations

import string
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reviews.models import (
    LEVERS,
    Action,
    CadenceSettings,
    CheckItem,
    ExecutiveScore,
    ReviewCycle,
    RubricQuestion,
)
from strategy.models import (
    Commitment,
    CompanySettings,
    CustomerPriority,
    Lever,
    Measure,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Theme,
)
from sustain.models import SignalSettings
from tests.factories import company_data, formset_data, position_data, position_edit_data
from tests.matrix.support import changed_tables, snapshot, undone

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no saved examples: a failure prints the example that reproduces it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- Generated values -------------------------------------------------------------------------

NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "4\x00",
        "x" * 5_000,
        "9" * 40,
        "-1",
        "0",
        "4.0",
        " 4 ",
        "4.5",
        "1e3",
        "0x10",
        "٣",  # an Arabic-Indic three: Python's int() reads it
        "NaN",
        "inf",
        "-0",
        "😀" * 20,
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u202e",
        "null",
    ]
)
TEXT = st.one_of(st.text(max_size=80), NASTY)
SAFE_TEXT = st.text(alphabet=string.ascii_letters + " .,", min_size=1, max_size=60).filter(
    str.strip
)


def numbers(low: float, high: float) -> st.SearchStrategy[str]:
    """Numbers in range, just outside it, far outside it, and things that are not numbers."""
    return st.one_of(
        st.integers(int(low), int(high)).map(str),
        st.sampled_from([str(int(low) - 1), str(int(high) + 1), str(int(low)), str(int(high))]),
        st.integers(-(10**12), 10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        NASTY,
    )


def dates() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat),
        st.sampled_from(["2026-02-30", "2026-13-01", "26-1-1", "tomorrow"]),
        NASTY,
    )


def choice(values) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([str(v) for v in values]), NASTY)


# --- Oracles: what the fields accept ------------------------------------------------------------


def parsed(field: forms.Field, raw: str):
    """The value Django's field reads from `raw`, or None when it refuses it."""
    try:
        return field.clean(raw)
    except ValidationError:
        return None


def bad_int(raw: str, low: int, high: int, *, required: bool = True) -> bool:
    if not required and raw.strip() == "":
        return False
    value = parsed(forms.IntegerField(), raw)
    return value is None or not low <= value <= high


def bad_float(raw: str, low: float, high: float) -> bool:
    value = parsed(forms.FloatField(), raw)
    return value is None or not low <= value <= high


def bad_decimal(raw: str, *, low=None, required: bool = True) -> bool:
    if not required and raw.strip() == "":
        return False
    value = parsed(forms.DecimalField(max_digits=14, decimal_places=2), raw)
    return value is None or (low is not None and value < low)


def bad_text(raw: str, max_length: int | None = None, *, required: bool = True) -> bool:
    if "\x00" in raw:
        return True
    stripped = raw.strip()
    if required and not stripped:
        return True
    return max_length is not None and len(stripped) > max_length


def column_range(model, name: str) -> tuple[int, int]:
    """What the database stores in an integer column without its own limits: the form refuses
    beyond it (PostgreSQL: 0..32767 for a small integer; SQLite: 64 bits whatever the type)."""
    return connection.ops.integer_field_range(model._meta.get_field(name).get_internal_type())


def bad_date(raw: str) -> bool:
    return parsed(forms.DateField(), raw) is None


# --- Posting and judging ------------------------------------------------------------------------

ERROR_MARKERS = ("alert-danger", "is-invalid", "invalid-feedback", "errorlist")


def refusal_shown(response) -> bool:
    if response.status_code == 302:
        return any(m.level == messages.ERROR for m in get_messages(response.wsgi_request))
    html = response.content.decode(errors="replace")
    return response.status_code in (200, 400, 409) and any(m in html for m in ERROR_MARKERS)


def stored_rows_are_valid(models) -> None:
    """What is stored passes the model's own validation and holds no NUL byte."""
    for model in models:
        for row in model.objects.all():
            row.full_clean(validate_unique=False, validate_constraints=False)
            for field in model._meta.concrete_fields:
                value = getattr(row, field.attname)
                assert not (isinstance(value, str) and "\x00" in value), (model, field.name)


def post_and_judge(client, url: str, data: dict, *, must_refuse: bool, models, extra=None):
    """Post in a rolled-back savepoint; a refusal must show and store nothing."""
    baseline = snapshot()
    with undone(client):
        response = client.post(url, data)
        changed = changed_tables(baseline, snapshot())
        stored_rows_are_valid(models)
        if extra is not None:
            extra()
    assert response.status_code in (200, 302, 400, 409), response.status_code
    refused = refusal_shown(response)
    event(f"answered {response.status_code}, {'refused' if refused else 'accepted'}")
    if must_refuse:
        assert refused, f"out-of-range data accepted: {response.status_code} {data!r:.500}"
    if refused or response.status_code != 302:
        assert refused, f"answered {response.status_code} without showing an error"
        assert changed == [], f"a refused post stored something: {changed}"
    return response


def fields(data, valid: dict, fuzzed: dict) -> dict[str, str]:
    """Valid values everywhere except in up to two fields, which get generated ones; so that
    some examples are accepted and each refusal has a small cause."""
    broken = data.draw(st.sets(st.sampled_from(sorted(fuzzed)), max_size=2), label="fuzzed")
    return {
        name: data.draw(fuzzed[name] if name in broken else strategy, label=name)
        for name, strategy in valid.items()
    }


@pytest.fixture
def as_person(world):
    def log_in(person: str) -> Client:
        client = Client()
        client.force_login(world.people[person])
        return client

    return log_in


# --- Reviews: checks and scores ------------------------------------------------------------

VALID_SCORES = {"", *(str(n) for n in range(6))}
SCORE = st.one_of(numbers(0, 5), TEXT)


def scores_in_range() -> None:
    for item in CheckItem.objects.all():
        assert all(v is None or 0 <= v <= 5 for v in item.lever_scores().values()), item


@FUZZ
@given(data=st.data())
def test_fuzzed_check_saves_never_fail_and_keep_scores_in_range(world, as_person, data):
    check = world.logistics_check
    valid, fuzzed = {"version": st.just(str(check.version))}, {"version": TEXT}
    for item in check.items.all():
        for lever in LEVERS:
            valid[f"item-{item.pk}-score_{lever}"] = st.sampled_from("012345")
            fuzzed[f"item-{item.pk}-score_{lever}"] = SCORE
        for name in ("evidence", "blockers"):
            valid[f"item-{item.pk}-{name}"] = st.one_of(st.just(""), SAFE_TEXT)
            fuzzed[f"item-{item.pk}-{name}"] = TEXT
    for commitment in Commitment.objects.filter(unit=world.logistics):
        valid[f"commitment-{commitment.pk}-status"] = st.sampled_from(Commitment.Status.values)
        fuzzed[f"commitment-{commitment.pk}-status"] = TEXT
    posted = fields(data, valid, fuzzed)
    if data.draw(st.booleans(), label="submit"):
        posted["submit"] = "1"

    must_refuse = posted["version"] != str(check.version) or any(
        value not in VALID_SCORES if "-score_" in key else "\x00" in value
        for key, value in posted.items()
        if "-score_" in key or key.endswith(("evidence", "blockers"))
    )
    post_and_judge(
        as_person("head_a"),
        reverse("reviews:check-save", args=[check.pk]),
        posted,
        must_refuse=must_refuse,
        models=[CheckItem, Commitment],
        extra=scores_in_range,
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_executive_scores_stay_between_one_and_five(world, as_person, data):
    valid = {
        "unit": st.sampled_from([str(world.logistics.pk), str(world.finance.pk)]),
        "objective": st.sampled_from([str(world.a.pk), str(world.b.pk)]),
        "score": st.sampled_from("12345"),
        "note": st.one_of(st.just(""), SAFE_TEXT),
    }
    fuzzed = {"unit": TEXT, "objective": TEXT, "score": numbers(1, 5), "note": TEXT}
    posted = fields(data, valid, fuzzed)
    post_and_judge(
        as_person("executive"),
        reverse("reviews:executive-score", args=[world.running.pk]),
        posted,
        must_refuse=bad_int(posted["score"], 1, 5) or "\x00" in posted["note"],
        models=[ExecutiveScore],
    )


# --- Reviews: cycles, actions, settings, rubric ---------------------------------------------


def outside_review_window(posted: dict, opens_on: date, due_on: date) -> bool:
    """The default cadence window, worked out by hand for fiscal years starting in January: from
    7 days before the quarter starts to 90 days after it ends."""
    year, quarter = int(posted["fiscal_year"]), int(posted["quarter"])
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(1)
    earliest, latest = start - timedelta(days=7), end + timedelta(days=90)
    return not earliest <= opens_on <= latest or due_on > latest


@FUZZ
@given(data=st.data())
def test_fuzzed_cycles_are_refused_outside_their_year_quarter_and_dates(world, as_person, data):
    valid = {
        "fiscal_year": st.sampled_from(["2026", "2027"]),
        "quarter": st.sampled_from("34"),
        "opens_on": st.just("2026-10-01"),
        "due_on": st.sampled_from(["2026-10-02", "2026-10-15"]),
    }
    fuzzed = {
        "fiscal_year": numbers(2000, 2100),
        "quarter": numbers(1, 4),
        "opens_on": dates(),
        "due_on": dates(),
    }
    posted = fields(data, valid, fuzzed)
    opens_on, due_on = (parsed(forms.DateField(), posted[k]) for k in ("opens_on", "due_on"))
    must_refuse = (
        bad_int(posted["fiscal_year"], 2000, 2100)
        or bad_int(posted["quarter"], 1, 4)
        or opens_on is None
        or due_on is None
        or due_on <= opens_on
        or outside_review_window(posted, opens_on, due_on)
    )
    post_and_judge(
        as_person("executive"),
        reverse("reviews:cycle-create"),
        posted,
        must_refuse=must_refuse,
        models=[ReviewCycle],
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_actions_are_refused_with_bad_titles_or_dates(world, as_person, data):
    valid = {
        "kind": st.sampled_from(Action.Kind.values),
        "title": SAFE_TEXT,
        "description": st.one_of(st.just(""), SAFE_TEXT),
        "objective": st.just(str(world.a.pk)),
        "owner": st.sampled_from([str(world.logistics.pk), str(world.finance.pk)]),
        "due_on": st.dates(date(2026, 1, 1), date(2027, 12, 31)).map(date.isoformat),
        "agenda_item": st.just(""),
    }
    fuzzed = {
        "kind": TEXT,
        "title": TEXT,
        "description": TEXT,
        "objective": TEXT,
        "owner": TEXT,
        "due_on": dates(),
        "agenda_item": TEXT,
    }
    posted = fields(data, valid, fuzzed)
    must_refuse = (
        bad_text(posted["title"], 200)
        or bad_date(posted["due_on"])
        or bad_text(posted["description"], required=False)
        or posted["kind"] not in Action.Kind.values
    )
    post_and_judge(
        as_person("executive"),
        reverse("reviews:action-create", args=[world.running.pk]),
        posted,
        must_refuse=must_refuse,
        models=[Action],
    )


CADENCE_RANGES = {
    "open_days_after_quarter_end": (0, 60),
    "due_days_after_opening": (1, 60),
    "open_early_days": (0, 31),
    "review_window_days": (1, 365),
    "overdue_reminder_every_days": (1, 30),
    "escalate_after_days_overdue": (1, 90),
    "reminder_hour": (0, 23),
    "refresh_month": (1, 12),
    "refresh_day": (1, 28),
    "refresh_reminder_every_days": (1, 60),
}


def window_too_short(posted: dict) -> bool:
    """The review window must hold the planned opening and due days."""
    days = [
        parsed(forms.IntegerField(), posted[name])
        for name in ("open_days_after_quarter_end", "due_days_after_opening", "review_window_days")
    ]
    return None not in days and days[0] + days[1] > days[2]


def bad_reminder_days(raw: str) -> bool:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if "\x00" in raw or not parts or not all(p.isdigit() and p.isascii() for p in parts):
        return True
    return any(int(p) > 60 for p in parts)


@FUZZ
@given(data=st.data())
def test_fuzzed_cadence_settings_are_refused_out_of_range(world, as_person, data):
    valid = {name: st.integers(low, high).map(str) for name, (low, high) in CADENCE_RANGES.items()}
    valid |= {
        "reminder_days_before_due": st.sampled_from(["7,1", "14, 7 ,1", "0", "60,30"]),
    }
    fuzzed = {name: numbers(low, high) for name, (low, high) in CADENCE_RANGES.items()}
    fuzzed |= {
        "reminder_days_before_due": st.one_of(
            st.sampled_from(["61", "7,,1", "a,b", "٣", "-1", "7;1"]), TEXT
        ),
    }
    posted = fields(data, valid, fuzzed)
    must_refuse = (
        any(bad_int(posted[name], *limits) for name, limits in CADENCE_RANGES.items())
        or bad_reminder_days(posted["reminder_days_before_due"])
        or window_too_short(posted)
    )
    post_and_judge(
        as_person("executive"),
        reverse("reviews:cadence-edit"),
        posted,
        must_refuse=must_refuse,
        models=[CadenceSettings],
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_company_calendars_are_refused_out_of_range(world, as_person, data):
    valid = {
        "fiscal_year_start_month": st.integers(1, 12).map(str),
        "time_zone": st.sampled_from(["UTC", "Europe/Paris"]),
    }
    fuzzed = {"fiscal_year_start_month": numbers(1, 12), "time_zone": TEXT}
    posted = fields(data, valid, fuzzed)
    must_refuse = bad_int(posted["fiscal_year_start_month"], 1, 12) or posted["time_zone"] not in (
        "UTC",
        "Europe/Paris",
    )
    post_and_judge(
        as_person("executive"),
        reverse("strategy:company-edit"),
        company_data(**posted),
        must_refuse=must_refuse,
        models=[CompanySettings],
    )


SIGNAL_INTS = {
    "window": (3, 12),
    "roller_min_reversals": (1, 10),
    "stale_quarters": (1, 8),
    "late_cycles": (1, 12),
    "close_grace_days": (0, 90),
}
SIGNAL_FLOATS = {
    "roller_min_change": (1, 100),
    "target_score": (1, 100),
    "funding_min_ratio": (0.05, 1),
}


@FUZZ
@given(data=st.data())
def test_fuzzed_signal_settings_are_refused_out_of_range(world, as_person, data):
    valid = {name: st.integers(low, high).map(str) for name, (low, high) in SIGNAL_INTS.items()}
    valid |= {name: st.floats(low, high).map(str) for name, (low, high) in SIGNAL_FLOATS.items()}
    fuzzed = {name: numbers(low, high) for name, (low, high) in SIGNAL_INTS.items()}
    fuzzed |= {name: numbers(low, high) for name, (low, high) in SIGNAL_FLOATS.items()}
    posted = fields(data, valid, fuzzed)
    must_refuse = any(bad_int(posted[k], *limits) for k, limits in SIGNAL_INTS.items()) or any(
        bad_float(posted[k], *limits) for k, limits in SIGNAL_FLOATS.items()
    )
    post_and_judge(
        as_person("executive"),
        reverse("sustain:signal-settings-edit"),
        posted,
        must_refuse=must_refuse,
        models=[SignalSettings],
    )


RUBRIC_ROW_VALID = {
    "lever": st.sampled_from(Lever.values),
    "theme": st.sampled_from(["", *Theme.values]),
    "text": SAFE_TEXT,
    "order": st.integers(0, 100).map(str),
    "is_active": st.sampled_from(["on", ""]),
}
RUBRIC_ROW_FUZZED = {
    "lever": TEXT,
    "theme": TEXT,
    "text": st.one_of(TEXT, st.just("x" * 301)),
    "order": numbers(0, 32767),
    "is_active": TEXT,
}


@FUZZ
@given(data=st.data())
def test_fuzzed_rubric_questions_are_refused_when_invalid(world, as_person, data):
    row = fields(data, RUBRIC_ROW_VALID, RUBRIC_ROW_FUZZED)
    posted = formset_data("form", [row])
    if data.draw(st.booleans(), label="tamper"):  # small counts only: each form is rendered
        posted["form-TOTAL_FORMS"] = data.draw(st.sampled_from(["", "x", "-1", "0", "2", "٣"]))
    total = parsed(forms.IntegerField(), posted["form-TOTAL_FORMS"])
    must_refuse = total is None or (
        total >= 1
        and (
            bad_text(row["text"], 300)
            or bad_int(row["order"], *column_range(RubricQuestion, "order"))
            or row["lever"] not in Lever.values
            or row["theme"] not in ["", *Theme.values]
        )
    )
    post_and_judge(
        as_person("executive"),
        reverse("reviews:rubric-edit"),
        posted,
        must_refuse=must_refuse,
        models=[RubricQuestion],
    )


# --- Strategy: positions, objectives, commitments -------------------------------------------

POSITION_MODELS = [StrategicPosition, PositioningTheme, CustomerPriority]


@FUZZ
@given(data=st.data())
def test_fuzzed_new_positions_are_refused_with_bad_years_or_weights(world, as_person, data):
    valid = {
        "fiscal_year": st.integers(2028, 2100).map(str),
        "statement": SAFE_TEXT,
        "theme": st.just("service"),
        "weight": st.just("60"),
        "other theme": st.just("price"),
        "other weight": st.just("40"),
        "rank": st.integers(1, 50).map(str),
        "title": SAFE_TEXT,
    }
    fuzzed = {
        "fiscal_year": numbers(2000, 2100),
        "statement": TEXT,
        "theme": TEXT,
        "weight": numbers(1, 100),
        "other theme": st.one_of(st.just("service"), TEXT),
        "other weight": numbers(1, 100),
        "rank": numbers(1, 32767),
        "title": st.one_of(TEXT, st.just("x" * 121)),
    }
    f = fields(data, valid, fuzzed)
    themes = [(f["theme"], f["weight"]), (f["other theme"], f["other weight"])]
    posted = position_data(
        statement=f["statement"], themes=themes, priorities=[(f["rank"], f["title"])]
    ) | {"fiscal_year": f["fiscal_year"]}
    weights = [parsed(forms.IntegerField(), w) for _, w in themes]
    # A theme of weight 0 is left out, whatever its row says.
    kept = [t for (t, _), w in zip(themes, weights, strict=True) if w != 0]
    must_refuse = (
        bad_int(f["fiscal_year"], 2000, 2100)
        or parsed(forms.IntegerField(), f["fiscal_year"]) in (2025, 2026, 2027)
        or bad_text(f["statement"])
        or any(w is None or not 0 <= w <= 100 for w in weights)
        or sum(weights) != 100
        or any(t not in Theme.values for t in kept)
        or len(set(kept)) < len(kept)
        or bad_int(f["rank"], 1, column_range(CustomerPriority, "rank")[1])
        or bad_text(f["title"], 120)
    )
    post_and_judge(
        as_person("executive"),
        reverse("strategy:position-create"),
        posted,
        must_refuse=must_refuse,
        models=POSITION_MODELS,
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_draft_edits_are_refused_with_bad_weights(world, as_person, data):
    assert world.draft.themes.count() == 1  # one theme, at 100%
    valid = {
        "statement": SAFE_TEXT,
        "themes-0-weight": st.just("100"),
        "themes-TOTAL_FORMS": st.sampled_from("12"),
    }
    fuzzed = {
        "statement": TEXT,
        "themes-0-weight": numbers(1, 100),
        "themes-TOTAL_FORMS": st.sampled_from(["", "x", "-1", "0", "3", "4"]),
    }
    changes = fields(data, valid, fuzzed)
    posted = position_edit_data(world.draft) | changes
    total = parsed(forms.IntegerField(), changes["themes-TOTAL_FORMS"])
    must_refuse = (
        total is None
        or total < 1
        or parsed(forms.IntegerField(), changes["themes-0-weight"]) != 100
        or bad_text(changes["statement"])
    )
    post_and_judge(
        as_person("executive"),
        reverse("strategy:position-edit", args=[world.draft.fiscal_year]),
        posted,
        must_refuse=must_refuse,
        models=POSITION_MODELS,
    )


DECIMAL = st.decimals(-(10**11), 10**11, places=2).map(str)


@FUZZ
@given(data=st.data())
def test_fuzzed_objectives_are_refused_with_bad_weights_or_measures(world, as_person, data):
    valid = {
        "title": SAFE_TEXT.map(lambda t: f"Fuzzed {t}"),
        "priority_weight": st.integers(1, 100).map(str),
        "theme": st.just("service"),
        "internal_message": SAFE_TEXT,
        "external_promise": SAFE_TEXT,
        "baseline": DECIMAL,
        "target": DECIMAL,
    }
    fuzzed = {
        "title": st.one_of(TEXT, st.just("x" * 161)),
        "priority_weight": numbers(1, 100),
        "theme": TEXT,
        "internal_message": TEXT,
        "external_promise": TEXT,
        "baseline": numbers(-(10**12), 10**12),
        "target": st.one_of(st.decimals(allow_nan=True, allow_infinity=True).map(str), NASTY),
    }
    f = fields(data, valid, fuzzed)
    posted = {
        "title": f["title"],
        "description": "",
        "owner": str(world.people["executive"].pk),
        "priority_weight": f["priority_weight"],
        "customer_priority": "",
        "theme": f["theme"],
        "internal_message": f["internal_message"],
        "external_promise": f["external_promise"],
    }
    measure = {"name": "On time", "unit": "%", "baseline": f["baseline"], "target": f["target"]}
    posted |= formset_data("measures", [measure])
    must_refuse = (
        bad_text(f["title"], 160)
        or bad_int(f["priority_weight"], 1, 100)
        or f["theme"] not in set(world.draft.themes.values_list("theme", flat=True))
        or bad_text(f["internal_message"])
        or bad_text(f["external_promise"])
        or bad_decimal(f["baseline"])
        or bad_decimal(f["target"])
    )
    post_and_judge(
        as_person("executive"),
        reverse("strategy:objective-create", args=[world.draft.fiscal_year]),
        posted,
        must_refuse=must_refuse,
        models=[Objective, Measure],
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_commitments_are_refused_with_bad_amounts_or_dates(world, as_person, data):
    valid = {
        "objective": st.sampled_from([str(world.a.pk), str(world.b.pk)]),
        "lever": st.sampled_from(Lever.values),
        "statement": SAFE_TEXT,
        "target": SAFE_TEXT,
        "due_on": st.dates(date(2026, 1, 1), date(2027, 12, 31)).map(date.isoformat),
        "status": st.sampled_from(Commitment.Status.values),
        "amount": st.decimals(0, 10**11, places=2).map(str),
        "currency": st.sampled_from(["EUR", "usd"]),
    }
    fuzzed = {
        "objective": TEXT,
        "lever": TEXT,
        "statement": TEXT,
        "target": st.one_of(TEXT, st.just("x" * 201)),
        "due_on": dates(),
        "status": TEXT,
        "amount": numbers(0, 10**11),
        "currency": TEXT,
    }
    posted = fields(data, valid, fuzzed)
    if posted["lever"] != Lever.FUNDING and data.draw(st.booleans(), label="no amount"):
        posted["amount"] = posted["currency"] = ""  # only funding carries an amount
    amount = parsed(forms.DecimalField(max_digits=14, decimal_places=2), posted["amount"])
    must_refuse = (
        bad_text(posted["statement"])
        or bad_text(posted["target"], 200)
        or bad_date(posted["due_on"])
        or bad_decimal(posted["amount"], low=Decimal(0), required=False)
        or posted["lever"] not in Lever.values
        or posted["status"] not in Commitment.Status.values
        or (posted["lever"] == Lever.FUNDING and amount is None)
        or (posted["lever"] != Lever.FUNDING and amount is not None)
    )
    post_and_judge(
        as_person("head_a"),
        reverse("strategy:commitment-create", args=["logistics"]),
        posted,
        must_refuse=must_refuse,
        models=[Commitment],
    )


# --- Found by fuzzing -------------------------------------------------------------------------


def test_saving_a_stale_position_form_that_repeats_a_theme_is_refused_not_a_500(world):
    first, second = Client(raise_request_exception=False), Client(raise_request_exception=False)
    first.force_login(world.people["executive"])
    second.force_login(world.people["executive"])
    url = reverse("strategy:position-edit", args=[world.draft.fiscal_year])
    stale = position_edit_data(world.draft)  # the first executive's page, loaded before
    service_60_price_40 = {
        "themes-0-weight": "60",
        "themes-TOTAL_FORMS": "2",
        "themes-1-theme": "price",
        "themes-1-weight": "40",
    }
    # Meanwhile the second executive adds the price theme.
    assert (
        second.post(url, position_edit_data(world.draft) | service_60_price_40).status_code == 302
    )
    before = snapshot()

    response = first.post(url, stale | service_60_price_40)

    assert response.status_code in (200, 409)
    assert refusal_shown(response)
    assert snapshot() == before
