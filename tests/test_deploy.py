"""The production settings the README documents pass Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables that would turn the production environment back into a development one, or point it
# at this machine's servers; the tests below set what they need themselves.
_DROPPED = {
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER_NAME",
    "CLIENT_IP_HEADER",
    "TRUSTED_PROXY_COUNT",
    # Set by the browser tests' conftest for Playwright's event loop; never in production.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    base["VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_documented_production_settings_pass_check_deploy(tmp_path):
    production = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.com",
        "SECURE_PROXY_SSL_HEADER_NAME": "HTTP_X_FORWARDED_PROTO",
    }

    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = _manage("check", env={"ALLOWED_HOSTS": "example.com"}, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_proxy_count_without_a_client_ip_header_refuses_to_start(tmp_path):
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.com",
        "TRUSTED_PROXY_COUNT": "1",
    }

    result = _manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT needs CLIENT_IP_HEADER" in result.stderr


def test_a_boolean_that_is_not_true_or_false_refuses_to_start(tmp_path):
    result = _manage("check", env={"DJANGO_DEBUG": "yes"}, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 'true' or 'false', not 'yes'" in result.stderr


def test_a_secret_key_may_start_with_an_escaped_dollar(tmp_path):
    # django-environ reads "$NAME" from the variable NAME; "\$" stands for the character itself.
    key = secrets.token_urlsafe(50)
    env = {"SECRET_KEY": "\\$" + key, "ALLOWED_HOSTS": "example.com"}

    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env=env,
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "$" + key


def _gunicorn_settings(env: dict[str, str]) -> dict[str, str]:
    """What gunicorn makes of gunicorn.conf.py, which it reads from the working directory."""
    unset = {"WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG", "PORT"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config", "alignment.wsgi"],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )


def test_gunicorn_runs_a_threaded_worker_per_core_plus_one_on_port_8000():
    settings = _gunicorn_settings({})

    assert settings["worker_class"] == "gthread"
    assert settings["workers"] == str(len(os.sched_getaffinity(0)) + 1)
    assert settings["threads"] == "1"
    assert int(settings["keepalive"]) > 1  # the heads' next request finds its connection open
    assert settings["bind"] == "['0.0.0.0:8000']"
    assert settings["accesslog"] == "None"  # off: the proxy in front logs requests


def test_gunicorn_writes_an_access_log_when_asked():
    assert _gunicorn_settings({"GUNICORN_ACCESS_LOG": "true"})["accesslog"] == "-"


def test_gunicorn_takes_its_workers_threads_and_port_from_the_environment():
    settings = _gunicorn_settings({"WEB_CONCURRENCY": "7", "GUNICORN_THREADS": "2", "PORT": "9123"})

    assert settings["workers"] == "7"
    assert settings["threads"] == "2"
    assert settings["bind"] == "['0.0.0.0:9123']"


def test_the_procfile_and_the_image_start_gunicorn_with_its_settings_file():
    # gunicorn.conf.py holds the settings; an option on the command line would override it.
    procfile = (BASE_DIR / "Procfile").read_text()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert "web: gunicorn alignment.wsgi\n" in procfile
    assert 'CMD ["gunicorn", "alignment.wsgi"]' in dockerfile
