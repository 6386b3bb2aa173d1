"""A department feed with known truth, for tests and the benchmark.

    truth = write_feed(path, "education", registry_children, rows=200, seed=1, noise=0.3)

``registry_children``: registry.Child objects or dicts with name, sex ("男"/"女"),
birth_date, id_number, guardian_name, guardian_phone, address. Rows are drawn from them
(each at most once) and, beyond their number, from newly invented children. A share
``noise`` of the registered children's rows carries the noise of real sheets: a homophone
in the name (张伟/张玮), a transposed or mistyped ID digit, a missing ID number, day and
month swapped. Every row also varies in form: date formats, full-width digits, lower-case
x, stray spaces. The file is written in the layout the source's department uses, with a
title row above the headers; ``.csv`` paths are written in GBK, others as xlsx.

Returns one dict per data row: {"row", "child_id_number" (the registered child, or None for
a new child), "noise"}.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from common import idnumber

LAYOUTS: dict[str, list[tuple[str, str]]] = {
    # (header as the department writes it, value key)
    "education": [
        ("序号", "seq"), ("学生姓名", "name"), ("性别", "sex"), ("学生身份证号", "id_number"),
        ("出生日期", "birth_date"), ("学校名称", "school"), ("就读年级", "grade"), ("学段", "stage"),
        ("家长姓名", "guardian_name"), ("家长联系电话", "guardian_phone"), ("现住址", "address"),
    ],
    "police": [
        ("序号", "seq"), ("姓名", "name"), ("性别", "sex"), ("公民身份号码", "id_number"),
        ("出生日期", "birth_date"), ("居住地址", "address"), ("居住证号", "permit_no"),
        ("签发日期", "issue_date"), ("来本地日期", "arrival_date"), ("联系人", "guardian_name"),
        ("联系电话", "guardian_phone"),
    ],
    "health": [
        ("儿童姓名", "name"), ("性别", "sex"), ("出生日期", "birth_date"), ("身份证号码", "id_number"),
        ("监护人姓名", "guardian_name"), ("联系电话", "guardian_phone"), ("预防接种情况", "vaccination"),
        ("健康筛查", "screening"), ("随访日期", "managed_on"), ("管理机构", "institution"),
        ("现住址", "address"),
    ],
    "insurance": [
        ("参保人姓名", "name"), ("证件号码", "id_number"), ("性别", "sex"), ("出生日期", "birth_date"),
        ("医疗费用总额(元)", "amount"), ("预警日期", "warning_date"), ("疾病名称", "diagnosis"),
        ("联系电话", "guardian_phone"),
    ],
    "disability": [
        ("姓名", "name"), ("身份证号", "id_number"), ("性别", "sex"), ("出生日期", "birth_date"),
        ("残疾类别", "disability_category"), ("残疾等级", "disability_level"), ("救助项目", "aid"),
        ("监护人", "guardian_name"), ("联系电话", "guardian_phone"), ("住址", "address"),
    ],
}  # fmt: skip
TITLES = {
    "education": "天门市随迁子女就学情况统计表",
    "police": "流动人口居住证办理信息（未成年人）",
    "health": "流动儿童健康管理信息推送表",
    "insurance": "高额医疗费用监测预警名单",
    "disability": "流动残疾儿童康复救助名单",
}
NOISES = ("homophone", "transposed_id", "mistyped_id", "missing_id", "swapped_date")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
_GIVEN = (
    "伟强磊军杰涛斌浩鹏宇轩子睿博文俊豪天明晨阳泽然嘉一凯航铭昊芳娜敏静丽艳婷雪琳欣怡涵诗雨萱可馨佳悦琪思"
)
_TOWNSHIPS = ("岳口镇", "多宝镇", "竟陵街道", "杨林街道", "张港镇", "渔薪镇")


def _homophones() -> dict[str, str]:
    from exchange.matching.synth import HOMOPHONE_GROUPS

    table = {}
    for group in HOMOPHONE_GROUPS:
        for i, ch in enumerate(group):
            table[ch] = group[(i + 1) % len(group)]
    return table


def _person(child: Any) -> dict:
    if isinstance(child, dict):
        return dict(child)
    guardian = child.household.guardians.first()
    return {
        "name": child.name,
        "sex": child.sex,
        "birth_date": child.birth_date,
        "id_number": child.id_number,
        "guardian_name": guardian.name if guardian else "",
        "guardian_phone": guardian.phone if guardian else "",
        "address": child.address or child.household.address,
    }


def _invent(rng: random.Random, n: int) -> dict:
    birth = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 12 * 365))
    male = rng.random() < 0.52
    county = rng.choice(["420881", "421022", "411302", "430621", "342401", "360124"])
    number = idnumber.make(county, birth, rng.randrange(0, 500) * 2 + (1 if male else 0))
    surname = rng.choice(_SURNAMES)
    return {
        "name": surname + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2)))),
        "sex": "男" if male else "女",
        "birth_date": birth,
        "id_number": number,
        "guardian_name": surname + rng.choice(_GIVEN) + rng.choice(_GIVEN),
        "guardian_phone": f"13{rng.randrange(0, 10)}{rng.randrange(10**7, 10**8)}",
        "address": f"湖北省天门市{rng.choice(_TOWNSHIPS)}新建路{n % 97 + 1}号",
    }


def _date_form(rng: random.Random, day: dt.date) -> Any:
    form = rng.randrange(6)
    if form == 0:
        return day
    if form == 1:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 2:
        return f"{day.year}.{day.month}.{day.day}"
    if form == 3:
        return f"{day:%Y%m%d}"
    if form == 4:
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _id_form(rng: random.Random, number: str) -> str:
    form = rng.randrange(5)
    if form == 0:
        return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    if form == 1:
        return number.lower()
    if form == 2:
        return f" {number} "
    return number


def _noisy(rng: random.Random, person: dict, kind: str, homophones: dict[str, str]) -> dict:
    p = dict(person)
    number = p.get("id_number") or ""
    if kind == "homophone":
        given = [i for i, ch in enumerate(p["name"]) if i > 0 and ch in homophones]
        if given:
            i = rng.choice(given)
            p["name"] = p["name"][:i] + homophones[p["name"][i]] + p["name"][i + 1 :]
    elif kind == "transposed_id" and len(number) == 18:
        # Swap two different adjacent digits of the sequence part: the birth date still reads.
        spots = [i for i in (14, 15) if number[i] != number[i + 1]]
        if spots:
            i = rng.choice(spots)
            p["id_number"] = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        else:
            p["id_number"] = number[:14] + str((int(number[14]) + 1) % 10) + number[15:]
    elif kind == "mistyped_id" and len(number) == 18:
        i = rng.randrange(14, 17)
        p["id_number"] = number[:i] + str((int(number[i]) + rng.randrange(1, 10)) % 10) + number[i + 1 :]
    elif kind == "missing_id":
        p["id_number"] = ""
    elif kind == "swapped_date":
        b = p["birth_date"]
        if b.day <= 12 and b.day != b.month:
            p["birth_date"] = dt.date(b.year, b.day, b.month)
        p["id_number"] = ""
    return p


def _source_values(rng: random.Random, source: str, person: dict, seq: int) -> dict:
    today = dt.date.today()
    birth = person["birth_date"]
    age = today.year - birth.year
    values = {"seq": seq}
    if source == "education":
        if age <= 5:
            values.update(school="天门市岳口镇中心幼儿园", grade="大班", stage="幼儿园")
        elif age <= 12:
            grade = min(max(age - 6, 1), 6)
            values.update(school="天门市岳口实验小学", grade=f"{'一二三四五六'[grade - 1]}年级", stage="小学")
        else:
            values.update(school="天门市岳口初级中学", grade=f"初{'一二三'[min(age - 13, 2)]}", stage="初中")
    elif source == "police":
        arrival = max(birth, today - dt.timedelta(days=rng.randrange(200, 2000)))
        values.update(
            permit_no=f"4290{rng.randrange(10**9, 10**10)}",
            issue_date=_date_form(rng, min(today, arrival + dt.timedelta(days=190))),
            arrival_date=_date_form(rng, arrival),
        )
    elif source == "health":
        values.update(
            vaccination=rng.choice(["全程接种", "按程序完成", "未按程序完成", "漏种麻腮风"]),
            screening=rng.choice(["视力正常", "听力正常", "生长发育正常", "视力异常，已转诊"]),
            managed_on=_date_form(rng, today - dt.timedelta(days=rng.randrange(1, 90))),
            institution="岳口镇卫生院",
        )
    elif source == "insurance":
        values.update(
            amount=round(rng.uniform(30000, 200000), 2),
            warning_date=_date_form(rng, today - dt.timedelta(days=rng.randrange(1, 60))),
            diagnosis=rng.choice(["急性淋巴细胞白血病", "先天性心脏病", "重症肺炎"]),
        )
    elif source == "disability":
        values.update(
            disability_category=rng.choice(
                ["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾"]
            ),
            disability_level=rng.choice(["一级", "二级", "三级", "四级"]),
            aid=rng.choice(["康复训练", "辅助器具适配", "人工耳蜗"]),
        )
    return values


def write_feed(
    path: str | Path,
    source: str,
    registry_children: Iterable[Any],
    rows: int,
    seed: int = 1,
    noise: float = 0.3,
) -> list[dict]:
    rng = random.Random(seed)
    homophones = _homophones()
    registered = [_person(c) for c in registry_children]
    rng.shuffle(registered)
    registered = registered[:rows]
    people: list[tuple[dict, str | None, str]] = []
    for person in registered:
        kind = rng.choice(NOISES) if rng.random() < noise else "clean"
        people.append((_noisy(rng, person, kind, homophones), person.get("id_number") or None, kind))
    for n in range(rows - len(people)):
        people.append((_invent(rng, n), None, "new"))
    rng.shuffle(people)
    layout = LAYOUTS[source]
    table: list[list[Any]] = []
    truth = []
    for seq, (person, true_id, kind) in enumerate(people, start=1):
        values = {**person, **_source_values(rng, source, person, seq)}
        values["birth_date"] = _date_form(rng, person["birth_date"])
        if values.get("id_number"):
            values["id_number"] = _id_form(rng, values["id_number"])
        table.append([values.get(key, "") for _header, key in layout])
        truth.append(
            {"row": seq, "child_id_number": idnumber.normalise(true_id) if true_id else None, "noise": kind}
        )
    headers = [h for h, _key in layout]
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="gb18030", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([TITLES[source]])
            writer.writerow(headers)
            for line in table:
                writer.writerow(
                    ["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in line]
                )
    else:
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("Sheet1")
        sheet.append([TITLES[source]])
        sheet.append(headers)
        for line in table:
            sheet.append(line)
        workbook.save(path)
    return truth


def write_feed_from_registry(
    path: str | Path,
    *,
    source: str = "education",
    rows: int,
    seed: int = 1,
    registered_share: float = 0.8,
    noise: float = 0.3,
) -> list[dict]:
    """A feed drawn from the children in the database (of any size: sampled by primary key in
    chunks, never loaded whole), the rest invented; written as by ``write_feed``."""
    from registry.models import Child, Guardian

    rng = random.Random(seed)
    bounds = Child.objects.filter(closed_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    wanted = round(rows * registered_share)
    people: list[dict] = []
    if first is not None:
        seen: set[int] = set()
        attempts = 0
        while len(people) < wanted and attempts < 20:
            attempts += 1
            picks = sorted(
                {rng.randint(first, last) for _ in range(min(5000, 2 * (wanted - len(people))))} - seen
            )
            seen.update(picks)
            for i in range(0, len(picks), 500):
                chunk = list(
                    Child.objects.filter(pk__in=picks[i : i + 500], closed_at__isnull=True).values(
                        "pk",
                        "name",
                        "sex",
                        "birth_date",
                        "id_number",
                        "address",
                        "household_id",
                        "household__address",
                    )
                )
                guardians: dict[int, tuple[str, str]] = {}
                for household_id, name, phone in (
                    Guardian.objects.filter(household_id__in={c["household_id"] for c in chunk})
                    .order_by("household_id", "-is_primary", "id")
                    .values_list("household_id", "name", "phone")
                ):
                    guardians.setdefault(household_id, (name, phone))
                for c in chunk:
                    g_name, g_phone = guardians.get(c["household_id"], ("", ""))
                    people.append(
                        {
                            "name": c["name"], "sex": c["sex"], "birth_date": c["birth_date"],
                            "id_number": c["id_number"], "guardian_name": g_name, "guardian_phone": g_phone,
                            "address": c["address"] or c["household__address"],
                        }
                    )  # fmt: skip
                    if len(people) >= wanted:
                        break
                if len(people) >= wanted:
                    break
    return write_feed(path, source, people, rows=rows, seed=seed, noise=noise)
