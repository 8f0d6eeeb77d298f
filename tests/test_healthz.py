import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

pytestmark = pytest.mark.django_db


class _UnreachableBroker:
    """Stands in for `app.connection_for_write()` when the broker is down."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def ensure_connection(self, *args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _broken_cursor(*args, **kwargs):
    raise OperationalError("could not connect to server")


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_not_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr("django.db.connection.cursor", _broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] != "ok"
    assert body["database"] != "ok"
    assert body["broker"] == "ok"


def test_healthz_answers_503_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(
        "alignment.celery.app.connection_for_write", lambda *args, **kwargs: _UnreachableBroker()
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] != "ok"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
