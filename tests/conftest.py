"""The people of every permission test, and switches for tests that need real servers."""

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from strategy.roles import ADMIN
from sustain import tasks as sustain_tasks
from tests import migrating
from tests.factories import (
    UnitFactory,
    UserFactory,
    make_draft_position,
    make_executive,
    make_head,
    make_member,
    make_published_position,
)

REQUIRE_SERVICES = os.environ.get("ALIGNMENT_REQUIRE_SERVICES") == "true"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    uses_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    reasons = {
        "needs_postgres": None if uses_postgres else "needs PostgreSQL: set DATABASE_URL",
        "needs_redis": None if settings.REDIS_URL else "needs Redis: set REDIS_URL",
        "browser": None if shutil.which(CHROMIUM) else f"needs Chromium at {CHROMIUM}",
    }
    for item in items:
        for marker, reason in reasons.items():
            # Where the servers are required (CI), such a test runs, and fails if one is missing.
            if reason and item.get_closest_marker(marker) and not REQUIRE_SERVICES:
                item.add_marker(pytest.mark.skip(reason=reason))


def make_data_from_migrations() -> None:
    """Make again what the data migrations made, where it is missing: the role groups, the
    Admin group's permissions, the default rubric and the company settings row."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module
    migration("strategy.migrations.0002_role_groups").create_groups(apps, None)
    migration("reviews.migrations.0002_default_rubric").seed(apps, None)
    migration("strategy.migrations.0006_company_settings_row").create_row(apps, None)
    # As strategy/migrations/0003 grants them (its function also patches the app registry).
    grants = migration("strategy.migrations.0003_admin_group_permissions")
    admin = Group.objects.get(name="Admin")
    for app_label, model in grants.MANAGED + grants.READ_ONLY:
        managed = (app_label, model) in grants.MANAGED
        actions = ("add", "change", "delete", "view") if managed else ("view",)
        admin.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


_FLUSHED: list[str] = []


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """A transactional test (browser, integration, ops) empties the tables when it ends, the
    data migrations' rows included; every database test gets them back first if they are gone.

    Not `serialized_rollback` alone: in the browser tests Playwright's event loop gives the test
    another database connection object than the one the serialized data was kept on, and
    Django then skips the restore without a word.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is None and "db" not in names and "transactional_db" not in names:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in names or "live_server" in names
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    if transactional:
        _FLUSHED.append(request.node.nodeid)
    else:
        _content_version_at_each_statement()
    from django.contrib.auth.models import Group

    from reviews.models import RubricQuestion

    if not Group.objects.filter(name="Executive").exists() or not RubricQuestion.objects.exists():
        make_data_from_migrations()


def _content_version_at_each_statement() -> None:
    """A test inside one transaction never commits it: the triggers that move the content
    version on at the commit (strategy migration 0013) fire at each statement instead, as if
    each were committed. tests/strategy/test_content_version.py commits for real."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    names = [
        *importlib.import_module(
            "strategy.migrations.0013_content_version_at_commit"
        ).CONSTRAINT_TRIGGERS,
        *importlib.import_module(
            "strategy.migrations.0016_content_translation"
        ).CONSTRAINT_TRIGGERS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {', '.join(names)} IMMEDIATE")


@pytest.fixture(scope="session", autouse=True)
def _migration_states(request, django_db_blocker):
    """The migration tests' databases (tests/migrating.py): when this run has any, a copy of
    the test database is kept as it starts, before any other session connects to it."""
    states = migrating.States()
    if any("migrated_back" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            states.keep_start()
    yield states
    with django_db_blocker.unblock():
        states.drop_all()


@pytest.fixture
def migrated_back(request, transactional_db, _migration_states):
    """`migrated_back(targets, prepare=None)`: the apps of the migration state at `targets`, the
    database there for this test (tests/migrating.py)."""
    return migrating.migrated_back(request, _migration_states)


@pytest.fixture(scope="session", autouse=True)
def _data_from_migrations_left_behind(django_db_setup, django_db_blocker):
    """After the last test (and before the test database is let go): a database kept for the
    next run (--reuse-db on PostgreSQL) gets back the data migrations' rows that the last
    transactional test's flush deleted."""
    yield
    if _FLUSHED:  # only a transactional test's flush removes them
        with django_db_blocker.unblock():
            make_data_from_migrations()


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The API's throttle counts requests in the cache: in memory, emptied for every test, never
    # in a Redis that outlives the run.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """A request activates its language and the company's time zone in the thread, and they stay
    active after it (alignment.middleware.LanguageMiddleware): the next test starts without."""
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def logistics(db):
    return UnitFactory(name="Logistics", code="logistics")


@pytest.fixture
def finance(db):
    return UnitFactory(name="Finance", code="finance")


@pytest.fixture
def executive(db):
    return make_executive(username="erin-exec")


@pytest.fixture
def head(logistics):
    """Head of Logistics."""
    return make_head(logistics, username="hugo-head")


@pytest.fixture
def other_head(finance):
    """Head of Finance."""
    return make_head(finance, username="fay-finance")


@pytest.fixture
def member(logistics):
    """Member of Logistics."""
    return make_member(logistics, username="mia-member")


@pytest.fixture
def admin_user(db):
    """Staff in the Admin group: runs the Django admin, does not edit the strategy."""
    return UserFactory(username="ada-admin", is_staff=True, groups=[ADMIN])


@pytest.fixture
def outsider(db):
    """Logged in, but in no team and no role."""
    return UserFactory(username="otto-outsider")


@pytest.fixture
def current_position(executive):
    """FY2026: published and current, with two objectives owned by the executive."""
    return make_published_position(fiscal_year=2026, by=executive)


@pytest.fixture
def draft_position(executive):
    """FY2027: a draft that could be published as it stands, with one objective."""
    return make_draft_position(fiscal_year=2027, owner=executive)


@pytest.fixture
def login(client):
    """Log a user in on the test client: `login(head)`."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _no_board_refresh_queued(monkeypatch):
    """No broker in tests: the board refresh a commit queues is dropped, unless the test plays
    the worker (board_worker)."""

    monkeypatch.setattr(sustain_tasks.refresh_stale_board, "delay", lambda: None)


