import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.testing import make_child
from registry.models import Child
from registry.paging import CappedPaginator


@pytest.fixture
def five(city):
    return [make_child(village=city.yuekou_community, name=f"李{i}") for i in range(5)]


def test_counts_up_to_the_cap_whatever_the_order(five, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 10)
    paginator = CappedPaginator(Child.objects.order_by("-id"), 2)
    assert paginator.count == 5 and not paginator.capped
    assert [c.pk for c in paginator.page(1)] == sorted((c.pk for c in five), reverse=True)[:2]


def test_more_rows_than_the_cap_are_reported_as_capped(five, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 3)
    paginator = CappedPaginator(Child.objects.order_by("name"), 2)
    assert paginator.count == 3 and paginator.capped


def test_count_query_drops_the_ordering(five):
    paginator = CappedPaginator(Child.objects.order_by("-id"), 2)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 5
    assert "ORDER BY" not in queries[0]["sql"]
