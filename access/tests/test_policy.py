import pytest
from django.http import Http404
from django.utils import timezone

from access import policy
from accounts.models import User
from common.testing import make_child


@pytest.fixture
def children(city):
    return {
        "community": make_child(village=city.yuekou_community, name="李一"),
        "yuekou_other": make_child(village=city.yuekou_other_village, name="李二"),
        "duobao": make_child(village=city.duobao_village, name="李三"),
    }


def visible(user):
    return set(policy.children_visible(user).values_list("name", flat=True))


def test_city_admin_sees_every_child(city, children):
    assert visible(city.admin) == {"李一", "李二", "李三"}


def test_township_grant_covers_its_villages(city, children):
    assert visible(city.yuekou_supervisor) == {"李一", "李二"}


def test_director_sees_only_own_villages(city, children):
    assert visible(city.yuekou_director) == {"李一"}


def test_supervisor_of_other_township_gets_404(city, children):
    assert visible(city.duobao_supervisor) == {"李三"}
    with pytest.raises(Http404):
        policy.get_child_or_404(city.duobao_supervisor, children["community"].pk)


@pytest.mark.parametrize("persona", ["leader", "auditor", "edu_liaison"])
def test_roles_without_personal_data_see_no_child(city, children, persona):
    assert visible(getattr(city, persona)) == set()


def test_user_without_assignment_sees_nothing_even_as_superuser(city, children):
    root = User.objects.create_superuser("root", password="x-Y-z-123456")
    assert visible(root) == set()
    assert not policy.can(root, "registry.view")


def test_inactive_assignment_grants_nothing(city, children):
    city.yuekou_supervisor.assignments.update(active=False)
    user = User.objects.get(pk=city.yuekou_supervisor.pk)
    assert visible(user) == set()


def test_teacher_sees_pupils_of_own_school_only(city, children):
    school = city.teacher.assignments.get().school
    pupil = make_child(village=city.duobao_village, name="李四", school=school)
    assert visible(city.teacher) == {pupil.name}


def test_can_checks_object_scope(city, children):
    assert policy.can(city.yuekou_director, "registry.edit", children["community"])
    assert not policy.can(city.yuekou_director, "registry.edit", children["yuekou_other"])
    assert not policy.can(city.leader, "registry.view", children["community"])
    assert policy.can_reveal(city.yuekou_supervisor, children["yuekou_other"])
    assert not policy.can_reveal(city.teacher, children["community"])


def test_stats_scope_follows_role(city):
    assert policy.stats_scope(city.leader) == (True, frozenset())
    assert policy.stats_scope(city.yuekou_supervisor) == (False, frozenset({city.yuekou.pk}))
    assert policy.stats_scope(city.auditor) == (False, frozenset())


PERSONAS = [
    "admin",
    "yuekou_supervisor",
    "yuekou_director",
    "duobao_supervisor",
    "edu_liaison",
    "teacher",
    "leader",
    "auditor",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_child_in_scope_agrees_with_children_visible(city, children, persona):
    user = getattr(city, persona)
    school = city.teacher.assignments.get().school
    pupil = make_child(village=city.duobao_village, name="李四", school=school)
    for child in [*children.values(), pupil]:
        expected = policy.children_visible(user).filter(pk=child.pk).exists()
        assert policy.child_in_scope(user, child) is expected, (persona, child.name)


def test_child_in_scope_of_liaison_follows_referrals(city, children):
    from servicelist.models import Referral

    child = children["duobao"]
    assert not policy.child_in_scope(city.edu_liaison, child)
    department = city.edu_liaison.assignments.get().department
    Referral.objects.create(
        child=child,
        department=department,
        reason="测试转介",
        deadline=child.birth_date,
        created_by=city.admin,
    )
    assert policy.child_in_scope(city.edu_liaison, child)


@pytest.mark.parametrize("persona", PERSONAS)
def test_scoping_by_a_rows_own_scope_columns_agrees_with_the_join(city, children, persona):
    """``scoped_by_child(..., local=True)`` (the care summary rows' copies of the child's
    township, village and school) returns the same rows as the rule applied through the child."""
    from care.models import CareStatus
    from care.status import refresh_all
    from servicelist.models import Referral

    today = timezone.localdate()
    user = getattr(city, persona)
    school = city.teacher.assignments.get().school
    pupil = make_child(village=city.duobao_village, name="李四", school=school)
    make_child(village=city.yuekou_other_village, name="李五", closed_at=today, close_reason="moved_away")
    Referral.objects.create(
        child=children["duobao"],
        department=city.edu_liaison.assignments.get().department,
        reason="测试转介",
        deadline=pupil.birth_date,
        created_by=city.admin,
    )
    refresh_all(on=today)
    rows = CareStatus.objects.all()
    joined = set(policy.scoped_by_child(user, rows).values_list("child_id", flat=True))
    local = set(policy.scoped_by_child(user, rows, local=True).values_list("child_id", flat=True))
    assert local == joined
    assert joined == set(policy.children_visible(user).values_list("pk", flat=True))
