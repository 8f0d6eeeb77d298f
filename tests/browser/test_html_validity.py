"""The W3C HTML checker (vnu-jar) finds no error on any main page.

vnu.jar is about 30 MB, so it is not committed: the first run fetches it from the npm registry
with `npm pack` into var/vnu/ and later runs reuse it. It needs npm (the first time) and Java 17.
"""

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from reports.models import ReportFile
from reviews.models import ReviewCycle
from tests.browser.conftest import MainPage, main_pages

pytestmark = pytest.mark.django_db

VNU_VERSION = "26.9.27"
ROOT = Path(__file__).resolve().parents[2]
VNU_DIR = ROOT / "var" / "vnu"
VNU_JAR = VNU_DIR / f"vnu-{VNU_VERSION}.jar"


def _missing(reason: str):
    # Where the tools are required (CI), this test fails rather than skip.
    if os.environ.get("ALIGNMENT_REQUIRE_SERVICES") == "true":
        pytest.fail(f"the HTML check cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    if shutil.which("java") is None:
        _missing("needs Java 17 (`java` on PATH) to run vnu.jar")
    if not VNU_JAR.exists():
        if shutil.which("npm") is None:
            _missing(f"needs npm to fetch vnu-jar@{VNU_VERSION} into {VNU_DIR}")
        VNU_DIR.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", f"vnu-jar@{VNU_VERSION}", "--silent", "--pack-destination", VNU_DIR],
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarball = VNU_DIR / f"vnu-jar-{VNU_VERSION}.tgz"
        if packed.returncode != 0 or not tarball.exists():
            _missing(f"`npm pack vnu-jar@{VNU_VERSION}` failed: {packed.stderr.strip()[-500:]}")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/build/dist/vnu.jar")
            partial = VNU_JAR.with_suffix(".part")
            partial.write_bytes(member.read())
            partial.rename(VNU_JAR)  # a run killed halfway leaves no half-written jar
        tarball.unlink()
    return VNU_JAR


def test_every_main_page_is_valid_html(vnu_jar, tmp_path, queued_tasks, demo_company):
    users = {u.username: u for u in get_user_model().objects.all()}
    pages = main_pages()
    # The cycle page again, while a report is being built: its list polls with htmx.
    cycle = ReviewCycle.objects.get(state=ReviewCycle.State.OPEN)
    ReportFile.objects.create(cycle=cycle, format=ReportFile.Format.XLSX)
    pages.append(MainPage("cycle page, report being built", "exec", cycle.get_absolute_url()))
    files = {}
    for index, page in enumerate(pages):
        client = Client()
        if page.username:
            client.force_login(users[page.username])
        response = client.get(page.path)
        assert response.status_code == 200, f"{page.name}: HTTP {response.status_code}"
        path = tmp_path / f"{index:02d}-{page.path.strip('/').replace('/', '-') or 'home'}.html"
        path.write_bytes(response.content)
        files[path.name] = f"{page.name} ({page.path})"
    # A page with one known error proves that vnu really read the files.
    canary = tmp_path / "canary.html"
    canary.write_text('<!doctype html><html lang="en"><title>x</title><p><div></p></html>')

    checked = subprocess.run(
        ["java", "-jar", str(vnu_jar), "--errors-only", "--format", "json", str(canary)]
        + [str(tmp_path / name) for name in sorted(files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu writes its JSON report to stderr, and exits 1 when it found errors.
    try:
        messages = json.loads(checked.stderr)["messages"]
    except ValueError:
        pytest.fail(f"vnu failed (exit {checked.returncode}): {checked.stderr[-2000:]}")
    found = {name: [] for name in [canary.name, *files]}
    for m in messages:
        name = Path(m.get("url", "")).name
        where = files.get(name, name)
        found.setdefault(name, []).append(
            f"{where}, line {m.get('lastLine')}: {m['message']}\n    {m.get('extract', '').strip()}"
        )
    assert found.pop(canary.name), f"vnu did not report the canary's error: {checked.stderr}"
    errors = [error for page_errors in found.values() for error in page_errors]
    assert not errors, f"vnu found {len(errors)} HTML errors:\n" + "\n".join(errors)
