"""The main navigation: a few groups per role, the role's daily work first.

Apps still declare their menu entries (``NAV`` in ``<app>/home.py``, see ``web/cards.py``);
this module only arranges them. An entry lands in the group of its URL namespace unless
``PLACED`` puts it elsewhere, so a new page shows up in a sensible group without touching
this file. A group with one entry is a plain link; a group with more opens a menu on a desk
and is listed under its heading on a phone.

The inbox (消息) is not a group: it is the slot at the right of the bar with a count of
unread messages, filled by the first app whose ``home.py`` defines ``inbox(user)``
(see ``web.cards.inbox``).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import Role


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    namespaces: tuple[str, ...]  # URL namespaces whose menu entries it gathers


GROUPS: tuple[NavGroup, ...] = (
    NavGroup("care", "走访关爱", ("care",)),
    NavGroup("children", "儿童档案", ("registry", "ledger")),
    NavGroup("services", "服务转介", ("servicelist",)),
    NavGroup("schools", "学校", ("schools",)),
    NavGroup("exchange", "部门数据", ("exchange",)),
    NavGroup("stats", "统计", ("stats", "network")),
    NavGroup("admin", "管理", ("policy", "admin")),
)
_GROUP_BY_KEY = {group.key: group for group in GROUPS}
_GROUP_OF_NAMESPACE = {ns: group.key for group in GROUPS for ns in group.namespaces}
FALLBACK_GROUP = "admin"
# A role with this few entries in all (a leader, a teacher, a liaison) gets them as plain
# links on the bar: a menu to open would only hide them.
FLAT_AT_MOST = 5

# Entries that belong with another group than their app's.
PLACED: dict[str, str] = {
    "servicelist:gaps": "stats",
}

# Entries that open their group's menu, whatever their app's order says.
LEADS: frozenset[str] = frozenset({"stats:dashboard", "care:worklist", "registry:list"})

# Each role's groups in the order of its daily work; groups not listed follow in GROUPS order.
ROLE_ORDER: dict[str, tuple[str, ...]] = {
    Role.DIRECTOR: ("care", "children", "services", "schools", "stats"),
    Role.SUPERVISOR: ("care", "children", "services", "exchange", "schools", "stats"),
    Role.SCHOOL_STAFF: ("schools", "children"),
    Role.LIAISON: ("services", "schools", "stats"),
    Role.CITY_ADMIN: ("children", "care", "services", "exchange", "schools", "stats", "admin"),
    Role.LEADER: ("stats",),
    Role.AUDITOR: ("admin",),
}
# A user holding several roles gets the order of the one whose work is most hands-on.
ROLE_PRECEDENCE = (
    Role.DIRECTOR,
    Role.SUPERVISOR,
    Role.SCHOOL_STAFF,
    Role.LIAISON,
    Role.CITY_ADMIN,
    Role.LEADER,
    Role.AUDITOR,
)


def group_of(url_name: str) -> str:
    if url_name in PLACED:
        return PLACED[url_name]
    namespace = url_name.split(":", 1)[0] if ":" in url_name else ""
    return _GROUP_OF_NAMESPACE.get(namespace, FALLBACK_GROUP)


def group_order(roles) -> tuple[str, ...]:
    """Group keys in the order the first role (by precedence) works through them."""
    order: tuple[str, ...] = ()
    for role in ROLE_PRECEDENCE:
        if role in roles:
            order = ROLE_ORDER.get(role, ())
            break
    return order + tuple(g.key for g in GROUPS if g.key not in order)


def arrange(entries: list[tuple[int, str, str, str]], roles) -> list[dict]:
    """Entries as (order, label, url, url_name) -> groups as dicts ready for the template:
    ``{"key", "label", "items": [{"label", "url"}]}``, empty groups left out."""
    grouped: dict[str, list[tuple[tuple[int, int], str, str]]] = {}
    for order, label, url, url_name in entries:
        lead = 0 if url_name in LEADS else 1
        grouped.setdefault(group_of(url_name), []).append(((lead, order), label, url))
    groups = []
    for key in group_order(roles):
        items = sorted(grouped.get(key, []))
        if items:
            groups.append(
                {
                    "key": key,
                    "label": _GROUP_BY_KEY[key].label,
                    "items": [{"label": label, "url": url} for _order, label, url in items],
                }
            )
    if sum(len(group["items"]) for group in groups) <= FLAT_AT_MOST:
        return [
            dict(group, key=f"{group['key']}-{n}", items=[item])
            for group in groups
            for n, item in enumerate(group["items"])
        ]
    return groups


def mark_active(groups: list[dict], path: str) -> list[dict]:
    """Copies of the groups with the entry (and its group) that the path lies under marked
    ``active``: the longest matching entry wins, the home page matches only itself."""
    best = ""
    for group in groups:
        for item in group["items"]:
            url = item["url"]
            if (path == url or (url != "/" and path.startswith(url))) and len(url) > len(best):
                best = url
    marked = []
    for group in groups:
        items = [dict(item, active=bool(best) and item["url"] == best) for item in group["items"]]
        marked.append(dict(group, items=items, active=any(i["active"] for i in items)))
    return marked
