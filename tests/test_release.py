"""The shared cache's keys start with the release's digest (alignment/release.py): a deploy
that changes what a page's cached part would show never reads the previous release's parts."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from alignment.release import code_digest


def _release(tmp_path: Path) -> Path:
    (tmp_path / "templates" / "reviews").mkdir(parents=True)
    (tmp_path / "templates" / "reviews" / "cycle.html").write_text("<p>{{ cycle }}</p>")
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "views.py").write_text("VALUE = 1\n")
    (tmp_path / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.mo").write_bytes(b"\x00catalogue")
    return tmp_path


def test_the_same_files_give_the_same_digest_wherever_they_are(tmp_path):
    first = _release(tmp_path / "host-a")
    second = _release(tmp_path / "host-b")

    assert code_digest(first) == code_digest(second)
    assert len(code_digest(first)) == 16


def test_a_changed_template_code_or_catalogue_changes_the_digest(tmp_path):
    base = _release(tmp_path)
    before = code_digest(base)

    for path, text in (
        (base / "templates" / "reviews" / "cycle.html", "<p>{{ cycle.name }}</p>"),
        (base / "reviews" / "views.py", "VALUE = 2\n"),
        (base / "locale" / "de" / "LC_MESSAGES" / "django.mo", "\x00catalogue 2"),
    ):
        original = path.read_bytes()
        path.write_text(text)
        assert code_digest(base) != before, path
        path.write_bytes(original)
        assert code_digest(base) == before


def test_a_renamed_file_changes_the_digest_and_compiled_bytecode_does_not(tmp_path):
    base = _release(tmp_path)
    before = code_digest(base)

    (base / "reviews" / "__pycache__").mkdir()
    (base / "reviews" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\x01\x02")
    (base / "reviews" / "notes.orig").write_text("left by a merge")
    assert code_digest(base) == before

    (base / "reviews" / "views.py").rename(base / "reviews" / "other.py")
    assert code_digest(base) != before


def _settings_cache(tmp_path: Path, **env: str) -> dict:
    """The cache settings a process of this checkout reads from `env` (the tests' own
    settings replace the cache with one in memory, so a fresh interpreter reads them)."""
    script = "import json, alignment.settings as s; print(json.dumps(s.CACHES['default']))"
    dropped = {"REDIS_URL", "DATABASE_URL", "DJANGO_DEBUG", "SECRET_KEY"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**base, "VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_redis_keys_start_with_this_checkouts_release(tmp_path):
    config = _settings_cache(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")

    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["KEY_PREFIX"] == f"cache:{code_digest(settings.BASE_DIR)}"


def test_a_cache_in_memory_goes_with_its_process_and_needs_no_release(tmp_path):
    config = _settings_cache(tmp_path)

    assert config["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert "KEY_PREFIX" not in config
