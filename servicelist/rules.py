"""Eligibility rules of the Basic Service List: a small, safe condition language.

A service's target group (服务对象) is a condition over a child's *facts*,
stored as JSON next to the service so that the city can adjust the list
without a code change. Nothing in a rule is ever executed: rules are walked as
data, and every fact, operator and value must come from the tables below.

Grammar::

    cond := true | false
          | {"all": [cond, ...]}          every condition holds
          | {"any": [cond, ...]}          at least one holds
          | {"not": cond}
          | {"fact": <name>, "op": <op>, "value": <v>}   ("value" omitted for is_true / is_false)

Facts come from ``facts_from_profile`` (see ``FACTS``). A fact that is unknown
(``None``) satisfies no comparison — not even ``ne`` — so a child is never
found entitled or excluded on data nobody entered (``not`` still inverts).

Ages follow 民法典 §201-202: a child reaches N 周岁 on the N-th birthday; a
child born on 29 February reaches it on 28 February in common years (the
"last day of the month" rule for a missing corresponding day).

This module is pure (no Django, no database) so that models, views, the public
self-check and the coverage statistics share exactly one copy of the rules.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------
# Vocabularies (the values of the standard ledger, shared/spec/ledger.md)

SCHOOL_STAGES: tuple[str, ...] = ("未入学", "托育", "幼儿园", "小学", "初中", "普通高中", "中职", "失学辍学")
COMPULSORY_STAGES: frozenset[str] = frozenset({"小学", "初中"})
HEALTH_STATES: tuple[str, ...] = ("健康", "慢性病", "残疾", "严重精神障碍")
SECURITY_CATEGORIES: tuple[str, ...] = ("低保", "低保边缘", "特困", "孤儿", "事实无人抚养", "艾滋病病毒感染")
# "无" is how the ledger writes "none of them"; it is the empty list here.
SECURITY_NONE = "无"
DISABILITY_CATEGORIES: tuple[str, ...] = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")

# Rules nest a few levels in practice; the cap keeps hostile input from
# exhausting the interpreter's stack.
MAX_DEPTH = 32


@dataclass(frozen=True)
class Fact:
    name: str
    label: str  # Chinese, shown to users
    type: str  # "int" | "bool" | "enum" | "set"
    values: tuple[str, ...] = ()  # allowed values of enum and set facts
    minimum: int | None = None  # bounds of int facts, to catch typos in rules
    maximum: int | None = None
    help: str = ""


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact(
            "age_years",
            "年龄（周岁）",
            "int",
            minimum=0,
            maximum=30,
            help="查询日期当天已满的周岁数，生日当天即满",
        ),
        Fact("age_months", "月龄（足月）", "int", minimum=0, maximum=360, help="查询日期当天已满的月数"),
        Fact("school_stage", "就学状态", "enum", SCHOOL_STAGES),
        Fact("compulsory_stage", "处于义务教育阶段（小学、初中）", "bool", help="由就学状态推出"),
        Fact("health", "健康状况", "enum", HEALTH_STATES),
        Fact("disabled", "残疾儿童", "bool", help="健康状况为残疾，或登记了残疾类别"),
        Fact("security", "保障类别", "set", SECURITY_CATEGORIES, help="可有多项；“无”即空"),
        Fact("housing_difficulty", "家庭住房困难", "bool"),
        Fact("emergency_hardship", "遭遇突发性、紧迫性、灾难性困难，符合临时救助情形", "bool"),
        Fact("legal_aid_need", "符合法律援助或司法救助条件", "bool"),
        Fact("living_at_home", "在家居住", "bool", help="默认是"),
        Fact("key_attention", "列入重点关注对象台账", "bool"),
    )
}

# op -> (the fact types it applies to, Chinese wording)
OPS: dict[str, tuple[frozenset[str], str]] = {
    "eq": (frozenset({"int", "bool", "enum"}), "等于"),
    "ne": (frozenset({"int", "bool", "enum"}), "不等于"),
    "in": (frozenset({"int", "enum"}), "属于"),
    "not_in": (frozenset({"int", "enum"}), "不属于"),
    "contains": (frozenset({"set"}), "包含"),
    "contains_any": (frozenset({"set"}), "包含其中任一项"),
    "lt": (frozenset({"int"}), "小于"),
    "lte": (frozenset({"int"}), "不超过"),
    "gt": (frozenset({"int"}), "大于"),
    "gte": (frozenset({"int"}), "不小于"),
    "between": (frozenset({"int"}), "介于（含两端）"),
    "is_true": (frozenset({"bool"}), "为是"),
    "is_false": (frozenset({"bool"}), "为否"),
}
_NO_VALUE_OPS = frozenset({"is_true", "is_false"})
_LIST_VALUE_OPS = frozenset({"in", "not_in", "contains_any"})
_COMBINATORS = ("all", "any", "not")


class RuleError(ValueError):
    """A rule failed validation; ``errors`` holds the Chinese messages."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


