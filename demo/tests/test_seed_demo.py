import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from accounts.models import User
from common import idnumber
from registry.models import Child

ROOT = Path(__file__).resolve().parents[2]


def _city(seed=7):
    call_command("seed_demo", children=120, seed=seed, on=dt.date(2025, 9, 1), quiet=True)
    return list(
        Child.objects.order_by("file_no").values_list("name", "birth_date", "id_hash", "township__name")
    )


def test_seed_demo_builds_valid_children_and_personas(db):
    _city()
    assert Child.objects.filter(pending_verification=False).count() == 120  # feeds may discover more
    for child in Child.objects.filter(pending_verification=False):
        facts = idnumber.parse(child.id_number)
        assert facts.birth_date == child.birth_date
        assert (facts.sex == "M") == (child.sex == "男")
        assert child.hukou_county_id and child.township_id and child.village.parent_id == child.township_id
    for username in [
        "demo_admin",
        "yuekou_supervisor",
        "yuekou_director",
        "duobao_supervisor",
        "edu_liaison",
        "yuekou_teacher",
        "leader",
        "demo_auditor",
    ]:
        assert User.objects.get(username=username).assignments.exists()


def test_seed_demo_is_idempotent(db):
    before = len(_city())
    call_command("seed_demo", children=120, seed=7, on=dt.date(2025, 9, 1), quiet=True)
    assert Child.objects.count() == before


def _seed_into(path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{path}"}
    for args in (
        ["migrate", "-v", "0"],
        ["seed_demo", "--children", "80", "--seed", "11", "--on", "2025-09-01", "--quiet"],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT name, birth_date, township_id, id_hash FROM registry_child ORDER BY file_no"
        ).fetchall()


def test_seed_demo_is_deterministic(tmp_path):
    first, second = _seed_into(tmp_path / "a.sqlite3"), _seed_into(tmp_path / "b.sqlite3")
    assert len(first) >= 80 and first == second


def test_fast_id_numbers_are_those_of_idnumber_make():
    from registry.demo import _Ids

    ids = _Ids(random.Random(1))
    rng = random.Random(2)
    for _ in range(2000):
        county = rng.choice(["420102", "429006", "110101", "513437"])
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 24000))
        seq = rng.randrange(1000)
        assert ids.number(county, birth, seq) == idnumber.make(county, birth, seq)


def test_registry_chunks_are_the_same_from_worker_processes(db, monkeypatch):
    from demo.context import DemoContext
    from demo.people import seed_personas, seed_schools
    from demo.places import seed_villages
    from registry import demo as registry_demo

    seed_villages(random.Random(1))
    seed_schools(random.Random(2))
    ctx = DemoContext(
        seed=3, on=dt.date(2025, 9, 1), children=130, rng=random.Random(3), stdout=None, progress=None
    )
    ctx.personas = seed_personas()
    monkeypatch.setattr(registry_demo, "BATCH", 40)
    monkeypatch.setattr(registry_demo, "SLOTS", 4)
    plan = registry_demo._plan(ctx)
    assert plan.chunks == 4
    alone = list(registry_demo._chunks(plan, workers=1))
    forked = list(registry_demo._chunks(plan, workers=2))

    def plain(chunks):  # ciphertexts differ by their random nonces: compare the rest
        child_secret = registry_demo.CHILD_COLUMNS.index("id_number")
        guardian_secrets = {registry_demo.GUARDIAN_COLUMNS.index(c) for c in ("id_number", "phone")}
        return [
            (
                households,
                [tuple(v for i, v in enumerate(g) if i not in guardian_secrets) for g in guardians],
                [c[:child_secret] + c[child_secret + 1 :] for c in children],
            )
            for households, guardians, children in chunks
        ]

    assert plain(forked) == plain(alone)
    children = [c for _h, _g, chunk in alone for c in chunk]
    assert len(children) == 130
    numbers = [c[registry_demo.CHILD_COLUMNS.index("id_hash")] for c in children]
    assert len(set(numbers)) == 130  # no ID number twice across chunks
