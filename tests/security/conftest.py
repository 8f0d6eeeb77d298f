"""Helpers of the security tests: settings as production computes them, and logging in."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]

# The README's production environment, without DJANGO_DEBUG.
PRODUCTION = {
    "ALLOWED_HOSTS": "example.com",
    "SECURE_PROXY_SSL_HEADER_NAME": "HTTP_X_FORWARDED_PROTO",
}
# Variables of this machine that would change what production computes.
_DROPPED = {"DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "CLIENT_IP_HEADER", "TRUSTED_PROXY_COUNT"}


def settings_in(env: dict[str, str], names: list[str], tmp_path: Path) -> dict:
    """The values of the named settings when alignment/settings.py runs with `env`."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env={**base, "VAR_DIR": str(tmp_path), "SECRET_KEY": secrets.token_urlsafe(50), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def form_login():
    """Log in through the real login form (axes and all): `form_login(client, user)`."""

    def _form_login(client, user, *, password: str = PASSWORD, address: str = "127.0.0.1"):
        return client.post(
            reverse("login"),
            {"username": user.get_username(), "password": password},
            REMOTE_ADDR=address,
        )

    return _form_login
