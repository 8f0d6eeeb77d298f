"""bandit and the local semgrep rules (semgrep/) find nothing in the code and the templates.

Both run offline: semgrep only reads the rules in semgrep/ and sends no metrics. A finding fails
the test with its file, line and rule. Inline `nosemgrep` comments are not honoured; a reviewed
exception goes in the rule's paths.exclude, with the reason beside it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RULES = BASE_DIR / "semgrep"
TARGETS = ["alignment", "reviews", "templates"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _semgrep(cwd: Path, targets: list[str]) -> list[str]:
    """Findings as "path:line: rule: message"; fails on a semgrep error."""
    result = _run(
        [
            str(BIN / "semgrep"),
            "scan",
            "--config",
            str(RULES),
            "--metrics=off",
            "--disable-version-check",
            "--disable-nosem",
            "--error",
            "--json",
            *targets,
        ],
        cwd,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    return [
        f"{r['path']}:{r['start']['line']}: {r['check_id'].rsplit('.', 1)[-1]}: "
        f"{' '.join(r['extra']['message'].split())}"
        for r in report["results"]
    ]


def test_bandit_finds_no_medium_or_high_issue():
    result = _run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-r",
            "alignment",
            "reviews",
            "-ll",
            "-q",
            "--format",
            "custom",
            "--msg-template",
            "{relpath}:{line}: {test_id} [{severity}/{confidence}] {msg}",
        ],
        BASE_DIR,
    )

    assert result.returncode == 0, "bandit:\n" + result.stdout + result.stderr


def test_the_local_semgrep_rules_find_nothing():
    findings = _semgrep(BASE_DIR, TARGETS)

    assert not findings, "semgrep:\n" + "\n".join(findings)


BAD_PYTHON = """\
from django.db import connection
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def view(request):
    return mark_safe(request.GET["name"])


def query(User, pk, name):
    User.objects.raw(f"SELECT * FROM auth_user WHERE id = {pk}")
    User.objects.raw("SELECT * FROM auth_user WHERE id = %s", [pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + name)
        cursor.execute("SELECT %s", [name])
    return User.objects.extra(where=["id = 1"])
"""


def test_the_rules_catch_what_they_are_for_and_allow_plain_text_emails(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(BAD_PYTHON)
    (tmp_path / "templates" / "emails").mkdir(parents=True)
    (tmp_path / "templates" / "page.html").write_text(
        "<p>{{ a|safe }}</p>\n<p>{{ b | safeseq }}</p>\n"
        "{% autoescape off %}{{ c }}{% endautoescape %}\n"
    )
    off = "{% autoescape off %}Hello {{ name }}{% endautoescape %}\n"
    (tmp_path / "templates" / "emails" / "reminder_body.txt").write_text(off)
    (tmp_path / "templates" / "emails" / "reminder_body.html").write_text(off)

    found = {f.split(": ")[0] + ": " + f.split(": ")[1] for f in _semgrep(tmp_path, ["."])}

    assert found == {
        "app/views.py:3: no-csrf-exempt",
        "app/views.py:6: no-csrf-exempt",
        "app/views.py:8: no-mark-safe",
        "app/views.py:12: no-raw-sql-formatting",
        "app/views.py:15: no-raw-sql-formatting",
        "app/views.py:17: no-queryset-extra",
        "templates/page.html:1: no-safe-filter",
        "templates/page.html:2: no-safe-filter",
        "templates/page.html:3: no-autoescape-off",
        "templates/emails/reminder_body.html:1: no-autoescape-off",
    }
