"""Whose figures each persona gets, and that no statistics response carries personal data."""

import io

import pytest
from django.http import Http404
from openpyxl import load_workbook

from stats import selectors

URLS = ["/stats/", "/stats/report/", "/stats/export.xlsx"]


def test_stats_scope_of_each_persona(city):
    leader = selectors.scope_for(city.leader)
    assert leader.city_wide and leader.townships is None
    supervisor = selectors.scope_for(city.yuekou_supervisor)
    assert supervisor.townships == [city.yuekou.pk]
    # A child director reads the aggregates of the village's township (decision documented in selectors).
    assert selectors.scope_for(city.yuekou_director).townships == [city.yuekou.pk]
    liaison = selectors.scope_for(city.edu_liaison)
    assert liaison.department_only and not liaison.has_area
    assert selectors.scope_for(city.auditor).empty
    assert selectors.scope_for(city.teacher).empty


def test_township_outside_the_scope_is_404(city):
    with pytest.raises(Http404):
        selectors.scope_for(city.duobao_supervisor, township_id=city.yuekou.pk)
    assert selectors.scope_for(city.leader, township_id=city.yuekou.pk).townships == [city.yuekou.pk]


def test_liaison_gets_no_measure_of_the_register(city):
    names = {spec.name for spec in selectors.measures_for(selectors.scope_for(city.edu_liaison))}
    assert not names & {"overview", "age_groups", "sex", "townships", "origin_counties", "files"}


def test_yuekou_supervisor_figures_cover_only_yuekou(twelve, city, login):
    client = login(city.yuekou_supervisor)
    overview = client.get("/api/v1/stats/measures/overview").json()
    assert overview["rows"][0] == ["流动儿童（已认定）", 8]
    villages = client.get("/api/v1/stats/measures/villages").json()
    assert {row[0] for row in villages["rows"]} == set(city.yuekou.children.values_list("name", flat=True))
    page = client.get("/stats/").content.decode()
    assert "多宝镇" not in page
    assert client.get("/api/v1/stats/measures/townships").status_code == 404  # one township: villages


def test_duobao_supervisor_sees_only_duobao(twelve, city, login):
    client = login(city.duobao_supervisor)
    assert client.get("/api/v1/stats/measures/sex").json()["rows"] == [
        ["男", "<5", "—"],
        ["女", "<5", "—"],
    ]
    assert client.get(f"/stats/?township={city.yuekou.pk}").status_code == 404
    assert client.get(f"/stats/export.xlsx?township={city.yuekou.pk}").status_code == 404
    assert client.get(f"/api/v1/stats/measures/sex?township={city.yuekou.pk}").status_code == 404


def _texts_of_workbook(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


@pytest.mark.parametrize("persona", ["leader", "admin", "yuekou_supervisor", "yuekou_director"])
def test_no_personal_data_in_any_stats_response(twelve, city, login, persona):
    client = login(city.personas[persona])
    bodies = []
    for url in URLS + [f"/stats/?township={city.yuekou.pk}"]:
        response = client.get(url)
        if response.status_code == 403:  # directors may not export
            continue
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):
            bodies.append(_texts_of_workbook(response.content))
        else:
            bodies.append(response.content.decode())
    listing = client.get("/api/v1/stats/measures").json()
    assert listing
    for item in listing:
        bodies.append(client.get(item["url"]).content.decode())
    everything = "\n".join(bodies)
    for child in twelve:
        assert child.name not in everything
        assert child.id_number not in everything
        assert child.id_masked not in everything
        assert child.file_no not in everything
        guardian = child.household.guardians.get()
        assert guardian.name not in everything
        assert guardian.phone_masked not in everything