@pytest.fixture
def board_worker(monkeypatch, django_capture_on_commit_callbacks):
    """Play the Celery worker of the signal board: inside `with board_worker():`, the refresh
    that a commit to the board's inputs queues runs when that commit's callbacks run, as a
    worker would run it just after the commit."""

    monkeypatch.setattr(
        sustain_tasks.refresh_stale_board, "delay", sustain_tasks.refresh_stale_board
    )
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- The test OpenID Connect provider (tests/sso/provider/) ----------------------------------

PROVIDER_DIR = Path(__file__).resolve().parent / "sso" / "provider"
PROVIDER_PEOPLE = [
    # username:password:email:the provider's groups (the "groups" claim)
    "ada:provider-pw-1:ada@example.com:strategy-execs",
    "hal:provider-pw-2:hal@example.com:sales-heads",
    "una:provider-pw-3:una@example.com:strategy-execs;email-unverified",
    "nob:provider-pw-4:nob@example.com:canteen-committee",
]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID Connect provider (django-oauth-toolkit) on a loopback port of its own,
    with its own SQLite database, started once per test session. Its client "alignment" may
    come back to the test client (http://testserver) and to any port of 127.0.0.1."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    home = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    (home / "key.pem").write_text(pem)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}/o"
    env = {
        **os.environ,
        "PYTHONPATH": str(PROVIDER_DIR),
        "DJANGO_SETTINGS_MODULE": "provider_settings",
        "PROVIDER_DB": str(home / "provider.sqlite3"),
        "PROVIDER_ISSUER": issuer,
        "PROVIDER_KEY": str(home / "key.pem"),
    }
    callbacks = "http://testserver/accounts/sso/callback/ http://127.0.0.1/accounts/sso/callback/"
    logouts = "http://testserver/accounts/login/ http://127.0.0.1/accounts/login/"
    subprocess.run(  # noqa: S603
        [sys.executable, str(PROVIDER_DIR / "provider_seed.py"), "alignment", "rp-secret",
         callbacks, logouts, *PROVIDER_PEOPLE],
        env=env, check=True, cwd=home,
    )  # fmt: skip
    log = (home / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the test OpenID Connect provider did not start")
        if server.poll() is not None:
            pytest.fail("the test provider ended:\n" + (home / "server.log").read_text())
        yield SimpleNamespace(
            issuer=issuer, url=f"http://127.0.0.1:{port}", db=home / "provider.sqlite3",
            key=key, client_id="alignment", secret="rp-secret",
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def sso_on(settings, oidc_provider):
    """The product configured for the test provider, as SSO_* in the environment would."""
    settings.SSO_ISSUER = oidc_provider.issuer
    settings.SSO_CLIENT_ID = oidc_provider.client_id
    settings.SSO_CLIENT_SECRET = oidc_provider.secret
    settings.SSO_PROVIDER_NAME = "Test IdP"
    settings.SSO_ROLE_MAP = (
        "strategy-execs=Executive, sales-heads=head:sales;Admin, sales-team=member:sales"
    )
    return oidc_provider
