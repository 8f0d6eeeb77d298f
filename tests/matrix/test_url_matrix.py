"""Issue #7, the authorisation matrix: every URL of the project, asked by every kind of person.

Each target below builds one URL from the shared world (tests/matrix/conftest.py) and the data
its POST sends. GET and POST hold the answer each person must get, in the order of PEOPLE:
anonymous visitor, outsider (logged in, in no team and no role), member of team A, head of A,
head of B, executive, admin. A URL name of the project that no target reaches fails the first
test.

Every request runs on a client that enforces CSRF, inside a savepoint that is rolled back
afterwards, so each answer is given by the same world. Around each request the test checks that:
  - a GET, a refused POST, and any POST without a CSRF token change no row of the project;
  - an allowed POST of a writing page does change something (its data is valid, so a refusal
    above really protected something);
  - a refused request (403, 404, 405) leaves at least one log record, and a 403 of the project's
    own views the "refused ..." record of their permission check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from import_export.formats.base_formats import CSV

from notifications import preferences
from reviews.models import LEVERS
from strategy import actuals_import
from strategy.invitations import invitation_tokens
from strategy.models import Unit
from strategy.roles import ADMIN, EXECUTIVE
from tests.factories import (
    PASSWORD,
    commitment_data,
    company_data,
    formset_data,
    objective_data,
    objective_edit_data,
    position_data,
    position_edit_data,
)
from tests.matrix.support import (
    PEOPLE,
    api_endpoint_names,
    changed_tables,
    reset_token,
    snapshot,
    snapshot_models,
    undone,
)

pytestmark = pytest.mark.django_db

LOGIN = "login"  # 302 to /accounts/login/?next=<the URL>
STAFF = "admin login"  # 302 to /admin/login/?next=<the URL>: the admin is for staff
REFUSED = {403, 404, 405, LOGIN, STAFF}
NEW_PASSWORD = "a-much-longer-passphrase-2026"


def r(name: str, *args) -> str:
    return reverse(name, args=args)


def no_data(w, who) -> dict:
    return {}


def own_credentials(w, who) -> dict:
    """Log in as oneself; the anonymous visitor uses the member's credentials."""
    user = who or w.people["member"]
    return {"username": user.username, "password": PASSWORD}


def admin_credentials(w, who) -> dict:
    user = who or w.people["admin"]
    return {"username": user.username, "password": PASSWORD}


def check_form(check) -> dict:
    data = {"version": str(check.version)}
    for item in check.items.all():
        data |= {f"item-{item.pk}-score_{lever}": "4" for lever in LEVERS}
    return data


def measure_values(w) -> dict:
    """Q1's value of A's measure, which Logistics reports, as the check page posts it."""
    name = f"measure-{w.measure.pk}-Q1"
    return {name: "91.5", f"{name}-shown": ""}


def settings_form(config, **changes) -> dict:
    data = model_to_dict(config, exclude=["id"])
    return {k: v for k, v in data.items() if v is not None} | changes


def unit_import_upload(w, who) -> dict:
    formats = admin.site._registry[Unit].get_import_formats()
    upload = SimpleUploadedFile(
        "units.csv", b"code,name,level,kind\nlegal,Legal,functional,team\n", "text/csv"
    )
    return {"format": str(formats.index(CSV)), "resource": "0", "import_file": upload}


def actuals_lines(w) -> list:
    return [
        (2, {"fiscal_year": "2026", "objective": w.a.title, "measure": w.measure.name,
             "period": "Q1", "value": "91.5"})
    ]  # fmt: skip


def actuals_upload(w, who) -> dict:
    """A file with one value of A's measure, which Logistics reports."""
    lines = actuals_lines(w)
    text = ",".join(lines[0][1]) + "\n" + ",".join(lines[0][1].values()) + "\n"
    return {"file": SimpleUploadedFile("values.csv", text.encode(), "text/csv")}


def actuals_confirm(w, who) -> dict:
    """The confirm step of that file's preview, as this person's preview would post it."""
    payload = {"by": who.pk if who else None, "lines": actuals_lines(w)}
    return {"token": signing.dumps(payload, salt=actuals_import.TOKEN_SALT, compress=True)}


def person_form(user, **changes) -> dict:
    """The admin's user change form as the page posts it, with `changes`."""
    fields = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
    }
    return fields | changes


def webhook_form(w, who) -> dict:
    return {
        "name": "Data warehouse",
        "url": "https://hooks.example.com/warehouse",
        "events": ["cycle.closed"],
        "is_active": "on",
    }


def chat_form(w, who) -> dict:
    return {
        "name": "#finance",
        "platform": "teams",
        "unit": "",  # the executives'
        "url": "https://hooks.example.com/workflows/1",
        "mode": "also",
        "is_active": "on",
    }


def group_id(name: str) -> int:
    return Group.objects.get(name=name).pk


class Target(NamedTuple):
    url: Callable  # world → URL
    data: Callable = no_data  # (world, person's user or None) → what a POST sends
    writes: bool = False  # an allowed POST answering 302 must have changed a row
    audit: frozenset = frozenset()  # tables a request may add to (the export download log)
    # A link whose signature is the authority, which takes a POST without a CSRF token: an
    # email's one-click unsubscribe (RFC 8058), posted by a mail program.
    signed_link: bool = False


DOWNLOAD_LOG = frozenset({"reports.reportdownload"})

