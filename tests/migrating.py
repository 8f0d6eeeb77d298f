"""Migration tests: the test database at an older state of the migrations, a copy for each test.

    @pytest.fixture
    def old_layout(migrated_back):
        return migrated_back(OLD_LAYOUT)  # the migration state's apps there

    def test_rows_follow(old_layout):
        old_layout.get_model("reviews", "Acknowledgement").objects.create(...)
        migrate(None)  # forward again, in the copy
        ...

Migrating the whole schema back took most of a minute for each test. On PostgreSQL the
database at each old state is made once per run: a copy of the test database as the run
started (CREATE DATABASE ... TEMPLATE), migrated back; each test then gets a copy of that one,
in about a second, and the test database itself is never migrated. `prepare`, run on the copy
before it is migrated back, writes what a test finds there (rows made at the latest state);
what it returns is given to every test of that state. On another database each test migrates
the test database back and forward again, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` (None: the latest migrations); the migration state's apps there.
    A target (app, None) unapplies all of that app's migrations."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _use(name: str) -> None:
    """Point the default connection at another database of the server; connects on first use."""
    connection.close()
    connection.settings_dict["NAME"] = name


def _create(name: str, *, template: str) -> None:
    """A copy of `template`, which no session may be connected to."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _drop(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class States:
    """The databases at old states made in this run (PostgreSQL), dropped at its end.

    Each is made from a copy of the test database taken when the run starts (keep_start()),
    while no other session is connected to it: later in the run a finished live server's
    thread, or a browser test's second connection object, may still hold one, and a copy of a
    database that a session is connected to is refused."""

    def __init__(self) -> None:
        self.made: dict[tuple, tuple[str, object]] = {}  # targets -> (database, prepared)
        self.start = ""  # the copy of the test database at the start of the run

    def keep_start(self) -> None:
        if connection.vendor != "postgresql":
            return
        main = connection.settings_dict["NAME"]
        connection.close()
        self.start = f"{main[:40]}_at_start"
        _create(self.start, template=main)

    def database_at(self, main: str, targets: list, prepare: Callable | None):
        """The database at `targets` (made on first use) and what its `prepare` returned."""
        key = tuple(targets)
        if key not in self.made:
            if not self.start:
                raise RuntimeError("States.keep_start() was not called when the run started")
            name = f"{main[:40]}_at_{len(self.made)}"
            connection.close()
            _create(name, template=self.start)
            _use(name)
            try:
                prepared = prepare() if prepare else None
                migrate(targets)
            finally:
                _use(main)
                ContentType.objects.clear_cache()
            self.made[key] = (name, prepared)
        return self.made[key]

    def drop_all(self) -> None:
        for name in [*(name for name, _ in self.made.values()), self.start]:
            if name:
                _drop(name)
        self.made.clear()
        self.start = ""


def migrated_back(request, states: States):
    """The `migrated_back(targets, prepare=None)` of the fixture (tests/conftest.py): the apps
    at `targets`, in a copy of the database there for this test (PostgreSQL), or in the test
    database migrated back (elsewhere); with `prepare`, (apps, what it returned)."""

    def at(targets: list, prepare: Callable | None = None):
        if connection.vendor != "postgresql":
            prepared = prepare() if prepare else None
            apps = migrate(targets)
            request.addfinalizer(_back_to_latest)
            return (apps, prepared) if prepare else apps
        main = connection.settings_dict["NAME"]
        template, prepared = states.database_at(main, targets, prepare)
        copy = f"{main[:40]}_test_copy"
        connection.close()
        _create(copy, template=template)
        _use(copy)

        def back() -> None:
            _use(main)
            _drop(copy)
            ContentType.objects.clear_cache()

        request.addfinalizer(back)
        apps = (
            MigrationExecutor(connection)
            .loader.project_state([t for t in targets if t[1] is not None])
            .apps
        )
        return (apps, prepared) if prepare else apps

    return at


def _back_to_latest() -> None:
    migrate(None)  # also when the test failed
    ContentType.objects.clear_cache()
