"""A generator of realistic standard ledgers, for the tests and the throughput benchmark.

``write_ledger(path, rows, seed)`` writes what township staff send: a title row above the
headers, dates in every form the spec lists (and Excel date cells and serials), ID numbers
with full-width digits, lower-case x and spaces, old township names, phone numbers as
numbers — and a share of bad rows of every kind. It returns what each row is meant to be,
so that a test can check that every bad row is reported and every good row registered.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from common import idnumber
from common.dates import date_to_excel_serial
from common.excel import write_xlsx
from ledger.rows import HEADERS

BAD_KINDS = (
    "bad_check_digit",
    "impossible_date",
    "sex_mismatch",
    "birth_mismatch",
    "unknown_township",
    "unknown_village",
    "bad_phone",
    "bad_date",
    "unknown_hukou",
    "bad_choice",
    "duplicate_row",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "浩宇轩博文俊杰子涵睿泽皓明辰昊欣怡梓诗雨桐可馨思琪佳子萱梦瑶语嫣紫若曦一诺安"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
OLD_NAMES = {"侯口街道": ["侨乡街道开发区", "候口街道", "候口"], "石家河镇": ["石河镇"]}
ORIGINS = [  # (province, prefecture, county, code): common origins of Tianmen's migrant families
    ("湖北省", "荆门市", "钟祥市", "420881"),
    ("湖北省", "孝感市", "应城市", "420981"),
    ("湖北省", "荆州市", "监利市", "421088"),
    ("湖北省", "潜江市", "潜江市", "429005"),
    ("湖北省", "仙桃市", "仙桃市", "429004"),
    ("河南省", "周口市", "郸城县", "411625"),
    ("河南省", "信阳市", "固始县", "411525"),
    ("湖南省", "岳阳市", "华容县", "430623"),
    ("湖南省", "常德市", "澧县", "430723"),
    ("江西省", "九江市", "修水县", "360424"),
    ("安徽省", "阜阳市", "临泉县", "341221"),
    ("四川省", "南充市", "营山县", "511322"),
    ("重庆市", "", "万州区", "500101"),
    ("贵州省", "遵义市", "湄潭县", "520328"),
]
LOCAL = ("湖北省", "", "天门市", "429006")


@dataclass
class PlannedRow:
    row: int  # data row number (1 = the first row under the header)
    kind: str  # "ok", "ok_local", "ok_over16", "ok_pending" or one of BAD_KINDS
    id_number: str  # normalised


def _places() -> dict[str, list[str]]:
    """Township name -> village names (from the database when it has them)."""
    from places.models import Unit

    villages: dict[str, list[str]] = {}
    for name, parent in Unit.objects.filter(level=Unit.Level.VILLAGE).values_list("name", "parent__name"):
        villages.setdefault(parent, []).append(name)
    if not villages:
        raise RuntimeError("no villages in the database: seed the places first")
    return villages


def _date_forms(day: dt.date, rng: random.Random, *, xlsx: bool):
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
    ]
    if xlsx:
        forms += [day, day, date_to_excel_serial(day)]
    return rng.choice(forms)


def write_ledger(
    path: str | Path,
    rows: int,
    seed: int = 1,
    bad_share: float = 0.03,
    *,
    on: dt.date | None = None,
    encoding: str = "utf-8-sig",
    title: bool = True,
) -> list[PlannedRow]:
    """Write a ledger of ``rows`` data rows (.xlsx, or .csv in ``encoding``); returns the plan."""
    path = Path(path)
    rng = random.Random(seed)
    on = on or dt.date.today()
    xlsx = path.suffix.lower() == ".xlsx"
    villages = _places()
    townships = sorted(villages)
    used: set[str] = set()
    planned: list[PlannedRow] = []
    bad_every = int(1 / bad_share) if bad_share > 0 else 0
    good_ids: list[str] = []

    def new_id(county: str, birth: dt.date, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 999)
            if (seq % 2 == 1) != male:
                seq = (seq + 1) % 1000
            number = idnumber.make(county, birth, seq)
            if number not in used:
                used.add(number)
                return number

    def make_row(number: int) -> list:
        kind = "ok"
        if bad_every and number % bad_every == 0:
            kind = BAD_KINDS[(number // bad_every) % len(BAD_KINDS)]
        elif number % 41 == 0:
            kind = "ok_local"
        elif number % 53 == 0:
            kind = "ok_over16"
        elif number % 61 == 0:
            kind = "ok_pending"
        male = rng.random() < 0.52
        age_days = rng.randint(16 * 365 + 30, 17 * 365) if kind == "ok_over16" else rng.randint(230, 15 * 365)
        birth = on - dt.timedelta(days=age_days)
        origin = LOCAL if kind == "ok_local" else rng.choice(ORIGINS)
        id_county = origin[3] if rng.random() < 0.9 else "420881"
        id_number = new_id(id_county, birth, male)
        if kind == "ok_pending":
            arrival = on - dt.timedelta(days=rng.randint(5, 150))
        else:
            arrival = birth + dt.timedelta(days=rng.randint(0, max(age_days - 200, 1)))
            arrival = min(arrival, on - dt.timedelta(days=200))
        township = rng.choice(townships)
        village = rng.choice(villages[township])
        township_text = township
        if township in OLD_NAMES and rng.random() < 0.5:
            township_text = rng.choice(OLD_NAMES[township])
        elif rng.random() < 0.05 and township.endswith("镇"):
            township_text = township[:-1]
        sex = "男" if male else "女"
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        phone: object = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if rng.random() < 0.3:
            phone = int(phone)
        guardian_birth = birth - dt.timedelta(days=rng.randint(22 * 365, 38 * 365))
        guardian_id = (
            idnumber.make(origin[3], guardian_birth, rng.randrange(0, 999)) if rng.random() < 0.6 else ""
        )
        province, prefecture, county, code = origin
        hukou_address = f"{province}{prefecture}{county}{rng.choice('东西南北新')}{rng.choice('王李张刘陈')}村{rng.randint(1, 9)}组"
        hukou_code = code if rng.random() < 0.5 else ""
        birth_cell = _date_forms(birth, rng, xlsx=xlsx) if rng.random() < 0.8 else ""
        id_text = id_number
        style = rng.random()
        if style < 0.05:
            id_text = id_number.translate(FULL_WIDTH)
        elif style < 0.08:
            id_text = f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"
        if id_number.endswith("X") and rng.random() < 0.5:
            id_text = id_text[:-1] + "x"
        stage = rng.choice(["小学", "初中", "幼儿园", "未入学"])
        extra = "已入户核实" if rng.random() < 0.1 else ""

        if kind == "duplicate_row" and not good_ids:
            kind = "ok"
        if kind == "bad_check_digit":
            wrong = "0123456789X".replace(id_number[-1], "")
            id_text = id_number[:-1] + rng.choice(wrong)
        elif kind == "impossible_date":
            first17 = f"{id_county}{birth.year}0231{rng.randrange(100, 999)}"
            id_text = first17 + idnumber.check_char(first17)
        elif kind == "sex_mismatch":
            sex = "女" if male else "男"
        elif kind == "birth_mismatch":
            birth_cell = (birth - dt.timedelta(days=40)).isoformat()
        elif kind == "unknown_township":
            township_text = "幸福镇"
        elif kind == "unknown_village":
            village = "不存在村"
        elif kind == "bad_phone":
            phone = "1381234"
        elif kind == "bad_date":
            birth_cell = f"{birth.year}-13-{birth.day}"
        elif kind == "unknown_hukou":
            hukou_address, hukou_code = "老家", ""
        elif kind == "bad_choice":
            stage = "大学"
        elif kind == "duplicate_row":
            id_text = rng.choice(good_ids)
            id_number = idnumber.normalise(id_text)
            birth = idnumber.parse(id_number).birth_date
            sex = "男" if idnumber.parse(id_number).sex == "M" else "女"
            birth_cell = birth.isoformat()
            arrival = max(arrival, birth)
        if kind.startswith("ok"):
            good_ids.append(id_number)
        planned.append(PlannedRow(number, kind, idnumber.normalise(id_text)))
        values = {
            "档案编号": "",
            "姓名": name,
            "性别": sex,
            "出生日期": birth_cell,
            "公民身份号码": id_text,
            "民族": "汉族" if rng.random() < 0.97 else "土家族",
            "户籍地址": hukou_address,
            "户籍地区划代码": hukou_code,
            "到达本地日期": _date_forms(arrival, rng, xlsx=xlsx),
            "居住乡镇（街道）": township_text,
            "居住村（社区）": village,
            "现居住地址": f"{township}{village}{rng.randint(1, 200)}号",
            "随迁情况": rng.choice(["随父母双方", "随父母双方", "随父亲", "随母亲", "随其他监护人"]),
            "监护人姓名": rng.choice(SURNAMES) + rng.choice(["建国", "丽华", "志刚", "秀英", "海燕"]),
            "监护人与儿童关系": rng.choice(["父亲", "母亲", "祖父母", "外祖父母"]),
            "监护人公民身份号码": guardian_id,
            "监护人联系电话": phone,
            "就学状态": stage,
            "学校名称": "",
            "年级": "三年级" if stage == "小学" else "",
            "健康状况": "健康",
            "残疾类别": "",
            "残疾等级": "",
            "保障类别": rng.choice(["无", "无", "无", "低保", "低保、孤儿"]),
            "居住证": rng.choice(["有", "无"]),
            "医保参保地": rng.choice(["居住地", "户籍地", "未参保"]),
            "住房困难": rng.choice(["是", "否", "否"]),
            "备注": "",
            "核实情况": extra,
        }
        return [values[h] for h in [*HEADERS, "核实情况"]]

    headers = [*HEADERS, "核实情况"]

    def data():
        for number in range(1, rows + 1):
            yield make_row(number)

    if xlsx:

        def sheet_rows():
            if title:
                yield headers
            yield from data()

        top = ["天门市流动儿童信息台账"] if title else headers
        write_xlsx(path, [("流动儿童台账", top, sheet_rows())])
    else:
        with path.open("w", encoding=encoding, newline="", errors="strict") as handle:
            writer = csv.writer(handle)
            if title:
                writer.writerow(["天门市流动儿童信息台账", *[""] * (len(headers) - 1)])
            writer.writerow(headers)
            for line in data():
                writer.writerow(
                    ["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in line]
                )
    return planned
