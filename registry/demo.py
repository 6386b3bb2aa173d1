"""Demo children: households, guardians and children with valid ID numbers from real
origin counties, plausible names, ages 0-15 and arrival dates. Bulk inserts in batches,
deterministic for the seed and the reference date."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
from bisect import bisect
from collections import deque
from dataclasses import dataclass
from itertools import accumulate

from django.conf import settings
from django.db import transaction

from common import crypto, idnumber
from demo import bulk
from places.models import County, Unit
from registry import identity
from registry.models import Child, Guardian, Household
from registry.services import reserve_file_numbers
from registry.status import compute_status
from schools.models import School

ORDER = 10
BATCH = 20000
SLOTS = 50  # ID sequence slots: chunks of one city never draw the same number
WORKERS = 2  # processes generating chunks while this one writes

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_BOY = "浩宇轩博文俊杰子涵睿泽皓明辰昊宇航然梓豪一鸣家乐天佑思远志强嘉懿晨阳书恒锦程瑞霖子墨宸奕铭"
GIVEN_GIRL = "欣怡梓涵诗涵雨桐可馨思琪佳怡子萱梦瑶语嫣紫涵若曦雨欣一诺安琪心怡婉清晓彤芷若静怡语彤梓萌悦然"
ADULT_GIVEN = "建国建华志刚海燕丽华秀英红梅国强卫东春梅晓燕小红伟明丽娟德华军玉兰桂芳明亮永红新民淑珍金凤"
ETHNIC = ["汉族"] * 97 + ["土家族", "回族", "苗族"]
ORIGIN_WEIGHTS = [
    ("42", 40),
    ("41", 15),
    ("43", 12),
    ("36", 6),
    ("34", 6),
    ("50", 4),
    ("51", 4),
    ("44", 3),
    ("45", 2),
    ("52", 2),
    ("53", 2),
    ("61", 2),
    ("62", 1),
    ("32", 1),
]
TOWNSHIP_WEIGHTS = {"429006001": 14, "429006002": 9, "429006003": 7, "429006107": 8, "429006100": 5}
HUKOU_PLACES = [f"{a}{b}村{n}组" for a in "东西南北新" for b in "王李张刘陈" for n in (1, 3, 5, 7)]
MOVED_WITH = ["随父母双方", "随父亲", "随母亲", "随其他监护人"]
HEALTH = ["健康", "慢性病", "残疾", "严重精神障碍"]
STREETS = "钟惠路 陆羽大道 西湖路 东湖路 竟陵大道 人民大道 天门大道 建设路 解放路 新城路 府河路".split()


def _given(rng: random.Random, pool: str) -> str:
    if rng.random() < 0.25:
        return rng.choice(pool)
    i = rng.randrange(0, len(pool) - 1, 2)
    return pool[i : i + 2]


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _pick(rng: random.Random, population, cum_weights: list) -> object:
    """``rng.choices(population, cum_weights=cum_weights)[0]`` (the same draw), without the
    list and checks ``choices`` builds on each of its millions of calls here."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1], 0, len(population) - 1)]


def _weighted(digits: str, offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, idnumber.WEIGHTS[offset:], strict=False))


class _Ids:
    """Valid, unique ID numbers: the same numbers as ``idnumber.make``, with the weighted digit
    sums of the check character cached per county, date and sequence (millions of numbers)."""

    def __init__(self, rng: random.Random, slot: int = 0):
        self.rng = rng
        self.slot = slot
        self.used: set[int] = set()
        self.counties: dict[str, int] = {}
        self.dates: dict[dt.date, tuple[str, int]] = {}
        self.sequences = [(f"{n:03d}", _weighted(f"{n:03d}", 14)) for n in range(1000)]

    def number(self, county: str, birth: dt.date, seq: int) -> str:
        county_sum = self.counties.get(county)
        if county_sum is None:
            county_sum = self.counties[county] = _weighted(county, 0)
        date = self.dates.get(birth)
        if date is None:
            text = birth.strftime("%Y%m%d")
            date = self.dates[birth] = (text, _weighted(text, 6))
        seq_text, seq_sum = self.sequences[seq % 1000]
        check = idnumber.CHECK_CHARS[(county_sum + date[1] + seq_sum) % 11]
        return f"{county}{date[0]}{seq_text}{check}"

    def make(self, county: str, birth: dt.date, male: bool) -> str:
        for _ in range(50):
            # Sequence numbers 2 × (50 j + slot) + sex: ten per sex for each slot, so that the
            # chunks of a city (one slot each) never make the same number.
            seq = 2 * (self.rng.randrange(10) * SLOTS + self.slot) + (1 if male else 0)
            number = self.number(county, birth, seq)
            key = int(number[:17])
            if key not in self.used:
                self.used.add(key)
                return number
        raise RuntimeError("could not find a free ID sequence")


