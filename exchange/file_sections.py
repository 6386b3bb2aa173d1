"""The department feeds' part of a child's file: what each feed changed (with its batch),
health management records, and findings awaiting verification."""

from __future__ import annotations


def sections(user, child) -> list:
    from exchange.selectors import child_feed_file
    from registry.sections import Section
    from registry.selectors import rows_present

    data = child_feed_file(user, child)
    # Few children have any feed record: one query says which of the three lists have rows,
    # and only those are read, each no further than the section shows (the feeds page has all).
    has_effects, has_health, has_tasks = rows_present(child, data["effects"], data["health"], data["tasks"])
    if not (has_effects or has_health or has_tasks):
        return []
    effects = list(data["effects"][:10]) if has_effects else []
    health = list(data["health"][:3]) if has_health else []
    tasks = list(data["tasks"][:5]) if has_tasks else []
    return [
        Section(
            title="部门数据",
            template="exchange/_file_section.html",
            context={"effects": effects, "health": health, "tasks": tasks, "child": child},
            order=60,
        )
    ]
