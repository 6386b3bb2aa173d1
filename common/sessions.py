"""Database sessions that do not rewrite an unchanged session on every request.

The sessions expire after ``SESSION_COOKIE_AGE`` without activity (``SESSION_SAVE_EVERY_REQUEST``):
Django's database store rewrites the row on every request to move the expiry on, which makes
every page a write transaction. This store moves the expiry on at most once a minute for a
session whose content did not change: a session then ends after between 29 and 30 minutes
without activity instead of exactly 30 — never later. A changed session (login, logout,
messages, OTP) is written at once, as before.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.utils import timezone

# An unchanged session's expiry is moved on when it was last moved more than this long ago.
REFRESH_SECONDS = 60


class SessionStore(DbSessionStore):
    _stored_expiry = None

    def _get_session_from_db(self):
        session = super()._get_session_from_db()
        self._stored_expiry = session.expire_date if session is not None else None
        return session

    def _recently_refreshed(self) -> bool:
        if self._stored_expiry is None or self.session_key is None:
            return False
        remaining = (self._stored_expiry - timezone.now()).total_seconds()
        return remaining > self.get_expiry_age() - REFRESH_SECONDS

    def save(self, must_create=False):
        if not must_create and not self.modified and self._recently_refreshed():
            return
        super().save(must_create=must_create)
        self._stored_expiry = self.get_expiry_date()

    def cycle_key(self):
        self._stored_expiry = None
        super().cycle_key()

    def delete(self, session_key=None):
        if session_key is None or session_key == self.session_key:
            self._stored_expiry = None
        super().delete(session_key)
