"""A deterministic synthetic registry and a noisy department feed with known truth.

Children live in households (1-4 children; twins; siblings share guardian,
phone, address and hukou county).  The population is split into registered and
unregistered children, so the feed's new children include unregistered brothers
and sisters of registered ones.  Feed rows carry the noise seen in real sheets:
homophone characters in names (张伟/张玮), mistyped and transposed ID digits,
missing ID numbers, day and month swapped, the other parent named as guardian,
changed phone numbers and addresses.  A few children share name and birth date
with an unrelated child.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from pypinyin import Style, lazy_pinyin

from common import idnumber, names

from .compare import Person

REFERENCE_DATE = dt.date(2025, 6, 30)

# Approximate shares (per cent) of the national surname distribution, plus the
# surnames pypinyin misreads and some compound surnames.
SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "黄": 2.2, "赵": 2.1, "吴": 2.0,
    "周": 1.9, "徐": 1.5, "孙": 1.5, "马": 1.3, "朱": 1.3, "胡": 1.2, "郭": 1.2, "何": 1.2, "高": 1.0,
    "林": 1.0, "罗": 0.9, "郑": 0.9, "梁": 0.9, "谢": 0.8, "宋": 0.7, "唐": 0.7, "许": 0.7, "韩": 0.6,
    "冯": 0.6, "邓": 0.6, "曹": 0.6, "彭": 0.6, "曾": 0.6, "肖": 0.5, "田": 0.5, "董": 0.5, "袁": 0.5,
    "潘": 0.5, "于": 0.5, "蒋": 0.5, "蔡": 0.5, "余": 0.5, "杜": 0.4, "叶": 0.4, "程": 0.4, "苏": 0.4,
    "魏": 0.4, "吕": 0.4, "丁": 0.4, "任": 0.4, "沈": 0.4, "姚": 0.3, "卢": 0.3, "姜": 0.3, "崔": 0.3,
    "钟": 0.3, "谭": 0.3, "陆": 0.3, "汪": 0.3, "范": 0.3, "金": 0.3, "石": 0.3, "廖": 0.3, "贾": 0.3,
    "夏": 0.3, "韦": 0.3, "付": 0.3, "方": 0.3, "白": 0.2, "邹": 0.2, "孟": 0.2, "熊": 0.2, "秦": 0.2,
    "邱": 0.2, "江": 0.2, "尹": 0.2, "薛": 0.2, "闫": 0.2, "段": 0.2, "雷": 0.2, "侯": 0.2, "龙": 0.2,
    "史": 0.2, "陶": 0.2, "黎": 0.2, "贺": 0.2, "顾": 0.2, "毛": 0.2, "郝": 0.2, "龚": 0.2, "邵": 0.2,
    "万": 0.2, "钱": 0.2, "严": 0.2, "覃": 0.1, "单": 0.05, "解": 0.05, "查": 0.05, "仇": 0.05,
    "区": 0.03, "翟": 0.05, "朴": 0.02, "盖": 0.02, "欧阳": 0.05, "司马": 0.02, "诸葛": 0.01,
    "上官": 0.01, "尉迟": 0.005,
}  # fmt: skip
SURNAME_HOMOPHONES = ["张章", "王汪", "李黎", "刘柳", "杨阳", "徐许", "吴武", "程成", "江姜", "于余", "付傅"]

BOY_CHARS = "伟强磊军勇杰涛斌浩鹏宇轩子睿博文俊豪天明晨阳泽然嘉一凯航铭昊宸奕梓辰诚瑞翔毅思佳哲皓鑫宏志建国华家成峰刚亮辉健超远"
GIRL_CHARS = "芳娜敏静丽艳婷雪琳欣怡梓涵诗雨萱可馨佳悦琪思紫彤晴妍一语嘉若心瑶梦月雅蕾玲倩颖菲璐露慧洁婉"
HOMOPHONE_GROUPS = """伟玮威薇维巍 强蔷 磊蕾垒 军君均钧俊峻骏 杰洁婕捷 涛韬滔 斌彬宾滨 浩豪昊皓灏 鹏朋 宇雨语羽玉予禹
轩萱宣 子紫梓姿 睿瑞锐蕊 博波 文雯闻 天田添 明铭鸣名 晨辰宸琛臣 阳杨洋扬 泽则 然冉 嘉佳家 一依怡艺逸奕亦伊毅易
凯恺楷 航杭 诚成程城承 翔祥湘 思斯丝 哲喆 鑫欣心馨新 宏鸿弘红 志智致 建健剑 华桦 峰锋枫丰 刚钢 辉晖徽慧惠蕙 远媛源
芳方 敏民 静晶婧菁 丽莉俐 艳燕妍 婷亭庭 琳林霖麟 涵寒含晗 诗施 可珂 悦月玥越 琪琦淇祺 彤桐童 晴清青 瑶遥 雅亚 玲铃灵
颖莹盈 菲霏 璐露路 婉宛""".split()

TIANMEN_TOWNSHIPS = (
    "竟陵街道 侯口街道 杨林街道 多宝镇 拖市镇 张港镇 蒋场镇 汪场镇 渔薪镇 黄潭镇 岳口镇 横林镇 彭市镇 麻洋镇 "
    "多祥镇 干驿镇 马湾镇 卢市镇 小板镇 九真镇 皂市镇 胡市镇 石家河镇 佛子山镇 净潭乡"
).split()
PLACE_CHARS = "新光红星胜利联合永安建设和平东风团结前进长兴先锋幸福金桥白湖杨柳河"
HUKOU_PROVINCES = {
    "42": 0.55,
    "41": 0.1,
    "43": 0.1,
    "34": 0.06,
    "36": 0.06,
    "51": 0.05,
    "50": 0.04,
    "44": 0.04,
}


@dataclass
class Synthetic:
    registry: list[Person]
    feed: list[Person]
    truth: list[str | None]  # the registry key of each feed row's child, None for a new child
    noise: list[str]  # what was done to each feed row, for diagnostics


@dataclass
class _Child:
    person: Person  # the true, complete record
    household: int


@cache
def _homophones() -> dict[str, list[str]]:
    """Character -> homophones, checked against pypinyin so that a group really sounds the same."""
    table: dict[str, list[str]] = {}
    for group in HOMOPHONE_GROUPS + SURNAME_HOMOPHONES:
        by_sound: dict[str, list[str]] = {}
        for ch in group:
            by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
        for chars in by_sound.values():
            for ch in chars:
                others = [c for c in chars if c != ch]
                if others:
                    table.setdefault(ch, []).extend(others)
    return table


@cache
def _counties() -> dict[str, list[str]]:
    """Current county-level codes by province, read from python-stdnum's GB/T 2260 data."""
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    by_province: dict[str, list[str]] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        code, _, rest = line.strip().partition(" ")
        if province not in HUKOU_PROVINCES or code.endswith("00") or "市辖区" in rest:
            continue
        last = rest.rsplit(",", 1)[-1]
        if last.startswith('county="[') and not last.split("]")[0].endswith("-"):
            continue  # abolished
        full = province + code
        if full != "429006" and idnumber.county_known(full):
            by_province.setdefault(province, []).append(full)
    return by_province


