"""The dashboard keeps figures and rendered cards per process until the next summary rebuild."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.testing import make_child
from stats import selectors, views
from stats.services import refresh_aggregates
from stats.tests.conftest import ON


@pytest.fixture(autouse=True)
def _empty_caches():
    selectors.clear_process_cache()
    views._card_html.clear()
    yield
    selectors.clear_process_cache()
    views._card_html.clear()


def _overview(client) -> str:
    return client.get(f"/stats/?start={ON.replace(day=1).isoformat()}&end={ON.isoformat()}")


def test_second_view_reads_only_the_rebuild_time_and_live_figures(twelve, city, login):
    client = login(city.leader)
    first = _overview(client)
    with CaptureQueriesContext(connection) as queries:
        second = _overview(client)
    assert [c["html"] for c in second.context["cards"]] == [c["html"] for c in first.context["cards"]]
    summary_tables = ("stats_childaggregate", "stats_originaggregate", "stats_measurecache")
    assert not [q["sql"] for q in queries if any(t in q["sql"] for t in summary_tables)]


def test_rebuild_shows_new_figures_at_once(twelve, city, login):
    client = login(city.leader)
    before = _overview(client).context["cards"][0]["measure"].rows[0][1]
    make_child(village=city.yuekou_community, name="欧阳新", on=ON)
    refresh_aggregates(actor=None, on=ON)
    after = _overview(client).context["cards"][0]["measure"].rows[0][1]
    assert after == before + 1


def test_scopes_do_not_share_figures(twelve, city, login):
    city_wide = _overview(login(city.leader)).context["cards"][0]["measure"].rows[0][1]
    township = _overview(login(city.yuekou_supervisor)).context["cards"][0]["measure"].rows[0][1]
    assert township < city_wide


def test_nothing_is_kept_before_the_first_rebuild(city, login):
    _overview(login(city.leader))
    assert selectors._process_cache == {}
