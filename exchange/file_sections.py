"""The department feeds' part of a child's file: what each feed changed (with its batch),
health management records, and findings awaiting verification."""

from __future__ import annotations


def sections(user, child) -> list:
    from exchange.selectors import child_feed_file
    from registry.sections import Section

    data = child_feed_file(user, child)
    effects, health, tasks = list(data["effects"]), list(data["health"]), list(data["tasks"])
    if not (effects or health or tasks):
        return []
    return [
        Section(
            title="部门数据",
            template="exchange/_file_section.html",
            context={"effects": effects[:10], "health": health[:3], "tasks": tasks[:5], "child": child},
            order=60,
        )
    ]