class ProfileError(ValueError):
    """A child's profile could not be turned into facts; ``errors`` maps field -> Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(f"{field}：{message}" for field, message in errors.items()))
        self.errors = errors


# ---------------------------------------------------------------------------
# Validation


def _show(value: Any) -> str:
    """A short rendering of arbitrary JSON for error messages."""
    try:
        text = repr(value) if not isinstance(value, str) else f"“{value}”"
    except RecursionError:  # absurdly deep JSON; the message need not show it
        text = "（嵌套过深的值）"
    return text if len(text) <= 60 else text[:57] + "…"


def _is_int(value: Any) -> bool:
    # bool is an int subclass in Python; a rule saying `"value": true` for an age is a mistake.
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rule(rule: Any) -> list[str]:
    """All problems of a rule, as Chinese messages naming where they are (``$`` is the rule itself).

    Never raises, whatever JSON (or Python object) it is given; an empty list means the rule is valid.
    """
    errors: list[str] = []
    _validate(rule, "$", 0, errors)
    return errors


def _validate(node: Any, path: str, depth: int, errors: list[str]) -> None:
    if depth > MAX_DEPTH:
        errors.append(f"{path}：条件嵌套超过 {MAX_DEPTH} 层，请简化规则")
        return
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        errors.append(f"{path}：条件应为 true、false 或对象，实际为 {_show(node)}")
        return
    keys = set(node)
    combinators = [k for k in _COMBINATORS if k in keys]
    if combinators:
        if len(keys) != 1:
            others = "、".join(sorted(_show(k) for k in keys if k != combinators[0]))
            errors.append(f"{path}：“{combinators[0]}”条件不能再带其他键（多余：{others}）")
            return
        key = combinators[0]
        child = node[key]
        if key == "not":
            _validate(child, f"{path}.not", depth + 1, errors)
            return
        if not isinstance(child, list):
            errors.append(f"{path}.{key}：应为条件列表，实际为 {_show(child)}")
            return
        if not child:
            errors.append(f"{path}.{key}：条件列表不能为空")
            return
        for index, item in enumerate(child):
            _validate(item, f"{path}.{key}[{index}]", depth + 1, errors)
        return
    if "fact" not in keys or "op" not in keys:
        errors.append(f"{path}：条件对象应含 all、any、not 之一，或同时含 fact 和 op")
        return
    _validate_leaf(node, path, errors)


def _validate_leaf(node: dict, path: str, errors: list[str]) -> None:
    name, op = node["fact"], node["op"]
    extra = set(node) - {"fact", "op", "value"}
    if extra:
        errors.append(f"{path}：不认识的键 {'、'.join(sorted(_show(k) for k in extra))}")
    if not isinstance(name, str) or name not in FACTS:
        errors.append(f"{path}.fact：未知的事实 {_show(name)}；可用：{'、'.join(FACTS)}")
        return
    if not isinstance(op, str) or op not in OPS:
        errors.append(f"{path}.op：未知的运算 {_show(op)}；可用：{'、'.join(OPS)}")
        return
    fact = FACTS[name]
    types, _ = OPS[op]
    if fact.type not in types:
        usable = "、".join(o for o, (t, _) in OPS.items() if fact.type in t)
        errors.append(f"{path}.op：“{fact.label}”不能用运算 {op}；可用：{usable}")
        return
    if op in _NO_VALUE_OPS:
        if "value" in node:
            errors.append(f"{path}.value：运算 {op} 不需要 value，请删去")
        return
    if "value" not in node:
        errors.append(f"{path}：运算 {op} 需要 value")
        return
    value = node["value"]
    vpath = f"{path}.value"
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2):
            errors.append(f"{vpath}：between 的值应为 [下限, 上限]，实际为 {_show(value)}")
            return
        for index, item in enumerate(value):
            _validate_scalar(fact, item, f"{vpath}[{index}]", errors)
        if all(_is_int(v) for v in value) and value[0] > value[1]:
            errors.append(f"{vpath}：下限 {value[0]} 大于上限 {value[1]}")
        return
    if op in _LIST_VALUE_OPS:
        if not isinstance(value, list) or not value:
            errors.append(f"{vpath}：运算 {op} 的值应为非空列表，实际为 {_show(value)}")
            return
        for index, item in enumerate(value):
            _validate_scalar(fact, item, f"{vpath}[{index}]", errors)
        return
    _validate_scalar(fact, value, vpath, errors)


def _validate_scalar(fact: Fact, value: Any, path: str, errors: list[str]) -> None:
    if fact.type == "int":
        if not _is_int(value):
            errors.append(f"{path}：“{fact.label}”的值应为整数，实际为 {_show(value)}")
        elif (fact.minimum is not None and value < fact.minimum) or (
            fact.maximum is not None and value > fact.maximum
        ):
            errors.append(
                f"{path}：“{fact.label}”的值应在 {fact.minimum} 至 {fact.maximum} 之间，实际为 {value}"
            )
    elif fact.type == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}：“{fact.label}”的值应为 true 或 false，实际为 {_show(value)}")
    elif not isinstance(value, str) or value not in fact.values:
        errors.append(f"{path}：“{fact.label}”没有取值 {_show(value)}；可用：{'、'.join(fact.values)}")


def check_rule(rule: Any) -> None:
    """Raise ``RuleError`` unless the rule is valid."""
    errors = validate_rule(rule)
    if errors:
        raise RuleError(errors)


# ---------------------------------------------------------------------------
# Evaluation


def evaluate(rule: Any, facts: Mapping[str, Any]) -> bool:
    """Whether the rule holds for these facts. Raises ``RuleError`` on an invalid rule."""
    check_rule(rule)
    return _holds(rule, facts)


def holds(rule: Any, facts: Mapping[str, Any]) -> bool:
    """Like ``evaluate`` for a rule already validated with ``check_rule``: the hot path of
    recomputing entitlements for a whole registry, where validating per child would dominate."""
    return _holds(rule, facts)


def _fact_value(facts: Mapping[str, Any], name: str) -> Any:
    value = facts.get(name)
    fact = FACTS[name]
    # A value of the wrong type is treated as unknown rather than compared by
    # accident (e.g. "6" < 7 would raise; True == 1 would match an age).
    if value is None:
        return None
    if fact.type == "int":
        return value if _is_int(value) else None
    if fact.type == "bool":
        return value if isinstance(value, bool) else None
    if fact.type == "enum":
        return value if isinstance(value, str) else None
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(v for v in value if isinstance(v, str))
    return None


def _holds(node: Any, facts: Mapping[str, Any]) -> bool:
    if isinstance(node, bool):
        return node
    if "all" in node:
        return all(_holds(child, facts) for child in node["all"])
    if "any" in node:
        return any(_holds(child, facts) for child in node["any"])
    if "not" in node:
        return not _holds(node["not"], facts)
    return _leaf_holds(node, _fact_value(facts, node["fact"]))


def _leaf_holds(node: dict, actual: Any) -> bool:
    if actual is None:
        return False
    op, value = node["op"], node.get("value")
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "contains":
        return value in actual
    if op == "contains_any":
        return any(v in actual for v in value)
    if op == "lt":
        return actual < value
    if op == "lte":
        return actual <= value
    if op == "gt":
        return actual > value
    if op == "gte":
        return actual >= value
    if op == "between":
        return value[0] <= actual <= value[1]
    raise AssertionError(op)  # unreachable: the rule was validated


# ---------------------------------------------------------------------------
# Wording, for the admin screens, the child's file and the public page


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        return "、".join(str(v) for v in items) if items else "无"
    if value is None:
        return "未登记"
    return str(value)


def _describe_leaf(node: dict) -> str:
    label, op, value = FACTS[node["fact"]].label, node["op"], node.get("value")
    if op == "is_true":
        return f"{label}：是"
    if op == "is_false":
        return f"{label}：否"
    if op == "between":
        return f"{label}在 {value[0]} 至 {value[1]} 之间（含）"
    if op == "in":
        return f"{label}为{_words(value)}之一"
    if op == "contains_any":
        return f"{label}包含{_words(value)}中的任一项"
    if op == "contains":
        return f"{label}包含{_words(value)}"
    if op == "not_in":
        return f"{label}不是{_words(value)}中的任何一项"
    if op == "eq":
        return f"{label}为{_words(value)}"
    if op == "ne":
        return f"{label}不为{_words(value)}"
    return f"{label}{OPS[op][1]} {_words(value)}"


def describe(rule: Any) -> str:
    """The rule in one Chinese sentence. Raises ``RuleError`` on an invalid rule."""
    check_rule(rule)
    return _describe(rule)


def _describe(node: Any) -> str:
    if node is True:
        return "全体流动儿童"
    if node is False:
        return "暂无适用对象"
    for key, lead in (("all", "同时满足："), ("any", "满足其一：")):
        if key in node:
            parts = [_describe_part(child) for child in node[key]]
            return parts[0] if len(parts) == 1 else lead + "；".join(parts)
    if "not" in node:
        return f"并非（{_describe(node['not'])}）"
    return _describe_leaf(node)


def _describe_part(node: Any) -> str:
    # Bracket nested combinations so that "A；B；C" never reads ambiguously.
    text = _describe(node)
    return f"（{text}）" if isinstance(node, dict) and ("all" in node or "any" in node) else text


def explain(rule: Any, facts: Mapping[str, Any]) -> list[str]:
    """The conditions that made the rule hold, in Chinese, each with the child's actual value.

    Empty when the rule does not hold. Raises ``RuleError`` on an invalid rule.
    """
    check_rule(rule)
    if not _holds(rule, facts):
        return []
    return _explain(rule, facts)


def _explain(node: Any, facts: Mapping[str, Any]) -> list[str]:
    # Called only on nodes that hold.
    if node is True:
        return ["面向全体流动儿童"]
    if "all" in node:
        return [line for child in node["all"] for line in _explain(child, facts)]
    if "any" in node:
        return [line for child in node["any"] if _holds(child, facts) for line in _explain(child, facts)]
    if "not" in node:
        return [f"不满足：{_describe(node['not'])}"]
    if node["op"] in _NO_VALUE_OPS:  # "残疾儿童：是" already says the child's value
        return [_describe_leaf(node)]
    actual = _fact_value(facts, node["fact"])
    return [f"{_describe_leaf(node)}（本人：{_words(actual)}）"]


# ---------------------------------------------------------------------------
# From a child's data to facts


def _add_months(start: dt.date, months: int) -> dt.date:
    """``start`` moved by whole months; a missing day becomes the month's last day (民法典 §202)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def completed_months(birth_date: dt.date, on_date: dt.date) -> int:
    """Whole months lived on ``on_date`` (0 before birth is not defined: callers check)."""
    months = (on_date.year - birth_date.year) * 12 + on_date.month - birth_date.month
    if _add_months(birth_date, months) > on_date:
        months -= 1
    return months