TARGETS: dict[str, Target] = {
    # --- Open pages, home, sign-in -----------------------------------------------------------
    "home": Target(lambda w: r("home")),
    "healthz": Target(lambda w: r("healthz")),
    # Open to everyone; a language it does not know changes nothing (tests/i18n saves one).
    "language switch": Target(
        lambda w: r("language-set"), lambda w, who: {"language": "xx", "next": "/"}
    ),
    "login": Target(lambda w: r("login"), own_credentials),
    "logout": Target(lambda w: r("logout")),
    # Single sign-on, not configured here (tests/sso/ has it on): no such pages.
    "sso login": Target(lambda w: r("sso-login")),
    "sso callback": Target(lambda w: r("sso-callback")),
    "password change": Target(
        lambda w: r("password_change"),
        lambda w, who: {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        writes=True,
    ),
    "password change done": Target(lambda w: r("password_change_done")),
    "password reset": Target(
        lambda w: r("password_reset"), lambda w, who: {"email": w.people["member"].email}
    ),
    "password reset done": Target(lambda w: r("password_reset_done")),
    "password reset confirm": Target(
        lambda w: r("password_reset_confirm", w.member_uid, reset_token(w.people["member"]))
    ),
    "password reset complete": Target(lambda w: r("password_reset_complete")),
    # The member's invitation link (they have a password: the link still opens the form).
    "invitation confirm": Target(
        lambda w: r(
            "invitation-confirm", w.member_uid, invitation_tokens.make_token(w.people["member"])
        )
    ),
    # --- The second factor (twofactor/): nobody in the world has one yet ----------------------
    # Without a right password first, the code step sends back to the login page.
    "second factor code": Target(
        lambda w: r("twofactor:verify"), lambda w, who: {"code": "123456"}
    ),
    # A wrong code sets nothing up; the GET keeps the new key in the session only.
    "second factor setup": Target(
        lambda w: r("twofactor:setup"), lambda w, who: {"code": "000000"}
    ),
    "second factor qr": Target(lambda w: r("twofactor:qr")),
    "recovery codes": Target(lambda w: r("twofactor:recovery")),
    "second factor turn off": Target(
        lambda w: r("twofactor:disable"), lambda w, who: {"code": "123456"}
    ),
    # --- Strategy ----------------------------------------------------------------------------
    "strategy": Target(lambda w: r("strategy:strategy")),
    "position list": Target(lambda w: r("strategy:position-list")),
    "position create": Target(
        lambda w: r("strategy:position-create"),
        lambda w, who: position_data(fiscal_year=2028),
        writes=True,
    ),
    "published position": Target(lambda w: r("strategy:position-detail", 2026)),
    "draft position": Target(lambda w: r("strategy:position-detail", 2027)),
    "published position history": Target(lambda w: r("strategy:position-history", 2026)),
    "draft position history": Target(lambda w: r("strategy:position-history", 2027)),
    "draft position edit": Target(
        lambda w: r("strategy:position-edit", 2027),
        lambda w, who: position_edit_data(w.draft) | {"statement": "Changed."},
        writes=True,
    ),
    # A published position is read-only: its edit page redirects and changes nothing.
    "published position edit": Target(
        lambda w: r("strategy:position-edit", 2026),
        lambda w, who: position_edit_data(w.current) | {"statement": "Changed."},
    ),
    # Translations of a position's texts: an executive's, of a published position too; a POST
    # with nothing changed writes nothing.
    "position translations": Target(
        lambda w: r("strategy:position-translations", 2026, "de"), lambda w, who: {}
    ),
    "draft position publish": Target(lambda w: r("strategy:position-publish", 2027), writes=True),
    # A draft cannot become current: the executive is told so, and nothing changes.
    "draft position switch": Target(lambda w: r("strategy:position-switch", 2027)),
    "draft objective create": Target(
        lambda w: r("strategy:objective-create", 2027),
        lambda w, who: objective_data(owner=w.people["executive"]),
        writes=True,
    ),
    "published objective": Target(lambda w: r("strategy:objective-detail", w.a.pk)),
    "draft objective": Target(lambda w: r("strategy:objective-detail", w.draft_objective.pk)),
    "draft objective edit": Target(
        lambda w: r("strategy:objective-edit", w.draft_objective.pk),
        lambda w, who: objective_edit_data(w.draft_objective, title="Changed"),
        writes=True,
    ),
    "published objective edit": Target(
        lambda w: r("strategy:objective-edit", w.a.pk),
        lambda w, who: objective_edit_data(w.a, title="Changed"),
    ),
    "published objective remove": Target(
        lambda w: r("strategy:objective-remove", w.a.pk), writes=True
    ),
    "draft objective remove": Target(
        lambda w: r("strategy:objective-remove", w.draft_objective.pk), writes=True
    ),
    "draft objective move": Target(
        lambda w: r("strategy:objective-move", w.draft_objective.pk, "down"), writes=True
    ),
    "draft objective retire": Target(
        lambda w: r("strategy:objective-decide", w.carried.pk, "retired"), writes=True
    ),
    # A preview writes nothing; head B's lines are another team's measure (listed, 200).
    "measure actuals import": Target(
        lambda w: r("strategy:measure-actuals-import"), actuals_upload
    ),
    "measure actuals confirm": Target(
        lambda w: r("strategy:measure-actuals-import"), actuals_confirm, writes=True
    ),
    "measure actuals template": Target(lambda w: r("strategy:measure-actuals-template")),
    # Head A enters the values of A's measure, which Logistics reports; so do the executives.
    "A's measure value record": Target(
        lambda w: r("strategy:measure-actual-record", w.measure.pk),
        lambda w, who: {
            f"measure-{w.measure.pk}-period": "Q1",
            f"measure-{w.measure.pk}-value": "91.5",
            f"measure-{w.measure.pk}-comment": "Two late trucks.",
        },
        writes=True,
    ),
    "measure history": Target(lambda w: r("strategy:measure-history", w.measure.pk)),
    "matrix": Target(lambda w: r("strategy:matrix")),
    "matrix csv": Target(lambda w: r("strategy:matrix-csv")),
    "unit list": Target(lambda w: r("strategy:unit-list")),
    "A's unit": Target(lambda w: r("strategy:unit-detail", "logistics")),
    "B's unit": Target(lambda w: r("strategy:unit-detail", "finance")),
    "A's unit history": Target(lambda w: r("strategy:unit-history", "logistics")),
    "B's unit history": Target(lambda w: r("strategy:unit-history", "finance")),
    "A's commitment create": Target(
        lambda w: r("strategy:commitment-create", "logistics"),
        lambda w, who: commitment_data(w.a),
        writes=True,
    ),
    "B's commitment create": Target(
        lambda w: r("strategy:commitment-create", "finance"),
        lambda w, who: commitment_data(w.a),
        writes=True,
    ),
    "A's commitment edit": Target(
        lambda w: r("strategy:commitment-edit", w.commitments["logistics A"].pk),
        lambda w, who: commitment_data(w.a, statement="Changed."),
        writes=True,
    ),
    "B's commitment edit": Target(
        lambda w: r("strategy:commitment-edit", w.commitments["finance A"].pk),
        lambda w, who: commitment_data(w.a, lever="communication", statement="Changed."),
        writes=True,
    ),
    "A's commitment carry": Target(
        lambda w: r("strategy:commitment-confirm", w.old_logistics.pk, "carry"), writes=True
    ),
    "B's commitment drop": Target(
        lambda w: r("strategy:commitment-confirm", w.old_finance.pk, "drop"), writes=True
    ),
    # --- Reviews -----------------------------------------------------------------------------
    "cycle list": Target(lambda w: r("reviews:cycle-list")),
    "cycle create": Target(
        lambda w: r("reviews:cycle-create"),
        lambda w, who: {
            "fiscal_year": "2026",
            "quarter": "3",
            "opens_on": "2026-10-01",
            "due_on": "2026-10-15",
        },
        writes=True,
    ),
    "cycle edit": Target(
        lambda w: r("reviews:cycle-edit", w.planned.pk),
        lambda w, who: {"opens_on": "2026-07-06", "due_on": "2026-07-20"},
        writes=True,
    ),
    "running cycle": Target(lambda w: r("reviews:cycle-detail", w.running.pk)),
    "closed cycle": Target(lambda w: r("reviews:cycle-detail", w.closed.pk)),
    "heatmap": Target(lambda w: r("reviews:cycle-heatmap", w.running.pk)),
    "cycle open": Target(lambda w: r("reviews:cycle-open", w.planned.pk), writes=True),
    "cycle start review": Target(
        lambda w: r("reviews:cycle-start-review", w.running.pk), writes=True
    ),
    "cycle close": Target(lambda w: r("reviews:cycle-close", w.running.pk), writes=True),
    "executive score": Target(
        lambda w: r("reviews:executive-score", w.running.pk),
        lambda w, who: {
            "unit": w.logistics.pk,
            "objective": w.a.pk,
            "score": "2",
            "note": "Too slow.",
        },
        writes=True,
    ),
    "action create": Target(
        lambda w: r("reviews:action-create", w.running.pk),
        lambda w, who: {
            "kind": "decision",
            "title": "Hire",
            "objective": w.a.pk,
            "owner": w.logistics.pk,
            "due_on": "2026-06-30",
        },
        writes=True,
    ),
    "action complete": Target(lambda w: r("reviews:action-complete", w.action.pk), writes=True),
    "A's check": Target(lambda w: r("reviews:check-edit", w.logistics_check.pk)),
    "B's check": Target(lambda w: r("reviews:check-edit", w.finance_check.pk)),
    "A's check history": Target(lambda w: r("reviews:check-history", w.logistics_check.pk)),
    "A's check save": Target(
        lambda w: r("reviews:check-save", w.logistics_check.pk),
        lambda w, who: check_form(w.logistics_check),
        writes=True,
    ),
    "B's check save": Target(
        lambda w: r("reviews:check-save", w.finance_check.pk),
        lambda w, who: check_form(w.finance_check),
    ),
    "A's check measures save": Target(
        lambda w: r("reviews:check-measures-save", w.logistics_check.pk),
        lambda w, who: measure_values(w),
        writes=True,
    ),
    "A's check add objective": Target(
        lambda w: r("reviews:check-add-objective", w.logistics_check.pk),
        lambda w, who: {"objective": w.unscored.pk},
        writes=True,
    ),
    "B's check reopen": Target(
        lambda w: r("reviews:check-reopen", w.finance_check.pk),
        lambda w, who: {"reason": "The scores look too high."},
        writes=True,
    ),
    "rubric": Target(
        lambda w: r("reviews:rubric-edit"),
        lambda w, who: formset_data(
            "form",
            [
                {
                    "lever": "people",
                    "theme": "",
                    "text": "Who trains?",
                    "order": "1",
                    "is_active": "on",
                }
            ],
        ),
        writes=True,
    ),
    "company settings": Target(
        lambda w: r("strategy:company-edit"),
        lambda w, who: company_data(name="Changed"),
        writes=True,
    ),
    "cadence": Target(
        lambda w: r("reviews:cadence-edit"),
        lambda w, who: settings_form(w.cadence, due_days_after_opening=10),
        writes=True,
    ),
    "operations": Target(lambda w: r("notifications:operations")),
    "delivery retry": Target(
        lambda w: r("notifications:delivery-retry", w.delivery.pk), writes=True
    ),
    "digest retry": Target(lambda w: r("notifications:digest-retry", w.digest.pk), writes=True),
    "webhooks": Target(lambda w: r("notifications:webhook-list")),
    "webhook create": Target(
        lambda w: r("notifications:webhook-create"), webhook_form, writes=True
    ),
    "webhook edit": Target(
        lambda w: r("notifications:webhook-edit", w.webhook.pk),
        lambda w, who: webhook_form(w, who) | {"name": "Changed"},
        writes=True,
    ),
    "webhook secret": Target(
        lambda w: r("notifications:webhook-secret", w.webhook.pk), writes=True
    ),
    "webhook delete": Target(
        lambda w: r("notifications:webhook-delete", w.webhook.pk), writes=True
    ),
    "chat channels": Target(lambda w: r("notifications:chat-list")),
    "chat channel create": Target(lambda w: r("notifications:chat-create"), chat_form, writes=True),
    "chat channel edit": Target(
        lambda w: r("notifications:chat-edit", w.chat.pk),
        lambda w, who: chat_form(w, who) | {"name": "Changed", "url": ""},
        writes=True,
    ),
    "chat channel delete": Target(lambda w: r("notifications:chat-delete", w.chat.pk), writes=True),
    "notifications": Target(lambda w: r("notifications:notification-list")),
    "head A's notification read": Target(
        lambda w: r("notifications:notification-read", w.notifications["head_a"].pk), writes=True
    ),
    "notifications read all": Target(
        lambda w: r("notifications:notification-read-all"), writes=True
    ),
    "notification preferences": Target(
        lambda w: r("notifications:preferences"),
        writes=True,  # nothing ticked: all turned off
    ),
    # Signed for the member: anyone holding the link may use it, signed in or not.
    "member's unsubscribe": Target(
        lambda w: r(
            "notifications:unsubscribe",
            preferences.unsubscribe_token(user_id=w.people["member"].pk, topic="check_opened"),
        ),
        writes=True,
        signed_link=True,
    ),
    "trends": Target(lambda w: r("reviews:trends")),
    "signals": Target(lambda w: r("sustain:signals")),
    "signals csv": Target(lambda w: r("reports:signals-csv")),
    "signal settings": Target(
        lambda w: r("sustain:signal-settings-edit"),
        lambda w, who: settings_form(w.signal_settings, window=5),
        writes=True,
    ),
    "acknowledge": Target(lambda w: r("reviews:acknowledge"), writes=True),
    "signals doc": Target(lambda w: r("reviews:doc-detail", "signals")),
    "objective trend": Target(lambda w: r("reviews:trend-objective", w.a.pk)),
    "A's trend": Target(lambda w: r("reviews:trend-team", "logistics")),
    "B's trend": Target(lambda w: r("reviews:trend-team", "finance")),
    "report print": Target(lambda w: r("reports:report-print", w.closed.pk)),
    "report part": Target(lambda w: r("reports:report-part", w.closed.pk, 1)),
    "report csv": Target(lambda w: r("reports:report-csv", w.closed.pk), audit=DOWNLOAD_LOG),
    "report status": Target(lambda w: r("reports:report-status", w.closed.pk)),
    "report request": Target(
        lambda w: r("reports:report-request", w.running.pk, "xlsx"), writes=True
    ),
    "report download": Target(
        lambda w: r("reports:report-download", w.report.pk), audit=DOWNLOAD_LOG
    ),
    # --- The API's pages (its endpoints: test_api_matrix.py) ---------------------------------
    "api docs": Target(lambda w: r("api:docs")),
    "profile": Target(lambda w: r("api:profile")),
    "token create": Target(
        lambda w: r("api:token-create"),
        lambda w, who: {"name": "Nightly export", "scope": "read", "expires_in": "30"},
        writes=True,
    ),
    # Head A's token: only head A revokes it on the profile page (others: not found).
    "head A's token revoke": Target(
        lambda w: r("api:token-revoke", w.tokens["head_a"].pk), writes=True
    ),
    # --- The Django admin: one target per kind of page ---------------------------------------
    "admin index": Target(lambda w: r("admin:index")),
    "admin login": Target(lambda w: r("admin:login"), admin_credentials),
    "admin logout": Target(lambda w: r("admin:logout")),
    "admin unit list": Target(lambda w: r("admin:alignment_unit_changelist")),
    "admin unit add": Target(
        lambda w: r("admin:alignment_unit_add"),
        lambda w, who: (
            {
                "name": "Legal",
                "code": "legal",
                "level": "functional",
                "kind": "team",
                "is_active": "on",
            }
            | formset_data("memberships", [])
        ),
        writes=True,
    ),
    "admin unit import": Target(lambda w: r("admin:alignment_unit_import"), unit_import_upload),
    "admin unit process import": Target(lambda w: r("admin:alignment_unit_process_import")),
    "admin user list": Target(lambda w: r("admin:auth_user_changelist")),
    # Issue #10: the Admin role manages people; it grants no power and sets no password.
    "admin user add": Target(
        lambda w: r("admin:auth_user_add"),
        lambda w, who: {"username": "nina", "email": "nina@example.com"},
        writes=True,
    ),
    "admin user change": Target(
        lambda w: r("admin:auth_user_change", w.people["member"].pk),
        lambda w, who: person_form(w.people["member"], last_name="Changed"),
        writes=True,
    ),
    "admin user make superuser": Target(
        lambda w: r("admin:auth_user_change", w.people["member"].pk),
        lambda w, who: person_form(w.people["member"], is_superuser="on", is_staff="on"),
    ),
    "admin user grant executive": Target(
        lambda w: r("admin:auth_user_change", w.people["member"].pk),
        lambda w, who: person_form(w.people["member"], groups=[group_id(EXECUTIVE)]),
    ),
    "admin user grant admin": Target(
        lambda w: r("admin:auth_user_change", w.people["member"].pk),
        lambda w, who: person_form(w.people["member"], groups=[group_id(ADMIN)]),
    ),
    "admin user permissions": Target(
        lambda w: r("admin:auth_user_change", w.people["member"].pk),
        lambda w, who: person_form(
            w.people["member"], user_permissions=[Permission.objects.first().pk]
        ),
    ),
    "admin executive change": Target(
        lambda w: r("admin:auth_user_change", w.people["executive"].pk),
        lambda w, who: person_form(w.people["executive"], email="taken@example.com"),
    ),
    "admin executive password": Target(
        lambda w: r("admin:auth_user_password_change", w.people["executive"].pk),
        lambda w, who: {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    ),
    # The Admin group may read the strategy in the admin, not change it.
    "admin position change": Target(
        lambda w: r("admin:alignment_strategicposition_change", w.current.pk),
        lambda w, who: {"fiscal_year": "2026", "statement": "Changed in the admin."},
    ),
    "admin position revert": Target(
        lambda w: r(
            "admin:alignment_strategicposition_simple_history",
            w.current.pk,
            w.current.history.earliest("history_id").history_id,
        ),
        lambda w, who: {"fiscal_year": "2026", "statement": "Reverted.", "status": "draft"},
    ),
}

# Expected answers, in the order of PEOPLE:
#                               anonymous outsider member head_a head_b executive admin
GET = {
    "home":                       (LOGIN, 200, 200, 200, 200, 200, 200),
    "healthz":                    (200, 200, 200, 200, 200, 200, 200),
    "language switch":            (405, 405, 405, 405, 405, 405, 405),
    "login":                      (200, 200, 200, 200, 200, 200, 200),
    "logout":                     (LOGIN, 405, 405, 405, 405, 405, 405),
    "sso login":                  (404, 404, 404, 404, 404, 404, 404),
    "sso callback":               (404, 404, 404, 404, 404, 404, 404),
    "password change":            (LOGIN, 200, 200, 200, 200, 200, 200),
    "password change done":       (LOGIN, 200, 200, 200, 200, 200, 200),
    "password reset":             (200, 200, 200, 200, 200, 200, 200),
    "password reset done":        (200, 200, 200, 200, 200, 200, 200),
    "password reset confirm":     (302, 302, 302, 302, 302, 302, 302),
    "password reset complete":    (200, 200, 200, 200, 200, 200, 200),
    "invitation confirm":         (302, 302, 302, 302, 302, 302, 302),
    "second factor code":         (302, 302, 302, 302, 302, 302, 302),
    "second factor setup":        (LOGIN, 200, 200, 200, 200, 200, 200),
    "second factor qr":           (LOGIN, 200, 200, 200, 200, 200, 200),
    "recovery codes":             (LOGIN, 302, 302, 302, 302, 302, 302),
    "second factor turn off":     (LOGIN, 302, 302, 302, 302, 302, 302),
    "strategy":                   (LOGIN, 302, 302, 302, 302, 302, 302),
    "position list":              (LOGIN, 200, 200, 200, 200, 200, 200),
    "position create":            (LOGIN, 403, 403, 403, 403, 200, 403),
    "published position":         (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft position":             (LOGIN, 404, 404, 404, 404, 200, 200),
    "published position history": (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft position history":     (LOGIN, 404, 404, 404, 404, 200, 200),
    "draft position edit":        (LOGIN, 403, 403, 403, 403, 200, 403),
    "published position edit":    (LOGIN, 403, 403, 403, 403, 302, 403),
    "position translations":      (LOGIN, 403, 403, 403, 403, 200, 403),
    "draft position publish":     (LOGIN, 405, 405, 405, 405, 405, 405),
    "draft position switch":      (LOGIN, 405, 405, 405, 405, 405, 405),
    "draft objective create":     (LOGIN, 403, 403, 403, 403, 200, 403),
    "published objective":        (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft objective":            (LOGIN, 404, 404, 404, 404, 200, 200),
    "draft objective edit":       (LOGIN, 404, 404, 404, 404, 200, 403),
    "published objective edit":   (LOGIN, 403, 403, 403, 403, 302, 403),
    "published objective remove": (LOGIN, 405, 405, 405, 405, 405, 405),
    "draft objective remove":     (LOGIN, 405, 405, 405, 405, 405, 405),
    "draft objective move":       (LOGIN, 405, 405, 405, 405, 405, 405),
    "draft objective retire":     (LOGIN, 405, 405, 405, 405, 405, 405),
    "measure actuals import":     (LOGIN, 403, 403, 200, 200, 200, 403),
    "measure actuals confirm":    (LOGIN, 403, 403, 200, 200, 200, 403),
    "measure actuals template":   (LOGIN, 403, 403, 200, 200, 200, 403),
    "A's measure value record":   (LOGIN, 405, 405, 405, 405, 405, 405),
    "measure history":            (LOGIN, 200, 200, 200, 200, 200, 200),
    "matrix":                     (LOGIN, 200, 200, 200, 200, 200, 200),
    "matrix csv":                 (LOGIN, 200, 200, 200, 200, 200, 200),
    "unit list":                  (LOGIN, 200, 200, 200, 200, 200, 200),
    "A's unit":                   (LOGIN, 404, 200, 200, 200, 200, 200),
    "B's unit":                   (LOGIN, 404, 404, 200, 200, 200, 200),
    "A's unit history":           (LOGIN, 404, 200, 200, 200, 200, 200),
    "B's unit history":           (LOGIN, 404, 404, 200, 200, 200, 200),
    "A's commitment create":      (LOGIN, 404, 403, 200, 403, 403, 403),
    "B's commitment create":      (LOGIN, 404, 404, 403, 200, 403, 403),
    "A's commitment edit":        (LOGIN, 404, 403, 200, 403, 403, 403),
    "B's commitment edit":        (LOGIN, 404, 404, 403, 200, 403, 403),
    "A's commitment carry":       (LOGIN, 405, 405, 405, 405, 405, 405),
    "B's commitment drop":        (LOGIN, 405, 405, 405, 405, 405, 405),
    "cycle list":                 (LOGIN, 403, 403, 403, 403, 200, 200),
    "cycle create":               (LOGIN, 403, 403, 403, 403, 200, 403),
    "cycle edit":                 (LOGIN, 403, 403, 403, 403, 200, 403),
    "running cycle":              (LOGIN, 403, 403, 403, 403, 200, 200),
    "closed cycle":               (LOGIN, 403, 403, 403, 403, 200, 200),
    "heatmap":                    (LOGIN, 403, 403, 403, 403, 200, 200),
    "cycle open":                 (LOGIN, 405, 405, 405, 405, 405, 405),
    "cycle start review":         (LOGIN, 405, 405, 405, 405, 405, 405),
    "cycle close":                (LOGIN, 405, 405, 405, 405, 405, 405),
    "executive score":            (LOGIN, 405, 405, 405, 405, 405, 405),
    "action create":              (LOGIN, 403, 403, 403, 403, 200, 403),
    "action complete":            (LOGIN, 405, 405, 405, 405, 405, 405),
    "A's check":                  (LOGIN, 404, 404, 200, 404, 200, 200),
    "B's check":                  (LOGIN, 404, 404, 404, 200, 200, 200),
    "A's check history":          (LOGIN, 404, 404, 200, 404, 200, 200),
    "A's check save":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "B's check save":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "A's check measures save":    (LOGIN, 405, 405, 405, 405, 405, 405),
    "A's check add objective":    (LOGIN, 405, 405, 405, 405, 405, 405),
    "B's check reopen":           (LOGIN, 405, 405, 405, 405, 405, 405),
    "rubric":                     (LOGIN, 403, 403, 403, 403, 200, 403),
    "cadence":                    (LOGIN, 403, 403, 403, 403, 200, 200),
    "operations":                 (LOGIN, 403, 403, 403, 403, 403, 200),
    "delivery retry":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "digest retry":               (LOGIN, 405, 405, 405, 405, 405, 405),
    "webhooks":                   (LOGIN, 403, 403, 403, 403, 403, 200),
    "webhook create":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "webhook edit":               (LOGIN, 403, 403, 403, 403, 403, 200),
    "webhook secret":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "webhook delete":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "chat channels":              (LOGIN, 403, 403, 403, 403, 403, 200),
    "chat channel create":        (LOGIN, 405, 405, 405, 405, 405, 405),
    "chat channel edit":          (LOGIN, 403, 403, 403, 403, 403, 200),
    "chat channel delete":        (LOGIN, 405, 405, 405, 405, 405, 405),
    "notifications":              (LOGIN, 200, 200, 200, 200, 200, 200),
    "head A's notification read": (LOGIN, 405, 405, 405, 405, 405, 405),
    "notifications read all":     (LOGIN, 405, 405, 405, 405, 405, 405),
    "notification preferences":   (LOGIN, 200, 200, 200, 200, 200, 200),
    "member's unsubscribe":       (200, 200, 200, 200, 200, 200, 200),
    "trends":                     (LOGIN, 403, 403, 403, 403, 200, 200),
    "signals":                    (LOGIN, 403, 403, 403, 403, 200, 200),
    "signals csv":                (LOGIN, 403, 403, 403, 403, 200, 200),
    "signal settings":            (LOGIN, 403, 403, 403, 403, 200, 403),
    "company settings":           (LOGIN, 403, 403, 403, 403, 200, 403),
    "acknowledge":                (LOGIN, 405, 405, 405, 405, 405, 405),
    "signals doc":                (LOGIN, 200, 200, 200, 200, 200, 200),
    "objective trend":            (LOGIN, 403, 403, 403, 403, 200, 200),
    "A's trend":                  (LOGIN, 403, 403, 200, 403, 200, 200),
    "B's trend":                  (LOGIN, 403, 403, 403, 200, 200, 200),
    "report print":               (LOGIN, 403, 403, 403, 403, 200, 200),
    "report part":                (LOGIN, 403, 403, 403, 403, 200, 200),
    "report csv":                 (LOGIN, 403, 403, 403, 403, 200, 200),
    "report status":              (LOGIN, 403, 403, 403, 403, 200, 200),
    "report request":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "report download":            (LOGIN, 403, 403, 403, 403, 200, 200),
    "api docs":                   (LOGIN, 200, 200, 200, 200, 200, 200),
    "profile":                    (LOGIN, 200, 200, 200, 200, 200, 200),
    "token create":               (LOGIN, 405, 405, 405, 405, 405, 405),
    "head A's token revoke":      (LOGIN, 405, 405, 405, 405, 405, 405),
    "admin index":                (STAFF, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin login":                (200, 200, 200, 200, 200, 200, 302),
    "admin logout":               (STAFF, 302, 302, 302, 302, 302, 405),
    "admin unit list":            (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin unit add":             (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin unit import":          (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin unit process import":  (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 405),
    "admin user list":            (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user add":             (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user change":          (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user make superuser":  (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user grant executive": (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user grant admin":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user permissions":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin executive change":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin executive password":   (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin position change":      (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin position revert":      (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
}  # fmt: skip
POST = {
    "home":                       (LOGIN, 200, 200, 200, 200, 200, 200),
    "healthz":                    (405, 405, 405, 405, 405, 405, 405),
    "language switch":            (302, 302, 302, 302, 302, 302, 302),
    "login":                      (302, 302, 302, 302, 302, 302, 302),
    "logout":                     (LOGIN, 302, 302, 302, 302, 302, 302),
    "sso login":                  (405, 405, 405, 405, 405, 405, 405),
    "sso callback":               (405, 405, 405, 405, 405, 405, 405),
    "password change":            (LOGIN, 302, 302, 302, 302, 302, 302),
    "password change done":       (LOGIN, 405, 405, 405, 405, 405, 405),
    "password reset":             (302, 302, 302, 302, 302, 302, 302),
    "password reset done":        (405, 405, 405, 405, 405, 405, 405),
    "password reset confirm":     (302, 302, 302, 302, 302, 302, 302),
    "password reset complete":    (405, 405, 405, 405, 405, 405, 405),
    "invitation confirm":         (302, 302, 302, 302, 302, 302, 302),
    "second factor code":         (302, 302, 302, 302, 302, 302, 302),
    "second factor setup":        (LOGIN, 400, 400, 400, 400, 400, 400),
    "second factor qr":           (LOGIN, 405, 405, 405, 405, 405, 405),
    "recovery codes":             (LOGIN, 405, 405, 405, 405, 405, 405),
    "second factor turn off":     (LOGIN, 302, 302, 302, 302, 302, 302),
    "strategy":                   (LOGIN, 302, 302, 302, 302, 302, 302),
    "position list":              (LOGIN, 200, 200, 200, 200, 200, 200),
    "position create":            (LOGIN, 403, 403, 403, 403, 302, 403),
    "published position":         (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft position":             (LOGIN, 404, 404, 404, 404, 200, 200),
    "published position history": (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft position history":     (LOGIN, 404, 404, 404, 404, 200, 200),
    "draft position edit":        (LOGIN, 403, 403, 403, 403, 302, 403),
    "published position edit":    (LOGIN, 403, 403, 403, 403, 302, 403),
    "position translations":      (LOGIN, 403, 403, 403, 403, 302, 403),
    "draft position publish":     (LOGIN, 403, 403, 403, 403, 302, 403),
    "draft position switch":      (LOGIN, 403, 403, 403, 403, 302, 403),
    "draft objective create":     (LOGIN, 403, 403, 403, 403, 302, 403),
    "published objective":        (LOGIN, 200, 200, 200, 200, 200, 200),
    "draft objective":            (LOGIN, 404, 404, 404, 404, 200, 200),
    "draft objective edit":       (LOGIN, 404, 404, 404, 404, 302, 403),
    "published objective edit":   (LOGIN, 403, 403, 403, 403, 302, 403),
    "published objective remove": (LOGIN, 403, 403, 403, 403, 302, 403),
    "draft objective remove":     (LOGIN, 403, 403, 403, 403, 302, 403),
    "draft objective move":       (LOGIN, 404, 404, 404, 404, 302, 403),
    "draft objective retire":     (LOGIN, 404, 404, 404, 404, 302, 403),
    "measure actuals import":     (LOGIN, 403, 403, 200, 200, 200, 403),
    "measure actuals confirm":    (LOGIN, 403, 403, 302, 200, 302, 403),
    "measure actuals template":   (LOGIN, 403, 403, 200, 200, 200, 403),
    "A's measure value record":   (LOGIN, 403, 403, 302, 403, 302, 403),
    "measure history":            (LOGIN, 200, 200, 200, 200, 200, 200),
    "matrix":                     (LOGIN, 200, 200, 200, 200, 200, 200),
    "matrix csv":                 (LOGIN, 200, 200, 200, 200, 200, 200),
    "unit list":                  (LOGIN, 200, 200, 200, 200, 200, 200),
    "A's unit":                   (LOGIN, 404, 200, 200, 200, 200, 200),
    "B's unit":                   (LOGIN, 404, 404, 200, 200, 200, 200),
    "A's unit history":           (LOGIN, 404, 200, 200, 200, 200, 200),
    "B's unit history":           (LOGIN, 404, 404, 200, 200, 200, 200),
    "A's commitment create":      (LOGIN, 404, 403, 302, 403, 403, 403),
    "B's commitment create":      (LOGIN, 404, 404, 403, 302, 403, 403),
    "A's commitment edit":        (LOGIN, 404, 403, 302, 403, 403, 403),
    "B's commitment edit":        (LOGIN, 404, 404, 403, 302, 403, 403),
    "A's commitment carry":       (LOGIN, 404, 403, 302, 403, 403, 403),
    "B's commitment drop":        (LOGIN, 404, 404, 403, 302, 403, 403),
    "cycle list":                 (LOGIN, 403, 403, 403, 403, 200, 200),
    "cycle create":               (LOGIN, 403, 403, 403, 403, 302, 403),
    "cycle edit":                 (LOGIN, 403, 403, 403, 403, 302, 403),
    "running cycle":              (LOGIN, 403, 403, 403, 403, 200, 200),
    "closed cycle":               (LOGIN, 403, 403, 403, 403, 200, 200),
    "heatmap":                    (LOGIN, 403, 403, 403, 403, 200, 200),
    "cycle open":                 (LOGIN, 403, 403, 403, 403, 302, 403),
    "cycle start review":         (LOGIN, 403, 403, 403, 403, 302, 403),
    "cycle close":                (LOGIN, 403, 403, 403, 403, 302, 403),
    "executive score":            (LOGIN, 403, 403, 403, 403, 302, 403),
    "action create":              (LOGIN, 403, 403, 403, 403, 302, 403),
    "action complete":            (LOGIN, 403, 403, 403, 403, 302, 403),
    "A's check":                  (LOGIN, 404, 404, 200, 404, 200, 200),
    "B's check":                  (LOGIN, 404, 404, 404, 200, 200, 200),
    "A's check history":          (LOGIN, 405, 405, 405, 405, 405, 405),
    "A's check save":             (LOGIN, 404, 404, 302, 404, 403, 403),
    "B's check save":             (LOGIN, 404, 404, 404, 400, 403, 403),
    "A's check measures save":    (LOGIN, 404, 404, 302, 404, 302, 403),
    "A's check add objective":    (LOGIN, 404, 404, 302, 404, 403, 403),
    "B's check reopen":           (LOGIN, 404, 404, 404, 403, 302, 403),
    "rubric":                     (LOGIN, 403, 403, 403, 403, 302, 403),
    "cadence":                    (LOGIN, 403, 403, 403, 403, 302, 302),
    "operations":                 (LOGIN, 403, 403, 403, 403, 403, 200),
    "delivery retry":             (LOGIN, 403, 403, 403, 403, 403, 302),
    "digest retry":               (LOGIN, 403, 403, 403, 403, 403, 302),
    "webhooks":                   (LOGIN, 405, 405, 405, 405, 405, 405),
    "webhook create":             (LOGIN, 403, 403, 403, 403, 403, 302),
    "webhook edit":               (LOGIN, 403, 403, 403, 403, 403, 302),
    "webhook secret":             (LOGIN, 403, 403, 403, 403, 403, 302),
    "webhook delete":             (LOGIN, 403, 403, 403, 403, 403, 302),
    "chat channels":              (LOGIN, 405, 405, 405, 405, 405, 405),
    "chat channel create":        (LOGIN, 403, 403, 403, 403, 403, 302),
    "chat channel edit":          (LOGIN, 403, 403, 403, 403, 403, 302),
    "chat channel delete":        (LOGIN, 403, 403, 403, 403, 403, 302),
    "notifications":              (LOGIN, 200, 200, 200, 200, 200, 200),
    "head A's notification read": (LOGIN, 404, 404, 302, 404, 404, 404),
    "notifications read all":     (LOGIN, 302, 302, 302, 302, 302, 302),
    "notification preferences":   (LOGIN, 302, 302, 302, 302, 302, 302),
    "member's unsubscribe":       (302, 302, 302, 302, 302, 302, 302),
    "trends":                     (LOGIN, 403, 403, 403, 403, 200, 200),
    "signals":                    (LOGIN, 403, 403, 403, 403, 200, 200),
    "signals csv":                (LOGIN, 405, 405, 405, 405, 405, 405),
    "signal settings":            (LOGIN, 403, 403, 403, 403, 302, 403),
    "company settings":           (LOGIN, 403, 403, 403, 403, 302, 403),
    "acknowledge":                (LOGIN, 302, 302, 302, 302, 302, 302),
    "signals doc":                (LOGIN, 405, 405, 405, 405, 405, 405),
    "objective trend":            (LOGIN, 403, 403, 403, 403, 200, 200),
    "A's trend":                  (LOGIN, 403, 403, 200, 403, 200, 200),
    "B's trend":                  (LOGIN, 403, 403, 403, 200, 200, 200),
    "report print":               (LOGIN, 403, 403, 403, 403, 200, 200),
    "report part":                (LOGIN, 403, 403, 403, 403, 200, 200),
    "report csv":                 (LOGIN, 403, 403, 403, 403, 200, 200),
    "report status":              (LOGIN, 403, 403, 403, 403, 200, 200),
    "report request":             (LOGIN, 403, 403, 403, 403, 302, 302),
    "report download":            (LOGIN, 403, 403, 403, 403, 200, 200),
    "api docs":                   (LOGIN, 405, 405, 405, 405, 405, 405),
    "profile":                    (LOGIN, 405, 405, 405, 405, 405, 405),
    "token create":               (LOGIN, 302, 302, 302, 302, 302, 302),
    "head A's token revoke":      (LOGIN, 404, 404, 302, 404, 404, 404),
    "admin index":                (STAFF, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin login":                (302, 200, 200, 200, 200, 200, 302),
    "admin logout":               (STAFF, 302, 302, 302, 302, 302, 302),
    "admin unit list":            (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin unit add":             (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 302),
    "admin unit import":          (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin unit process import":  (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user list":            (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 200),
    "admin user add":             (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 302),
    "admin user change":          (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 302),
    "admin user make superuser":  (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin user grant executive": (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin user grant admin":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin user permissions":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin executive change":     (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin executive password":   (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin position change":      (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
    "admin position revert":      (LOGIN, STAFF, STAFF, STAFF, STAFF, STAFF, 403),
}  # fmt: skip

# Answers of the table known to be wrong today, each with its own strict-xfail test below: the
# walk skips them, and the dedicated test starts passing (and fails as XPASS) once fixed.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


# --- Walking the URL configuration ----------------------------------------------------------


def url_names(resolver=None, namespace: str = "") -> list[tuple[str, str]]:
    """(namespace, view name) of every pattern, namespaced includes included; '' if unnamed."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            found.append((namespace, f"{namespace}{pattern.name}" if pattern.name else ""))
    return found


def test_every_url_of_the_project_has_a_row_in_the_table(world):
    patterns = url_names()
    # The REST API's endpoints have their own table, which covers them all: test_api_matrix.py.
    project = {name for namespace, name in patterns if namespace != "admin:"}
    project -= api_endpoint_names()
    reached = {resolve(target.url(world)).view_name for target in TARGETS.values()}

    assert "" not in project, "every URL of the project's own apps has a name"
    assert project - reached == set(), "URL names with no target in the table"
    assert reached <= {name for _, name in patterns}
    # The Django admin is covered by one target per kind of page, not by every model's URLs.
    admin_kinds = {"admin:index", "admin:alignment_unit_changelist", "admin:alignment_unit_import"}
    assert admin_kinds <= reached
    assert set(GET) == set(POST) == set(TARGETS)
    assert all(len(row) == len(PEOPLE) for row in [*GET.values(), *POST.values()])
    assert {key[0] for key in KNOWN_BUGS} <= set(TARGETS)


# --- Asking -----------------------------------------------------------------------------------


class Answer(NamedTuple):
    status: int | str
    changed: list[str]
    records: list[logging.LogRecord]
    error: str


def outcome(response, url: str) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        if location == f"{reverse(settings.LOGIN_URL)}?next={quote(url)}":
            return LOGIN
        if location == f"{reverse('admin:login')}?next={quote(url)}":
            return STAFF
    if response.status_code == 500:
        return f"500 {response.exc_info[1]!r}" if response.exc_info else 500
    return response.status_code


def ask(client, caplog, baseline: dict, method: str, url: str, data=None) -> Answer:
    """One request in a savepoint rolled back afterwards, and the cookies it set forgotten."""
    first = len(caplog.records)
    with undone(client):
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        after = snapshot()
    status = outcome(response, url)
    error = ""
    if response.status_code == 500 and response.exc_info:
        error = repr(response.exc_info[1])
    return Answer(status, changed_tables(baseline, after), caplog.records[first:], error)


def csrf_client(user) -> tuple[Client, str]:
    """A client that enforces CSRF, logged in as `user`, and the token its pages would embed."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("login"))  # renders {% csrf_token %}, so it sets the cookie
    assert response.status_code == 200
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def is_project_view(url: str) -> bool:
    module = resolve(url).func.__module__
    return module.startswith(
        ("alignment.", "strategy.", "reviews.", "notifications.", "reports.", "sustain.", "api.")
    )


@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_gets_the_answers_of_the_table_and_refusals_change_nothing(
    world, person, caplog
):
    user = world.people[person]
    client, token = csrf_client(user)
    baseline = snapshot()
    column = PEOPLE.index(person)
    expected, answers, problems = {}, {}, []

    for name, target in TARGETS.items():
        url = target.url(world)
        for method, table in (("GET", GET), ("POST", POST)):
            if (name, method, person) in KNOWN_BUGS:
                continue
            want = table[name][column]
            if method == "POST":
                # Without the token first: refused before any view runs, nothing changes.
                bare = ask(client, caplog, baseline, "POST", url, target.data(world, user))
                if target.signed_link:
                    if bare.status != want:
                        problems.append(f"POST {name} without a CSRF token: {bare.status}")
                elif bare.status != 403 or bare.changed:
                    problems.append(
                        f"POST {name} without a CSRF token: {bare.status} {bare.changed}"
                    )
                elif not any(rec.name == "django.security.csrf" for rec in bare.records):
                    problems.append(f"POST {name} without a CSRF token was not logged")
                data = target.data(world, user) | {"csrfmiddlewaretoken": token}
                answer = ask(client, caplog, baseline, "POST", url, data)
            else:
                answer = ask(client, caplog, baseline, "GET", url)
            expected[f"{method} {name}"] = want
            answers[f"{method} {name}"] = answer.status
            if answer.error:
                problems.append(f"{method} {name}: {answer.error}")
            problems += _problems(name, method, url, target, want, answer)

    assert answers == expected
    assert problems == []


def _problems(name: str, method: str, url: str, target: Target, want, answer: Answer) -> list:
    problems = []
    changed = answer.changed
    if target.audit and want not in REFUSED:
        # An allowed download adds its line to the download log, and nothing else.
        if set(changed) != target.audit:
            problems.append(f"{method} {name} logged no download, or changed {changed}")
        changed = []
    must_change = method == "POST" and target.writes and want == 302
    if must_change and not changed:
        problems.append(f"{method} {name} was allowed but changed nothing: is its data valid?")
    if not must_change and changed:
        problems.append(f"{method} {name} answered {answer.status} and changed {changed}")
    if answer.status in (403, 404, 405):
        if not any(rec.levelno >= logging.WARNING for rec in answer.records):
            problems.append(f"{method} {name} was refused ({answer.status}) without a log record")
        refusal_logged = any(rec.getMessage().startswith("refused ") for rec in answer.records)
        if answer.status == 403 and is_project_view(url) and not refusal_logged:
            problems.append(f"{method} {name}: 403 without a 'refused ...' log record")
    return problems


# --- Another team's objects ---------------------------------------------------------------------


def test_another_teams_objects_are_not_found(world, caplog):
    """Head of A on B's check, member of A on B's unit page and B's commitments: 404."""
    head_a, head_a_token = csrf_client(world.people["head_a"])
    member, token = csrf_client(world.people["member"])
    finance_check = r("reviews:check-edit", world.finance_check.pk)
    before = snapshot()

    assert head_a.get(finance_check).status_code == 404
    save = head_a.post(
        r("reviews:check-save", world.finance_check.pk),
        check_form(world.finance_check) | {"csrfmiddlewaretoken": head_a_token},
    )
    assert save.status_code == 404
    assert member.get(r("strategy:unit-detail", "finance")).status_code == 404
    assert member.get(world.commitments["finance A"].get_absolute_url()).status_code == 404
    edit = member.post(
        world.commitments["finance A"].get_absolute_url(),
        commitment_data(world.a, statement="Changed.") | {"csrfmiddlewaretoken": token},
    )
    assert edit.status_code == 404
    assert snapshot() == before
    not_found = [rec for rec in caplog.records if rec.getMessage().startswith("Not Found:")]
    assert len(not_found) == 5


def test_a_head_may_read_another_teams_unit_but_not_change_its_commitments(world):
    """Heads see every team (strategy.roles.sees_all_teams), so B's commitment exists for the
    head of A: changing it is forbidden (403), not hidden (404)."""
    head_a, token = csrf_client(world.people["head_a"])
    before = snapshot()

    assert head_a.get(r("strategy:unit-detail", "finance")).status_code == 200
    edit = head_a.post(
        world.commitments["finance A"].get_absolute_url(),
        commitment_data(world.a, statement="Changed.") | {"csrfmiddlewaretoken": token},
    )
    assert edit.status_code == 403
    assert snapshot() == before


def test_a_post_without_the_csrf_token_is_refused_even_for_the_executive(world, caplog):
    client, token = csrf_client(world.people["executive"])
    url = r("strategy:position-publish", 2027)
    before = snapshot()

    refused = client.post(url, {})
    assert refused.status_code == 403
    assert snapshot() == before
    assert any(rec.name == "django.security.csrf" for rec in caplog.records)

    wrong = client.post(url, {"csrfmiddlewaretoken": "x" * 32})
    assert wrong.status_code == 403
    assert snapshot() == before

    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.is_published


def test_the_snapshot_covers_every_table_of_the_project():
    labels = {model._meta.label_lower for model in snapshot_models()}

    assert {"alignment.strategicposition", "reviews.checkitem", "auth.user"} <= labels
    assert {"alignment.historicalobjective", "reports.reportdownload", "admin.logentry"} <= labels


# --- Known bugs -------------------------------------------------------------------------------


def test_the_admin_group_cannot_revert_a_strategic_position_it_may_only_view(world):
    client, token = csrf_client(world.people["admin"])
    first = world.current.history.earliest("history_id")
    url = r("admin:alignment_strategicposition_simple_history", world.current.pk, first.history_id)
    before = snapshot()

    response = client.post(
        url,
        {"fiscal_year": "2026", "statement": "Reverted.", "status": "draft"}
        | {"csrfmiddlewaretoken": token},
    )

    world.current.refresh_from_db()
    assert (response.status_code, world.current.status) == (403, "published")
    assert snapshot() == before
