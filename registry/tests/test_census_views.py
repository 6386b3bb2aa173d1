import datetime as dt

from django.urls import reverse

from common.testing import make_child
from registry.models import CensusRound, CensusTask


def test_admin_opens_director_confirms_supervisor_watches(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.admin)
    today = dt.date.today()
    response = client.post(
        reverse("registry:census_open"),
        {
            "name": "秋季摸排",
            "period_start": today,
            "period_end": today + dt.timedelta(days=9),
            "deadline": today,
        },
    )
    census = CensusRound.objects.get()
    assert response.status_code == 302
    login(city.yuekou_director)
    assert client.get(reverse("registry:census")).status_code == 302
    task = CensusTask.objects.get(child=child)
    client.post(reverse("registry:census_task", args=[task.pk]), {"outcome": "confirmed"})
    task.refresh_from_db()
    assert task.status == "confirmed"
    login(city.yuekou_supervisor)
    body = client.get(reverse("registry:census_progress", args=[census.pk])).content.decode()
    assert "100.0%" in body and city.yuekou_community.name in body


def test_census_update_through_the_file_form(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.admin)
    today = dt.date.today()
    client.post(
        reverse("registry:census_open"),
        {"name": "秋季摸排", "period_start": today, "period_end": today, "deadline": today},
    )
    task = CensusTask.objects.get(child=child)
    login(city.yuekou_director)
    page = client.get(reverse("registry:census_task_update", args=[task.pk]))
    form = page.context["form"]
    formset = page.context["formset"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update({"township": city.yuekou.pk, "village": city.yuekou_community.pk, "grade": "三年级"})
    data["security"] = []
    data["residence_permit"] = "unknown"
    data.update({f"g-{k}": v for k, v in formset.management_form.initial.items()})
    for i, g in enumerate(formset.initial):
        data.update({f"g-{i}-{k}": ("on" if v is True else v) for k, v in g.items() if v is not False})
    response = client.post(reverse("registry:census_task_update", args=[task.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    child.refresh_from_db()
    assert task.status == "updated" and child.grade == "三年级" and child.last_verified_on == today


def test_bad_query_parameters_never_fail(client, city, login):
    make_child(village=city.yuekou_community)
    login(city.admin)
    today = dt.date.today()
    client.post(
        reverse("registry:census_open"),
        {"name": "秋季摸排", "period_start": today, "period_end": today, "deadline": today},
    )
    census = CensusRound.objects.get()
    for url in (
        reverse("registry:census_progress", args=[census.pk]) + "?township=abc",
        reverse("registry:census_worklist", args=[census.pk]) + "?status=zzz&page=x",
        reverse("registry:list") + "?township=abc&village=&status=bad&state=nope&page=-1",
    ):
        assert client.get(url).status_code == 200, url


def test_census_open_form_errors(client, city, login):
    login(city.admin)
    today = dt.date.today()
    body = client.post(
        reverse("registry:census_open"),
        {"name": "x", "period_start": today, "period_end": today - dt.timedelta(days=1), "deadline": today},
    ).content.decode()
    assert "结束日期早于开始日期" in body and not CensusRound.objects.exists()
