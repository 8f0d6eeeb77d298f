"""Admin imports of 10,000 units and 10,000 people: `python -m bench.imports` (`make bench`).

In a throwaway SQLite database, an Admin previews and confirms each file through the Django
admin, in-process with the test client. Prints each step's time beside the budget and exits with
status 1 when one is over it: every step must fit well inside gunicorn's 30 s worker timeout.
The budget is checked on the process's CPU time, which the wall time exceeds only by waiting (on
a machine shared with other work, that wait can be most of it); both are printed.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROWS = 10_000
BUDGET_SECONDS = 10.0


def units_csv(rows: int) -> bytes:
    lines = ["code,name,level,kind,parent,is_active", "acme,Acme,business,company,,1"]
    lines += [f"region-{r},Region {r},business,region,acme,1" for r in range(20)]
    lines += [f"team-{i},Team {i},functional,team,region-{i % 20},1" for i in range(rows - 21)]
    return ("\n".join(lines) + "\n").encode()


def people_csv(rows: int, units: list[str]) -> bytes:
    lines = ["username,email,first_name,last_name,unit,role"]
    for i in range(rows):
        role = "head" if i % 10 == 0 else "member"
        lines.append(f"p{i},p{i}@example.com,First{i},Last{i},{units[i % len(units)]},{role}")
    return ("\n".join(lines) + "\n").encode()


def _import(client, model, content: bytes) -> dict[str, tuple[float, float]]:
    """Preview, then confirm with the preview's hidden fields, as the admin's buttons do."""
    from django.contrib import admin
    from django.core.files.uploadedfile import SimpleUploadedFile
    from import_export.formats.base_formats import CSV

    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    fmt = admin.site._registry[model].get_import_formats().index(CSV)
    started, cpu_started = time.perf_counter(), time.process_time()
    preview = client.post(
        f"{base}import/",
        {"format": str(fmt), "resource": "0", "import_file": SimpleUploadedFile("f.csv", content)},
    )
    previewed, cpu_previewed = time.perf_counter(), time.process_time()
    html = preview.content.decode()
    form = html[html.index(f'action="{base}process_import/"') :]
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    if preview.status_code != 200 or "import_file_name" not in fields:
        sys.exit(f"the preview of {opts.model_name} offered no confirm step")
    confirm = client.post(f"{base}process_import/", fields)
    confirmed, cpu_confirmed = time.perf_counter(), time.process_time()
    if confirm.status_code != 302:
        sys.exit(f"the confirm step of {opts.model_name} answered {confirm.status_code}")
    return {
        "preview": (cpu_previewed - cpu_started, previewed - started),
        "confirm": (cpu_confirmed - cpu_previewed, confirmed - previewed),
    }


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)  # four lines per force_login otherwise
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from strategy import tasks
    from strategy.models import Membership, Unit
    from strategy.roles import ADMIN

    # The invitations are the worker's job, not the request's: count them instead of queueing.
    queued: list[list[int]] = []
    tasks.send_invitations.delay = queued.append
    call_command("migrate", verbosity=0)
    admin_user = get_user_model().objects.create(username="bench-admin", is_staff=True)
    admin_user.groups.add(Group.objects.get(name=ADMIN))
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin_user)

    times = {"units": _import(client, Unit, units_csv(ROWS))}
    codes = list(Unit.objects.filter(level="functional").values_list("code", flat=True)[:200])
    times["people"] = _import(client, Membership, people_csv(ROWS, codes))
    if Membership.objects.count() != ROWS or sum(map(len, queued)) != ROWS:
        raise SystemExit("bench.imports: the people import did not create every row and invitation")

    missed = 0
    for what, steps in times.items():
        for step, (seconds, wall) in steps.items():
            over = seconds > BUDGET_SECONDS
            missed += over
            verdict = "OVER BUDGET" if over else "ok"
            took = f"{seconds:6.2f} s CPU, {wall:6.2f} s wall"
            print(f"{ROWS} {what:6} {step:7} {took}  (budget {BUDGET_SECONDS:.0f} s) {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
