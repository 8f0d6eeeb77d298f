"""Static analysis of the code and the templates: ruff's security rules and three small checks.

ruff's S rules (flake8-bandit's checks) run over alignment/ and the apps' packages as configured in
pyproject.toml, honouring a `# noqa: Sxxx` that gives its reason. The rules that stand for
"never do this here" ignore `# noqa` altogether: csrf_exempt, mark_safe and SafeString
(TID251), SQL built from strings (S608, S611), non-literal `.extra()` (S610). What ruff has no
rule for is checked below: SQL handed to raw(), execute() or RawSQL built with formatting,
any `.extra()`, and `|safe` or `{% autoescape off %}` in the templates. A reviewed exception
goes in pyproject.toml's per-file-ignores, or in EXCEPTIONS below, with the reason beside it.
"""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON_TARGETS = [
    "alignment",
    "api",
    "strategy",
    "reviews",
    "notifications",
    "reports",
    "sustain",
    "twofactor",
]
STRICT_RULES = "S308,S608,S610,S611,TID251"

# (rule, path relative to the scanned folder) -> why it is safe.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("no-raw-sql-formatting", "reviews/bulk.py"): "the model's own table and column names, "
    "quoted by the backend; every value a parameter",
}

SQL_METHODS = {"raw", "execute", "executemany"}
SAFE_FILTER = re.compile(r"\|\s*safe(seq)?\b")
AUTOESCAPE_OFF = re.compile(r"\{%-?\s*autoescape\s+off\s*-?%\}")


def _ruff(cwd: Path, targets: list[str], *options: str) -> list[str]:
    """ruff's findings as "path:line: rule"; fails on a ruff error."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--config",
            str(BASE_DIR / "pyproject.toml"),
            "--output-format",
            "json",
            "--no-cache",
            *options,
            *targets,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return [
        f"{Path(r['filename']).relative_to(cwd)}:{r['location']['row']}: "
        f"{r['code']}: {r['message']}"
        for r in json.loads(result.stdout)
    ]


def _is_formatted(node: ast.expr) -> bool:
    """A string built with an f-string, %, + or str.format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not all(isinstance(side, ast.Constant) for side in (node.left, node.right))
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    )


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _python_findings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    # Names ever given a formatted string in this module: SQL passed through a variable.
    formatted_names = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value and _is_formatted(node.value)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name == "extra" and isinstance(node.func, ast.Attribute):
            found.append((node.lineno, "no-queryset-extra"))
        elif (name in SQL_METHODS and isinstance(node.func, ast.Attribute)) or name == "RawSQL":
            sql = node.args[0] if node.args else None
            if sql is not None and (
                _is_formatted(sql) or (isinstance(sql, ast.Name) and sql.id in formatted_names)
            ):
                found.append((node.lineno, "no-raw-sql-formatting"))
    return found


def _template_findings(path: Path, relative: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if SAFE_FILTER.search(line):
            found.append((number, "no-safe-filter"))
        # Plain-text emails: escaping would turn "&" into "&amp;" in the message people read.
        plain_text_email = relative.startswith("templates/emails/") and relative.endswith(".txt")
        if AUTOESCAPE_OFF.search(line) and not plain_text_email:
            found.append((number, "no-autoescape-off"))
    return found


def _local_findings(root: Path, targets: list[str]) -> list[str]:
    """The checks ruff has no rule for, as "path:line: rule", in the targets' code and templates."""
    findings = []
    for path in sorted(p for target in targets for p in (root / target).rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.suffix == ".py":
            found = _python_findings(path)
        elif path.suffix in (".html", ".txt") and relative.startswith("templates/"):
            found = _template_findings(path, relative)
        else:
            continue
        findings += [
            f"{relative}:{line}: {rule}"
            for line, rule in found
            if (rule, relative) not in EXCEPTIONS
        ]
    return findings


def test_ruff_security_rules_find_nothing():
    findings = _ruff(BASE_DIR, PYTHON_TARGETS, "--select", "S")

    assert not findings, "ruff:\n" + "\n".join(findings)


def test_the_rules_without_inline_exceptions_find_nothing():
    findings = _ruff(BASE_DIR, PYTHON_TARGETS, "--select", STRICT_RULES, "--ignore-noqa")
    findings += _local_findings(BASE_DIR, [*PYTHON_TARGETS, "templates"])

    assert not findings, "static analysis:\n" + "\n".join(findings)


BAD_PYTHON = """\
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def view(request):
    return mark_safe(request.GET["name"])  # noqa: S308


def query(User, pk, name):
    User.objects.raw(f"SELECT * FROM auth_user WHERE id = {pk}")
    User.objects.raw("SELECT * FROM auth_user WHERE id = %s", [pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + name)
        cursor.execute("SELECT %s", [name])
        statement = "DELETE FROM {}".format(name)
        cursor.execute(statement)
    RawSQL("id = %s", [pk])
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

    ruff = _ruff(tmp_path, ["."], "--select", STRICT_RULES, "--ignore-noqa")
    found = [": ".join(f.split(": ")[:2]) for f in ruff] + _local_findings(tmp_path, ["."])

    assert sorted(found) == sorted(
        [
            "app/views.py:3: TID251",  # SafeString
            "app/views.py:3: TID251",  # mark_safe
            "app/views.py:4: TID251",  # csrf_exempt
            "app/views.py:9: S308",  # mark_safe, its noqa ignored
            "app/views.py:13: S608",
            "app/views.py:13: no-raw-sql-formatting",
            "app/views.py:16: no-raw-sql-formatting",
            "app/views.py:18: S608",
            "app/views.py:19: no-raw-sql-formatting",
            "app/views.py:21: no-queryset-extra",
            "templates/page.html:1: no-safe-filter",
            "templates/page.html:2: no-safe-filter",
            "templates/page.html:3: no-autoescape-off",
            "templates/emails/reminder_body.html:1: no-autoescape-off",
        ]
    )
