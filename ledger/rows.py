"""One row of the standard ledger (shared/spec/ledger.md) → a validated ``ChildInput``.

The ledger's headers are ``FIELDS`` (with the synonyms staff actually write). ``row_to_input``
checks every cell and explains each problem in Chinese; the registry services then apply the
registry rules (duplicates, migrant status). Look-ups of places and schools go through a
``PlaceIndex`` loaded once per import, so that a row costs no query.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common import idnumber
from common.dates import InvalidDate, parse_date_or_none
from common.tabular import FieldSpec
from registry.choices import (
    DisabilityCategory,
    Health,
    InsurancePlace,
    MovedWith,
    Relationship,
    SchoolStage,
    Security,
)
from registry.identity import InvalidPhone, normalise_phone
from registry.inputs import ChildInput, GuardianInput

FIELDS: list[FieldSpec] = [
    FieldSpec("file_no", "档案编号", ("档案号", "一人一档编号")),
    FieldSpec("name", "姓名", ("儿童姓名", "学生姓名", "姓名（儿童）", "儿童名字"), required=True),
    FieldSpec("sex", "性别", ("儿童性别",)),
    FieldSpec("birth_date", "出生日期", ("出生年月日", "出生年月", "生日", "出生时间")),
    FieldSpec(
        "id_number",
        "公民身份号码",
        ("身份证号", "身份证号码", "证件号码", "儿童身份证号", "儿童身份证号码", "公民身份证号码", "身份证"),
        required=True,
    ),
    FieldSpec("ethnicity", "民族", ()),
    FieldSpec(
        "hukou_address", "户籍地址", ("户籍地", "户籍所在地", "户口所在地", "户籍详细地址", "户口地址")
    ),
    FieldSpec(
        "hukou_county_code",
        "户籍地区划代码",
        ("户籍区划代码", "户籍地代码", "区划代码", "户籍地行政区划代码"),
    ),
    FieldSpec(
        "arrival_date", "到达本地日期", ("来天门时间", "到达日期", "来本地时间", "流入时间", "到达本地时间")
    ),
    FieldSpec(
        "township",
        "居住乡镇（街道）",
        ("乡镇", "乡镇（街道、农场）", "所在乡镇", "乡镇（街道）", "乡镇街道", "居住乡镇", "所属乡镇"),
    ),
    FieldSpec(
        "village",
        "居住村（社区）",
        ("村（社区）", "村居", "所在村（社区）", "村（居）", "居住村", "村社区", "所属村（社区）"),
    ),
    FieldSpec("address", "现居住地址", ("现住址", "居住地址", "现居住地", "现住地址", "家庭住址")),
    FieldSpec("moved_with", "随迁情况", ("随迁类型", "随谁流动")),
    FieldSpec("guardian_name", "监护人姓名", ("监护人", "家长姓名")),
    FieldSpec(
        "guardian_relationship", "监护人与儿童关系", ("与儿童关系", "监护人关系", "与监护人关系", "关系")
    ),
    FieldSpec(
        "guardian_id_number", "监护人公民身份号码", ("监护人身份证号", "监护人身份证号码", "监护人证件号码")
    ),
    FieldSpec(
        "guardian_phone",
        "监护人联系电话",
        ("联系电话", "监护人电话", "家长电话", "联系方式", "手机号码", "电话"),
    ),
    FieldSpec("school_stage", "就学状态", ("就学情况", "就读状态", "学段")),
    FieldSpec("school_name", "学校名称", ("就读学校", "学校", "所在学校")),
    FieldSpec("grade", "年级", ("就读年级", "年级班级")),
    FieldSpec("health", "健康状况", ("身体状况", "健康情况")),
    FieldSpec("disability_category", "残疾类别", ("残疾类型",)),
    FieldSpec("disability_level", "残疾等级", ("残疾级别",)),
    FieldSpec("security", "保障类别", ("保障情况", "困难类别", "救助保障类别")),
    FieldSpec("residence_permit", "居住证", ("是否办理居住证", "有无居住证", "居住证办理情况")),
    FieldSpec("insurance_place", "医保参保地", ("参保地", "医保参保情况", "参保情况")),
    FieldSpec("housing_difficulty", "住房困难", ("是否住房困难", "住房困难家庭")),
    FieldSpec("remarks", "备注", ("说明",)),
]
FIELD_LABELS = {f.name: f.label for f in FIELDS}
HEADERS = [f.label for f in FIELDS]

_SPACE = re.compile(r"[\s\u3000]+")
_LIST_SPLIT = re.compile(r"[、,，;；/／\s]+")
_TOWNSHIP_SUFFIXES = ("街道办事处", "办事处", "管委会", "街道", "农场", "镇", "乡")
_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_CITY_PREFIXES = ("湖北省天门市", "湖北天门市", "湖北省天门", "天门市", "天门")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "市", "区", "旗")
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def text(value: Any) -> str:
    """A cell as one line of text (NFKC: full-width letters and digits to ASCII)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def _key(value: Any) -> str:
    return _SPACE.sub("", text(value))


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------
# Places and schools, loaded once per import


