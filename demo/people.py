"""Organisations and staff of the demo city: workstations, schools, the personas of the
README and a child director for every village."""

from __future__ import annotations

import random
from functools import lru_cache

from django.contrib.auth.hashers import make_password

from accounts.models import Assignment, User
from accounts.roles import Role
from network.models import Department, Workstation
from places.models import Unit
from schools.models import School

DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - the documented password of the synthetic demo city

# key -> (username, full name, role, target description)
PERSONAS = {
    "admin": ("demo_admin", "市民政局管理员", Role.CITY_ADMIN),
    "yuekou_supervisor": ("yuekou_supervisor", "岳口镇儿童督导员", Role.SUPERVISOR),
    "yuekou_director": ("yuekou_director", "岳口镇社区儿童主任", Role.DIRECTOR),
    "duobao_supervisor": ("duobao_supervisor", "多宝镇儿童督导员", Role.SUPERVISOR),
    "edu_liaison": ("edu_liaison", "教育局联络员", Role.LIAISON),
    "teacher": ("yuekou_teacher", "岳口镇小学教师", Role.SCHOOL_STAFF),
    "leader": ("leader", "市领导", Role.LEADER),
    "auditor": ("demo_auditor", "审计员", Role.AUDITOR),
}

SCHOOL_WORDS = "实验 第一 第二 希望 育才 光明 阳光 明德".split()


def seed_network() -> None:
    city = Unit.objects.get(level=Unit.Level.CITY)
    Workstation.objects.get_or_create(
        name="天门市未成年人救助保护中心", defaults={"kind": Workstation.Kind.INSTITUTION, "unit": city}
    )
    for township in Unit.objects.filter(level=Unit.Level.TOWNSHIP):
        Workstation.objects.get_or_create(
            name=f"{township.name}未成年人保护工作站", defaults={"unit": township}
        )


def seed_schools(rng: random.Random) -> None:
    schools = []
    for township in Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code"):
        base = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        urban = township.kind == "street"
        schools.append(School(name=f"{base}中心幼儿园", kind=School.Kind.KINDERGARTEN, township=township))
        for word in rng.sample(SCHOOL_WORDS, k=3 if urban else 1):
            schools.append(
                School(name=f"天门市{base}{word}小学", kind=School.Kind.PRIMARY, township=township)
            )
        schools.append(School(name=f"天门市{base}初级中学", kind=School.Kind.JUNIOR, township=township))
    seat = Unit.objects.get(code="429006001")
    schools += [
        School(name="湖北省天门中学", kind=School.Kind.SENIOR, township=seat),
        School(name="天门市实验高级中学", kind=School.Kind.SENIOR, township=seat),
        School(name="天门职业学院附属中职部", kind=School.Kind.VOCATIONAL, township=seat),
        School(name="天门市特殊教育学校", kind=School.Kind.SPECIAL, township=seat),
    ]
    School.objects.bulk_create(schools, ignore_conflicts=True)


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # Hashing once: hundreds of demo staff share the documented password, and a
    # deliberately slow hash per user would make the demo city take minutes.
    return make_password(DEMO_PASSWORD)


def _user(username: str, full_name: str) -> User:
    user, _created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "password": _demo_password_hash()}
    )
    return user


def seed_personas() -> dict[str, User]:
    city = Unit.objects.get(level=Unit.Level.CITY)
    yuekou = Unit.objects.get(code="429006107")
    duobao = Unit.objects.get(code="429006100")
    community = yuekou.children.filter(kind=Unit.Kind.COMMUNITY).order_by("code").first()
    education = Department.objects.get(code="education")
    school = School.objects.filter(township=yuekou, kind=School.Kind.PRIMARY).order_by("name").first()
    targets = {
        "admin": {"unit": city},
        "yuekou_supervisor": {"unit": yuekou},
        "yuekou_director": {"unit": community},
        "duobao_supervisor": {"unit": duobao},
        "edu_liaison": {"department": education},
        "teacher": {"school": school, "psych_designated": True},
        "leader": {"unit": city},
        "auditor": {},
    }
    personas = {}
    for key, (username, full_name, role) in PERSONAS.items():
        user = _user(username, full_name)
        Assignment.objects.get_or_create(user=user, role=role, **targets[key])
        personas[key] = user
    return personas


def seed_directors() -> None:
    """One child director per village (the persona covers one community of 岳口镇) and a
    supervisor per township, so that work lists and compliance by worker have owners."""
    covered = set(
        Assignment.objects.filter(role__in=[Role.DIRECTOR, Role.SUPERVISOR], active=True).values_list(
            "unit_id", flat=True
        )
    )
    for unit in Unit.objects.filter(level__in=[Unit.Level.VILLAGE, Unit.Level.TOWNSHIP]).order_by("code"):
        if unit.pk in covered:
            continue
        role = Role.DIRECTOR if unit.level == Unit.Level.VILLAGE else Role.SUPERVISOR
        prefix = "dir" if role == Role.DIRECTOR else "sup"
        user = _user(f"{prefix}_{unit.code}", f"{unit.name}{role.label}")
        Assignment.objects.create(user=user, role=role, unit=unit)
