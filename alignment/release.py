"""What release of the code a process runs, as a short digest: the shared cache's key prefix.

Parts of pages are kept in Redis for an hour under keys built from the data they show. A
deploy that changes a template, the code that fills one or a translation would otherwise
serve the old release's parts until they expire; with the digest in every key, a new release
reads and writes keys of its own (the old ones expire unread). Every web process of a release
computes the same digest, on any host, as it is taken from the files' contents, not their
times.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# What a page's cached part depends on: the code, the templates, the compiled translations and
# the static files (whose hashed names the pages link to).
PACKAGES = (
    "alignment",
    "strategy",
    "reviews",
    "sustain",
    "reports",
    "notifications",
    "api",
    "twofactor",
    "templates",
    "locale",
    "static",
)
SUFFIXES = frozenset({".py", ".html", ".txt", ".mo", ".css", ".js", ".svg", ".json", ".woff2"})


def code_digest(base_dir: Path) -> str:
    """Sixteen hexadecimal digits from the paths and contents of the release's files."""
    digest = hashlib.blake2b(digest_size=8)
    for package in PACKAGES:
        for path in sorted((base_dir / package).rglob("*")):
            if path.suffix in SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                digest.update(path.relative_to(base_dir).as_posix().encode())
                digest.update(b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()