@dataclass
class _County:
    code: str
    names: tuple[str, ...]  # all names, newest last
    prefecture: str
    current: bool


_ADDRESS_MEMO = 100_000  # hukou addresses remembered per index


@dataclass
class PlaceIndex:
    """Townships, villages, counties and schools as dicts (no query per row)."""

    townships: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (id, current name)
    villages: dict[int, dict[str, tuple[int, str]]] = field(default_factory=dict)
    county_codes: set[str] = field(default_factory=set)
    provinces: dict[str, str] = field(default_factory=dict)  # name or short name -> province code
    counties_by_province: dict[str, list[_County]] = field(default_factory=dict)
    schools: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> PlaceIndex:
        from places.models import County, Unit
        from schools.models import School

        index = cls()
        township_rows = Unit.objects.filter(level=Unit.Level.TOWNSHIP, active=True).values_list(
            "pk", "name", "former_names"
        )
        for pk, name, _former in township_rows:
            # Current names first, so that a former name never hides a current one.
            index._add_township(name, pk, name, overwrite=True)
        for pk, name, former in township_rows:
            for old in former or []:
                index._add_township(old, pk, name, overwrite=False)
            index._add_township(_strip_suffix(name, _TOWNSHIP_SUFFIXES), pk, name, overwrite=False)
            for old in former or []:
                index._add_township(_strip_suffix(old, _TOWNSHIP_SUFFIXES), pk, name, overwrite=False)
        village_rows = Unit.objects.filter(level=Unit.Level.VILLAGE, active=True).values_list(
            "pk", "parent_id", "name", "former_names"
        )
        for pk, parent_id, name, _former in village_rows:
            names = index.villages.setdefault(parent_id, {})
            names[_key(name)] = (pk, name)
        for pk, parent_id, name, former in village_rows:
            names = index.villages[parent_id]
            for alias in [*(former or []), _strip_suffix(name, _VILLAGE_SUFFIXES)]:
                names.setdefault(_key(alias), (pk, name))
        for code, names, province_code, province_name, prefecture, current in County.objects.values_list(
            "code", "name", "province_code", "province_name", "prefecture_name", "current"
        ):
            index.county_codes.add(code)
            index.provinces.setdefault(province_name, province_code)
            short = _strip_suffix(province_name, _PROVINCE_SUFFIXES)
            if len(short) >= 2:
                index.provinces.setdefault(short, province_code)
            parts = tuple(n for n in names.split(",") if n and n != "市辖区")
            if parts:
                index.counties_by_province.setdefault(province_code, []).append(
                    _County(code, parts, prefecture, current)
                )
        for pk, name in School.objects.filter(active=True).values_list("pk", "name"):
            index.schools[_key(name)] = pk
        return index

    def _add_township(self, alias: str, pk: int, name: str, *, overwrite: bool) -> None:
        key = _key(alias)
        if key and (overwrite or key not in self.townships):
            self.townships[key] = (pk, name)

    def township(self, value: Any) -> tuple[int, str] | None:
        key = _key(value)
        found = self.townships.get(key)
        if found is None:
            for prefix in _CITY_PREFIXES:
                if key.startswith(prefix) and len(key) > len(prefix):
                    found = self.townships.get(key[len(prefix) :])
                    break
        return found

    def village(self, township_id: int, value: Any) -> tuple[int, str] | None:
        names = self.villages.get(township_id, {})
        key = _key(value)
        return names.get(key) or names.get(_strip_suffix(key, _VILLAGE_SUFFIXES))

    def _provinces_longest_first(self) -> list[str]:
        # Sorted once per index (not per row); recomputed if provinces were added since.
        order = self.__dict__.get("_province_order")
        if order is None or len(order) != len(self.provinces):
            order = sorted(self.provinces, key=len, reverse=True)
            self.__dict__["_province_order"] = order
        return order

    def county_from_address(self, address: str) -> tuple[str | None, str]:
        """(county code, "") or (None, Chinese reason) for a hukou address text."""
        # Siblings and fellow villagers share hukou addresses: each text is read once per index.
        known = self.__dict__.setdefault("_county_of_address", {})
        found = known.get(address)
        if found is None:
            if len(known) >= _ADDRESS_MEMO:
                known.clear()
            found = known[address] = self._county_from_address(address)
        return found

    def _county_from_address(self, address: str) -> tuple[str | None, str]:
        key = _key(address)
        province_code, rest = None, key
        for name in self._provinces_longest_first():
            position = key.find(name)
            if position != -1 and position <= 2:
                province_code, rest = self.provinces[name], key[position + len(name) :]
                break
        pools = (
            [self.counties_by_province.get(province_code, [])]
            if province_code
            else list(self.counties_by_province.values())
        )
        hits: list[tuple[_County, str]] = []
        for pool in pools:
            for county in pool:
                for name in county.names:
                    if len(name) >= 2 and name in rest:
                        hits.append((county, name))
        if not hits and province_code:
            # Short forms staff write within a province: 河南郸城, 湖南华容.
            for county in pools[0]:
                for name in county.names:
                    stem = _strip_suffix(name, _COUNTY_SUFFIXES)
                    if stem != name and len(stem) >= 2 and stem in rest:
                        hits.append((county, stem))
        if not hits:
            return (
                None,
                f"无法从户籍地址“{text(address)}”识别户籍所在县（市、区），请填写户籍地区划代码（6位）",
            )
        prefectures = {_strip_suffix(h[0].prefecture, ("市", "地区", "自治州", "盟")) for h in hits}
        if len({h[0].code for h in hits}) > 1:
            # 岳阳 in 湖南岳阳华容 names the prefecture of 华容县, not 岳阳县.
            hits = [h for h in hits if h[1] not in prefectures] or hits
        # A name inside a longer matched name (区 names inside 新区 names) is not a match of its own.
        longest = [h for h in hits if not any(h[1] != o[1] and h[1] in o[1] for o in hits)]
        # The current name of a current code wins over historical names and codes.
        current = [
            h
            for h in longest
            if h[0].current and h[1] in (h[0].names[-1], _strip_suffix(h[0].names[-1], _COUNTY_SUFFIXES))
        ] or [h for h in longest if h[0].current]
        chosen = current or longest
        codes = {h[0].code for h in chosen}
        if len(codes) > 1:
            by_prefecture = {
                h[0].code
                for h in chosen
                if h[0].prefecture and _strip_suffix(h[0].prefecture, ("市", "地区", "自治州", "盟")) in rest
            }
            if len(by_prefecture) == 1:
                codes = by_prefecture
        if len(codes) > 1 and not current and len({h[0].names[-1] for h in chosen}) == 1:
            # Only historical codes of one and the same place: the latest code stands for it.
            codes = {max(codes)}
        if len(codes) > 1:
            return None, (
                f"户籍地址“{text(address)}”对应多个县（市、区）（区划代码 {'、'.join(sorted(codes)[:5])}），"
                "请填写户籍地区划代码"
            )
        return codes.pop(), ""


