import pytest


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The public API is rate-limited through the cache; every test starts with a clean count.

    (test_rules.py also runs without Django: ``-p no:django``.)
    """
    from django.conf import settings

    if not settings.configured:
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