class _Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.surnames = list(SURNAMES)
        self.surname_weights = list(SURNAMES.values())
        self.counties = _counties()
        self.provinces = list(HUKOU_PROVINCES)
        self.province_weights = list(HUKOU_PROVINCES.values())
        self.used_ids: set[str] = set()

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]

    def given(self, sex: str, shared: str | None = None) -> str:
        pool = BOY_CHARS if sex == "M" else GIRL_CHARS
        if shared is not None:
            return (
                shared + self.rng.choice(pool) if self.rng.random() < 0.5 else self.rng.choice(pool) + shared
            )
        if self.rng.random() < 0.3:
            return self.rng.choice(pool)
        return self.rng.choice(pool) + self.rng.choice(pool)

    def county(self) -> str:
        province = self.rng.choices(self.provinces, self.province_weights)[0]
        return self.rng.choice(self.counties[province])

    def phone(self) -> str:
        return "1" + self.rng.choice("35789") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def address(self) -> str:
        rng = self.rng
        place = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS)
        township = rng.choice(TIANMEN_TOWNSHIPS)
        if rng.random() < 0.5:
            return f"湖北省天门市{township}{place}村{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
        return (
            f"湖北省天门市{township}{place}社区{place}小区{rng.randint(1, 30)}栋"
            f"{rng.randint(1, 4)}单元{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
        )

    def id_number(self, county: str, birth: dt.date, sex: str) -> str:
        """A valid number no other generated child has."""
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = idnumber.make(county, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def household(self, number: int, start_key: int) -> list[_Child]:
        rng = self.rng
        father_surname = self.surname()
        mother_surname = self.surname()
        father = father_surname + self.given("M")
        mother = mother_surname + self.given("F")
        guardian = father if rng.random() < 0.65 else mother
        phone, address, hukou = self.phone(), self.address(), self.county()
        n = rng.choices((1, 2, 3, 4), (50, 35, 12, 3))[0]
        twins = n >= 2 and rng.random() < 0.06
        shared = rng.choice(BOY_CHARS + GIRL_CHARS) if rng.random() < 0.4 else None
        surname = father_surname if rng.random() < 0.93 else mother_surname
        first = REFERENCE_DATE - dt.timedelta(days=rng.randrange(0, 16 * 365 - 1))
        children = []
        birth = first
        used_names: set[str] = set()
        for i in range(n):
            if i > 0 and not (twins and i == 1):
                birth = birth + dt.timedelta(days=rng.randrange(365, 6 * 365))
            if birth > REFERENCE_DATE:
                break
            sex = "M" if rng.random() < 0.52 else "F"
            name = surname + self.given(sex, shared)
            while name in used_names:
                name = surname + self.given(sex, shared)
            used_names.add(name)
            issuing = hukou if rng.random() < 0.85 else self.county()
            person = Person(
                key=f"C{start_key + i:07d}",
                name=name,
                birth_date=birth,
                sex=sex,
                id_number=self.id_number(issuing, birth, sex),
                hukou_county=hukou,
                guardian_name=guardian,
                guardian_phone=phone,
                address=address,
            )
            children.append(_Child(person, number))
        return children

    # --- noise ---------------------------------------------------------------

    def noisy(self, p: Person, key: str) -> tuple[Person, list[str]]:
        rng = self.rng
        done: list[str] = []
        changes: dict = {"key": key}
        r = rng.random()
        if r < 0.12:
            changes["id_number"] = None
            done.append("id_missing")
        elif r < 0.15:
            changes["id_number"] = self._mistype(p.id_number)
            done.append("id_typo")
        elif r < 0.17:
            changes["id_number"] = self._transpose(p.id_number)
            done.append("id_transposed")
        name = p.name
        r = rng.random()
        if r < 0.06:
            name, what = self._homophone(name)
            if what:
                done.append(what)
        elif r < 0.07:
            surname, given = names.split_surname(name)
            if given:
                i = rng.randrange(len(given))
                pool = BOY_CHARS if p.sex == "M" else GIRL_CHARS
                name = surname + given[:i] + rng.choice(pool) + given[i + 1 :]
                done.append("name_char_changed")
        elif r < 0.08:
            name = name[:1] + rng.choice((" ", "·", "  ")) + name[1:]
            done.append("name_spacing")
        changes["name"] = name
        birth = p.birth_date
        r = rng.random()
        if r < 0.02 and birth.day <= 12 and birth.day != birth.month:
            changes["birth_date"] = birth.replace(month=birth.day, day=birth.month)
            done.append("birth_swapped")
        elif r < 0.04:
            part = rng.choice(("day", "month", "year"))
            try:
                if part == "day":
                    changes["birth_date"] = birth.replace(day=birth.day % 28 + 1)
                elif part == "month":
                    changes["birth_date"] = birth.replace(month=birth.month % 12 + 1)
                else:
                    changes["birth_date"] = birth.replace(year=birth.year - 1)
                done.append("birth_" + part)
            except ValueError:
                pass
        elif r < 0.045:
            changes["birth_date"] = None
            done.append("birth_missing")
        r = rng.random()
        if r < 0.02:
            changes["sex"] = None
        elif r < 0.023:
            changes["sex"] = "F" if p.sex == "M" else "M"
            done.append("sex_wrong")
        r = rng.random()
        if r < 0.15:
            changes["hukou_county"] = None
        elif r < 0.17:
            changes["hukou_county"] = self.county()
            done.append("hukou_changed")
        r = rng.random()
        if r < 0.10:
            changes["guardian_name"] = self.surname() + self.given("F")
            done.append("other_guardian")
        elif r < 0.13:
            changes["guardian_name"] = self._homophone(p.guardian_name)[0]
        elif r < 0.18:
            changes["guardian_name"] = None
        r = rng.random()
        if r < 0.10:
            changes["guardian_phone"] = self.phone()
            done.append("phone_changed")
        elif r < 0.18:
            changes["guardian_phone"] = None
        r = rng.random()
        if r < 0.12:
            changes["address"] = self.address()
            done.append("moved")
        elif r < 0.22:
            changes["address"] = p.address.replace("湖北省", "").replace("天门市", "天门 ")
        elif r < 0.30:
            changes["address"] = None
        return replace(p, **changes), done

    def _homophone(self, name: str) -> tuple[str, str]:
        table = _homophones()
        surname, given = names.split_surname(name)
        positions = [i for i, ch in enumerate(given) if ch in table]
        if positions and self.rng.random() < 0.85:
            i = self.rng.choice(positions)
            return surname + given[:i] + self.rng.choice(table[given[i]]) + given[i + 1 :], "name_homophone"
        if surname in table:
            return self.rng.choice(table[surname]) + given, "surname_homophone"
        return name, ""

    def _mistype(self, number: str) -> str:
        i = self.rng.randrange(17)
        digit = self.rng.choice([d for d in "0123456789" if d != number[i]])
        return number[:i] + digit + number[i + 1 :]

    def _transpose(self, number: str) -> str:
        positions = [i for i in range(17) if number[i] != number[i + 1]]
        i = self.rng.choice(positions)
        return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def generate(
    registry_size: int,
    feed_size: int,
    *,
    seed: int = 1,
    new_share: float = 0.2,
    same_name_share: float = 0.003,
) -> Synthetic:
    """A registry of ``registry_size`` children and a feed of ``feed_size`` rows with known truth."""
    gen = _Generator(seed)
    rng = gen.rng
    n_new = round(feed_size * new_share)
    population: list[_Child] = []
    while len(population) < registry_size + n_new:
        population.extend(gen.household(len(population), len(population)))
    # Same name and birth date as an unrelated child (different household, different ID number).
    for _ in range(round(len(population) * same_name_share)):
        a, b = rng.sample(range(len(population)), 2)
        src, dst = population[a].person, population[b].person
        if population[a].household == population[b].household:
            continue
        county = dst.id_number[:6]
        population[b].person = replace(
            dst,
            name=src.name,
            birth_date=src.birth_date,
            sex=src.sex,
            id_number=gen.id_number(county, src.birth_date, src.sex),
        )
    rng.shuffle(population)
    registered, unregistered = population[:registry_size], population[registry_size:]
    registry = [
        replace(c.person, id_number=None) if rng.random() < 0.03 else c.person for c in registered
    ]  # some children were registered before they had an ID number
    n_known = min(feed_size - n_new, registry_size)
    sources = [(c.person, c.person.key) for c in rng.sample(registered, n_known)]
    sources += [(c.person, None) for c in unregistered[: feed_size - n_known]]
    rng.shuffle(sources)
    feed, truth, noise = [], [], []
    for i, (person, key) in enumerate(sources):
        row, done = gen.noisy(person, f"F{i + 1:07d}")
        feed.append(row)
        truth.append(key)
        noise.append(",".join(done) if done else "clean")
    return Synthetic(registry=registry, feed=feed, truth=truth, noise=noise)