# ---------------------------------------------------------------------------
# Enumerations: the ledger's words and the variants staff type


def _choices(values, extra: Mapping[str, str] = {}) -> dict[str, str]:  # noqa: B006 - read only
    table = {str(v): str(v) for v in values}
    table.update(extra)
    return table


MOVED_WITH = _choices(
    MovedWith.values,
    {
        "父母双方": MovedWith.BOTH_PARENTS,
        "随父母": MovedWith.BOTH_PARENTS,
        "父母": MovedWith.BOTH_PARENTS,
        "随双亲": MovedWith.BOTH_PARENTS,
        "父亲": MovedWith.FATHER,
        "随父": MovedWith.FATHER,
        "母亲": MovedWith.MOTHER,
        "随母": MovedWith.MOTHER,
        "其他监护人": MovedWith.OTHER,
        "随其他": MovedWith.OTHER,
        "其他": MovedWith.OTHER,
        "随祖父母": MovedWith.OTHER,
        "随外祖父母": MovedWith.OTHER,
        "随亲属": MovedWith.OTHER,
    },
)
RELATIONSHIP = _choices(
    Relationship.values,
    {
        "父": Relationship.FATHER,
        "爸爸": Relationship.FATHER,
        "父子": Relationship.FATHER,
        "父女": Relationship.FATHER,
        "母": Relationship.MOTHER,
        "妈妈": Relationship.MOTHER,
        "母子": Relationship.MOTHER,
        "母女": Relationship.MOTHER,
        "祖父": Relationship.GRANDPARENT,
        "祖母": Relationship.GRANDPARENT,
        "爷爷": Relationship.GRANDPARENT,
        "奶奶": Relationship.GRANDPARENT,
        "外祖父": Relationship.MATERNAL_GRANDPARENT,
        "外祖母": Relationship.MATERNAL_GRANDPARENT,
        "外公": Relationship.MATERNAL_GRANDPARENT,
        "外婆": Relationship.MATERNAL_GRANDPARENT,
        "姥爷": Relationship.MATERNAL_GRANDPARENT,
        "姥姥": Relationship.MATERNAL_GRANDPARENT,
        **{
            kin: Relationship.OTHER
            for kin in "叔叔 伯父 伯伯 姑姑 姑妈 舅舅 舅妈 姨妈 阿姨 哥哥 姐姐 兄 姐 继父 继母 养父 养母 亲属 其它".split()
        },
    },
)
SCHOOL_STAGE = _choices(
    SchoolStage.values,
    {
        "未上学": SchoolStage.NONE,
        "学龄前": SchoolStage.NONE,
        "散居": SchoolStage.NONE,
        "托班": SchoolStage.NURSERY,
        "托儿所": SchoolStage.NURSERY,
        "学前": SchoolStage.KINDERGARTEN,
        "学前教育": SchoolStage.KINDERGARTEN,
        "在读小学": SchoolStage.PRIMARY,
        "小学在读": SchoolStage.PRIMARY,
        "在读初中": SchoolStage.JUNIOR,
        "初中在读": SchoolStage.JUNIOR,
        "高中": SchoolStage.SENIOR,
        "普高": SchoolStage.SENIOR,
        "中专": SchoolStage.VOCATIONAL,
        "职高": SchoolStage.VOCATIONAL,
        "中等职业学校": SchoolStage.VOCATIONAL,
        "职业高中": SchoolStage.VOCATIONAL,
        "技校": SchoolStage.VOCATIONAL,
        "失学": SchoolStage.DROPOUT,
        "辍学": SchoolStage.DROPOUT,
        "失辍学": SchoolStage.DROPOUT,
    },
)
HEALTH = _choices(
    Health.values,
    {
        "良好": Health.HEALTHY,
        "正常": Health.HEALTHY,
        "健康良好": Health.HEALTHY,
        "患病": Health.CHRONIC,
        "慢性疾病": Health.CHRONIC,
        "残疾儿童": Health.DISABLED,
        "精神障碍": Health.SEVERE_MENTAL,
        "重性精神障碍": Health.SEVERE_MENTAL,
        "严重精神疾病": Health.SEVERE_MENTAL,
    },
)
DISABILITY_CATEGORY = _choices(
    DisabilityCategory.values,
    {f"{v}残疾": v for v in DisabilityCategory.values}
    | {
        "多重残疾": DisabilityCategory.MULTIPLE,
        "语言": DisabilityCategory.SPEECH,
        "视力障碍": DisabilityCategory.VISION,
    },
)
DISABILITY_LEVEL = {
    **{f"{w}级": n for n, w in ((1, "一"), (2, "二"), (3, "三"), (4, "四"))},
    **{f"{w}": n for n, w in ((1, "一"), (2, "二"), (3, "三"), (4, "四"))},
    **{str(n): n for n in range(1, 5)},
    **{f"{n}级": n for n in range(1, 5)},
    **{f"残疾{w}级": n for n, w in ((1, "一"), (2, "二"), (3, "三"), (4, "四"))},
}
SECURITY = _choices(
    Security.values,
    {
        "低保户": Security.DIBAO,
        "城乡低保": Security.DIBAO,
        "低边": Security.DIBAO_EDGE,
        "低保边缘户": Security.DIBAO_EDGE,
        "特困供养": Security.TEKUN,
        "特困人员": Security.TEKUN,
        "事实无人抚养儿童": Security.UNSUPPORTED,
        "艾滋病": Security.HIV,
        "艾滋病病毒感染儿童": Security.HIV,
    },
)
INSURANCE_PLACE = _choices(
    InsurancePlace.values,
    {
        "本地": InsurancePlace.RESIDENCE,
        "天门": InsurancePlace.RESIDENCE,
        "天门市": InsurancePlace.RESIDENCE,
        "居住地参保": InsurancePlace.RESIDENCE,
        "户籍地参保": InsurancePlace.HUKOU,
        "老家": InsurancePlace.HUKOU,
        "无": InsurancePlace.NONE,
        "否": InsurancePlace.NONE,
        "未参加": InsurancePlace.NONE,
        "没有参保": InsurancePlace.NONE,
    },
)
MASKED = "{label}是脱敏后的号码（含*），无法导入；请导出时勾选“导出完整证件号”，或填写完整号码后再导入"
YES = {"是", "有", "已办", "已办理", "持有", "Y", "YES", "TRUE", "1", "√"}
NO = {"否", "无", "没有", "未办", "未办理", "N", "NO", "FALSE", "0", "×"}
NONE_WORDS = {"无", "否", "没有", "/", "-", "—", "无保障", "不适用"}