def _stage_for(age: int, rng: random.Random) -> str:
    if age <= 2:
        return "托育" if rng.random() < 0.15 else "未入学"
    if age <= 5:
        return "幼儿园" if rng.random() < 0.9 else "未入学"
    if age <= 11:
        return "失学辍学" if rng.random() < 0.003 else "小学"
    if age <= 14:
        return "失学辍学" if rng.random() < 0.01 else "初中"
    return rng.choice(["普通高中", "普通高中", "中职", "初中"])


GRADES = {"小学": "一二三四五六", "初中": "一二三"}


def _grade(stage: str, age: int) -> str:
    if stage == "小学":
        return f"{'一二三四五六'[min(max(age - 6, 0), 5)]}年级"
    if stage == "初中":
        return f"初{'一二三'[min(max(age - 12, 0), 2)]}"
    if stage in ("普通高中", "中职"):
        return "高一"
    return ""


CHILD_COLUMNS = (
    "file_no",
    "name",
    "name_pinyin",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number",
    "id_hash",
    "id_masked",
    "household_id",
    "moved_with",
    "hukou_address",
    "hukou_county_id",
    "arrival_date",
    "township_id",
    "village_id",
    "address",
    "school_stage",
    "school_id",
    "grade",
    "health",
    "disability_category",
    "disability_level",
    "security",
    "residence_permit",
    "insurance_place",
    "housing_difficulty",
    "migrant_status",
    "status_reason",
    "migrant_from",
    "status_computed_on",
    "last_verified_on",
    "created_by_id",
)
GUARDIAN_COLUMNS = (
    "household_id",
    "name",
    "relationship",
    "is_primary",
    "id_number",
    "id_hash",
    "id_masked",
    "phone",
    "phone_hash",
    "phone_masked",
)
HOUSEHOLD_COLUMNS = ("id", "address", "township_id", "village_id")
HOUSEHOLD_AT = CHILD_COLUMNS.index("household_id")
SECURITY_JSON = {
    key: bulk.as_json(value)
    for key, value in {
        "": [],
        "低保": ["低保"],
        "低保边缘": ["低保边缘"],
        "特困": ["特困"],
        "孤儿": ["孤儿"],
        "事实无人抚养": ["事实无人抚养"],
    }.items()
}


def _id_values(number: str) -> tuple[str, str, str]:
    """Encrypted value, blind index and masked form (the columns of ``identity.id_columns``)."""
    if not number:
        return ("", "", "")
    return (crypto.encrypt(number), crypto.blind_index(number, kind="id"), idnumber.mask(number))


def _phone_values(phone: str) -> tuple[str, str, str]:
    return (crypto.encrypt(phone), crypto.blind_index(phone, kind="phone"), idnumber.mask_phone(phone))


