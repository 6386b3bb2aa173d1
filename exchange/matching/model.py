"""Fellegi-Sunter scoring with hard rules on top, and explainable decisions.

Each field comparison falls in a level; each level carries m (how often true
matches are at that level) and u (how often random pairs are).  The match
weight is the sum of log2(m/u).  The weights assume the fields independent,
which twins and siblings break (same household, same birth date, different
child), so rules on top decide what weight alone may not:

* an exact valid ID number links directly;
* an invalid ID number one changed digit or one swap of adjacent digits away from
  exactly one registered child's valid number links when name (or its sound), sex
  and birth date do not contradict it; several such children go to a person; a row
  that has no birth date and no valid number has nothing else to be matched by, so
  without such a child it is reported back (``REJECTED``);
* two well-formed ID numbers that differ by more than a typo are two children;
* a row without an ID number whose exact name and birth date belong to exactly one
  registered child (the candidates hold every child of that name read alike, so the
  count is the registry's) links when sex, guardian phone and hukou county do not
  contradict it and no other child of the row's household ranks among the best two;
* otherwise name and birth date alone never link: an ID number close to the row's,
  or the household plus a name that sounds the same, must agree as well;
* if the two best candidates are close, a person decides.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from common import idnumber

from . import compare as cmp
from .compare import FIELDS, LEVELS, Person, Prepared

PARAMS_PATH = Path(__file__).with_name("params.json")

LINKED, REVIEW, NEW = "linked", "review", "new"
#: The row cannot be matched with what it carries (no birth date, no valid ID number and no
#: registered child one edit from its number): reported back, never registered.
REJECTED = "rejected"

FIELD_ZH = {
    "name": "姓名",
    "birth": "出生日期",
    "sex": "性别",
    "id": "身份证号",
    "county": "户籍地",
    "household": "家庭（监护人、电话、住址）",
}
LEVEL_ZH = {
    "name": {
        "exact": "完全一致",
        "pinyin": "同音",
        "close": "读音相近",
        "surname": "仅姓相同",
        "different": "姓不同",
        "missing": "缺失",
    },
    "birth": {"exact": "一致", "near": "相差一处或日月颠倒", "far": "不一致", "missing": "缺失"},
    "sex": {"agree": "一致", "disagree": "不一致", "missing": "缺失"},
    "id": {"exact": "一致", "typo": "差一位或两位颠倒", "far": "不一致", "missing": "缺失"},
    "county": {"agree": "一致", "disagree": "不一致", "missing": "缺失"},
    "household": {
        "all": "监护人、电话、住址均一致",
        "phone_plus": "电话一致，监护人或住址一致",
        "guardian_address": "监护人和住址一致，电话不同",
        "phone": "仅电话一致",
        "guardian": "仅监护人一致",
        "address": "仅住址一致",
        "none": "均不一致",
        "missing": "缺失",
    },
}


@dataclass
class Params:
    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    link_threshold: float = 12.0
    review_threshold: float = 4.0
    margin: float = 6.0  # best and runner-up closer than this (bits): review
    meta: dict = field(default_factory=dict)

    def weights(self) -> list[dict[str, float]]:
        return [
            {level: math.log2(self.m[f][level] / self.u[f][level]) for level in LEVELS[f]} for f in FIELDS
        ]

    def to_json(self) -> str:
        data = {
            "version": 1,
            "thresholds": {
                "link": self.link_threshold,
                "review": self.review_threshold,
                "margin": self.margin,
            },
            "m": {f: {lv: round(p, 8) for lv, p in self.m[f].items()} for f in FIELDS},
            "u": {f: {lv: round(p, 10) for lv, p in self.u[f].items()} for f in FIELDS},
            "meta": self.meta,
        }
        return json.dumps(data, ensure_ascii=False, indent=1)

    def save(self, path: Path = PARAMS_PATH) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict) -> Params:
        t = data["thresholds"]
        return cls(
            m=data["m"],
            u=data["u"],
            link_threshold=t["link"],
            review_threshold=t["review"],
            margin=t["margin"],
            meta=data.get("meta", {}),
        )

    @classmethod
    def load(cls, path: Path = PARAMS_PATH) -> Params:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _probabilities(counts: list[Counter], pseudo: float) -> dict[str, dict[str, float]]:
    result = {}
    for f, counter in zip(FIELDS, counts, strict=True):
        total = sum(counter.values()) + pseudo * len(LEVELS[f])
        result[f] = {lv: (counter[lv] + pseudo) / total for lv in LEVELS[f]}
    return result


def fit(
    matched_pairs: Iterable[tuple[Prepared, Prepared]],
    random_pairs: Iterable[tuple[Prepared, Prepared]],
    *,
    pseudo: float = 0.5,
) -> Params:
    """m from labelled true pairs, u from random pairs; thresholds are left at their defaults."""
    m_counts = [Counter() for _ in FIELDS]
    u_counts = [Counter() for _ in FIELDS]
    n_m = n_u = 0
    for pairs, counts in ((matched_pairs, m_counts), (random_pairs, u_counts)):
        for a, b in pairs:
            for counter, level in zip(counts, cmp.compare(a, b), strict=True):
                counter[level] += 1
            if counts is m_counts:
                n_m += 1
            else:
                n_u += 1
    return Params(
        m=_probabilities(m_counts, pseudo),
        u=_probabilities(u_counts, pseudo),
        meta={"matched_pairs": n_m, "random_pairs": n_u},
    )


@dataclass(frozen=True)
class Decision:
    outcome: str  # linked / review / new
    best_key: str | None
    score: float | None
    contributions: list[tuple[str, str, float]]  # (field, level, weight) of the best candidate
    reason_zh: str
    runner_up_key: str | None = None
    runner_up_score: float | None = None
    candidates: int = 0
    review_keys: tuple[str, ...] = ()  # the candidates a reviewer must choose among, first

    def explain_zh(self) -> str:
        parts = [f"{FIELD_ZH[f]}{LEVEL_ZH[f][lv]}（{w:+.1f}）" for f, lv, w in self.contributions]
        return self.reason_zh + ("：" + "，".join(parts) if parts else "")


EXACT_ID_BONUS = 1000.0

Scored = tuple[float, Prepared, tuple[str, ...]]  # (score, candidate, levels)


class Ranking(NamedTuple):
    best: Scored | None
    second: Scored | None
    candidates: int
    vetoed: int
    # Candidates whose valid number is one edit from the row's invalid one, with the positions.
    typo: tuple[tuple[Scored, tuple[int, ...]], ...] = ()
    # Candidates with exactly the row's name and birth date.
    same_name_birth: tuple[Scored, ...] = ()


def number_only(*, has_birth: bool, id_valid: bool) -> bool:
    """A row without a birth date and without a valid ID number can be found by its number's
    one-edit neighbours only (``idnumber.one_edit_neighbours``); with none it cannot be matched."""
    return not has_birth and not id_valid


_STRONG_NAME = ("exact", "pinyin")
_SIMILAR_NAME = ("exact", "pinyin", "close", "surname")


def typo_confirmed(levels: tuple[str, ...], cand: Prepared) -> bool:
    """A candidate one edit from the row's number is confirmed by name (or its sound), sex and
    the birth date inside its number: none of them contradicts the row, and the registry's
    birth date is the one inside the number."""
    name, birth, sex = levels[0], levels[1], levels[2]
    return (
        name in _STRONG_NAME
        and sex != cmp.DISAGREE
        and birth in ("exact", cmp.MISSING)
        and cand.birth == cmp.id_birth(cand.id_number)
    )


class Matcher:
    def __init__(self, params: Params | None = None):
        self.params = params or Params.load()
        self._weights = self.params.weights()

    def score(self, a: Prepared, b: Prepared) -> tuple[float, tuple[str, ...]]:
        levels = cmp.compare(a, b)
        return sum(w[lv] for w, lv in zip(self._weights, levels, strict=True)), levels

    def match(self, row: Person | Prepared, candidates: Iterable[Person | Prepared]) -> Decision:
        r = row if isinstance(row, Prepared) else cmp.prepare(row)
        return self.decide(r, self.rank(r, candidates))

    def rank(self, r: Prepared, candidates: Iterable[Person | Prepared]) -> Ranking:
        """The best two candidates (vetoed ones left out), those one edit from the row's invalid
        number and those of the row's exact name and birth date; independent of the thresholds."""
        best = second = None  # (score, candidate, levels)
        seen: set[str] = set()
        vetoed = 0
        typo: list[tuple[Scored, tuple[int, ...]]] = []
        same: list[Scored] = []
        for c in candidates:
            c = c if isinstance(c, Prepared) else cmp.prepare(c)
            if c.key in seen:
                continue
            seen.add(c.key)
            if cmp.ids_conflict(r, c):
                vetoed += 1
                continue
            s, levels = self.score(r, c)
            if r.id_valid and r.id_number == c.id_number:
                s += EXACT_ID_BONUS  # an exact valid ID outranks any other candidate
            entry = (s, c, levels)
            positions = cmp.id_typo_positions(r, c)
            if positions:
                typo.append((entry, positions))
            if levels[0] == "exact" and levels[1] == "exact":
                same.append(entry)
            if best is None or s > best[0]:
                best, second = entry, best
            elif second is None or s > second[0]:
                second = entry
        typo.sort(key=lambda t: -t[0][0])
        same.sort(key=lambda e: -e[0])
        return Ranking(best, second, len(seen), vetoed, tuple(typo), tuple(same))

    def _result(
        self, outcome: str, reason: str, entry: Scored, ranking: Ranking, review_keys: tuple[str, ...] = ()
    ) -> Decision:
        _score, cand, levels = entry
        contributions = [
            (f, lv, round(w[lv], 3)) for f, lv, w in zip(FIELDS, levels, self._weights, strict=True)
        ]
        raw = sum(c[2] for c in contributions)
        runner = next((e for e in (ranking.best, ranking.second) if e is not None and e[1] is not cand), None)
        return Decision(
            outcome, cand.key if outcome != NEW else None, round(raw, 3), contributions, reason,
            runner_up_key=runner[1].key if runner else None,
            runner_up_score=round(runner[0], 3) if runner else None,
            candidates=ranking.candidates, review_keys=review_keys,
        )  # fmt: skip

    def _typo_decision(self, r: Prepared, ranking: Ranking) -> Decision | None:
        """The rule of an invalid number one edit from registered children's valid numbers."""

        def review(group: list, how: str) -> Decision:
            reason = (
                f"身份证号无效，有{len(group)}名已登记儿童的号码与之仅差一位或两位颠倒，{how}，需人工确认"
            )
            keys = tuple(e[1].key for e, _pos in group)
            return self._result(REVIEW, reason, group[0][0], ranking, keys)

        confirmed = [(e, pos) for e, pos in ranking.typo if typo_confirmed(e[2], e[1])]
        if len(confirmed) == 1:
            entry, positions = confirmed[0]
            where = idnumber.Neighbour(entry[1].id_number, positions).explain_zh()
            reason = f"身份证号{where}：改正后的有效号码属于一名已登记儿童，姓名、性别、出生日期与之相符"
            return self._result(LINKED, reason, entry, ranking)
        if confirmed:
            return review(confirmed, "且姓名、性别、出生日期都相符")
        if r.birth:
            return None  # the row's other facts still count: the weights and rules below decide
        similar = [(e, pos) for e, pos in ranking.typo if e[2][0] in _SIMILAR_NAME]
        return review(similar, "但姓名、性别或出生日期只部分相符") if similar else None

    def decide(self, r: Prepared, ranking: Ranking) -> Decision:
        p = self.params
        best, second, n, vetoed = ranking[:4]
        if ranking.typo:
            decision = self._typo_decision(r, ranking)
            if decision is not None:
                return decision
        if number_only(has_birth=bool(r.birth), id_valid=r.id_valid):
            # Without a birth date and a valid number only the number's one-edit neighbours
            # could find the child, and none was confirmed.
            if r.id_number:
                reason = (
                    "身份证号无效且缺少出生日期：没有号码与之仅差一位且姓名相符的已登记儿童，请核对身份证号"
                )
            else:
                reason = "缺少出生日期和身份证号，无法比对"
            return Decision(REJECTED, None, None, [], reason, candidates=n)
        if best is None:
            reason = "无候选记录，登记为新儿童"
            if vetoed:
                reason = (
                    f"{vetoed}名候选儿童的身份证号与本行不同（均为有效号码），判定为不同儿童，登记为新儿童"
                )
            return Decision(NEW, None, None, [], reason, candidates=n)

        score, cand, levels = best

        def result(outcome: str, reason: str) -> Decision:
            return self._result(outcome, reason, best, ranking)

        name, birth, sex, id_level, county, household = levels
        if id_level == "exact" and r.id_valid:
            return result(LINKED, "身份证号完全一致")
        if not r.id_number and len(ranking.same_name_birth) == 1:
            entry = ranking.same_name_birth[0]
            _s, only, only_levels = entry
            # Another child of the row's household (a twin whose name the row may have misspelt)
            # is a fact against the only one: it would rank first or second.
            household_elsewhere = any(
                e is not None and e[1] is not only and e[2][5] in cmp.HOUSEHOLD_AGREEING
                for e in (best, second)
            )
            if (
                only_levels[2] != cmp.DISAGREE
                and only_levels[4] != cmp.DISAGREE
                and not cmp.phones_conflict(r, only)
                and not household_elsewhere
            ):
                return self._result(
                    LINKED,
                    "本行无身份证号；登记库中姓名和出生日期与本行完全相同的儿童仅此一名，"
                    "性别、监护人电话、户籍地均无矛盾",
                    entry,
                    ranking,
                )
        raw = sum(round(w[lv], 3) for w, lv in zip(self._weights, levels, strict=True))
        if raw < p.review_threshold:
            return result(NEW, "与最接近的候选儿童差异较大，登记为新儿童")
        if second is not None and second[0] >= p.review_threshold and score - second[0] < p.margin:
            return result(REVIEW, "有两名候选儿童得分接近，需人工确认")
        id_support = id_level == "typo"
        household_support = household in cmp.HOUSEHOLD_AGREEING
        strong_name = name in _STRONG_NAME
        if raw >= p.link_threshold:
            if id_support:
                return result(LINKED, "身份证号仅差一位或两位颠倒，其余信息相符")
            if household_support and strong_name:
                return result(LINKED, "姓名（含同音）、出生日期与家庭信息相符")
            if not household_support:
                return result(
                    REVIEW, "仅姓名和出生日期等相符，家庭信息不一致或缺失，可能是同名同龄儿童，需人工确认"
                )
            return result(
                REVIEW, "家庭信息相符但姓名只是相近，且无身份证号佐证，可能是双胞胎或兄弟姐妹，需人工确认"
            )
        return result(REVIEW, "部分信息相符，得分不足以自动关联，需人工确认")


def link_all(rows: Iterable[Person], index, matcher: Matcher) -> list[Decision]:
    """The decision for each row, in order."""
    decisions = []
    for row in rows:
        prepared = row if isinstance(row, Prepared) else cmp.prepare(row)
        decisions.append(matcher.match(prepared, index.candidates(prepared)))
    return decisions
