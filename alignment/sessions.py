"""Sessions in the database, as django.contrib.sessions.backends.db keeps them, read by a
prepared statement (strategy.prepared): every signed-in request reads its session, and the
ORM built and compiled the same query for each one.

A session signed in with Django's own password backend is read as signed in with
alignment.backends.ModelBackend, which replaced it: its person stays signed in.
"""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from alignment.backends import DJANGO_MODEL_BACKEND, MODEL_BACKEND
from strategy.prepared import prepared


@prepared
def _session_row(*, key):
    return Session.objects.filter(session_key=key).values_list("session_data", "expire_date")


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        # What the parent reads, with the expiry compared here: the prepared read takes no time.
        found = _session_row(key=self.session_key)
        if found and found[0][1] > timezone.now():
            ((data, expire_date),) = found
            return self.model(
                session_key=self.session_key, session_data=data, expire_date=expire_date
            )
        self._session_key = None
        return None

    def load(self):
        data = super().load()
        if data.get(BACKEND_SESSION_KEY) == DJANGO_MODEL_BACKEND:
            data[BACKEND_SESSION_KEY] = MODEL_BACKEND
        return data