@dataclass
class _Plan:
    """Everything a chunk of the city is made from (plain values: it travels to worker processes)."""

    seed: int
    on: dt.date
    total: int
    chunk: int
    home: tuple[str, ...]
    counties: dict[str, list[str]]
    county_names: dict[str, str]
    provinces: list[str]
    province_cum: list[int]
    townships: list[tuple[int, str]]  # (pk, name)
    township_cum: list[int]
    villages: dict[int, list[tuple[int, str]]]
    schools: dict[tuple[int, str], list[int]]
    city_schools: dict[str, list[int]]
    verifier_id: int | None

    @property
    def chunks(self) -> int:
        return -(-self.total // self.chunk)


def _plan(ctx) -> _Plan:
    counties: dict[str, list[str]] = {}
    county_names: dict[str, str] = {}
    for county in County.objects.filter(current=True).exclude(code__in=settings.HOME_COUNTY_CODES):
        counties.setdefault(county.province_code, []).append(county.code)
        county_names[county.code] = county.full_name
    townships = list(Unit.objects.filter(level=Unit.Level.TOWNSHIP).order_by("code"))
    villages: dict[int, list[tuple[int, str]]] = {}
    for v in Unit.objects.filter(level=Unit.Level.VILLAGE).order_by("code"):
        villages.setdefault(v.parent_id, []).append((v.pk, v.name))
    schools: dict[tuple[int, str], list[int]] = {}
    city_schools: dict[str, list[int]] = {}
    for s in School.objects.order_by("name"):
        schools.setdefault((s.township_id, s.kind), []).append(s.pk)
        city_schools.setdefault(s.kind, []).append(s.pk)
    verifier = ctx.personas.get("yuekou_director")
    return _Plan(
        seed=ctx.seed,
        on=ctx.on,
        total=ctx.children,
        # At most SLOTS chunks: each draws its ID sequence numbers from a slot of its own.
        chunk=max(BATCH, -(-ctx.children // SLOTS)),
        home=tuple(settings.HOME_COUNTY_CODES),
        counties=counties,
        county_names=county_names,
        provinces=[p for p, _w in ORIGIN_WEIGHTS if p in counties],
        province_cum=list(accumulate(w for p, w in ORIGIN_WEIGHTS if p in counties)),
        townships=[(t.pk, t.name) for t in townships],
        township_cum=list(accumulate(TOWNSHIP_WEIGHTS.get(t.code, 3) for t in townships)),
        villages=villages,
        schools=schools,
        city_schools=city_schools,
        verifier_id=verifier.pk if verifier else None,
    )


KID_CUM = list(accumulate([68, 27, 5]))
MOVED_CUM = list(accumulate([70, 12, 12, 6]))
HEALTH_CUM = list(accumulate([930, 40, 25, 5]))
INSURANCE_CUM = list(accumulate([70, 25, 5]))


def _generate(plan: _Plan, index: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Households, guardians and children of chunk ``index``: a function of the plan and the
    index alone (its own random stream and ID sequence slot), so that chunks can be made in any
    process and the city stays the same. Household ids are 0-based within the chunk and file
    numbers are left empty: the caller assigns both in order."""
    rng = random.Random(f"{plan.seed}:registry:{index}")
    ids = _Ids(rng, slot=index % SLOTS)
    on = plan.on
    size = min(plan.chunk, plan.total - index * plan.chunk)
    pinyin: dict[str, str] = {}
    kid_weights, moved_cum, health_cum, insurance_cum = KID_CUM, MOVED_CUM, HEALTH_CUM, INSURANCE_CUM
    households: list[tuple] = []
    guardians_out: list[tuple] = []
    children_out: list[tuple] = []
    household_id = 0
    made = 0
    while made < size:
        township = _pick(rng, plan.townships, plan.township_cum)
        village = rng.choice(plan.villages[township[0]]) if plan.villages.get(township[0]) else None
        province = _pick(rng, plan.provinces, plan.province_cum)
        county = rng.choice(plan.counties[province])
        surname = rng.choice(SURNAMES)
        address = f"{township[1]}{village[1] if village else ''}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        village_id = village[0] if village else None
        households.append((household_id, address, township[0], village_id))
        kids = min(size - made, _pick(rng, [1, 2, 3], kid_weights))
        twins = kids >= 2 and rng.random() < 0.04
        first_birth = on - dt.timedelta(days=rng.randint(30, 16 * 365 - 30))
        father_birth = first_birth - dt.timedelta(days=rng.randint(22 * 365, 40 * 365))
        mother_birth = first_birth - dt.timedelta(days=rng.randint(21 * 365, 38 * 365))
        moved = _pick(rng, MOVED_WITH, moved_cum)
        arrival_base = on - dt.timedelta(
            days=rng.choice([rng.randint(0, 175), rng.randint(183, 3650)])
            if rng.random() < 0.06
            else rng.randint(183, 3650)
        )
        guardians = []
        if moved in ("随父母双方", "随父亲"):
            guardians.append(("父亲", surname + _given(rng, ADULT_GIVEN), father_birth, True))
        if moved in ("随父母双方", "随母亲"):
            guardians.append(("母亲", rng.choice(SURNAMES) + _given(rng, ADULT_GIVEN), mother_birth, False))
        if moved == "随其他监护人":
            guardians.append(
                (
                    rng.choice(["祖父母", "外祖父母"]),
                    surname + _given(rng, ADULT_GIVEN),
                    father_birth - dt.timedelta(days=25 * 365),
                    True,
                )
            )
        for i, (relation, gname, gbirth, male) in enumerate(guardians):
            gid = ids.make(county, gbirth, male) if rng.random() < 0.85 else ""
            guardians_out.append(
                (household_id, gname, relation, i == 0, *_id_values(gid), *_phone_values(_phone(rng)))
            )
        for k in range(kids):
            if twins and k == 1:
                birth = first_birth
            else:
                birth = first_birth if k == 0 else first_birth + dt.timedelta(days=rng.randint(400, 2500))
            if birth >= on:
                birth = on - dt.timedelta(days=rng.randint(1, 300))
            male = rng.random() < 0.53
            name = surname + _given(rng, GIVEN_BOY if male else GIVEN_GIRL)
            id_county = county if rng.random() < 0.9 else rng.choice(plan.counties[province])
            number = ids.make(id_county, birth, male)
            arrival = max(arrival_base, birth)
            age = (on - birth).days // 365
            stage = _stage_for(age, rng)
            school_id = None
            if stage in ("幼儿园", "小学", "初中"):
                kind = {"幼儿园": "kindergarten", "小学": "primary", "初中": "junior"}[stage]
                options = plan.schools.get((township[0], kind)) or plan.city_schools.get(kind) or [None]
                school_id = rng.choice(options)
            elif stage in ("普通高中", "中职"):
                school_id = rng.choice(
                    plan.city_schools.get("senior" if stage == "普通高中" else "vocational", [None])
                )
            health = _pick(rng, HEALTH, health_cum)
            security = ""
            roll = rng.random()
            if roll < 0.05:
                security = "低保"
            elif roll < 0.06:
                security = "低保边缘"
            elif roll < 0.063:
                security = "特困"
            elif roll < 0.065:
                security = "孤儿"
            elif roll < 0.068:
                security = "事实无人抚养"
            status = compute_status(
                birth_date=birth,
                hukou_county_code=county,
                arrival_date=arrival,
                home_county_codes=plan.home,
                on=on,
            )
            verified = on - dt.timedelta(days=rng.randint(0, 270))
            name_pinyin = pinyin.get(name)
            if name_pinyin is None:
                name_pinyin = pinyin[name] = identity.name_pinyin(name)
            disabled = health == "残疾"
            children_out.append(
                (
                    None,  # the file number: the caller gives them in order
                    name,
                    name_pinyin,
                    "男" if male else "女",
                    birth,
                    rng.choice(ETHNIC),
                    *_id_values(number),
                    household_id,
                    moved,
                    f"{plan.county_names[county]}{rng.choice(HUKOU_PLACES)}",
                    county,
                    arrival,
                    township[0],
                    village_id,
                    address,
                    stage,
                    school_id,
                    _grade(stage, age),
                    health,
                    rng.choice(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]) if disabled else "",
                    rng.randint(1, 4) if disabled else None,
                    SECURITY_JSON[security],
                    rng.random() < 0.6,
                    _pick(rng, ["居住地", "户籍地", "未参保"], insurance_cum),
                    rng.random() < 0.06,
                    status.status,
                    status.reason,
                    status.migrant_from,
                    on,
                    verified,
                    plan.verifier_id,
                )
            )
            made += 1
            if made >= size:
                break
        household_id += 1
    return households, guardians_out, children_out


def _chunks(plan: _Plan, workers: int):
    """The chunks in order; made by ``workers`` forked processes when there are several chunks
    (the city is the same either way). The workers never touch the database."""
    if workers <= 1 or plan.chunks <= 1:
        for index in range(plan.chunks):
            yield _generate(plan, index)
        return
    # Warm the caches the workers inherit (pinyin dictionaries, cipher) once, here.
    identity.name_pinyin("王")
    crypto.encrypt("0")
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        pending: deque = deque()
        queued = 0
        while pending or queued < plan.chunks:
            while queued < plan.chunks and len(pending) < workers + 1:  # bounded read-ahead
                pending.append(pool.apply_async(_generate, (plan, queued)))
                queued += 1
            yield pending.popleft().get()
    finally:
        pool.terminate()
        pool.join()


def seed(ctx) -> None:
    plan = _plan(ctx)
    task = ctx.progress.add_task("儿童档案", total=plan.total) if ctx.progress else None
    household_id = bulk.next_id(Household)
    workers = min(WORKERS, os.cpu_count() or 1)
    with bulk.without_indexes(Child, Guardian, Household):
        for households, guardians, children in _chunks(plan, workers):
            numbers = reserve_file_numbers(len(children))
            base = household_id
            households = [(base + h[0], *h[1:]) for h in households]
            guardians = [(base + g[0], *g[1:]) for g in guardians]
            children = [
                (numbers[i], *c[1:HOUSEHOLD_AT], base + c[HOUSEHOLD_AT], *c[HOUSEHOLD_AT + 1 :])
                for i, c in enumerate(children)
            ]
            household_id += len(households)
            with transaction.atomic():
                bulk.insert(Household, HOUSEHOLD_COLUMNS, households)
                bulk.insert(Guardian, GUARDIAN_COLUMNS, guardians)
                bulk.insert(Child, CHILD_COLUMNS, children)
            if task is not None:
                ctx.progress.update(task, advance=len(children))
    bulk.reset_sequence(Household)
    ctx.facts["children_seeded"] = plan.total
    _seed_census_and_transfer(ctx)


def _seed_census_and_transfer(ctx) -> None:
    """An open census round part-way through (three tasks in five confirmed, set-based) and one
    transfer waiting for 多宝镇's supervisor, so that those pages show real work."""
    import datetime as dt

    from django.db.models.functions import Mod
    from django.utils import timezone

    from registry.models import CensusTask
    from registry.services import census_open, transfer_request

    admin = ctx.personas.get("admin")
    supervisor = ctx.personas.get("yuekou_supervisor")
    if admin is None or not Child.objects.exists():
        return
    on = ctx.on
    census = census_open(
        actor=admin,
        name=f"{on.year}年{'春' if on.month <= 6 else '秋'}季摸排",
        period_start=on - dt.timedelta(days=20),
        period_end=on + dt.timedelta(days=25),
        deadline=on + dt.timedelta(days=10),
    )
    verified_at = timezone.make_aware(dt.datetime.combine(on, dt.time(10, 0)))
    CensusTask.objects.filter(round=census).alias(rest=Mod("id", 5)).filter(rest__lt=3).update(
        status=CensusTask.Status.CONFIRMED, verified_at=verified_at, note="演示数据"
    )
    if supervisor is None:
        return
    yuekou = Unit.objects.filter(code="429006107").first()
    duobao = Unit.objects.filter(code="429006100").first()
    child = (
        Child.objects.filter(township=yuekou, closed_at__isnull=True).order_by("file_no").first()
        if yuekou and duobao
        else None
    )
    if child is not None:
        transfer_request(actor=supervisor, child=child, to_township=duobao, reason="随父母到多宝镇务工居住")