@dataclass
class RowResult:
    data: ChildInput | None
    errors: list[str]
    warnings: list[str]
    id_number: str  # normalised when it could be, else the raw text ("" when empty)
    township_id: int | None = None


class _Row:
    """Collects the problems of one row while its cells are read."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._texts: dict[str, str] = {}

    def get(self, name: str) -> str:
        # A cell is read as text several times per row (checks, then the input); convert once.
        found = self._texts.get(name)
        if found is None:
            found = self._texts[name] = text(self.values.get(name))
        return found

    def choice(self, name: str, table: Mapping[str, str]) -> str:
        raw = self.get(name)
        if not raw:
            return ""
        found = table.get(raw.replace(" ", ""))
        if found is None:
            allowed = "、".join(dict.fromkeys(v for v in table.values()))
            self.errors.append(f"{FIELD_LABELS[name]}“{raw}”无法识别，应为：{allowed}")
            return ""
        return str(found)

    def yes_no(self, name: str) -> bool | None:
        raw = self.get(name).upper().replace(" ", "")
        if not raw:
            return None
        if raw in YES:
            return True
        if raw in NO:
            return False
        self.errors.append(f"{FIELD_LABELS[name]}“{self.get(name)}”无法识别，应为：是 / 否（或 有 / 无）")
        return None


_YEAR_MONTH = re.compile(r"^(\d{4})(?:[-/.年]?)(\d{1,2})月?$")


def year_month(value: Any) -> tuple[int, int] | None:
    """(year, month) of a 年月 value such as 2015.3, 2015年3月, 201503; None otherwise."""
    if not isinstance(value, str | int):
        return None
    match = _YEAR_MONTH.match(_key(value))
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month


def _id_message(label: str, exc: Exception) -> str:
    message = str(exc)
    if message.startswith("身份证号"):
        return label + message.removeprefix("身份证号")
    return f"{label}有误：{message}"


def row_to_input(
    values: Mapping[str, Any],
    *,
    on: dt.date,
    places: PlaceIndex | None = None,
    extras: Mapping[str, Any] | None = None,
) -> tuple[ChildInput | None, list[str], list[str]]:
    """Validate one ledger row. Returns (input or None, errors, warnings), messages in Chinese."""
    result = parse_row(values, on=on, places=places, extras=extras)
    return result.data, result.errors, result.warnings


def parse_row(
    values: Mapping[str, Any],
    *,
    on: dt.date,
    places: PlaceIndex | None = None,
    extras: Mapping[str, Any] | None = None,
) -> RowResult:
    if places is None:
        places = PlaceIndex.load()
    row = _Row(values)
    errors, warnings = row.errors, row.warnings

    name = row.get("name").replace(" ", "")
    if not name:
        errors.append("姓名为空")
    elif len(name) > 50:
        errors.append("姓名超过50个字，请核对")

    # Identity number: the facts it carries must agree with the sex and birth date columns.
    raw_id = row.values.get("id_number")
    id_number = idnumber.normalise(raw_id) if raw_id not in (None, "") else ""
    facts = None
    if not id_number:
        errors.append("公民身份号码为空：台账导入需要身份证号来识别儿童，请补填")
    elif "*" in id_number:
        errors.append(MASKED.format(label="公民身份号码"))
    else:
        try:
            facts = idnumber.parse(id_number)
        except idnumber.InvalidIdNumber as exc:
            errors.append(_id_message("公民身份号码", exc))
    sex_raw = row.get("sex").replace(" ", "")
    sex = {"男": "男", "女": "女", "男性": "男", "女性": "女", "M": "男", "F": "女"}.get(sex_raw.upper(), "")
    if sex_raw and not sex:
        errors.append(f"性别“{sex_raw}”无法识别，应为 男 或 女")
    birth_date = None
    birth_month = None  # a 出生年月 column holds only the year and month
    try:
        birth_date = parse_date_or_none(row.values.get("birth_date"), field="出生日期")
    except InvalidDate as exc:
        birth_month = year_month(row.values.get("birth_date"))
        if birth_month is None:
            errors.append(str(exc))
    if facts is not None and birth_month is not None:
        if birth_month != (facts.birth_date.year, facts.birth_date.month):
            errors.append(
                f"出生年月 {birth_month[0]}年{birth_month[1]}月与公民身份号码中的出生日期 "
                f"{facts.birth_date.isoformat()} 不符"
            )
    elif birth_month is not None:
        errors.append("出生日期只有年月，且没有可用的公民身份号码，无法确定出生日期")
    if facts is not None:
        id_sex = "男" if facts.sex == "M" else "女"
        if sex and sex != id_sex:
            errors.append(f"性别“{sex}”与公民身份号码不符（身份证号显示为{id_sex}性）")
        sex = sex or id_sex
        if birth_date is not None and birth_date != facts.birth_date:
            errors.append(
                f"出生日期 {birth_date.isoformat()} 与公民身份号码中的出生日期 {facts.birth_date.isoformat()} 不符"
            )
        birth_date = birth_date or facts.birth_date
    if birth_date is not None and birth_date > on:
        errors.append(f"出生日期 {birth_date.isoformat()} 晚于今天")

    arrival_date = None
    try:
        arrival_date = parse_date_or_none(row.values.get("arrival_date"), field="到达本地日期")
    except InvalidDate as exc:
        arrival_month = year_month(row.values.get("arrival_date"))
        if arrival_month is None:
            errors.append(str(exc))
        else:
            arrival_date = dt.date(*arrival_month, 1)
            warnings.append(f"到达本地日期只有年月，已按 {arrival_date.isoformat()} 计算")
    if arrival_date is not None:
        if arrival_date > on:
            errors.append(f"到达本地日期 {arrival_date.isoformat()} 晚于今天，请核对")
        elif birth_date is not None and arrival_date < birth_date:
            errors.append(f"到达本地日期 {arrival_date.isoformat()} 早于出生日期 {birth_date.isoformat()}")
    else:
        warnings.append("未填写到达本地日期，无法认定是否居住满6个月")

    # Residence: the township by its current or former name, the village within it.
    township_id = village_id = None
    unlisted_village = ""
    township_raw = row.get("township")
    if not township_raw:
        errors.append("居住乡镇（街道）为空")
    else:
        found = places.township(township_raw)
        if found is None:
            errors.append(f"居住乡镇（街道）“{township_raw}”不是天门市的乡镇（街道），请核对名称")
        else:
            township_id, township_name = found
            if _key(township_raw) != _key(township_name):
                warnings.append(f"居住乡镇（街道）“{township_raw}”已按现名“{township_name}”导入")
            village_raw = row.get("village")
            if village_raw and not places.villages.get(township_id):
                # No village list for this township yet: file at township level, keep the name.
                unlisted_village = village_raw
                warnings.append(
                    f"{township_name}尚未建立村（社区）名单，“{village_raw}”已记入备注，档案只归属到乡镇（街道）"
                )
            elif village_raw:
                village = places.village(township_id, village_raw)
                if village is None:
                    errors.append(f"村（社区）“{village_raw}”不在{township_name}的名单中，请先由管理员添加")
                else:
                    village_id = village[0]
            else:
                warnings.append("未填写居住村（社区），档案只归属到乡镇（街道）")

    # Hukou county: the code when given, else derived from the address text.
    hukou_address = row.get("hukou_address")
    hukou_code: str | None = None
    code_raw = row.get("hukou_county_code").replace(" ", "")
    if code_raw:
        code = code_raw[:6] if re.fullmatch(r"\d{6}(\d{3}|\d{6})?", code_raw) else code_raw
        if not re.fullmatch(r"\d{6}", code):
            errors.append(f"户籍地区划代码“{code_raw}”应为6位数字")
        elif code not in places.county_codes:
            errors.append(f"户籍地区划代码“{code_raw}”不是已知的县级行政区划代码")
        else:
            hukou_code = code
    elif hukou_address:
        hukou_code, reason = places.county_from_address(hukou_address)
        if hukou_code is None:
            errors.append(reason)
    else:
        errors.append("户籍地址和户籍地区划代码都为空，无法判断户籍地，请至少填写一项")

    moved_with = row.choice("moved_with", MOVED_WITH)
    school_stage = row.choice("school_stage", SCHOOL_STAGE)
    health = row.choice("health", HEALTH)
    disability_category = row.choice("disability_category", DISABILITY_CATEGORY)
    disability_level = None
    level_raw = row.get("disability_level").replace(" ", "")
    if level_raw:
        disability_level = DISABILITY_LEVEL.get(level_raw)
        if disability_level is None:
            errors.append(f"残疾等级“{level_raw}”无法识别，应为 一级、二级、三级 或 四级")
    if (disability_category or disability_level) and not health:
        health = Health.DISABLED
    security: list[str] = []
    security_raw = row.get("security")
    if security_raw and security_raw not in NONE_WORDS:
        for part in _LIST_SPLIT.split(security_raw):
            if not part or part in NONE_WORDS:
                continue
            value = SECURITY.get(part)
            if value is None:
                allowed = "、".join(Security.values)
                errors.append(f"保障类别“{part}”无法识别，应为：无 或 {allowed}（多项用“、”分隔）")
            elif value not in security:
                security.append(str(value))
    residence_permit = row.yes_no("residence_permit")
    insurance_place = row.choice("insurance_place", INSURANCE_PLACE)
    housing_difficulty = row.yes_no("housing_difficulty")

    school_name = row.get("school_name")
    school_id = places.schools.get(_key(school_name)) if school_name else None

    # The guardian: a name and relationship; ID and phone verified when given.
    guardians: list[GuardianInput] = []
    guardian_name = row.get("guardian_name").replace(" ", "")
    relationship = row.choice("guardian_relationship", RELATIONSHIP)
    guardian_id = ""
    raw_guardian_id = row.values.get("guardian_id_number")
    if raw_guardian_id not in (None, ""):
        guardian_id = idnumber.normalise(raw_guardian_id)
        try:
            if "*" in guardian_id:
                errors.append(MASKED.format(label="监护人公民身份号码"))
            else:
                idnumber.parse(guardian_id)
        except idnumber.InvalidIdNumber as exc:
            errors.append(_id_message("监护人公民身份号码", exc))
        if guardian_id and guardian_id == id_number:
            errors.append("监护人公民身份号码与儿童的相同，请核对")
    phone = ""
    try:
        if "*" in row.get("guardian_phone"):
            errors.append(MASKED.format(label="监护人联系电话"))
        else:
            phone = normalise_phone(row.values.get("guardian_phone"))
    except InvalidPhone as exc:
        errors.append(f"监护人{exc}")
    if guardian_name or guardian_id or phone:
        if not guardian_name:
            errors.append("填写了监护人信息但监护人姓名为空")
        if not relationship and not row.get("guardian_relationship"):
            relationship = Relationship.OTHER
            warnings.append("未填写监护人与儿童关系，已记为“其他”")
        guardians.append(
            GuardianInput(
                name=guardian_name,
                relationship=str(relationship),
                id_number=guardian_id,
                phone=phone,
                is_primary=True,
            )
        )
    else:
        warnings.append("未填写监护人信息")

    remarks = row.get("remarks")
    if unlisted_village:
        remarks = "；".join(p for p in (remarks, f"居住村（社区）：{unlisted_village}") if p)
    extra_parts = [f"{header}：{text(value)}" for header, value in (extras or {}).items() if text(value)]
    if extra_parts:
        remarks = "；".join([p for p in [remarks, *extra_parts] if p])

    ethnicity = row.get("ethnicity")
    if ethnicity and len(ethnicity) <= 3 and not ethnicity.endswith("族"):
        ethnicity += "族"  # 汉 → 汉族

    for label, value, limit in (
        ("户籍地址", hukou_address, 200),
        ("现居住地址", row.get("address"), 200),
        ("学校名称", school_name, 100),
        ("年级", row.get("grade"), 20),
        ("民族", ethnicity, 20),
    ):
        if len(value) > limit:
            errors.append(f"{label}超过{limit}个字，请精简")

    shown_id = id_number if id_number else text(raw_id)
    if errors:
        return RowResult(None, errors, warnings, shown_id, township_id)
    data = ChildInput(
        name=name,
        sex=sex,
        birth_date=birth_date,
        township_id=township_id,
        id_number=id_number,
        village_id=village_id,
        ethnicity=ethnicity,
        hukou_address=hukou_address,
        hukou_county_code=hukou_code,
        arrival_date=arrival_date,
        address=row.get("address"),
        moved_with=moved_with,
        school_stage=school_stage,
        school_id=school_id,
        school_name=school_name,
        grade=row.get("grade"),
        health=health,
        disability_category=disability_category,
        disability_level=disability_level,
        security=security,
        residence_permit=residence_permit,
        insurance_place=insurance_place,
        housing_difficulty=bool(housing_difficulty),
        remarks=remarks,
        guardians=guardians,
    )
    return RowResult(data, errors, warnings, shown_id, township_id)
