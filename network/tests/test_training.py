"""The roster, training records and coverage per township; permissions of every page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Assignment, User
from accounts.roles import Role
from audit.models import AuditEvent
from network import selectors, services
from network.models import TrainingRecord

D = dt.date


def director(unit, name):
    user = User.objects.create_user(name, password="x-Y-z-123456", full_name=name)
    Assignment.objects.create(user=user, role=Role.DIRECTOR, unit=unit)
    return user


JUNE = D(2025, 6, 1)


def train(user, recorder, on=JUNE):
    return TrainingRecord.objects.create(
        user=user, course="儿童主任业务培训", date=on, hours=Decimal("8"), recorded_by=recorder
    )


@pytest.fixture
def staff(city):
    return {
        "other": director(city.yuekou_other_village, "dir_other"),
        "duobao": director(city.duobao_village, "dir_duobao"),
    }


def row(result, township):
    (found,) = [r for r in result["rows"] if r["township"] == township]
    return found


def test_coverage_per_township(city, staff):
    train(city.yuekou_supervisor, city.admin)
    train(city.yuekou_director, city.admin)
    result = selectors.coverage(city.admin)
    yuekou = row(result, city.yuekou)
    assert (yuekou["staff"], yuekou["trained"], yuekou["percent"]) == (3, 2, 66.7)
    duobao = row(result, city.duobao)
    assert (duobao["staff"], duobao["trained"], duobao["percent"]) == (2, 0, 0.0)
    assert not result["full"]
    for user in (city.duobao_supervisor, staff["other"], staff["duobao"]):
        train(user, city.admin)
    assert selectors.coverage(city.admin)["full"]


def test_coverage_since_a_date_ignores_older_training(city, staff):
    train(city.yuekou_supervisor, city.admin, on=D(2023, 5, 1))
    assert row(selectors.coverage(city.admin), city.yuekou)["trained"] == 1
    assert row(selectors.coverage(city.admin, since=D(2025, 1, 1)), city.yuekou)["trained"] == 0


def test_inactive_staff_are_not_counted(city, staff):
    staff["other"].assignments.update(active=False)
    assert row(selectors.coverage(city.admin), city.yuekou)["staff"] == 2


def test_supervisor_sees_own_township_only(city, staff):
    result = selectors.coverage(city.yuekou_supervisor)
    assert [r["township"] for r in result["rows"]] == [city.yuekou]
    users = set(selectors.roster(city.yuekou_supervisor).values_list("user_id", flat=True))
    assert staff["duobao"].pk not in users and staff["other"].pk in users


def test_training_record_service_writes_audit(city, staff):
    records = services.training_record(
        actor=city.admin,
        users=[staff["other"], city.yuekou_director],
        course="流动儿童关爱保护专题培训",
        date=D(2025, 9, 1),
        hours=Decimal("6"),
    )
    assert len(records) == 2
    assert AuditEvent.objects.filter(action="create", object_type="network.trainingrecord").count() == 2


def test_training_record_refusals(city, staff):
    with pytest.raises(PermissionDenied):
        services.training_record(
            actor=city.yuekou_supervisor,
            users=[staff["other"]],
            course="x",
            date=D(2025, 9, 1),
            hours=Decimal(1),
        )
    with pytest.raises(services.NetworkError):
        services.training_record(
            actor=city.admin, users=[city.teacher], course="x", date=D(2025, 9, 1), hours=Decimal(1)
        )
    with pytest.raises(services.NetworkError):
        services.training_record(
            actor=city.admin,
            users=[staff["other"], staff["duobao"]],
            course="x",
            date=D(2025, 9, 1),
            hours=Decimal(1),
            certificate_no="C-1",
        )


URLS = ["network:index", "network:roster", "network:training", "network:training_new"]


@pytest.mark.parametrize("name", URLS)
def test_anonymous_goes_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", URLS)
def test_roles_without_network_capability_get_403(city, login, name):
    for persona in ("teacher", "leader", "auditor", "edu_liaison", "yuekou_director"):
        assert login(getattr(city, persona)).get(reverse(name)).status_code == 403, persona


@pytest.mark.parametrize("name", URLS[:3])
def test_pages_open_for_admin_and_supervisor(city, login, staff, name):
    assert login(city.admin).get(reverse(name)).status_code == 200
    assert login(city.yuekou_supervisor).get(reverse(name)).status_code == 200


def test_supervisor_cannot_record_training(city, login):
    assert login(city.yuekou_supervisor).get(reverse("network:training_new")).status_code == 403


def test_roster_of_another_township_is_empty_for_supervisor(city, login, staff):
    page = login(city.duobao_supervisor).get(reverse("network:roster")).content.decode()
    assert "dir_duobao" in page and "dir_other" not in page
    page = (
        login(city.duobao_supervisor)
        .get(reverse("network:roster") + f"?township={city.yuekou.pk}")
        .content.decode()
    )
    assert "dir_other" not in page


def test_admin_records_training_through_the_form(city, login, staff):
    client = login(city.admin)
    response = client.post(
        reverse("network:training_new"),
        {
            "users": [staff["other"].pk],
            "course": "专题培训",
            "date": "2025-09-01",
            "hours": "4",
            "certificate_no": "TM-1",
        },
    )
    assert response.status_code == 302
    assert TrainingRecord.objects.get(user=staff["other"]).certificate_no == "TM-1"
    bad = client.post(
        reverse("network:training_new"), {"users": [], "course": "", "date": "x", "hours": "-1"}
    )
    assert bad.status_code == 200 and "请选择参训人员" in bad.content.decode()


def test_home_card_shows_coverage_to_admins(city, login, staff):
    train(city.yuekou_supervisor, city.admin)
    page = login(city.admin).get(reverse("web:home")).content.decode()
    assert "培训覆盖率" in page and "未实现全覆盖" in page
    assert "培训覆盖率" not in login(city.teacher).get(reverse("web:home")).content.decode()


def test_participants_with_the_same_name_say_where_they_work(city):
    from accounts.models import User
    from network.forms import TrainingForm

    form = TrainingForm(user=city.admin)
    labels = [form.fields["users"].label_from_instance(u) for u in form.fields["users"].queryset]
    assert len(labels) == len(set(labels)), "two participants read the same"
    director = User.objects.get(pk=city.yuekou_director.pk)
    village = director.assignments.get().unit
    assert form.fields["users"].label_from_instance(director).endswith(f"（岳口镇{village.name}）")
