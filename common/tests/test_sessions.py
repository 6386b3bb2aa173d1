import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from common.sessions import REFRESH_SECONDS, SessionStore

pytestmark = pytest.mark.django_db


def _expiry(key: str) -> dt.datetime:
    return Session.objects.get(session_key=key).expire_date


def _saved_session() -> str:
    store = SessionStore()
    store["who"] = "alice"
    store.save(must_create=True)
    return store.session_key


def _age(key: str, seconds: int) -> None:
    """Pretend the session was last written ``seconds`` ago."""
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=1800 - seconds)
    )


def test_unchanged_session_read_again_at_once_is_not_rewritten():
    key = _saved_session()
    _age(key, 5)
    before = _expiry(key)
    store = SessionStore(key)
    assert store["who"] == "alice"
    store.save()
    assert _expiry(key) == before


def test_unchanged_session_expiry_moves_on_after_a_minute():
    key = _saved_session()
    _age(key, REFRESH_SECONDS + 5)
    before = _expiry(key)
    store = SessionStore(key)
    assert store["who"] == "alice"
    store.save()
    assert _expiry(key) > before + dt.timedelta(seconds=REFRESH_SECONDS)


def test_changed_session_is_written_at_once():
    key = _saved_session()
    _age(key, 5)
    store = SessionStore(key)
    store["who"] = "bob"
    store.save()
    assert SessionStore(key)["who"] == "bob"


def test_session_never_outlives_the_inactivity_limit():
    key = _saved_session()
    store = SessionStore(key)
    store.load()
    store.save()
    assert _expiry(key) <= timezone.now() + dt.timedelta(seconds=store.get_expiry_age())


def test_expired_session_is_not_revived():
    key = _saved_session()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    store = SessionStore(key)
    assert "who" not in store
    store.save()
    assert not Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists()


def test_logged_in_client_keeps_its_session_across_pages(client, city):
    client.force_login(city.yuekou_director)
    key = client.cookies["sessionid"].value
    assert client.get("/healthz").status_code == 200
    response = client.get("/")
    assert response.status_code == 200
    assert Session.objects.filter(session_key=key).exists()
