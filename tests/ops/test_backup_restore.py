"""The README's PostgreSQL backup and restore procedure, run for real: dump, drop, restore."""

import shutil
import subprocess

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import CommitmentFactory, make_published_position

pytestmark = [
    pytest.mark.needs_postgres,
    # Transactional tests flush the tables; serialized_rollback restores the rows data
    # migrations made (the role groups, the default rubric) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TABLES = [
    "alignment_strategicposition",
    "alignment_objective",
    "alignment_unit",
    "alignment_commitment",
    "alignment_historicalcommitment",
    "auth_user",
]


def _dsn(name: str) -> str:
    db = settings.DATABASES["default"]
    parts = [f"dbname={name}", f"user={db['USER'] or 'postgres'}"]
    if db.get("HOST"):
        parts.append(f"host={db['HOST']}")
    if db.get("PORT"):
        parts.append(f"port={db['PORT']}")
    if db.get("PASSWORD"):
        parts.append(f"password={db['PASSWORD']}")
    return " ".join(parts)


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _contents(name: str) -> dict:
    with psycopg2.connect(_dsn(name)) as conn, conn.cursor() as cursor:
        rows = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (fixed names)
            rows[table] = cursor.fetchall()
        return rows


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stderr}"


def test_a_dump_restored_into_a_new_database_has_the_same_data(tmp_path, executive, logistics):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        assert shutil.which(tool), f"{tool} is not installed"
    position = make_published_position(by=executive)
    CommitmentFactory(unit=logistics, objective=position.objectives.first(), statement="Ünïcode ✓")
    source = connection.settings_dict["NAME"]
    copy = f"{source}_restore"
    dump = tmp_path / "alignment.dump"
    before = _contents(source)

    # The README's procedure: dump, (drop and re-create the database), restore.
    _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _url(source))
    _run("dropdb", "--if-exists", "--maintenance-db", _url("postgres"), copy)
    _run("createdb", "--maintenance-db", _url("postgres"), copy)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(copy)}", str(dump))
        assert _contents(copy) == before
    finally:
        _run("dropdb", "--if-exists", "--maintenance-db", _url("postgres"), copy)
