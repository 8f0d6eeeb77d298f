from types import SimpleNamespace

import pytest

from strategy import tasks


@pytest.fixture
def invitations(monkeypatch) -> list[list[int]]:
    """The invitation tasks enqueued, one list of user ids each, instead of the broker."""
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks, "send_invitations", SimpleNamespace(delay=queued.append))
    return queued
