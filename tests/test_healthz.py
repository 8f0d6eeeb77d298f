import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from alignment import health
from alignment.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_broker_connection():
    """Each test starts without the connection an earlier one left open."""
    health.reset_broker_connection()
    yield
    health.reset_broker_connection()


class _UnreachableBroker:
    """Stands in for `app.connection_for_write()` when the broker is down."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def ensure_connection(self, *args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def release(self):
        pass


class _RedisGoneAway:
    """An open connection to a Redis that stopped answering: PING fails on it."""

    class default_channel:  # noqa: N801
        class client:  # noqa: N801
            @staticmethod
            def ping():
                raise ConnectionError("Connection closed by server.")

    def ensure_connection(self, *args, **kwargs):
        return self

    def release(self):
        pass


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


def test_healthz_reuses_one_broker_connection_across_requests(client, monkeypatch):
    opened = []
    connect = app.connection_for_write

    def counting(*args, **kwargs):
        opened.append(1)
        return connect(*args, **kwargs)

    monkeypatch.setattr("alignment.celery.app.connection_for_write", counting)

    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    assert len(opened) == 1


def test_healthz_answers_503_when_an_open_redis_connection_stops_answering(client, monkeypatch):
    monkeypatch.setattr(
        "alignment.celery.app.connection_for_write", lambda *args, **kwargs: _RedisGoneAway()
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "error: ConnectionError"


def test_healthz_connects_afresh_once_the_broker_is_back(client, monkeypatch):
    connect = app.connection_for_write
    monkeypatch.setattr(
        "alignment.celery.app.connection_for_write", lambda *args, **kwargs: _UnreachableBroker()
    )
    assert client.get("/healthz").status_code == 503

    monkeypatch.setattr("alignment.celery.app.connection_for_write", connect)

    assert client.get("/healthz").status_code == 200