def completed_years(birth_date: dt.date, on_date: dt.date) -> int:
    """周岁 on ``on_date``: reached on the birthday; a 29 February birthday falls on 28 February in common years."""
    return completed_months(birth_date, on_date) // 12


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def parse_security(value: Any) -> list[str] | None:
    """保障类别 from a list or ledger text ("低保、孤儿"); ``None`` if it holds unknown values."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        for separator in ("，", ",", ";", "；", " ", "\u3000"):
            value = value.replace(separator, "、")
        items = [item for item in value.split("、") if item]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return None
    if not all(
        isinstance(item, str) and (item in SECURITY_CATEGORIES or item == SECURITY_NONE) for item in items
    ):
        return None
    # Keep the ledger's order of categories, without duplicates or "无".
    return [category for category in SECURITY_CATEGORIES if category in items]


def facts_from_profile(
    *,
    birth_date: dt.date,
    on_date: dt.date,
    school_stage: str | None,
    health: str | None,
    security: Iterable[str] | str | None,
    housing_difficulty: bool = False,
    emergency_hardship: bool = False,
    legal_aid_need: bool = False,
    disability_category: str | None = None,
    living_at_home: bool = True,
    key_attention: bool = False,
) -> dict[str, Any]:
    """The facts rules are evaluated on, from a child's (or a self-check's) data on a date.

    ``school_stage`` and ``health`` may be ``None`` (not recorded): such facts
    match no condition. Raises ``ProfileError`` with one Chinese message per
    bad field.
    """
    errors: dict[str, str] = {}
    birth, on = _as_date(birth_date), _as_date(on_date)
    if birth is None:
        errors["birth_date"] = "请填写正确的出生日期"
    if on is None:
        errors["on_date"] = "请填写正确的查询日期"
    if birth is not None and on is not None and birth > on:
        errors["birth_date"] = "出生日期不能晚于查询日期"
    if school_stage is not None and school_stage not in SCHOOL_STAGES:
        errors["school_stage"] = f"就学状态应为以下之一：{'、'.join(SCHOOL_STAGES)}"
    if health is not None and health not in HEALTH_STATES:
        errors["health"] = f"健康状况应为以下之一：{'、'.join(HEALTH_STATES)}"
    categories = parse_security(security)
    if categories is None:
        errors["security"] = f"保障类别应为以下各项中的零项或多项：{'、'.join(SECURITY_CATEGORIES)}"
    if disability_category not in (None, "") and disability_category not in DISABILITY_CATEGORIES:
        errors["disability_category"] = f"残疾类别应为以下之一：{'、'.join(DISABILITY_CATEGORIES)}"
    flags = {
        "housing_difficulty": housing_difficulty,
        "emergency_hardship": emergency_hardship,
        "legal_aid_need": legal_aid_need,
        "living_at_home": living_at_home,
        "key_attention": key_attention,
    }
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            errors[name] = f"“{FACTS[name].label}”应为是或否"
    if errors:
        raise ProfileError(errors)
    assert birth is not None and on is not None  # narrowed by the checks above
    months = completed_months(birth, on)
    return {
        "age_years": months // 12,
        "age_months": months,
        "school_stage": school_stage,
        "compulsory_stage": school_stage in COMPULSORY_STAGES,
        "health": health,
        # A disability category means a recorded disability even when 健康状况 says otherwise
        # (e.g. 严重精神障碍 with a 精神 disability certificate).
        "disabled": health == "残疾" or disability_category not in (None, ""),
        "security": categories,
        **flags,
    }


# ---------------------------------------------------------------------------
# The list


def entitled_services(services: list[dict], facts: Mapping[str, Any]) -> list[dict]:
    """The services (in list order, the same dicts) whose rule holds for these facts.

    Raises ``RuleError`` naming the service if one of the rules is invalid.
    """
    entitled = []
    for service in services:
        rule = service.get("rule", False)
        errors = validate_rule(rule)
        if errors:
            raise RuleError([f"服务 {service.get('no', '?')}：{message}" for message in errors])
        if _holds(rule, facts):
            entitled.append(service)
    return entitled


def validate_service_list(data: Any) -> list[str]:
    """All problems of a whole list (the fixture's shape), as Chinese messages. Never raises."""
    from network.departments import DEPARTMENTS

    department_codes = {code for code, _, _ in DEPARTMENTS}

    if not isinstance(data, dict):
        return ["清单应为对象"]
    errors: list[str] = []
    for key in ("code", "title", "effective_from"):
        if not isinstance(data.get(key), str) or not data.get(key):
            errors.append(f"清单缺少 {key}")
    try:
        dt.date.fromisoformat(str(data.get("effective_from")))
    except ValueError:
        errors.append("effective_from 应为 YYYY-MM-DD 格式的日期")
    groups = data.get("groups")
    group_names = (
        {g.get("name") for g in groups if isinstance(g, dict)} if isinstance(groups, list) else set()
    )
    if not group_names:
        errors.append("清单缺少服务类别 groups")
    services = data.get("services")
    if not isinstance(services, list) or not services:
        return [*errors, "清单缺少服务项目 services"]
    for index, service in enumerate(services):
        where = f"第 {index + 1} 项服务"
        if not isinstance(service, dict):
            errors.append(f"{where}应为对象")
            continue
        if service.get("no") != index + 1:
            errors.append(f"{where}的序号应为 {index + 1}")
        for key in ("name", "target", "content"):
            if not isinstance(service.get(key), str) or not service.get(key):
                errors.append(f"{where}缺少 {key}")
        if service.get("group") not in group_names:
            errors.append(f"{where}的类别 {_show(service.get('group'))} 不在 groups 中")
        departments = service.get("departments")
        if not isinstance(departments, list) or not departments:
            errors.append(f"{where}缺少责任部门")
        else:
            unknown = [d for d in departments if not isinstance(d, str) or d not in department_codes]
            if unknown:
                errors.append(f"{where}有未知的责任部门：{'、'.join(_show(d) for d in unknown)}")
        if "rule" not in service:
            errors.append(f"{where}缺少适用规则 rule")
        else:
            errors.extend(f"{where}的规则 {message}" for message in validate_rule(service["rule"]))
    return errors
