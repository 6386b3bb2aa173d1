import pytest


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The public API is rate-limited through the cache; every test starts with a clean count."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
