import pytest

from audit.models import AuditEvent
from common.testing import make_child


@pytest.fixture
def child(city):
    return make_child(village=city.yuekou_community)


def test_list_is_scoped_and_masked(client, city, login, child):
    make_child(village=city.duobao_village, name="多宝娃")
    login(city.yuekou_supervisor)
    data = client.get("/api/v1/registry/children/").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["file_no"] == child.file_no and row["id_masked"] == child.id_masked
    assert child.id_number not in str(data)


def test_search_by_exact_id(client, city, login, child):
    login(city.admin)
    data = client.get("/api/v1/registry/children/", {"q": child.id_number}).json()
    assert [r["id"] for r in data["results"]] == [child.pk]


def test_detail_is_masked_and_audited(client, city, login, child):
    login(city.yuekou_director)
    data = client.get(f"/api/v1/registry/children/{child.pk}/").json()
    assert data["guardians"][0]["phone_masked"] == "138****5678"
    assert "13812345678" not in str(data) and child.id_number not in str(data)
    assert AuditEvent.objects.filter(action="read", object_id=str(child.pk)).exists()


def test_out_of_scope_is_404(client, city, login, child):
    login(city.duobao_supervisor)
    assert client.get(f"/api/v1/registry/children/{child.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["leader", "auditor"])
def test_leader_and_auditor_get_403(client, city, login, child, persona):
    login(getattr(city, persona))
    assert client.get("/api/v1/registry/children/").status_code == 403
    assert client.get(f"/api/v1/registry/children/{child.pk}/").status_code == 403


def test_anonymous_is_refused(client, child):
    assert client.get("/api/v1/registry/children/").status_code in (401, 403)


def test_schema_documents_the_endpoints(client, city, login):
    login(city.admin)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/registry/children/" in schema


def test_count_is_capped_for_big_lists(client, city, login, child, monkeypatch):
    from registry.paging import CappedPaginator

    make_child(village=city.yuekou_community, name="王明")
    make_child(village=city.yuekou_community, name="李新")
    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    login(city.yuekou_supervisor)
    data = client.get("/api/v1/registry/children/").json()
    # Beyond the cap the list asks for a narrower search instead of counting on.
    assert data["count"] == 2 and data["count_capped"] is True and len(data["results"]) == 2
